"""Freshness bookkeeping: which review reminders have gone out, so the job never repeats one."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.timeutil import utcnow


class ReviewReminder(db.Model):
    """A reminder sent for one item's review date: "soon" (14 days before) or "due" (on the day)."""

    __tablename__ = "review_reminders"
    __table_args__ = (UniqueConstraint("item_id", "review_by", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    review_by: Mapped[date] = mapped_column()
    kind: Mapped[str] = mapped_column(String(8))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
