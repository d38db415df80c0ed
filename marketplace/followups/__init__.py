"""The 30-day follow-up: "What, if anything, are you doing differently because of this?"."""
