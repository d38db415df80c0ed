"""Data-subject requests: exports prepared in the background, erasures after a cool-off."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app, has_request_context, url_for
from sqlalchemy import select

from marketplace import jobs
from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.mail.services import send_mail
from marketplace.notifications.services import notify
from marketplace.privacy import erasure, export
from marketplace.privacy.models import (
    AuditEntry,
    PrivacyRequest,
    RequestKind,
    RequestState,
    Treatment,
)
from marketplace.privacy.registry import Kind
from marketplace.timeutil import utcnow

EXPORT_JOB, ERASURE_JOB = "privacy.export", "privacy.erase"
PAGE = "/privacy"
KIND_LABELS = {
    Kind.POSTS: "Your threads, posts and answers in spaces",
    Kind.WORK: "Your catalog items, submissions and uploaded files",
}


class PrivacyError(ValueError):
    """A request that cannot be made; the message is shown to the person."""


def requests_for(user: User) -> list[PrivacyRequest]:
    """The person's requests, newest first."""
    query = select(PrivacyRequest).where(PrivacyRequest.user_id == user.id).order_by(PrivacyRequest.id.desc()).limit(20)
    return list(db.session.scalars(query))


def pending_erasure(user: User) -> PrivacyRequest | None:
    """The erasure waiting out its cool-off, if any."""
    query = select(PrivacyRequest).where(
        PrivacyRequest.user_id == user.id, PrivacyRequest.kind == RequestKind.ERASURE, PrivacyRequest.state == RequestState.WAITING
    )
    return db.session.scalar(query)


# --- export --------------------------------------------------------------------------------------

def request_export(user: User, by: User) -> PrivacyRequest:
    """Queue the preparation of the person's export (a durable job)."""
    request = PrivacyRequest(kind=RequestKind.EXPORT, state=RequestState.PREPARING, user_id=user.id, requested_by_id=by.id, choices={})
    db.session.add(request)
    db.session.flush()
    jobs.submit(EXPORT_JOB, {"request_id": request.id}, subject=request.subject)
    return request


def prepare_export(request_id: int) -> None:
    """The job body: write the ZIP, give it a lifetime, tell who asked."""
    request = db.session.get(PrivacyRequest, request_id)
    if request is None or request.state != RequestState.PREPARING or request.user_id is None:
        return
    request.file_name = f"{secrets.token_hex(16)}.zip"
    export.write_zip(request.user_id, erasure.exports_dir() / request.file_name)
    hours = current_app.config.get("PRIVACY_EXPORT_HOURS", 72)
    request.state, request.finished_at = RequestState.READY, utcnow()
    request.expires_at = utcnow() + timedelta(hours=hours)
    for recipient in {request.user_id, request.requested_by_id} - {None}:
        notify(recipient, f"A data export is ready to download for {hours} hours.", PAGE)


def export_failed(request_id: int) -> None:
    """The job gave up: say so on the page."""
    request = db.session.get(PrivacyRequest, request_id)
    if request is not None and request.state == RequestState.PREPARING:
        request.state, request.finished_at = RequestState.FAILED, utcnow()


def downloadable(request: PrivacyRequest) -> bool:
    """True while the file exists and the link has not expired."""
    return request.state == RequestState.READY and request.expires_at is not None and request.expires_at > utcnow()


def expire_exports() -> int:
    """Housekeeping: delete files whose link expired."""
    query = select(PrivacyRequest).where(PrivacyRequest.state == RequestState.READY, PrivacyRequest.expires_at <= utcnow())
    expired = list(db.session.scalars(query))
    for request in expired:
        if request.file_name:
            (erasure.exports_dir() / request.file_name).unlink(missing_ok=True)
        request.state, request.file_name = RequestState.EXPIRED, None
    return len(expired)


# --- erasure -------------------------------------------------------------------------------------

def request_erasure(user: User, by: User, choices: dict[str, str]) -> PrivacyRequest:
    """Schedule the erasure after the cool-off; nothing happens before then and it can be cancelled."""
    if pending_erasure(user) is not None:
        raise PrivacyError("An erasure is already scheduled; cancel it first to change your choices.")
    if user.email == erasure.PLACEHOLDER_EMAIL:
        raise PrivacyError("This account holds anonymised content and cannot be erased.")
    clean = {kind.value: Treatment(choices.get(kind.value, Treatment.ANONYMISE)).value for kind in Kind}
    days = current_app.config.get("PRIVACY_ERASURE_COOL_OFF_DAYS", 7)
    request = PrivacyRequest(
        kind=RequestKind.ERASURE, state=RequestState.WAITING, user_id=user.id, requested_by_id=by.id,
        choices=clean, run_after=utcnow() + timedelta(days=days),
    )
    db.session.add(request)
    db.session.flush()
    run = jobs.submit(ERASURE_JOB, {"request_id": request.id}, subject=request.subject)
    run.not_before = request.run_after  # the job runner holds it back until the cool-off ends
    when = request.run_after.strftime("%Y-%m-%d %H:%M UTC")
    link = url_for("privacy.index", _external=True) if has_request_context() else PAGE
    send_mail(user.email, "Your erasure is scheduled",
              f"Your data in the marketplace will be erased after {when}. Until then you can cancel it at {link}.", user_id=user.id)
    return request


def cancel_erasure(request: PrivacyRequest) -> None:
    """Cancel during the cool-off; the held-back job finds it cancelled and does nothing."""
    if request.kind != RequestKind.ERASURE or request.state != RequestState.WAITING:
        raise PrivacyError("Only a scheduled erasure can be cancelled.")
    request.state, request.finished_at = RequestState.CANCELLED, utcnow()


def run_erasure(request_id: int) -> None:
    """The job body, after the cool-off: erase, then record that an erasure ran (not what)."""
    request = db.session.get(PrivacyRequest, request_id)
    if request is None or request.state != RequestState.WAITING or request.user_id is None:
        return
    if request.run_after and request.run_after > utcnow():
        raise jobs.RetryLater((request.run_after - utcnow()).total_seconds(), "cool-off not over")
    user = db.session.get(User, request.user_id)
    subject_id = user.id
    actor = request.requested_by_id if request.requested_by_id != subject_id else None
    erasure.erase(user, request.choices)
    request = db.session.get(PrivacyRequest, request_id)
    request.state, request.finished_at, request.user_id = RequestState.DONE, utcnow(), None
    request.requested_by_id = actor
    db.session.add(AuditEntry(action="privacy.erasure", actor_id=actor, note=f"Erasure request #{request_id} ran."))
