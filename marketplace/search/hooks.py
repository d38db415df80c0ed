"""Keep the index in step with the database: collect changes on flush, write them after commit."""

from __future__ import annotations

import logging

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from marketplace.catalog.models import KPI, ChecklistStep, Item, Skill, item_kpis, item_skills
from marketplace.extensions import db
from marketplace.search import discussions
from marketplace.search.backend import SearchBackend, make_backend
from marketplace.search.documents import documents_for
from marketplace.search.index import SearchIndex
from marketplace.spaces.models import Post, Space, Thread, thread_skills

log = logging.getLogger(__name__)
PENDING = "search_pending"
_installed = False
# Only these columns reach a thread's document; votes, activity times and "solved" churn must not reindex.
THREAD_FIELDS = ("title", "kind", "space_id", "retro_what", "retro_so_what", "retro_now_what", "skills")
POST_FIELDS = ("body", "deleted_at", "hidden_reason", "author_id", "thread_id", "is_opening")
SPACE_FIELDS = ("name", "visibility", "chatham_house", "status")


def _changed(session: Session, row, names: tuple[str, ...]) -> bool:  # noqa: ANN001 - any mapped row
    if row in session.new or row in session.deleted:
        return True
    state = inspect(row)
    return any(state.attrs[n].history.has_changes() for n in names)


def backend_for(app: Flask) -> SearchBackend:
    """This process's search backend for the app (one per app, so searchers are reused)."""
    backend = app.extensions.get("search_backend")
    if backend is None:
        name = app.config.get("SEARCH_BACKEND") or "whoosh"
        backend = app.extensions["search_backend"] = make_backend(name, app.config["SEARCH_INDEX_DIR"])
    return backend


def index_for(app: Flask) -> SearchIndex:
    """The Whoosh index directory behind the default backend (operations and tests)."""
    return backend_for(app).index


def _note(session: Session, _context) -> None:  # noqa: ANN001 - SQLAlchemy's signature
    pending = session.info.setdefault(
        PENDING, {"items": set(), "kpis": set(), "skills": set(), "threads": set(), "spaces": set(), "gone_spaces": set()}
    )
    for row in session.deleted:
        if isinstance(row, Space):  # its threads go by ON DELETE CASCADE, which no ORM event sees
            pending["gone_spaces"].add(row.id)
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, Thread) and _changed(session, row, THREAD_FIELDS):
            pending["threads"].add(row.id)
        elif isinstance(row, Post) and row.thread_id and _changed(session, row, POST_FIELDS):
            pending["threads"].add(row.thread_id)
        elif isinstance(row, Space) and _changed(session, row, SPACE_FIELDS):
            pending["spaces"].add(row.id)
        elif isinstance(row, Item):
            pending["items"].add(row.id)
        elif isinstance(row, ChecklistStep) and row.item_id:
            pending["items"].add(row.item_id)
        elif isinstance(row, KPI):  # a renamed KPI changes what its items are found by
            pending["kpis"].add(row.id)
        elif isinstance(row, Skill):
            pending["skills"].add(row.id)


def _discard(session: Session) -> None:
    # A rolled-back write must never reach the index.
    session.info.pop(PENDING, None)


def _apply(session: Session) -> None:
    pending = session.info.pop(PENDING, None)
    if not pending or not has_app_context():
        return
    try:
        sync(current_app._get_current_object(), pending)
    except Exception:  # noqa: BLE001 - the commit stands; `search check` reports the drift
        log.exception("search index update failed after commit")


def sync(app: Flask, pending: dict[str, set[int]]) -> None:
    """Bring the index in line with the committed rows for these ids (items, threads, spaces)."""
    # A fresh session: the committing one is mid-commit and must not emit SQL now.
    with Session(db.engine) as fresh:
        ids = set(pending.get("items", ()))
        if pending.get("kpis"):
            ids |= set(fresh.scalars(select(item_kpis.c.item_id).where(item_kpis.c.kpi_id.in_(pending["kpis"]))))
        if pending.get("skills"):
            ids |= set(fresh.scalars(select(item_skills.c.item_id).where(item_skills.c.skill_id.in_(pending["skills"]))))
        ids.discard(None)
        threads = set(pending.get("threads", ())) | discussions.thread_ids_in_spaces(fresh, set(pending.get("spaces", ())))
        if pending.get("skills"):
            threads |= set(fresh.scalars(select(thread_skills.c.thread_id).where(thread_skills.c.skill_id.in_(pending["skills"]))))
        keys: set[int | str] = ids | {discussions.key(t) for t in threads if t is not None}
        backend = backend_for(app)
        keys |= backend.keys_with("space_id", {str(s) for s in pending.get("gone_spaces", ())})
        if keys:
            backend.apply(documents_for(fresh, keys))


def install() -> None:
    """Listen on the app's scoped session (once per process)."""
    global _installed
    if _installed:
        return
    event.listen(db.session, "after_flush", _note)
    event.listen(db.session, "after_commit", _apply)
    event.listen(db.session, "after_rollback", _discard)
    _installed = True
