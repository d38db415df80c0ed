"""Unmet search demand and the content requests curators make from it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Department, User
from marketplace.extensions import db
from marketplace.timeutil import utcnow

REQUEST_STATUSES = ("open", "resolved")


class SearchDemand(db.Model):
    """One search that found little or nothing. Deliberately not linked to who searched."""

    __tablename__ = "search_demand"

    id: Mapped[int] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(String(200), index=True)  # normalised: folded words, one space
    filters: Mapped[str] = mapped_column(String(400), default="")  # canonical "facet=slug&..." text
    results: Mapped[int] = mapped_column(default=0)
    explicit: Mapped[bool] = mapped_column(default=False)  # someone pressed "request this content"
    searched_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Near-duplicates share a key: stems of the meaningful words, typos corrected, sorted.
    group_key: Mapped[str] = mapped_column(String(200), default="", index=True)
    token: Mapped[str | None] = mapped_column(String(32), index=True)  # the results page's random id, not the person's
    opened_at: Mapped[datetime | None] = mapped_column()  # someone opened a result of this search
    # The searcher's department (never the person): where a request for this content most likely belongs.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))


class ContentRequest(db.Model):
    """A curator's request to a department's champions for content people searched for."""

    __tablename__ = "content_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(String(200), index=True)
    filters: Mapped[str] = mapped_column(String(400), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column()

    department: Mapped[Department] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def is_open(self) -> bool:
        return self.status == "open"


class VocabularyEntry(db.Model):
    """A group of phrases that mean the same when searching ("per diem", "meal allowance"; "PO", "purchase order")."""

    __tablename__ = "search_vocabulary"

    id: Mapped[int] = mapped_column(primary_key=True)
    phrases: Mapped[str] = mapped_column(String(500))  # comma-separated, as the curator wrote them
    note: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    updated_by: Mapped[User | None] = relationship()

    @property
    def phrase_list(self) -> list[str]:
        return [p.strip() for p in self.phrases.split(",") if p.strip()]
