"""Follow-ups, people's follow-up settings and the record of used answer links."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Column, Enum, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.impact.models import _values
from marketplace.timeutil import utcnow


class FollowUpState(enum.StrEnum):
    SCHEDULED = "scheduled"
    SENT = "sent"
    ANSWERED = "answered"
    CANCELLED = "cancelled"


class FollowUpReason(enum.StrEnum):
    HELPFUL = "helpful"
    COMPLETED = "completed"
    ACCEPTED = "accepted"

    @property
    def phrase(self) -> str:
        return {"helpful": "you found it helpful", "completed": "you completed it",
                "accepted": "your question got an accepted answer"}[self.value]


followup_kpis = Table(
    "followup_kpis",
    db.metadata,
    Column("followup_id", ForeignKey("followups.id", ondelete="CASCADE"), primary_key=True),
    Column("kpi_id", ForeignKey("kpis.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_followup_kpis_kpi", "kpi_id", "followup_id"),
)


class FollowUp(db.Model):
    """One question to one person about one thing they used, due on a date."""

    __tablename__ = "followups"
    __table_args__ = (
        UniqueConstraint("user_id", "subject"),
        Index("ix_followups_due", "state", "due_on"),
        Index("ix_followups_user_sent", "user_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(60))  # "item:7" or "thread:3": one follow-up per person and thing
    title: Mapped[str] = mapped_column(String(200))
    link: Mapped[str] = mapped_column(String(300), default="")
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    reason: Mapped[FollowUpReason] = mapped_column(Enum(FollowUpReason, native_enum=False, length=12, values_callable=_values))
    state: Mapped[FollowUpState] = mapped_column(Enum(FollowUpState, native_enum=False, length=12, values_callable=_values), default=FollowUpState.SCHEDULED)
    due_on: Mapped[date] = mapped_column()
    nonce: Mapped[str] = mapped_column(String(32), default="")
    sent_at: Mapped[datetime | None] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column()
    changed: Mapped[bool | None] = mapped_column()
    doing_differently: Mapped[str] = mapped_column(Text, default="")
    got_in_the_way: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
    kpis = relationship("KPI", secondary=followup_kpis, order_by="KPI.name")


class FollowUpSetting(db.Model):
    """A person's choice: follow-ups on, snoozed until a date, or off."""

    __tablename__ = "followup_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    off: Mapped[bool] = mapped_column(default=False)
    snoozed_until: Mapped[date | None] = mapped_column()


class UsedLink(db.Model):
    """A signed answer link that has been used (links are single-use)."""

    __tablename__ = "followup_used_links"

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(default=utcnow)
