"""Pop-up communities: spaces, discussions, retros, experiments and harvesting."""
