"""Search follows the change feed: every change that affects search is a feed row written with it.

Recording: `install()` tracks the models whose rows reach index documents; each flushed row
becomes (topic, id) rows in `changes`, in the writer's transaction (marketplace/changes).
The same rows are noted on the session so this process applies them right after the commit
(searchable in milliseconds, as before).

Following: every index directory remembers, per generation, the last change it applied (a
`feed.json` file beside the segments: the high-water mark and the gaps still open). Any
process may catch the directory up (under the index's write lock): at start-up, every
SEARCH_FOLLOW_SECONDS, and soon after a failed write. Applying re-reads the rows, so applying
a change twice is harmless. Each directory reports its safe position as a feed consumer, so
change rows are pruned only once every known index has applied them.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid
from datetime import datetime
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace import changes
from marketplace.catalog.models import KPI, ChecklistStep, Item, Skill, item_kpis, item_skills
from marketplace.changes.models import Change, FeedCursor
from marketplace.extensions import db
from marketplace.search import discussions
from marketplace.search.documents import documents_for
from marketplace.spaces.models import Post, Space, Thread, thread_skills
from marketplace.timeutil import utcnow

log = logging.getLogger(__name__)
TOPICS = ("search.item", "search.thread", "search.space", "search.kpi", "search.skill")
PENDING = "search_pending"
STATE = "feed.json"
CONSUMER = "consumer-id"
# Only these columns reach a thread's document; votes, activity times and "solved" churn must not reindex.
THREAD_FIELDS = ("title", "kind", "space_id", "retro_what", "retro_so_what", "retro_now_what", "skills")
POST_FIELDS = ("body", "deleted_at", "hidden_reason", "author_id", "thread_id", "is_opening")
SPACE_FIELDS = ("name", "visibility", "chatham_house", "status")


# -- recording ------------------------------------------------------------------------

def _changed(session: Session, row, op: str, names: tuple[str, ...]) -> bool:  # noqa: ANN001 - any mapped row
    if op != "update":
        return True
    from sqlalchemy import inspect

    state = inspect(row)
    return any(state.attrs[n].history.has_changes() for n in names)


def _rows(session: Session, row, op: str) -> list[tuple[str, object]]:  # noqa: ANN001 - any mapped row
    """The feed rows for one flushed row (also noted for this process's immediate apply)."""
    found: list[tuple[str, object]] = []
    if op == "update" and not session.is_modified(row):
        return found  # touched but unchanged: nothing for search
    if isinstance(row, Item):
        found = [("search.item", row.id)]
    elif isinstance(row, ChecklistStep) and row.item_id:
        found = [("search.item", row.item_id)]
    elif isinstance(row, KPI):  # a renamed KPI changes what its items are found by
        found = [("search.kpi", row.id)]
    elif isinstance(row, Skill):
        found = [("search.skill", row.id)]
    elif isinstance(row, Thread) and _changed(session, row, op, THREAD_FIELDS):
        found = [("search.thread", row.id)]
    elif isinstance(row, Post) and row.thread_id and _changed(session, row, op, POST_FIELDS):
        found = [("search.thread", row.thread_id)]
    elif isinstance(row, Space) and (op == "delete" or _changed(session, row, op, SPACE_FIELDS)):
        found = [("search.space", row.id)]  # a deleted space's threads go by ON DELETE CASCADE
    found = [(topic, entity) for topic, entity in found if entity is not None]
    if found:
        session.info.setdefault(PENDING, set()).update((t, str(e)) for t, e in found)
    return found


def install() -> None:
    """Put every change that affects search on the feed (idempotent: the feed keeps one handler per model)."""
    for model in (Item, ChecklistStep, KPI, Skill, Thread, Post, Space):
        changes.track(model, _rows)


# -- applying -----------------------------------------------------------------------------

def keys_for(session: Session, pairs: set[tuple[str, str]], backend) -> set[int | str]:  # noqa: ANN001 - a SearchBackend
    """Index keys touched by these (topic, entity id) pairs, resolved against the committed rows."""
    by_topic: dict[str, set[int]] = {topic: set() for topic in TOPICS}
    for topic, entity in pairs:
        if topic in by_topic and str(entity).isdigit():
            by_topic[topic].add(int(entity))
    items = set(by_topic["search.item"])
    threads = set(by_topic["search.thread"])
    if by_topic["search.kpi"]:
        items |= set(session.scalars(select(item_kpis.c.item_id).where(item_kpis.c.kpi_id.in_(by_topic["search.kpi"]))))
    if by_topic["search.skill"]:
        skills = by_topic["search.skill"]
        items |= set(session.scalars(select(item_skills.c.item_id).where(item_skills.c.skill_id.in_(skills))))
        threads |= set(session.scalars(select(thread_skills.c.thread_id).where(thread_skills.c.skill_id.in_(skills))))
    keys: set[int | str] = set(items)
    if by_topic["search.space"]:
        spaces = by_topic["search.space"]
        threads |= discussions.thread_ids_in_spaces(session, spaces)
        keys |= backend.keys_with("space_id", {str(s) for s in spaces})  # threads of a space now gone
    keys |= {discussions.key(t) for t in threads}
    return keys


def apply_pairs(app: Flask, pairs: set[tuple[str, str]]) -> None:
    """Bring the index in line with the committed rows behind these feed pairs (idempotent)."""
    from marketplace.search.hooks import backend_for

    backend = backend_for(app)
    with Session(db.engine) as fresh:  # never the committing session, which is mid-commit
        keys = keys_for(fresh, pairs, backend)
        if keys:
            backend.apply(documents_for(fresh, keys))


# -- each index directory's place in the feed -------------------------------------------

def consumer_name(root: Path, create: bool = True) -> str:
    """This index directory's name as a feed consumer: host plus an id kept in the directory ("" if none and not `create`)."""
    path = root / CONSUMER
    try:
        ident = path.read_text().strip()
    except OSError:
        ident = ""
    if not ident and not create:
        return ""
    if not ident:
        root.mkdir(parents=True, exist_ok=True)
        ident = uuid.uuid4().hex[:12]
        _write_atomic(path, ident)
    return f"search:{socket.gethostname()}:{ident}"[:200]


def _write_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    temporary.write_text(text)
    os.replace(temporary, path)


def read_state(generation: Path) -> changes.FeedReader | None:
    """The feed reader stored with a generation, or None when it has never recorded one."""
    try:
        data = json.loads((generation / STATE).read_text())
    except (OSError, ValueError):
        return None
    reader = changes.FeedReader(int(data.get("position", 0)))
    reader.gaps = {int(k): datetime.fromisoformat(v) for k, v in data.get("gaps", {}).items()}
    return reader


def write_state(generation: Path, reader: changes.FeedReader) -> None:
    """Record how far this generation has applied the feed (atomically)."""
    gaps = {str(k): v.isoformat() for k, v in reader.gaps.items()}
    _write_atomic(generation / STATE, json.dumps({"position": reader.position, "gaps": gaps}))


def start_position(generation: Path, position: int) -> None:
    """A freshly built generation starts from the position taken before its rows were read."""
    write_state(generation, changes.FeedReader(position))


def lag(app: Flask) -> dict:
    """How far this process's index trails the feed: changes and seconds behind, and the position."""
    from marketplace.search.hooks import index_for

    index = index_for(app)
    name = index.current_name()
    reader = read_state(index.root / name) if name else None
    position = reader.safe_position if reader else 0
    with Session(db.engine) as session:
        behind, oldest = session.execute(
            select(func.count(Change.id), func.min(Change.created_at)).where(Change.id > position, Change.topic.in_(TOPICS))
        ).one()
    seconds = max(0.0, (utcnow() - oldest).total_seconds()) if oldest else 0.0
    return {"position": position, "changes_behind": int(behind or 0), "seconds_behind": round(seconds, 1),
            "generation": name, "followed": reader is not None, "consumer": consumer_name(index.root, create=False)}


def catch_up(app: Flask, build_if_missing: bool = True) -> int:
    """Apply every change this index directory has not applied yet; returns how many feed rows were applied.

    Holds the index's write lock, so one process per directory does it at a time. An index
    that does not exist yet is built from the database first (then followed from there).
    """
    from marketplace.search import admin
    from marketplace.search.hooks import index_for

    index = index_for(app)
    if index.current_name() is None:
        if not build_if_missing:
            return 0
        with index.exclusive(), app.app_context():  # one builder per directory; the others wait, then follow
            if index.current_name() is None:
                admin.rebuild()  # takes its starting position before reading the database
    if _up_to_date(app, index):
        return 0  # the common tick: one cheap query, no lock, no writes
    applied = 0
    with index.exclusive():
        name = index.current_name()
        if name is None:
            return 0
        generation = index.root / name
        reader = read_state(generation)
        if reader is None:
            # A generation built before search followed the feed: follow from the newest change
            # (`search check --fix` repairs anything lost before the upgrade).
            log.warning("search index %s has no feed position; following from the newest change", name)
            with Session(db.engine) as session:
                reader = changes.FeedReader(changes.latest_position(session))
        with Session(db.engine) as session:
            newest = changes.latest_position(session)
            if newest < reader.position:
                # Ids went backwards: on SQLite an emptied (fully pruned) table reuses ids from 1.
                # Re-applying what is there is harmless; skipping it would lose changes silently.
                log.warning("change feed restarted below %s (newest %s); re-reading it", reader.position, newest)
                reader = changes.FeedReader(0)

            def apply(batch: list[Change]) -> None:
                apply_pairs(app, {(c.topic, c.entity_id) for c in batch})

            # One large batch: an item changed many times is re-read and rewritten once.
            applied = reader.poll(session, apply, TOPICS, batch=50_000)
        write_state(generation, reader)
        with Session(db.engine) as session:
            changes.report_position(session, consumer_name(index.root), reader.safe_position)
            session.commit()  # writes only when the position moved
    return applied


def _up_to_date(app: Flask, index) -> bool:  # noqa: ANN001 - a SearchIndex
    """True when this generation has applied the newest change, has no open gaps and its position is reported."""
    name = index.current_name()
    reader = read_state(index.root / name) if name else None
    if reader is None or reader.gaps:
        return False
    with Session(db.engine) as session:
        newest = changes.latest_position(session)
        reported = session.scalar(select(FeedCursor.position).where(FeedCursor.consumer == consumer_name(index.root)))
    return newest == reader.position and reported == reader.position

