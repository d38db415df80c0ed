"""Operator tasks: rebuild the index, check it against the database, repair drift."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from sqlalchemy.orm import Session

from marketplace.extensions import db
from marketplace.search import documents
from marketplace.search.hooks import index_for
from marketplace.search.index import Drift, IndexUnavailable, key_order


def published_count() -> int:
    """How many documents (published items and threads) a full rebuild will index."""
    with Session(db.engine) as session:
        return documents.published_count(session)


def rebuild(procs: int | None = None, on_batch: Callable[[int], None] | None = None) -> str:
    """Build a fresh generation from the database and swap it in; returns its name."""
    procs = procs or int(current_app.config.get("SEARCH_BUILD_PROCS", 1) or 1)
    with Session(db.engine) as session, Session(db.engine) as catch_up:
        return index_for(current_app).rebuild(
            documents.all_batches(session),
            reload=lambda ids: documents.documents_for(catch_up, ids),
            procs=procs, on_batch=on_batch,
        )


def check() -> Drift | None:
    """Differences between findable rows (items and threads) and indexed documents; None when there is no index."""
    try:
        indexed = index_for(current_app).indexed_stamps()
    except IndexUnavailable:
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
        index_for(current_app).apply(documents.documents_for(session, {*drift.missing, *drift.extra, *drift.stale}))
