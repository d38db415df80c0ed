"""Background work for submissions: the media job, its failure hook, and sweeping abandoned uploads."""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from marketplace import jobs
from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.media.storage import LocalStorage, storage
from marketplace.notifications.services import notify
from marketplace.submissions import pipeline, processing, services
from marketplace.submissions.models import Submission
from marketplace.timeutil import utcnow

log = logging.getLogger(__name__)
PARTIAL_MAX_AGE_SECONDS = 15 * 60  # a spool file nobody has written to for this long belongs to a dead request
RETRY_WINDOW = timedelta(days=7)  # raw uploads of runs failed by server trouble wait this long for an admin's retry


@jobs.durable(processing.MEDIA_JOB)
def process_media(submission_id: int, user_id: int, files: list[dict], captions: list[str], submit: bool,
                  token: str) -> None:
    """Decode, probe, remux and preview the stored upload, attach it to the item, and submit if asked."""
    workdir = processing.work_dir(token)
    shutil.rmtree(workdir, ignore_errors=True)  # what an attempt killed mid-way left behind
    submission = db.session.get(Submission, submission_id)
    if submission is None or not processing.is_current(submission_id, token):
        processing.discard_pending(files)  # deleted, or a newer upload replaced this one
        return
    try:
        with contextlib.ExitStack() as stack:
            try:
                local = [(stack.enter_context(storage().local_copy(f["stored"], workdir)), f["name"]) for f in files]
                results = pipeline.process_all(local, workdir, services.limits(current_app.config))
            except pipeline.MediaRejected as refusal:
                raise jobs.GiveUp(refusal.message) from None
            except FileNotFoundError:
                raise jobs.GiveUp("The uploaded file is no longer on the server; please upload it again.") from None
        services.attach_processed(submission, db.session.get(User, user_id), results, captions, submit,
                                  current_app.config)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    processing.discard_pending(files)


@jobs.on_failure(processing.MEDIA_JOB)
def media_gave_up(run: jobs.JobRun) -> None:
    """Tell the submitter why nothing changed; drop the raw upload unless an admin's retry could still help."""
    payload = run.payload
    if (run.last_error or "").startswith(processing.GIVE_UP_PREFIX):
        processing.discard_pending(payload.get("files", []))  # refused: trying again cannot help
    shutil.rmtree(processing.work_dir(payload.get("token", "none")), ignore_errors=True)
    submission = db.session.get(Submission, payload.get("submission_id"))
    if submission is None:
        return
    names = ", ".join(f"“{f['name']}”" for f in payload.get("files", []))
    text = f"We could not use {names} for “{submission.item.title}”: {processing.failure_message(run)}"
    notify(submission.submitter_id, text[:500], f"/submissions/{submission.id}")


@jobs.periodic(jobs.crontab(minute="*/5"))
def sweep_incoming() -> None:
    """Every five minutes: remove spool files of dead requests and scratch dirs of jobs no longer running."""
    removed = sweep_incoming_now()
    if removed:
        log.info("upload sweep removed %s abandoned files or directories", removed)


def sweep_incoming_now(max_age: float = PARTIAL_MAX_AGE_SECONDS) -> int:
    """Remove abandoned spool files, job scratch dirs and (local storage) raw uploads no job will use."""
    incoming = Path(current_app.config["UPLOAD_DIR"]) / "incoming"
    live, retryable = _tokens()
    cutoff, removed = time.time() - max_age, 0
    for entry in incoming.glob("*") if incoming.is_dir() else []:
        if entry.is_dir() and entry.name.startswith("work-"):
            if entry.name.removeprefix("work-") not in live:
                shutil.rmtree(entry, ignore_errors=True)
                removed += 1
        elif entry.is_file() and entry.stat().st_mtime < cutoff:
            # A live upload writes its spool file continuously, so an old mtime means its request died.
            entry.unlink(missing_ok=True)
            removed += 1
    store = storage()
    if isinstance(store, LocalStorage) and (store.root / "pending").is_dir():
        for raw in (store.root / "pending").iterdir():
            if raw.name.split("-", 1)[0] not in live | retryable and raw.stat().st_mtime < cutoff:
                raw.unlink(missing_ok=True)
                removed += 1
    return removed


def _tokens() -> tuple[set[str], set[str]]:
    """Tokens of media runs waiting or running, and of runs failed recently enough to be retried."""
    waiting = (jobs.JobState.PENDING, jobs.JobState.RUNNING)
    media = select(jobs.JobRun.payload).where(jobs.JobRun.name == processing.MEDIA_JOB)
    live = db.session.scalars(media.where(jobs.JobRun.state.in_(waiting)))
    failed = db.session.scalars(media.where(jobs.JobRun.state == jobs.JobState.FAILED,
                                            jobs.JobRun.finished_at > utcnow() - RETRY_WINDOW))
    return {p.get("token") for p in live}, {p.get("token") for p in failed}
