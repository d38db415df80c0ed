"""Reviewing submissions: the state machine, claims and decisions, reviewer edits, versions and
the champions' queue.

No flask.request in here: views parse, call one function, and render.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Department, User
from marketplace.catalog.models import ITEM_TYPES, Item
from marketplace.extensions import db
from marketplace.lifecycle import revisions
from marketplace.lifecycle import services as lifecycle
from marketplace.notifications.services import notify
from marketplace.policy import can
from marketplace.submissions import redaction
from marketplace.submissions.models import Submission, SubmissionVersion
from marketplace.submissions.records import event, screen_fields, snapshot, text_fields
from marketplace.timeutil import utcnow

# The state machine: draft -> pending -> approved / rejected / changes requested -> pending.
TRANSITIONS = {
    "draft": {"pending"},
    # Withdrawn (back to draft) or edited while waiting (pending again, as a new version).
    "pending": {"approved", "rejected", "changes_requested", "draft", "pending"},
    "changes_requested": {"pending"},
    "rejected": {"pending"},
    "approved": set(),
}
ITEM_STATUS = {"draft": "draft", "pending": "pending", "approved": "published",
               "rejected": "draft", "changes_requested": "draft"}
DECISION_STATES = {"approve": "approved", "reject": "rejected", "changes": "changes_requested"}


class InvalidTransition(ValueError):
    """A state change the workflow does not allow."""


class AlreadyClaimed(ValueError):
    """Someone else is already reviewing this submission."""


def transition(submission: Submission, to: str, actor: User | None, text: str = "") -> None:
    """Move along the state machine, or raise InvalidTransition; keeps the item's status in step."""
    if to not in TRANSITIONS.get(submission.state, set()):
        raise InvalidTransition(f"A submission that is {submission.state_label.lower()} cannot become {to}.")
    submission.state = to
    item = submission.item
    # A working copy of a published item never becomes visible itself: approval copies it onto the live item.
    item.status = ITEM_STATUS[to] if item.revision_of_id is None or to != "approved" else "superseded"
    if to in {"pending", "draft"}:
        submission.submitted_at = utcnow() if to == "pending" else submission.submitted_at
        submission.claimed_by_id = submission.claimed_at = submission.decided_at = None
    else:
        submission.decided_at = utcnow()
        submission.decision_note = text
    if to == "approved" and item.revision_of_id is not None:
        revisions.apply(item, actor)
    elif to == "approved":
        item.published_at = utcnow()  # search indexes items after commit when they become published
        item.last_verified_at = item.published_at
        item.review_by = lifecycle.next_review(item, current_app.config if has_app_context() else None)
    event(submission, {"pending": "submitted", "draft": "withdrawn"}.get(to, to), actor, text)


def claim(submission: Submission, reviewer: User) -> None:
    """Claim a pending submission for review; a single UPDATE so two reviewers cannot both win."""
    if not can(reviewer, "claim_submission", submission):
        raise InvalidTransition("Only someone else's pending submission can be claimed.")
    result = db.session.execute(
        update(Submission)
        .where(Submission.id == submission.id, Submission.state == "pending", Submission.claimed_by_id.is_(None))
        .values(claimed_by_id=reviewer.id, claimed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        db.session.refresh(submission)
        who = submission.claimed_by.name if submission.claimed_by else "someone"
        raise AlreadyClaimed(f"{who} is already reviewing this submission.")
    db.session.refresh(submission)
    event(submission, "claimed", reviewer)
    db.session.commit()


def release(submission: Submission, reviewer: User) -> None:
    """Give a claimed submission back to the queue."""
    if not can(reviewer, "release_submission", submission):
        raise InvalidTransition("Only the reviewer who claimed it (or a curator) can release it.")
    submission.claimed_by_id = submission.claimed_at = None
    event(submission, "released", reviewer)
    db.session.commit()


def notify_decision(submission: Submission) -> None:
    """Tell the submitter what was decided."""
    messages = {
        "approved": "“{}” is published. Thank you for sharing it!",
        "rejected": "“{}” was not accepted: {}",
        "changes_requested": "Changes were requested on “{}”: {}",
    }
    text = messages[submission.state].format(submission.item.title, submission.decision_note)
    notify(submission.submitter_id, text, f"/submissions/{submission.id}")


def decide(submission: Submission, reviewer: User, decision: str, note: str) -> None:
    """Approve (publish), reject (with a reason) or request changes (with comments); notify the submitter."""
    if decision not in DECISION_STATES:
        raise InvalidTransition(f"Unknown decision {decision!r}.")
    if decision in {"reject", "changes"} and not note.strip():
        raise InvalidTransition("A rejection needs a reason and a change request needs comments.")
    transition(submission, DECISION_STATES[decision], reviewer, note.strip())
    notify_decision(submission)
    db.session.commit()


def comment(submission: Submission, user: User, text: str) -> None:
    """Add a comment to the timeline; the other side is notified."""
    event(submission, "commented", user, text.strip())
    if user.id != submission.submitter_id:
        notify(submission.submitter_id, f"{user.name} commented on “{submission.item.title}”.", f"/submissions/{submission.id}")
    elif submission.claimed_by_id:
        notify(submission.claimed_by_id, f"{user.name} replied on “{submission.item.title}”.", f"/review/{submission.id}")
    db.session.commit()


def redact_on_request(submission: Submission, reviewer: User, text: str) -> int:
    """A reviewer removes a piece of text everywhere it shows for this item, current content included."""
    value = text.strip()
    if len(value) < redaction.MIN_LENGTH:
        raise InvalidTransition(f"Give at least {redaction.MIN_LENGTH} characters to redact.")
    changed = redaction.redact(submission, {value})
    if changed or value not in snapshot(submission.item):
        event(submission, "redacted", reviewer, "Redacted on request")
    db.session.commit()
    return changed


def edit_text(submission: Submission, reviewer: User, title: str, summary: str, body: str) -> None:
    """A reviewer tidies a pending job aid's title, summary and body before deciding (e.g. a harvested draft)."""
    if submission.state != "pending":
        raise InvalidTransition("Only a submission waiting for review can be edited by its reviewer.")
    if not title.strip():
        raise InvalidTransition("The title cannot be empty.")
    item = submission.item
    item.title, item.summary = title.strip()[:200], summary.strip()[:500]
    if item.type == "job_aid":
        item.body = body
    number = len(submission.versions) + 1
    submission.versions.append(SubmissionVersion(number=number, snapshot=snapshot(item), author_id=reviewer.id,
                                                 created_at=utcnow()))
    item.version = number
    findings = screen_fields(text_fields(item), current_app.config.get("SCREENING_PHONE_REGION", "US"))
    submission.findings_json, submission.flag_count = json.dumps(findings), len(findings)
    event(submission, "edited", reviewer, f"Version {number}")
    if reviewer.id != submission.submitter_id:
        notify(submission.submitter_id, f"{reviewer.name} edited “{item.title}” during review.", f"/submissions/{submission.id}")
    db.session.commit()


# Versions ------------------------------------------------------------------------------


def diff_lines(old: str, new: str) -> list[tuple[str, str]]:
    """Line-by-line changes between two snapshots, as (kind, text) with kind add/remove/same/gap."""
    rows = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "add", "-": "remove", "@": "gap"}.get(line[:1], "same")
        rows.append((kind, line[1:] if kind != "gap" else "…"))
    return rows


def latest_changes(submission: Submission) -> tuple[int, int, list[tuple[str, str]]] | None:
    """What changed between the last two versions: (old number, new number, diff rows)."""
    if len(submission.versions) < 2:
        return None
    old, new = submission.versions[-2], submission.versions[-1]
    return old.number, new.number, diff_lines(old.snapshot, new.snapshot)


# Queues --------------------------------------------------------------------------------

QUEUE_SORTS = {"oldest": "Oldest first", "newest": "Newest first", "flags": "Most flags first"}


def overdue_cutoff(now: datetime, working_days: int) -> datetime:
    """Submissions waiting since before this moment are overdue (weekends do not count)."""
    moment, left = now, working_days
    while left > 0:
        moment -= timedelta(days=1)
        if moment.weekday() < 5:
            left -= 1
    return moment


@dataclass
class QueueFilters:
    """Validated queue filters."""

    department: int | None = None
    type: str | None = None
    flagged: str | None = None  # "yes" / "no"
    overdue: bool = False
    sort: str = "oldest"
    ai: str | None = None  # "yes": AI-assisted or generated; "no": made without AI


def parse_queue_filters(args) -> QueueFilters:
    """Turn query-string values into queue filters, ignoring anything unknown."""
    dept = (args.get("department") or "").strip()
    return QueueFilters(
        department=int(dept) if dept.isdigit() else None,
        type=args.get("type") if args.get("type") in ITEM_TYPES else None,
        flagged=args.get("flagged") if args.get("flagged") in {"yes", "no"} else None,
        overdue=args.get("overdue") == "1", ai=args.get("ai") if args.get("ai") in {"yes", "no"} else None,
        sort=args.get("sort") if args.get("sort") in QUEUE_SORTS else "oldest",
    )


def _scoped(user: User):
    query = select(Submission).where(Submission.state == "pending")
    if not (user.is_curator or user.is_admin):
        query = query.where(Submission.department_id.in_([d.id for d in user.champion_of] or [-1]))
    return query


def queue(user: User, filters: QueueFilters, sla_days: int, now: datetime | None = None) -> list[Submission]:
    """Pending submissions this reviewer may see: their departments, or all for curators."""
    query = _scoped(user).options(
        selectinload(Submission.item), selectinload(Submission.submitter),
        selectinload(Submission.claimed_by), selectinload(Submission.department),
    )
    if filters.department:
        query = query.where(Submission.department_id == filters.department)
    if filters.type:
        query = query.where(Submission.item.has(Item.type == filters.type))
    if filters.flagged == "yes":
        query = query.where(Submission.flag_count > 0)
    elif filters.flagged == "no":
        query = query.where(Submission.flag_count == 0)
    if filters.overdue:
        query = query.where(Submission.submitted_at < overdue_cutoff(now or utcnow(), sla_days))
    if filters.ai:
        made_with_ai = Item.ai_use != "none"
        query = query.where(Submission.item.has(made_with_ai if filters.ai == "yes" else ~made_with_ai))
    order = {
        "oldest": (Submission.submitted_at.asc(), Submission.id),
        "newest": (Submission.submitted_at.desc(), Submission.id.desc()),
        "flags": (Submission.flag_count.desc(), Submission.submitted_at.asc()),
    }[filters.sort]
    return list(db.session.scalars(query.order_by(*order)))


def age_text(submission: Submission, now: datetime | None = None) -> str:
    """How long a submission has waited, in words."""
    if submission.submitted_at is None:
        return "not submitted"
    hours = int(((now or utcnow()) - submission.submitted_at).total_seconds() // 3600)
    if hours < 1:
        return "under an hour"
    if hours < 48:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{hours // 24} days"


def pending_count(user: User) -> int:
    """How many submissions wait in this reviewer's queues."""
    return db.session.scalar(select(func.count()).select_from(_scoped(user).subquery())) or 0


def is_overdue(submission: Submission, sla_days: int, now: datetime | None = None) -> bool:
    """True when a pending submission has waited past the service level."""
    return (submission.state == "pending" and submission.submitted_at is not None
            and submission.submitted_at < overdue_cutoff(now or utcnow(), sla_days))


def queue_departments(user: User) -> list[Department]:
    """The departments a reviewer can filter by."""
    if user.is_curator or user.is_admin:
        return list(db.session.scalars(select(Department).order_by(Department.name)))
    return list(user.champion_of)
