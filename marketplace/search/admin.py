"""Operator tasks: rebuild the index, check it against the database, repair drift."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from marketplace import changes
from marketplace.extensions import db
from marketplace.search import discussions, documents, feed
from marketplace.search.backend import BackendUnavailable, Drift, key_order
from marketplace.search.bulk import Batch, Source
from marketplace.search.hooks import backend_for

PARALLEL_FROM = 5000  # items; below this a rebuild takes seconds in one process
MAX_PROCS = 4


def published_count() -> int:
    """How many documents (published items and threads) a full rebuild will index."""
    with Session(db.engine) as session:
        return documents.published_count(session)


def rebuild(procs: int | None = None, on_batch: Callable[[int], None] | None = None) -> str:
    """Build a fresh generation from the database and swap it in; returns its name."""
    with Session(db.engine) as session:
        # The feed position comes first: everything committed after it is applied to the new
        # index by the feed, so nothing published while the rows are read can be missed.
        start = changes.latest_position(session)
        ids = documents.published_item_ids(session)
    procs = procs or int(current_app.config.get("SEARCH_BUILD_PROCS") or 0) or _auto_procs(len(ids))
    with Session(db.engine) as catch_up:
        return backend_for(current_app).rebuild(
            _sources(ids, procs), reload=lambda keys: documents.documents_for(catch_up, keys), on_batch=on_batch,
            prepare=lambda location: feed.start_position(location, start),
        )


def _auto_procs(items: int) -> int:
    # Forking pays off only for a big catalog; two cores already halve a 50,000-item build.
    return max(1, min(os.cpu_count() or 1, MAX_PROCS)) if items >= PARALLEL_FROM else 1


def _sources(ids: list[int], procs: int) -> list[Source]:
    """Contiguous runs of item ids, one per process (the last also takes the threads), so docnums keep id order."""
    procs = max(1, min(procs, len(ids) // 100 or 1))
    size = -(-len(ids) // procs) if ids else 0
    chunks = [ids[n * size:(n + 1) * size] for n in range(procs)]
    url = db.engine.url.render_as_string(hide_password=False)
    return [RowSource(url, chunk, last=n == procs - 1) for n, chunk in enumerate(chunks)]


@dataclass(frozen=True)
class RowSource:
    """The documents of these items (and, for the last part, of every thread), read over an engine of its own.

    Its build process comes from a fork server (see bulk.py): one forked from a process whose
    other threads were inside SQLite at that instant inherits SQLite's locks held and hangs on
    its first read. So a source that reads the database is a picklable description, not a closure.
    """

    url: str
    ids: list[int]
    last: bool
    fresh = True  # bulk.py: build it in a process forked by the fork server

    def __call__(self) -> Iterator[Batch]:
        engine = create_engine(self.url)
        try:
            with Session(engine) as session:
                yield from documents.item_batches(session, self.ids)
                if self.last:
                    yield from discussions.all_batches(session)
        finally:
            engine.dispose()


def check() -> Drift | None:
    """Differences between findable rows (items and threads) and indexed documents; None when there is no index."""
    try:
        indexed = backend_for(current_app).indexed_stamps()
    except BackendUnavailable:
        return None
    with Session(db.engine) as session:
        wanted = documents.published_stamps(session)
    return Drift(
        missing=sorted(set(wanted) - set(indexed), key=key_order),
        extra=sorted(set(indexed) - set(wanted), key=key_order),
        stale=sorted((i for i in set(wanted) & set(indexed) if wanted[i] != indexed[i]), key=key_order),
    )


def fix(drift: Drift) -> None:
    """Re-index every drifted item and thread from the database."""
    with Session(db.engine) as session:
        backend_for(current_app).apply(documents.documents_for(session, {*drift.missing, *drift.extra, *drift.stale}))
