"""The life of a published item: edits, retirement, freshness reviews and reminders."""
