"""Data-subject requests (exports and erasures) and the audit trail they leave."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.timeutil import utcnow


def _values(enum_type: type[enum.Enum]) -> list[str]:
    return [member.value for member in enum_type]


class RequestKind(enum.StrEnum):
    EXPORT = "export"
    ERASURE = "erasure"


class RequestState(enum.StrEnum):
    """Exports: preparing -> ready -> expired. Erasures: waiting (cool-off) -> done, or cancelled."""

    PREPARING = "preparing"
    READY = "ready"
    EXPIRED = "expired"
    WAITING = "waiting"
    CANCELLED = "cancelled"
    DONE = "done"
    FAILED = "failed"


class Treatment(enum.StrEnum):
    """What erasure does with one kind of content."""

    ANONYMISE = "anonymise"
    DELETE = "delete"


class PrivacyRequest(db.Model):
    """One export or erasure of one person's data, asked by them or by an admin."""

    __tablename__ = "privacy_requests"
    __table_args__ = (Index("ix_privacy_requests_user", "user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[RequestKind] = mapped_column(Enum(RequestKind, native_enum=False, length=10, values_callable=_values))
    state: Mapped[RequestState] = mapped_column(
        Enum(RequestState, native_enum=False, length=12, values_callable=_values), index=True
    )
    # SET NULL: once the erasure ran, nothing here points at the person any more.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    choices: Mapped[dict] = mapped_column(JSON, default=dict)  # erasure: {content kind: treatment}
    run_after: Mapped[datetime | None] = mapped_column()  # erasure: end of the cool-off
    file_name: Mapped[str | None] = mapped_column(String(80))  # export: ZIP under INSTANCE_DIR/exports
    expires_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()

    @property
    def subject(self) -> str:
        """The job subject of this request's background run."""
        return f"privacy:{self.id}"


class AuditEntry(db.Model):
    """That something sensitive happened (e.g. an erasure ran), never the data involved."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(60))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
