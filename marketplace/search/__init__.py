"""Search at the moment of need: a Whoosh index over published content, kept in step after commit."""
