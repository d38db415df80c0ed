"""One table of learning events, written in the same transaction as the action it records."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.timeutil import utcnow


def _values(enum_type: type[enum.Enum]) -> list[str]:
    return [member.value for member in enum_type]


class Verb(enum.StrEnum):
    """What someone did (mapped to ADL xAPI verbs where they exist, our own IRIs otherwise)."""

    OPENED = "opened"
    COMPLETED = "completed"
    PLAYED = "played"
    VOTED_HELPFUL = "voted_helpful"
    ASKED = "asked"
    ANSWERED = "answered"
    ANSWER_ACCEPTED = "answer_accepted"
    ENDORSED = "endorsed"
    ANSWERED_FOLLOWUP = "answered_followup"


class ObjectType(enum.StrEnum):
    """What it was done to."""

    ITEM = "item"
    SPACE = "space"
    THREAD = "thread"
    POST = "post"
    PERSON = "person"
    FOLLOWUP = "followup"


class LearningEvent(db.Model):
    """Actor did verb to object, in context, at a time."""

    __tablename__ = "learning_events"
    __table_args__ = (
        Index("ix_learning_events_object", "object_type", "object_id", "occurred_at"),
        Index("ix_learning_events_actor", "actor_id", "occurred_at"),
        Index("ix_learning_events_occurred_at", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    verb: Mapped[Verb] = mapped_column(Enum(Verb, native_enum=False, length=30, values_callable=_values))
    object_type: Mapped[ObjectType] = mapped_column(Enum(ObjectType, native_enum=False, length=20, values_callable=_values))
    object_id: Mapped[int] = mapped_column()
    # The actor's department when it happened, so breakdowns need no join and survive moves.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Free-form short label for the object at the time (e.g. item slug), for statements and exports.
    object_ref: Mapped[str | None] = mapped_column(String(200))
