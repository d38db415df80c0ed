"""Record learning events with the action; the change feed carries them to rollups and the LRS."""

from __future__ import annotations

from typing import Any

from marketplace.events.models import LearningEvent, ObjectType, Verb
from marketplace.extensions import db


def record(actor: Any, verb: Verb, object_type: ObjectType, object_id: int, *,
           context: dict | None = None, object_ref: str | None = None) -> LearningEvent:
    """Add a learning event to the current transaction (it commits or rolls back with the action)."""
    event = LearningEvent(
        actor_id=getattr(actor, "id", None), verb=verb, object_type=object_type, object_id=object_id,
        department_id=getattr(actor, "department_id", None), context=context or {}, object_ref=object_ref,
    )
    db.session.add(event)
    return event


def _feed_rows(_session: Any, row: LearningEvent, op: str) -> list[tuple[str, object]]:
    # Inserts only: events are facts; an erasure deletes them and must not announce anything.
    return [("learning_event", row.id)] if op == "insert" else []


def install() -> None:
    """Put every new learning event on the change feed (for impact rollups and xAPI delivery)."""
    from marketplace import changes

    changes.track(LearningEvent, _feed_rows)
