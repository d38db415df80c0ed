"""A durable record of each background job: what to run, its state, attempts and last error."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.timeutil import utcnow


class JobState(enum.StrEnum):
    """Where a job run is: waiting, being worked on, finished or given up."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class JobRun(db.Model):
    """One durable job: written in the caller's transaction, claimed by one worker at a time."""

    __tablename__ = "job_runs"
    __table_args__ = (
        Index("ix_job_runs_state_not_before", "state", "not_before"),
        Index("ix_job_runs_subject", "subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    # What the job is about ("submission:12"), so a page can show "processing" or the failure.
    subject: Mapped[str | None] = mapped_column(String(80))
    state: Mapped[JobState] = mapped_column(
        Enum(JobState, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=JobState.PENDING,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=3)
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
