"""Search benchmark (`make bench`): Whoosh through the app's search service vs SQLite FTS5."""
