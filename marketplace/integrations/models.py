"""Chat connections, the rules that route events to them, personal channel choices and deliveries."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.timeutil import utcnow


def _enum(kind: type[enum.Enum], length: int = 30) -> Enum:
    return Enum(kind, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class ConnectionKind(enum.StrEnum):
    """How we post into a chat tool."""

    SLACK_WEBHOOK = "slack_webhook"
    SLACK_BOT = "slack_bot"
    TEAMS_WORKFLOW = "teams_workflow"


class RuleEvent(enum.StrEnum):
    """What a channel rule listens for."""

    ITEM_PUBLISHED = "item_published"
    ITEM_UPDATED = "item_updated"
    SPACE_OPENED = "space_opened"
    SPACE_ARCHIVED = "space_archived"
    QUESTION_UNANSWERED = "question_unanswered"
    REVIEW_OVERDUE = "review_overdue"
    WEEKLY_DIGEST = "weekly_digest"


class DeliveryKind(enum.StrEnum):
    CHAT = "chat"
    XAPI = "xapi"


class DeliveryState(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class ChatConnection(db.Model):
    """A place we can post to: a Slack incoming webhook or bot, or a Teams workflow webhook."""

    __tablename__ = "chat_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[ConnectionKind] = mapped_column(_enum(ConnectionKind))
    url: Mapped[str] = mapped_column(String(500), default="")  # webhook URL (Slack webhook, Teams workflow)
    token: Mapped[str] = mapped_column(String(300), default="")  # Slack bot token (xoxb-...)
    channel: Mapped[str] = mapped_column(String(80), default="")  # Slack channel id for a bot
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChannelRule(db.Model):
    """Send events of one kind (optionally only for a KPI, collection or department) to a connection."""

    __tablename__ = "channel_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("chat_connections.id", ondelete="CASCADE"), index=True)
    event: Mapped[RuleEvent] = mapped_column(_enum(RuleEvent), index=True)
    kpi_id: Mapped[int | None] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"))
    collection_id: Mapped[int | None] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    hours: Mapped[int] = mapped_column(default=24)  # for "question unanswered for N hours"
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    connection: Mapped[ChatConnection] = relationship()


class ChannelPreference(db.Model):
    """One person's choice of channels for one kind of personal notification."""

    __tablename__ = "channel_preferences"
    __table_args__ = (UniqueConstraint("user_id", "event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    in_app: Mapped[bool] = mapped_column(default=True)
    email: Mapped[bool] = mapped_column(default=False)
    chat: Mapped[bool] = mapped_column(default=False)


class Delivery(db.Model):
    """One outgoing chat message or xAPI statement; its durable job sends it, this row says how it went."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("dedupe_key"),
        Index("ix_deliveries_kind_state", "kind", "state"),
        Index("ix_deliveries_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DeliveryKind] = mapped_column(_enum(DeliveryKind, 10))
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("chat_connections.id", ondelete="CASCADE"))
    # The person the message is about or to (personal notifications, statements): erasure finds it here.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(300), default="")
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[DeliveryState] = mapped_column(_enum(DeliveryState, 10), default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()

    connection: Mapped[ChatConnection | None] = relationship()


class InboundNonce(db.Model):
    """A signed inbound request we have accepted, kept for the replay window so it is never accepted twice."""

    __tablename__ = "inbound_nonces"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ChatCapture(db.Model):
    """A chat thread someone chose to save into a space, waiting for them to pick the space and consent."""

    __tablename__ = "chat_captures"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(20), default="slack")
    permalink: Mapped[str] = mapped_column(String(500), default="")
    messages: Mapped[list] = mapped_column(JSON, default=list)  # [{"author": ..., "text": ...}]
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("space_threads.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
