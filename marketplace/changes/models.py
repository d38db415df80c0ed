"""Rows of the change feed and the positions of the consumers that follow it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.timeutil import utcnow

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
FeedId = BigInteger().with_variant(Integer(), "sqlite")


class Change(db.Model):
    """One committed change to something a derived store cares about (topic + entity id)."""

    __tablename__ = "changes"
    __table_args__ = (Index("ix_changes_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(FeedId, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FeedCursor(db.Model):
    """How far one consumer (an index directory, a rollup, a delivery rule set) has applied the feed."""

    __tablename__ = "feed_cursors"

    consumer: Mapped[str] = mapped_column(String(200), primary_key=True)
    position: Mapped[int] = mapped_column(FeedId, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
