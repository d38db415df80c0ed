"""Keep the index in step with the database: apply this process's changes right after commit, follow the feed always.

What changed is recorded on the change feed inside the writer's transaction (feed.py). After
the commit this process applies those changes at once; if that write fails (full disk, a
killed worker, a lock held too long) nothing is lost: the follower (follower.py) catches the
index up from the feed within seconds.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from marketplace.extensions import db
from marketplace.search import feed
from marketplace.search.backend import SearchBackend, make_backend
from marketplace.search.index import SearchIndex

log = logging.getLogger(__name__)
_installed = False


def backend_for(app: Flask) -> SearchBackend:
    """This process's search backend for the app (one per app, so searchers are reused)."""
    backend = app.extensions.get("search_backend")
    if backend is None:
        name = app.config.get("SEARCH_BACKEND") or "whoosh"
        backend = app.extensions["search_backend"] = make_backend(
            name, app.config["SEARCH_INDEX_DIR"], int(app.config.get("SEARCH_RESULT_CACHE", 512)))
    return backend


def index_for(app: Flask) -> SearchIndex:
    """The Whoosh index directory behind the default backend (operations and tests)."""
    return backend_for(app).index


def _discard(session: Session) -> None:
    # A rolled-back write must never reach the index (its feed rows rolled back too).
    session.info.pop(feed.PENDING, None)


def _apply(session: Session) -> None:
    pending = session.info.pop(feed.PENDING, None)
    if not pending or not has_app_context():
        return
    app = current_app._get_current_object()
    try:
        feed.apply_pairs(app, pending)
    except Exception:  # noqa: BLE001 - the commit stands, and so do its feed rows
        log.exception("search index update failed after commit; the feed follower will catch up")
        from marketplace.search import follower

        follower.wake(app)


def install() -> None:
    """Record search changes on the feed and apply them after commit (once per process)."""
    global _installed
    if _installed:
        return
    feed.install()
    event.listen(db.session, "after_commit", _apply)
    event.listen(db.session, "after_rollback", _discard)
    _installed = True
