"""Submissions: the review workflow around a catalog item, its versions and timeline."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Department, User
from marketplace.catalog.models import Item
from marketplace.extensions import db
from marketplace.timeutil import utcnow

STATES = {
    "draft": "Draft",
    "pending": "Waiting for review",
    "approved": "Published",
    "rejected": "Rejected",
    "changes_requested": "Changes requested",
}


class Submission(db.Model):
    """One person's proposal of one catalog item, from draft to decision."""

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), unique=True)
    submitter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(index=True)  # latest (re)submission
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column()
    decision_note: Mapped[str] = mapped_column(Text, default="")
    flag_count: Mapped[int] = mapped_column(default=0)
    findings_json: Mapped[str] = mapped_column(Text, default="[]")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    item: Mapped[Item] = relationship()
    submitter: Mapped[User] = relationship(foreign_keys=[submitter_id])
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])
    department: Mapped[Department] = relationship()
    versions: Mapped[list[SubmissionVersion]] = relationship(
        order_by="SubmissionVersion.number", cascade="all, delete-orphan", back_populates="submission"
    )
    events: Mapped[list[SubmissionEvent]] = relationship(
        order_by="SubmissionEvent.id", cascade="all, delete-orphan", back_populates="submission"
    )

    # Item.owner_id and department_id drive the shared visibility rule in policy.py.
    @property
    def owner_id(self) -> int:
        return self.submitter_id

    @property
    def state_label(self) -> str:
        return STATES.get(self.state, self.state)

    @property
    def findings(self) -> list[dict]:
        """Screening findings stored at the last save or submission."""
        return json.loads(self.findings_json or "[]")

    @property
    def editable(self) -> bool:
        """True while the submitter may still change it."""
        return self.state in {"draft", "changes_requested", "rejected", "pending"}  # pending: edited while it waits


class SubmissionVersion(db.Model):
    """A snapshot of the content at each (re)submission, so reviewers see what changed."""

    __tablename__ = "submission_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    snapshot: Mapped[str] = mapped_column(Text)  # plain text, one field per section
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="versions")


class SubmissionEvent(db.Model):
    """One line of the timeline: who did what, and when."""

    __tablename__ = "submission_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class ConfidentialTerm(db.Model):
    """A word curators never want published (e.g. a project code name)."""

    __tablename__ = "confidential_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(String(120), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrustedContributor(db.Model):
    """Someone whose clean submissions to a department publish without review."""

    __tablename__ = "trusted_contributors"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True
    )
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    department: Mapped[Department] = relationship()
