"""Record changes in the writer's transaction; let consumers follow the feed idempotently.

Ids are allocated at insert time but transactions commit in any order (PostgreSQL), so a
reader that only asked for "id > position" could step over a change whose transaction
committed late. `FeedReader` notes the ids it has not seen yet as gaps, re-checks them
until GAP_WINDOW has passed, and never reports a position beyond its oldest open gap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, event, func, insert, select
from sqlalchemy.orm import Session

from marketplace.changes.models import Change, FeedCursor
from marketplace.timeutil import utcnow

GAP_WINDOW = timedelta(seconds=60)
Handler = Callable[[Session, object, str], Iterable[tuple[str, object]]]
_handlers: dict[type, list[Handler]] = {}
_listening: set[int] = set()


def record_change(session: Session, topic: str, entity_id: object) -> None:
    """Add a change row to `session`'s transaction: it commits or rolls back with the change."""
    session.add(Change(topic=topic, entity_id=str(entity_id)))


def track(model: type, handler: Handler, session_factory: object = None) -> None:
    """Record feed rows whenever rows of `model` are flushed.

    `handler(session, row, op)` returns (topic, entity_id) pairs for a row that was
    inserted, updated or deleted (op: "insert", "update", "delete"); an empty result
    records nothing. Tracking at flush means no code path can forget to record.
    """
    handlers = _handlers.setdefault(model, [])
    if handler not in handlers:
        handlers.append(handler)
    target = session_factory or _default_session()
    if id(target) not in _listening:
        event.listen(target, "after_flush", _record_flushed)
        _listening.add(id(target))


def _default_session() -> object:
    from marketplace.extensions import db

    return db.session


def _record_flushed(session: Session, _context: object) -> None:
    rows: set[tuple[str, str]] = set()
    for op, instances in (("insert", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for row in instances:
            for handler in _handlers.get(type(row), ()):
                rows.update((t, str(e)) for t, e in handler(session, row, op) if e is not None)
    if rows:
        now = utcnow()
        session.connection().execute(
            insert(Change), [{"topic": t, "entity_id": e, "created_at": now} for t, e in sorted(rows)]
        )


def latest_position(session: Session) -> int:
    """The id of the newest change (0 on an empty feed): a rebuild takes this before reading."""
    return session.scalar(select(func.max(Change.id))) or 0


def read_after(session: Session, position: int, limit: int = 1000) -> list[Change]:
    """Up to `limit` changes with ids above `position`, oldest first."""
    return list(session.scalars(select(Change).where(Change.id > position).order_by(Change.id).limit(limit)))


class FeedReader:
    """One consumer's place in the feed: the highest id applied and the ids still missing below it."""

    def __init__(self, position: int = 0) -> None:
        self.position = position
        self.gaps: dict[int, datetime] = {}

    @property
    def safe_position(self) -> int:
        """The position to persist: below every gap that may still fill."""
        return min(self.gaps) - 1 if self.gaps else self.position

    def poll(
        self, session: Session, apply: Callable[[list[Change]], None],
        topics: Iterable[str] | None = None, batch: int = 1000,
    ) -> int:
        """Apply every new change (and any late one filling a gap); return how many were applied."""
        wanted = set(topics) if topics is not None else None
        applied = self._fill_gaps(session, apply, wanted)
        while True:
            changes = read_after(session, self.position, batch)
            if not changes:
                break
            self._note_gaps([c.id for c in changes])
            applied += self._apply(changes, apply, wanted)
            self.position = changes[-1].id
        self._expire_gaps()
        return applied

    def _fill_gaps(self, session: Session, apply: Callable, wanted: set[str] | None) -> int:
        if not self.gaps:
            return 0
        late = list(session.scalars(select(Change).where(Change.id.in_(list(self.gaps))).order_by(Change.id)))
        for change in late:
            self.gaps.pop(change.id, None)
        return self._apply(late, apply, wanted)

    def _note_gaps(self, ids: list[int]) -> None:
        now, expected = utcnow(), self.position + 1
        for found in ids:
            for missing in range(expected, min(found, expected + 10_000)):
                self.gaps.setdefault(missing, now)
            expected = found + 1

    def _expire_gaps(self) -> None:
        # A transaction that has not committed within the window rolled back (or never will matter).
        cutoff = utcnow() - GAP_WINDOW
        self.gaps = {i: seen for i, seen in self.gaps.items() if seen >= cutoff}

    @staticmethod
    def _apply(changes: list[Change], apply: Callable, wanted: set[str] | None) -> int:
        chosen = [c for c in changes if wanted is None or c.topic in wanted]
        if chosen:
            apply(chosen)
        return len(chosen)


def catch_up(
    session: Session, position: int, apply: Callable[[list[Change]], None],
    topics: Iterable[str] | None = None, batch: int = 1000,
) -> int:
    """One-shot follow from `position` (e.g. after a rebuild); return the safe position reached."""
    reader = FeedReader(position)
    reader.poll(session, apply, topics, batch)
    return reader.safe_position


def report_position(session: Session, consumer: str, position: int) -> None:
    """Store how far `consumer` has applied the feed (pruning waits for the slowest consumer)."""
    cursor = session.get(FeedCursor, consumer)
    if cursor is None:
        session.add(FeedCursor(consumer=consumer, position=position, updated_at=utcnow()))
    elif position != cursor.position:
        cursor.position, cursor.updated_at = position, utcnow()


def forget_consumer(session: Session, consumer: str) -> None:
    """Drop a consumer that is gone for good (a retired machine), so pruning stops waiting for it."""
    session.execute(delete(FeedCursor).where(FeedCursor.consumer == consumer))


def prune(session: Session, keep_after: timedelta = GAP_WINDOW * 10) -> int:
    """Delete changes every known consumer has applied and that are older than `keep_after`."""
    slowest = session.scalar(select(func.min(FeedCursor.position)))
    if slowest is None:
        return 0
    result = session.execute(
        delete(Change).where(Change.id <= slowest, Change.created_at < utcnow() - keep_after)
    )
    return result.rowcount or 0
