"""Durable jobs: written with the caller's transaction, enqueued after commit, claimed once.

A run row is the truth; the huey message is only a wake-up call. If the message is lost
(a crash between commit and enqueue) or a worker dies mid-job, the periodic sweep finds
the row and enqueues it again or gives it up, so no job disappears silently.
"""

from __future__ import annotations

import logging
import traceback
from datetime import timedelta

from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session

from marketplace.extensions import db
from marketplace.jobs.models import JobRun, JobState
from marketplace.jobs.runner import DURABLE, FAILURE_HOOKS
from marketplace.timeutil import utcnow

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=15)
LOST_AFTER = timedelta(seconds=30)
PENDING_KEY = "jobs_to_enqueue"
_installed = False


class RetryLater(Exception):
    """Raise from a job body to try again after `seconds` (e.g. a receiver's Retry-After)."""

    def __init__(self, seconds: float, reason: str = "asked to retry later") -> None:
        super().__init__(f"{reason} (retry after {seconds:.0f} s)")
        self.seconds = seconds


class GiveUp(Exception):
    """Raise from a job body when trying again cannot help (a refused file): the run fails now."""


class NotFailed(Exception):
    """Only a run that used every attempt can be retried (a pending or running one would run twice)."""


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt: 10 s, 40 s, 160 s ... at most an hour."""
    return timedelta(seconds=min(10 * 4 ** max(attempts - 1, 0), 3600))


def submit(name: str, payload: dict | None = None, subject: str | None = None, max_attempts: int = 3) -> JobRun:
    """Add a durable job run to the current transaction; it is enqueued once that commits."""
    if name not in DURABLE:
        raise KeyError(f"no durable job named {name!r}")
    run = JobRun(name=name, payload=payload or {}, subject=subject, max_attempts=max_attempts, not_before=utcnow())
    db.session.add(run)
    install()
    return run


def run_for(subject: str) -> JobRun | None:
    """The newest job run about `subject` ("submission:12"), for status on a page."""
    return db.session.scalar(select(JobRun).where(JobRun.subject == subject).order_by(JobRun.id.desc()).limit(1))


def failed_runs(limit: int = 100) -> list[JobRun]:
    """Runs that used every attempt, newest first."""
    query = select(JobRun).where(JobRun.state == JobState.FAILED).order_by(JobRun.id.desc()).limit(limit)
    return list(db.session.scalars(query))


def retry_run(run: JobRun) -> None:
    """Give a failed run a fresh set of attempts (an admin's "retry"); NotFailed for any other run."""
    if run.state != JobState.FAILED:
        raise NotFailed(f"Run {run.id} is {run.state.value}, not failed; nothing to retry.")
    run.state, run.attempts, run.not_before, run.finished_at = JobState.PENDING, 0, utcnow(), None
    install()
    db.session.info.setdefault(PENDING_KEY, set()).add(run.id)


def execute(run_id: int) -> JobState | None:
    """Claim run `run_id`, run its body and record the outcome; None when another worker has it."""
    if not _claim(run_id):
        return None
    run = db.session.get(JobRun, run_id)
    body = DURABLE.get(run.name)
    try:
        if body is None:
            raise LookupError(f"no durable job named {run.name!r} in this worker")
        body(**run.payload)
        db.session.commit()
    except Exception as error:  # noqa: BLE001 - any failure of a job body is recorded, not raised
        db.session.rollback()
        log.exception("job %s (%s) failed", run_id, run.name)
        return _record_failure(db.session.get(JobRun, run_id), error)
    run = db.session.get(JobRun, run_id)
    run.state, run.finished_at, run.lease_until = JobState.DONE, utcnow(), None
    db.session.commit()
    return JobState.DONE


def _claim(run_id: int) -> bool:
    now = utcnow()
    claimable = or_(JobRun.state == JobState.PENDING, (JobRun.state == JobState.RUNNING) & (JobRun.lease_until < now))
    result = db.session.execute(
        update(JobRun).where(JobRun.id == run_id, claimable, JobRun.not_before <= now)
        .values(state=JobState.RUNNING, attempts=JobRun.attempts + 1, lease_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def _record_failure(run: JobRun, error: BaseException | str) -> JobState:
    text = error if isinstance(error, str) else "".join(traceback.format_exception_only(error)).strip()
    run.last_error, run.lease_until = text[:2000], None
    if run.attempts < run.max_attempts and not isinstance(error, GiveUp):
        wait = timedelta(seconds=error.seconds) if isinstance(error, RetryLater) else backoff(run.attempts)
        run.state, run.not_before = JobState.PENDING, utcnow() + wait
        db.session.commit()
        _enqueue(run.id, delay=wait.total_seconds())
        return JobState.PENDING
    run.state, run.finished_at = JobState.FAILED, utcnow()
    hook = FAILURE_HOOKS.get(run.name)
    if hook is not None:
        hook(run)
    db.session.commit()
    return JobState.FAILED


def sweep() -> dict[str, int]:
    """Re-enqueue runs whose wake-up was lost and recover runs whose worker died."""
    now = utcnow()
    dead = db.session.scalars(select(JobRun).where(JobRun.state == JobState.RUNNING, JobRun.lease_until < now)).all()
    for run in dead:
        _record_failure(run, "the worker stopped while running this job")
    lost = db.session.scalars(
        select(JobRun.id).where(JobRun.state == JobState.PENDING, JobRun.not_before < now - LOST_AFTER)
    ).all()
    for run_id in lost:
        _enqueue(run_id)
    return {"recovered": len(dead), "requeued": len(lost)}


def _enqueue(run_id: int, delay: float = 0) -> None:
    from flask import current_app

    from marketplace.jobs.runner import bind
    from marketplace.jobs.tasks import execute_run

    bind(current_app._get_current_object())
    try:
        if delay and not execute_run.huey.immediate:
            execute_run.schedule((run_id,), delay=delay)
        elif not delay:
            execute_run(run_id)
        # Immediate mode (tests) leaves delayed retries to the sweep, which a test can call.
    except Exception:  # noqa: BLE001 - the row stays pending and the sweep enqueues it again
        log.exception("could not enqueue job run %s; the sweep will retry", run_id)


def _note_new_runs(session: Session, _context: object) -> None:
    for row in session.new:
        if isinstance(row, JobRun):
            session.info.setdefault(PENDING_KEY, set()).add(row.id)


def _enqueue_committed(session: Session) -> None:
    for run_id in sorted(session.info.pop(PENDING_KEY, ())):
        _enqueue(run_id)


def _forget(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


def install() -> None:
    """Listen on the app's scoped session (once per process)."""
    global _installed
    if _installed:
        return
    event.listen(db.session, "after_flush", _note_new_runs)
    event.listen(db.session, "after_commit", _enqueue_committed)
    event.listen(db.session, "after_soft_rollback", lambda session, _tx: _forget(session))
    _installed = True
