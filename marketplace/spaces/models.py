"""Spaces, their members, threads, posts, votes and retro experiments."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint, and_
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Department, User
from marketplace.catalog.models import KPI, Item, Skill
from marketplace.extensions import db
from marketplace.timeutil import today, utcnow

VISIBILITIES = {"open": "Open", "members": "Members only", "private": "Private"}
SPACE_STATUSES = ("active", "archived", "permanent")
THREAD_KINDS = {"question": "Question", "discussion": "Discussion", "retro": "Retro", "pinned": "Why we are here"}
EXPERIMENT_STATUSES = ("planned", "running", "kept", "dropped")

space_skills = Table(
    "space_skills",
    db.metadata,
    Column("space_id", ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True),
    Column("skill_id", ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True),
)
thread_skills = Table(
    "space_thread_skills",
    db.metadata,
    Column("thread_id", ForeignKey("space_threads.id", ondelete="CASCADE"), primary_key=True),
    Column("skill_id", ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True),
)


class Space(db.Model):
    """A community swarming one problem, for a while or for good."""

    __tablename__ = "spaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    problem: Mapped[str] = mapped_column(Text, default="")
    kpi_id: Mapped[int | None] = mapped_column(ForeignKey("kpis.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    visibility: Mapped[str] = mapped_column(String(16), default="open")
    chatham_house: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    ends_on: Mapped[date | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column()
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)

    kpi: Mapped[KPI | None] = relationship()
    department: Mapped[Department | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    skills: Mapped[list[Skill]] = relationship(secondary=space_skills, order_by="Skill.name")
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="space", cascade="all, delete-orphan", order_by="Membership.id"
    )

    @property
    def visibility_label(self) -> str:
        return VISIBILITIES.get(self.visibility, self.visibility)

    @property
    def is_due(self) -> bool:
        """Active, but its end date has come: the scheduled `archive_due` job will archive it."""
        return self.status == "active" and self.ends_on is not None and self.ends_on <= today()

    @property
    def display_status(self) -> str:
        """The status people see: a due space already reads as archived (GET never archives it)."""
        return "archived" if self.is_due else self.status

    @property
    def is_archived(self) -> bool:
        return self.status == "archived" or self.is_due


class Membership(db.Model):
    """A person's place in a space: invited, requested, active or declined; host or member."""

    __tablename__ = "space_memberships"
    __table_args__ = (UniqueConstraint("space_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="member")  # host or member
    state: Mapped[str] = mapped_column(String(16), default="active")  # active, invited, requested, declined
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    space: Mapped[Space] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def is_active(self) -> bool:
        return self.state == "active"

    @property
    def is_host(self) -> bool:
        return self.state == "active" and self.role == "host"


class Thread(db.Model):
    """A question, discussion, retro or the pinned "why we are here" post."""

    __tablename__ = "space_threads"

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="question")
    title: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    pinned: Mapped[bool] = mapped_column(default=False)
    solved: Mapped[bool] = mapped_column(default=False)
    retro_what: Mapped[str] = mapped_column(Text, default="")
    retro_so_what: Mapped[str] = mapped_column(Text, default="")
    retro_now_what: Mapped[str] = mapped_column(Text, default="")
    harvested_item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)

    space: Mapped[Space] = relationship()
    author: Mapped[User | None] = relationship()
    harvested_item: Mapped[Item | None] = relationship()
    skills: Mapped[list[Skill]] = relationship(secondary=thread_skills, order_by="Skill.name")
    posts: Mapped[list[Post]] = relationship(
        back_populates="thread", cascade="all, delete-orphan", order_by="Post.id"
    )

    @property
    def kind_label(self) -> str:
        return THREAD_KINDS.get(self.kind, self.kind)


class Post(db.Model):
    """The opening post of a thread or a reply; replies nest one level."""

    __tablename__ = "space_posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("space_threads.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("space_posts.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    is_opening: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[int] = mapped_column(default=0)  # upvote count, kept in step with space_post_votes
    accepted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column()
    hidden_reason: Mapped[str | None] = mapped_column(String(300))
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    thread: Mapped[Thread] = relationship(back_populates="posts")
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])

    @property
    def is_removed(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_reason is not None

    @hybrid_property
    def is_readable(self) -> bool:
        """Text anyone who may read the thread sees: not removed, not hidden by a host, not empty."""
        return not self.is_removed and not self.is_hidden and bool(self.body)

    @is_readable.inplace.expression
    @classmethod
    def _is_readable_expression(cls):  # noqa: ANN206 - a SQL condition
        return and_(cls.deleted_at.is_(None), cls.hidden_reason.is_(None), cls.body != "")


class PostVote(db.Model):
    """An upvote: one per person per post, withdrawn by deleting it."""

    __tablename__ = "space_post_votes"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("space_posts.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Experiment(db.Model):
    """A retro's "now what": something the space will try, with an owner and a due date."""

    __tablename__ = "space_experiments"

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("space_threads.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_on: Mapped[date | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="planned")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    space: Mapped[Space] = relationship()
    owner: Mapped[User | None] = relationship()
