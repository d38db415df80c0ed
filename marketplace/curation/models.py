"""Curated collections: ordered items with a strategic intent and a KPI."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from marketplace.accounts.models import User
from marketplace.catalog.models import KPI, Item
from marketplace.extensions import db
from marketplace.timeutil import utcnow

COLLECTION_STATUSES = ("draft", "published")


class Collection(db.Model):
    __tablename__ = "collections"
    __table_args__ = (Index("ix_collections_status_featured", "status", "featured", "updated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    intent: Mapped[str] = mapped_column(Text, default="")
    kpi_id: Mapped[int | None] = mapped_column(ForeignKey("kpis.id"))
    featured: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    kpi: Mapped[KPI | None] = relationship()
    owner: Mapped[User | None] = relationship()
    entries: Mapped[list[CollectionEntry]] = relationship(
        order_by="CollectionEntry.position", cascade="all, delete-orphan", back_populates="collection"
    )

    # Filled by listings with one counted subquery (services.with_entry_count), never by loading entries.
    entry_count: Mapped[int | None] = query_expression()

    @property
    def is_published(self) -> bool:
        return self.status == "published"


class CollectionEntry(db.Model):
    __tablename__ = "collection_entries"
    __table_args__ = (UniqueConstraint("collection_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)

    collection: Mapped[Collection] = relationship(back_populates="entries")
    item: Mapped[Item] = relationship()
