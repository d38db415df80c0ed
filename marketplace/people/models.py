"""Endorsements: a colleague vouches for one of a person's skills."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.catalog.models import Skill
from marketplace.extensions import db
from marketplace.timeutil import utcnow


class Endorsement(db.Model):
    """One endorsement per endorser, person and skill; deleting it withdraws it."""

    __tablename__ = "endorsements"
    __table_args__ = (UniqueConstraint("user_id", "skill_id", "endorser_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), index=True)
    endorser_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    skill: Mapped[Skill] = relationship()
    endorser: Mapped[User] = relationship(foreign_keys=[endorser_id])
