"""People: skills, endorsements, "who knows this?", reputation and badges."""
