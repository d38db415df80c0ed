"""Schedule follow-ups, send the due ones (at most one a week per person), take answers via signed links."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace.curation.models import CollectionEntry
from marketplace.extensions import db
from marketplace.followups.models import (
    FollowUp,
    FollowUpReason,
    FollowUpSetting,
    FollowUpState,
    UsedLink,
)
from marketplace.timeutil import today, utcnow

DEFAULT_DAYS = 30
THROTTLE = timedelta(days=7)
LINK_SALT = "followup-answer"
QUESTION = "What, if anything, are you doing differently because of this?"
OBSTACLE = "What got in the way?"


class LinkError(Exception):
    """A follow-up link that cannot be used; the message says why, for the person holding it."""


def delay_days(item: Any | None, kpis: list) -> int:
    """Days until the follow-up: the item's collections' setting, else its KPIs', else FOLLOWUP_DAYS."""
    from marketplace.impact.models import CollectionSetting, KpiProfile

    if item is not None:
        chosen = db.session.scalar(
            select(func.min(CollectionSetting.followup_days))
            .join(CollectionEntry, CollectionEntry.collection_id == CollectionSetting.collection_id)
            .where(CollectionEntry.item_id == item.id)
        )
        if chosen:
            return chosen
    if kpis:
        chosen = db.session.scalar(select(func.min(KpiProfile.followup_days)).where(KpiProfile.kpi_id.in_([k.id for k in kpis])))
        if chosen:
            return chosen
    return int(current_app.config.get("FOLLOWUP_DAYS") or DEFAULT_DAYS)


def schedule(user: Any, reason: FollowUpReason, *, subject: str, title: str, link: str,
             item: Any | None = None, kpis: list | None = None, on: date | None = None) -> FollowUp | None:
    """Add (not commit) a follow-up for this person and thing, unless one exists already."""
    if user is None or getattr(user, "id", None) is None:
        return None
    existing = db.session.scalar(select(FollowUp).where(FollowUp.user_id == user.id, FollowUp.subject == subject))
    if existing is not None:
        return existing
    kpis = list(kpis or [])
    followup = FollowUp(
        user_id=user.id, subject=subject, title=title[:200], link=link[:300], item_id=getattr(item, "id", None),
        reason=reason, due_on=(on or today()) + timedelta(days=delay_days(item, kpis)), kpis=kpis,
        nonce=secrets.token_hex(16),
    )
    db.session.add(followup)
    return followup


def for_item(user: Any, item: Any, reason: FollowUpReason) -> FollowUp | None:
    """Schedule the follow-up for an item someone found helpful or completed."""
    return schedule(user, reason, subject=f"item:{item.id}", title=item.title, link=f"/items/{item.slug}",
                    item=item, kpis=list(item.kpis))


def setting_for(user_id: int) -> FollowUpSetting:
    """The person's follow-up setting (defaults when they never chose)."""
    return db.session.get(FollowUpSetting, user_id) or FollowUpSetting(user_id=user_id, off=False)


def _sent_recently(user_id: int, now) -> bool:  # noqa: ANN001
    last = db.session.scalar(select(func.max(FollowUp.sent_at)).where(FollowUp.user_id == user_id))
    return last is not None and now - last < THROTTLE


def send_due(on: date | None = None) -> int:
    """Send every follow-up due by `on` (one per person per week; snoozed and switched-off people skipped)."""
    on = on or today()
    now = utcnow()
    due = list(db.session.scalars(
        select(FollowUp).where(FollowUp.state == FollowUpState.SCHEDULED, FollowUp.due_on <= on)
        .order_by(FollowUp.user_id, FollowUp.due_on, FollowUp.id)
    ))
    sent, seen = 0, set()
    for followup in due:
        if followup.user_id in seen:
            continue  # one per person per run; the rest wait for next week
        setting = setting_for(followup.user_id)
        if setting.off:
            followup.state = FollowUpState.CANCELLED
            continue
        if (setting.snoozed_until and setting.snoozed_until > on) or _sent_recently(followup.user_id, now):
            seen.add(followup.user_id)
            continue
        _send(followup, now)
        seen.add(followup.user_id)
        sent += 1
    db.session.commit()
    return sent


def _send(followup: FollowUp, now) -> None:  # noqa: ANN001
    from marketplace.mail.services import send_mail
    from marketplace.notifications.services import notify

    followup.state, followup.sent_at = FollowUpState.SENT, now
    link = answer_url(followup)
    notify(followup.user_id, f"A quick question about “{followup.title}”: what are you doing differently?",
           f"/followups/{followup.id}")
    days = current_app.config.get("FOLLOWUP_LINK_DAYS", 14)
    text = (
        f"Hello {followup.user.name},\n\nA while ago {followup.reason.phrase}: “{followup.title}”.\n\n"
        f"{QUESTION}\n{OBSTACLE}\n\nAnswer in a minute (no password needed, the link works once and for {days} days):\n{link}\n\n"
        f"Don't want these? Snooze or turn them off: {(current_app.config.get('PUBLIC_BASE_URL') or '').rstrip('/')}/followups"
    )
    send_mail(followup.user.email, f"What changed since “{followup.title[:80]}”?", text, user_id=followup.user_id)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALT)


def answer_token(followup: FollowUp) -> str:
    """A signed token naming the follow-up, its person and its single-use nonce."""
    return _serializer().dumps({"f": followup.id, "u": followup.user_id, "n": followup.nonce})


def answer_url(followup: FollowUp) -> str:
    """The absolute answer link for the e-mail (PUBLIC_BASE_URL is where people reach the app)."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    return f"{base}/followups/answer/{answer_token(followup)}"


def followup_for_token(token: str, viewer: Any = None) -> FollowUp:
    """The follow-up a link opens, or LinkError (tampered, expired, used, answered, someone else's)."""
    max_age = int(current_app.config.get("FOLLOWUP_LINK_DAYS", 14)) * 86400
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise LinkError("This link has expired. Open your follow-ups page after signing in to answer.") from error
    except BadSignature as error:
        raise LinkError("This link is not valid. Please use the link from your e-mail as it is.") from error
    followup = db.session.get(FollowUp, data.get("f")) if isinstance(data, dict) else None
    if followup is None or followup.user_id != data.get("u") or followup.nonce != data.get("n"):
        raise LinkError("This link is not valid. Please use the link from your e-mail as it is.")
    if viewer is not None and getattr(viewer, "is_authenticated", False) and viewer.id != followup.user_id:
        raise LinkError("This link belongs to someone else. Sign out first if it was sent to you.")
    if followup.state == FollowUpState.ANSWERED or db.session.get(UsedLink, followup.nonce) is not None:
        raise LinkError("This link has been used already. Thank you for answering!")
    if followup.state == FollowUpState.CANCELLED:
        raise LinkError("This follow-up was withdrawn.")
    return followup


@dataclass
class Answer:
    changed: bool
    doing_differently: str
    got_in_the_way: str


def record_answer(followup: FollowUp, answer: Answer, *, nonce_used: bool) -> None:
    """Store the answer once (a used link is remembered), with its learning event."""
    from marketplace.impact import recording

    if followup.state == FollowUpState.ANSWERED:
        raise LinkError("This follow-up has been answered already.")
    followup.changed = answer.changed
    followup.doing_differently = answer.doing_differently.strip()[:4000]
    followup.got_in_the_way = answer.got_in_the_way.strip()[:4000]
    followup.state, followup.answered_at = FollowUpState.ANSWERED, utcnow()
    if nonce_used:
        db.session.add(UsedLink(nonce=followup.nonce))
    recording.answered_followup(followup.user, followup)
    try:
        db.session.commit()
    except IntegrityError as error:  # the same link submitted twice at once: the second loses
        db.session.rollback()
        raise LinkError("This link has been used already. Thank you for answering!") from error


def mine(user_id: int) -> list[FollowUp]:
    """The person's follow-ups, open ones first."""
    query = select(FollowUp).where(FollowUp.user_id == user_id).order_by(FollowUp.state.desc(), FollowUp.due_on.desc()).limit(100)
    return sorted(db.session.scalars(query), key=lambda f: (f.state != FollowUpState.SENT, f.state != FollowUpState.SCHEDULED, -f.id))


def change_setting(user_id: int, action: str, on: date | None = None) -> FollowUpSetting:
    """Snooze for four weeks, turn off or turn back on."""
    setting = db.session.get(FollowUpSetting, user_id)
    if setting is None:
        setting = FollowUpSetting(user_id=user_id, off=False)
        db.session.add(setting)
    if action == "snooze":
        setting.snoozed_until = (on or today()) + timedelta(weeks=4)
    elif action == "off":
        setting.off = True
    elif action == "on":
        setting.off, setting.snoozed_until = False, None
    else:
        raise ValueError("Choose snooze, off or on.")
    db.session.commit()
    return setting
