"""Background work for submissions: the media job, its failure hook, and sweeping abandoned uploads."""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
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

log = logging.getLogger(__name__)
PARTIAL_MAX_AGE_SECONDS = 15 * 60  # a spool file nobody has written to for this long belongs to a dead request


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
            local = [(stack.enter_context(storage().local_copy(f["stored"], workdir)), f["name"]) for f in files]
            try:
                results = pipeline.process_all(local, workdir, services.limits(current_app.config))
            except pipeline.MediaRejected as refusal:
                raise jobs.GiveUp(refusal.message) from None
        services.attach_processed(submission, db.session.get(User, user_id), results, captions, submit,
                                  current_app.config)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    processing.discard_pending(files)


@jobs.on_failure(processing.MEDIA_JOB)
def media_gave_up(run: jobs.JobRun) -> None:
    """Remove the raw upload and tell the submitter why nothing changed."""
    payload = run.payload
    processing.discard_pending(payload.get("files", []))
    shutil.rmtree(processing.work_dir(payload.get("token", "none")), ignore_errors=True)
    submission = db.session.get(Submission, payload.get("submission_id"))
    if submission is None:
        return
    names = ", ".join(f"“{f['name']}”" for f in payload.get("files", []))
    notify(submission.submitter_id,
           f"We could not use {names} for “{submission.item.title}”: {processing.failure_message(run)}",
           f"/submissions/{submission.id}")


@jobs.periodic(jobs.crontab(minute="*/5"))
def sweep_incoming() -> None:
    """Every five minutes: remove spool files of dead requests and scratch dirs of jobs no longer running."""
    removed = sweep_incoming_now()
    if removed:
        log.info("upload sweep removed %s abandoned files or directories", removed)


def sweep_incoming_now(max_age: float = PARTIAL_MAX_AGE_SECONDS) -> int:
    """Remove abandoned spool files, job scratch dirs and (local storage) raw uploads no job will use."""
    incoming = Path(current_app.config["UPLOAD_DIR"]) / "incoming"
    live = _live_tokens()
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
            if raw.name.split("-", 1)[0] not in live and raw.stat().st_mtime < cutoff:
                raw.unlink(missing_ok=True)
                removed += 1
    return removed


def _live_tokens() -> set[str]:
    waiting = (jobs.JobState.PENDING, jobs.JobState.RUNNING)
    query = select(jobs.JobRun.payload).where(jobs.JobRun.name == processing.MEDIA_JOB, jobs.JobRun.state.in_(waiting))
    return {payload.get("token") for payload in db.session.scalars(query)}
