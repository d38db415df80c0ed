"""The catalog: moments of need, KPIs, skills, items, checklists and media."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Department, User
from marketplace.extensions import db
from marketplace.timeutil import utcnow

ITEM_TYPES = {"job_aid": "Job aid", "checklist": "Checklist", "quick_learn": "Quick Learn"}
ITEM_STATUSES = ("draft", "pending", "published", "retired")
# Whether AI generated or substantially assisted the content: submitters say, the label shows.
AI_USES = {"none": "No AI", "assisted": "AI-assisted", "generated": "AI-generated"}

item_kpis = Table(
    "item_kpis",
    db.metadata,
    Column("item_id", ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("kpi_id", ForeignKey("kpis.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_item_kpis_kpi_id", "kpi_id", "item_id"),  # the KPI filter and KPI counts
)
item_skills = Table(
    "item_skills",
    db.metadata,
    Column("item_id", ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("skill_id", ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_item_skills_skill_id", "skill_id", "item_id"),  # the skill filter
)


class Moment(db.Model):
    """One of the five moments of need: new, more, apply, change, solve."""

    __tablename__ = "moments"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    shelf_title: Mapped[str] = mapped_column(String(80))
    explanation: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(default=0)


class KPI(db.Model):
    """A business KPI that catalog items serve."""

    __tablename__ = "kpis"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    measures: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(40), default="")
    direction: Mapped[str] = mapped_column(String(4), default="up")  # which way is good
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))

    department: Mapped[Department | None] = relationship()


class Skill(db.Model):
    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)


class MediaFile(db.Model):
    """A stored upload: kept outside static/ under a server-generated name."""

    __tablename__ = "media_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # video, image, pdf, poster, thumbnail
    content_type: Mapped[str] = mapped_column(String(80))
    storage_name: Mapped[str] = mapped_column(String(80), unique=True)
    original_name: Mapped[str] = mapped_column(String(255), default="")
    size_bytes: Mapped[int] = mapped_column(default=0)
    width: Mapped[int | None] = mapped_column()
    height: Mapped[int | None] = mapped_column()
    duration_seconds: Mapped[float | None] = mapped_column()
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Item(db.Model):
    """A catalog item: job aid, checklist or Quick Learn."""

    __tablename__ = "items"
    # Listing indexes (migration 0040): filter, then status, then the sort, so pages and counts
    # are read from an index and never from the rows with their bodies.
    __table_args__ = (
        Index("ix_items_status_newest", "status", "published_at", "id"),
        Index("ix_items_moment_newest", "moment_id", "status", "published_at", "id"),
        Index("ix_items_department_newest", "department_id", "status", "published_at", "id"),
        Index("ix_items_type_newest", "type", "status", "published_at", "id"),
        Index("ix_items_status_helpful", "status", "helpful_yes", "id"),
        Index("ix_items_status_title", "status", text("lower(title)"), "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    transcript: Mapped[str] = mapped_column(Text, default="")
    moment_id: Mapped[int] = mapped_column(ForeignKey("moments.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    media_id: Mapped[int | None] = mapped_column(ForeignKey("media_files.id"))
    poster_id: Mapped[int | None] = mapped_column(ForeignKey("media_files.id"))
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    review_by: Mapped[date | None] = mapped_column()
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column()
    # Lifecycle (issue 10): AI label, retirement, freshness and pending edits of a published item.
    ai_use: Mapped[str] = mapped_column(String(16), default="none", server_default="none", index=True)
    retired_at: Mapped[datetime | None] = mapped_column()
    retired_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    retired_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    replacement_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    last_verified_at: Mapped[datetime | None] = mapped_column()
    last_verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Set on the working copy of a published item while an edit waits for review.
    revision_of_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    # "Was this helpful?" yes answers, recounted in the transaction that records a vote (the sort key).
    helpful_yes: Mapped[int] = mapped_column(default=0, server_default="0")

    moment: Mapped[Moment] = relationship()
    department: Mapped[Department | None] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    retired_by: Mapped[User | None] = relationship(foreign_keys=[retired_by_id])
    last_verified_by: Mapped[User | None] = relationship(foreign_keys=[last_verified_by_id])
    replacement: Mapped[Item | None] = relationship(foreign_keys=[replacement_id], remote_side=[id])
    revision_of: Mapped[Item | None] = relationship(foreign_keys=[revision_of_id], remote_side=[id])
    # A video or PDF Quick Learn: the file and its poster or thumbnail. Images live in `images`.
    media: Mapped[MediaFile | None] = relationship(foreign_keys=[media_id])
    poster: Mapped[MediaFile | None] = relationship(foreign_keys=[poster_id])
    images: Mapped[list[ItemImage]] = relationship(
        order_by="ItemImage.position", cascade="all, delete-orphan", back_populates="item"
    )
    kpis: Mapped[list[KPI]] = relationship(secondary=item_kpis, order_by="KPI.name")
    skills: Mapped[list[Skill]] = relationship(secondary=item_skills, order_by="Skill.name")
    steps: Mapped[list[ChecklistStep]] = relationship(
        order_by="ChecklistStep.position", cascade="all, delete-orphan", back_populates="item"
    )

    @property
    def type_label(self) -> str:
        return ITEM_TYPES.get(self.type, self.type)

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    @property
    def is_retired(self) -> bool:
        return self.status == "retired"

    @property
    def ai_label(self) -> str:
        """"AI-assisted" or "AI-generated", or "" when no AI was used."""
        return AI_USES.get(self.ai_use, "") if self.ai_use != "none" else ""

    @property
    def verified_on(self) -> date | None:
        """When someone last confirmed the content (or, failing that, when it was published)."""
        moment = self.last_verified_at or self.published_at
        return moment.date() if moment else None


class ItemImage(db.Model):
    """One picture of an image Quick Learn: a photo sequence of one or more, shown in order."""

    __tablename__ = "item_images"
    __table_args__ = (UniqueConstraint("item_id", "position"),)  # its index also serves item_id lookups

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    media_id: Mapped[int] = mapped_column(ForeignKey("media_files.id"), index=True)
    thumbnail_id: Mapped[int | None] = mapped_column(ForeignKey("media_files.id"), index=True)
    caption: Mapped[str] = mapped_column(String(300), default="")  # also the image's text alternative

    item: Mapped[Item] = relationship(back_populates="images")
    # Joined: an image is always shown with its file and thumbnail, so a sequence loads in one query.
    media: Mapped[MediaFile] = relationship(foreign_keys=[media_id], lazy="joined")
    thumbnail: Mapped[MediaFile | None] = relationship(foreign_keys=[thumbnail_id], lazy="joined")


class ChecklistStep(db.Model):
    __tablename__ = "checklist_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str] = mapped_column(Text, default="")

    item: Mapped[Item] = relationship(back_populates="steps")


class ChecklistTick(db.Model):
    """A step a user has ticked; one row per user and step."""

    __tablename__ = "checklist_ticks"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    step_id: Mapped[int] = mapped_column(
        ForeignKey("checklist_steps.id", ondelete="CASCADE"), primary_key=True
    )
    ticked_at: Mapped[datetime] = mapped_column(default=utcnow)


class HelpfulVote(db.Model):
    """"Was this helpful?": one answer per user per item, changeable."""

    __tablename__ = "helpful_votes"
    __table_args__ = (UniqueConstraint("user_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    helpful: Mapped[bool] = mapped_column()
    voted_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
