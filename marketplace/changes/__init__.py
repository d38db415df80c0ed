"""The change feed: a transactional outbox every derived store follows (search, rollups, deliveries)."""

from marketplace.changes.services import (  # noqa: F401  (the package's public API)
    FeedReader,
    catch_up,
    forget_consumer,
    latest_position,
    prune,
    read_after,
    record_change,
    report_position,
    track,
)
