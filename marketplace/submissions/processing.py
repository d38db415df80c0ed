"""Media processing as a durable job: queue the stored upload, report "processing" or the failure.

The request only runs the quick checks and stores the raw file (under "pending/" in the media
storage, so a worker on any machine can read it); the "media.process" job (tasks.py) decodes,
probes, remuxes and makes previews, then attaches the files to the item and, if asked, submits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from marketplace import jobs
from marketplace.extensions import db
from marketplace.media.storage import storage
from marketplace.submissions import pipeline

MEDIA_JOB = "media.process"
GIVE_UP_PREFIX = "marketplace.jobs.services.GiveUp: "
SERVER_TROUBLE = ("The server could not process this file (it stopped or hit a problem on every attempt). "
                  "Try again later or choose another file; an administrator can see the details.")


@dataclass
class MediaStatus:
    """What the submission page says about the newest upload: processing, or why it failed."""

    processing: bool
    failed: bool
    message: str = ""


def subject(submission_id: int) -> str:
    """The job subject for a submission's media."""
    return f"submission:{submission_id}"


def work_dir(token: str) -> Path:
    """The job's scratch directory on this machine (cleared before each attempt and after)."""
    return Path(current_app.config["UPLOAD_DIR"]) / "incoming" / f"work-{token}"


def queue(submission_id: int, user_id: int, uploads: list, checked: list[pipeline.Checked],
          captions: list[str], submit: bool) -> list[str]:
    """Store the checked uploads and add the media job to the current transaction; return the stored names."""
    token = secrets.token_hex(12)
    store, files = storage(), []
    try:  # a full disk (or anything else) part-way leaves no stored file behind; the caller rolls back
        for upload, check in zip(uploads, checked, strict=True):
            stored = f"pending/{token}-{len(files)}.{pipeline.ALLOWED[check.mime][1]}"
            store.save_file(upload.path, stored, move=False)  # the spool file goes away with the request
            files.append({"stored": stored, "name": check.name})
        jobs.submit(MEDIA_JOB, {"submission_id": submission_id, "user_id": user_id, "files": files,
                                "captions": captions, "submit": submit, "token": token},
                    subject=subject(submission_id), max_attempts=3)
    except BaseException:
        discard_pending(files)
        raise
    return [f["stored"] for f in files]


def discard_pending(files: list[dict]) -> None:
    """Remove raw uploads that no job will process."""
    store = storage()
    for entry in files:
        store.delete(entry["stored"])


def latest_run(submission_id: int) -> jobs.JobRun | None:
    """The newest media job run for a submission."""
    query = (select(jobs.JobRun).where(jobs.JobRun.subject == subject(submission_id), jobs.JobRun.name == MEDIA_JOB)
             .order_by(jobs.JobRun.id.desc()).limit(1))
    return db.session.scalar(query)


def is_current(submission_id: int, token: str) -> bool:
    """False when a newer upload replaced the one this job was about."""
    run = latest_run(submission_id)
    return run is None or run.payload.get("token") == token


def failure_message(run: jobs.JobRun) -> str:
    """Why a media run failed, in words for the person who uploaded the file."""
    text = run.last_error or ""
    return text[len(GIVE_UP_PREFIX):] if text.startswith(GIVE_UP_PREFIX) else SERVER_TROUBLE


def status(submission_id: int) -> MediaStatus | None:
    """"processing" while the newest media run waits or runs, the message if it failed, else None."""
    run = latest_run(submission_id)
    if run is None or run.state == jobs.JobState.DONE:
        return None
    if run.state == jobs.JobState.FAILED:
        names = ", ".join(f"“{entry['name']}”" for entry in run.payload.get("files", []))
        return MediaStatus(False, True, f"We could not use {names}: {failure_message(run)}")
    return MediaStatus(True, False, "Your file is being processed. This page shows it as soon as it is ready.")


def is_processing(submission_id: int) -> bool:
    """True while the submission's newest upload waits for or runs through the media job."""
    found = status(submission_id)
    return bool(found and found.processing)
