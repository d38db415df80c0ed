"""A request for learning, anchored in a business goal and a behaviour gap (action mapping)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Department, User
from marketplace.catalog.models import KPI, Item
from marketplace.curation.models import Collection
from marketplace.extensions import db
from marketplace.spaces.models import Space
from marketplace.timeutil import utcnow


class RequestState(StrEnum):
    """Where a request is on the board."""

    NEW = "new"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    MERGED = "merged"
    DELIVERED = "delivered"

    @property
    def label(self) -> str:
        return {"new": "New", "accepted": "Accepted", "declined": "Declined", "merged": "Merged",
                "delivered": "Delivered"}[self.value]


class Cause(StrEnum):
    """The likely cause of the gap; only the first two are fixed by learning content."""

    KNOWLEDGE = "knowledge"
    SKILL = "skill"
    MOTIVATION = "motivation"
    ENVIRONMENT = "environment"
    PROCESS = "process"

    @property
    def label(self) -> str:
        return CAUSE_LABELS[self.value]

    @property
    def needs_training(self) -> bool:
        return self in {Cause.KNOWLEDGE, Cause.SKILL}


CAUSE_LABELS = {
    "knowledge": "Knowledge: they don't know what or how",
    "skill": "Skill: they know, but can't do it well yet",
    "motivation": "Motivation: they can, but don't see why or aren't rewarded for it",
    "environment": "Environment: tools, time or information get in the way",
    "process": "Process: the way the work is set up makes the right thing hard",
}


class Solution(StrEnum):
    """The proposed embedded solution; "no training" is a valid answer."""

    JOB_AID = "job_aid"
    CHECKLIST = "checklist"
    QUICK_LEARN = "quick_learn"
    POPUP_SPACE = "popup_space"
    PEER_COACHING = "peer_coaching"
    NO_TRAINING = "no_training"

    @property
    def label(self) -> str:
        return SOLUTION_LABELS[self.value]


SOLUTION_LABELS = {
    "job_aid": "Job aid", "checklist": "Checklist", "quick_learn": "Quick Learn", "popup_space": "Pop-up space",
    "peer_coaching": "Peer coaching", "no_training": "No training: change the process or the measure",
}


class Source(StrEnum):
    """How the demand reached the board."""

    INTAKE = "intake"
    SEARCH_GAP = "search_gap"
    CONTENT_REQUEST = "content_request"

    @property
    def label(self) -> str:
        return {"intake": "Request form", "search_gap": "Search gap", "content_request": "Content request"}[self.value]


class ActionRequest(db.Model):
    """One request on the board: goal, gap, cause, proposed solution, and its triage."""

    __tablename__ = "action_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(20), default=Source.INTAKE.value)
    source_query: Mapped[str] = mapped_column(String(200), default="")
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    # The business goal.
    kpi_id: Mapped[int | None] = mapped_column(ForeignKey("kpis.id"), index=True)
    kpi_current: Mapped[str] = mapped_column(String(60), default="")
    kpi_target: Mapped[str] = mapped_column(String(60), default="")
    target_date: Mapped[date | None] = mapped_column()
    # The behaviour gap.
    behaviour: Mapped[str] = mapped_column(Text, default="")
    who: Mapped[str] = mapped_column(String(200), default="")
    frequency: Mapped[str] = mapped_column(String(120), default="")
    leader_modelling: Mapped[str] = mapped_column(Text, default="")
    cause: Mapped[str] = mapped_column(String(20), default=Cause.KNOWLEDGE.value)
    solution: Mapped[str] = mapped_column(String(20), default=Solution.JOB_AID.value)
    # Triage.
    state: Mapped[str] = mapped_column(String(16), default=RequestState.NEW.value, index=True)
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("action_requests.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    due_date: Mapped[date | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column()

    requester: Mapped[User | None] = relationship(foreign_keys=[requester_id])
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    department: Mapped[Department | None] = relationship()
    kpi: Mapped[KPI | None] = relationship()
    merged_into: Mapped[ActionRequest | None] = relationship(remote_side=[id])
    links: Mapped[list[RequestLink]] = relationship(order_by="RequestLink.id", cascade="all, delete-orphan",
                                                    back_populates="request")
    events: Mapped[list[RequestEvent]] = relationship(order_by="RequestEvent.id", cascade="all, delete-orphan",
                                                      back_populates="request")

    @property
    def state_enum(self) -> RequestState:
        return RequestState(self.state)

    @property
    def cause_enum(self) -> Cause:
        return Cause(self.cause)

    @property
    def solution_enum(self) -> Solution:
        return Solution(self.solution)

    @property
    def source_enum(self) -> Source:
        return Source(self.source)

    @property
    def is_open(self) -> bool:
        return self.state in {RequestState.NEW, RequestState.ACCEPTED}


class RequestLink(db.Model):
    """Something delivered for a request: an item, a collection or a space."""

    __tablename__ = "action_request_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("action_requests.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    collection_id: Mapped[int | None] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))
    space_id: Mapped[int | None] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[ActionRequest] = relationship(back_populates="links")
    item: Mapped[Item | None] = relationship()
    collection: Mapped[Collection | None] = relationship()
    space: Mapped[Space | None] = relationship()


class RequestEvent(db.Model):
    """One line of a request's timeline."""

    __tablename__ = "action_request_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("action_requests.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[ActionRequest] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
