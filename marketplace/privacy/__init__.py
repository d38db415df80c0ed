"""Privacy: the personal-data registry, exports and erasure with a cool-off."""
