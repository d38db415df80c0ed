"""Submission rules: save, screen, submit, claim, decide; queues, versions and trust.

No flask.request in here: views parse, call one function, and render.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Department, User
from marketplace.catalog.models import (
    AI_USES,
    ITEM_TYPES,
    KPI,
    ChecklistStep,
    Item,
    ItemImage,
    MediaFile,
    Moment,
    Skill,
)
from marketplace.curation.services import claims_slugs, unique_slug
from marketplace.extensions import db
from marketplace.lifecycle import revisions
from marketplace.lifecycle import services as lifecycle
from marketplace.media.services import delete_stored, path_for, register_path  # noqa: F401  (path_for: tests)
from marketplace.notifications.services import notify
from marketplace.policy import can
from marketplace.submissions import pipeline, processing, redaction, screening
from marketplace.submissions.models import (
    ConfidentialTerm,
    Submission,
    SubmissionEvent,
    SubmissionVersion,
    TrustedContributor,
)
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
EVENT_LABELS = {
    "created": "Created", "submitted": "Submitted", "screened": "Screened", "claimed": "Claimed",
    "released": "Released", "commented": "Commented", "approved": "Approved and published",
    "rejected": "Rejected", "changes_requested": "Changes requested", "withdrawn": "Withdrawn",
    "redacted": "Personal data redacted", "edited": "Edited by the reviewer",
}
QUEUE_SORTS = {"oldest": "Oldest first", "newest": "Newest first", "flags": "Most flags first"}


class InvalidTransition(ValueError):
    """A state change the workflow does not allow."""


class AlreadyClaimed(ValueError):
    """Someone else is already reviewing this submission."""


class Incomplete(InvalidTransition):
    """A submission lacks what its type needs; `problems` maps each field to what is missing."""

    def __init__(self, problems: dict[str, str]):
        super().__init__(" ".join(problems.values()))
        self.problems = problems


def missing_for_submit(type_: str, summary: str, kpi_count: int, has_media: bool, body: str,
                       step_count: int) -> dict[str, str]:
    """Everything a submission of this type still lacks, by field; empty when it may go to review."""
    problems = {}
    if not (summary or "").strip():
        problems["summary"] = "Write a one-line summary."
    if not kpi_count:
        problems["kpi_ids"] = "Choose at least one KPI this serves."
    if type_ == "quick_learn" and not has_media:
        problems["file"] = "Choose the video, image or PDF to share."
    if type_ == "job_aid" and not (body or "").strip():
        problems["body"] = "Write the job aid."
    if type_ == "checklist" and not step_count:
        problems["steps"] = "Add at least one step."
    return problems


def _check_complete(item: Item) -> None:
    problems = missing_for_submit(item.type, item.summary, len(item.kpis), bool(item.media_id or item.images),
                                  item.body, len(item.steps))
    if problems:
        raise Incomplete(problems)


@dataclass
class SubmissionData:
    """What the submit form collected, already validated."""

    type: str
    title: str
    summary: str
    moment_id: int
    department_id: int
    kpi_ids: list[int] = field(default_factory=list)
    skill_ids: list[int] = field(default_factory=list)
    body: str = ""
    steps: list[str] = field(default_factory=list)
    transcript: str = ""
    captions: list[str] = field(default_factory=list)  # one per image of a photo sequence, in order
    ai_use: str = "none"  # whether AI generated or substantially assisted the content


@dataclass
class Upload:
    """An uploaded file already spooled to disk, and the name the browser gave it."""

    path: Path
    name: str | None


def limits(config) -> pipeline.Limits:
    """The upload limits from the app configuration."""
    return pipeline.Limits(
        max_bytes=int(config["SUBMISSION_MAX_UPLOAD_MB"]) * 2**20,
        max_video_seconds=int(config["SUBMISSION_MAX_VIDEO_SECONDS"]),
        max_image_pixels=int(config["SUBMISSION_MAX_IMAGE_PIXELS"]),
        max_images=int(config["SUBMISSION_MAX_IMAGES"]),
    )


def choices() -> dict[str, list[tuple[int, str]]]:
    """Options for the submit form's select fields."""
    def rows(model, order):
        return [(row.id, row.name) for row in db.session.scalars(select(model).order_by(order))]

    return {
        "moment_id": [(m.id, m.shelf_title) for m in db.session.scalars(select(Moment).order_by(Moment.position))],
        "kpi_ids": rows(KPI, KPI.name), "skill_ids": rows(Skill, Skill.name),
        "department_id": rows(Department, Department.name),
    }


def get(submission_id: int) -> Submission | None:
    """Load a submission with what its pages show."""
    query = select(Submission).where(Submission.id == submission_id).options(
        selectinload(Submission.events).selectinload(SubmissionEvent.actor),
        selectinload(Submission.versions), selectinload(Submission.item).selectinload(Item.steps),
        selectinload(Submission.item).selectinload(Item.images).selectinload(ItemImage.media),
        selectinload(Submission.item).selectinload(Item.images).selectinload(ItemImage.thumbnail),
    )
    return db.session.scalar(query)


def confidential_terms() -> list[str]:
    """The terms curators maintain."""
    return list(db.session.scalars(select(ConfidentialTerm.term).order_by(ConfidentialTerm.term)))


def screen_fields(fields: dict[str, str], region: str) -> list[dict]:
    """Screen some named texts against the rules and the confidential terms."""
    return screening.as_dicts(screening.scan(fields, confidential_terms(), region))


def _fields(item: Item) -> dict[str, str]:
    fields = {
        "title": item.title, "summary": item.summary, "body": item.body,
        "steps": "\n".join(step.text for step in item.steps), "transcript": item.transcript,
        "captions": "\n".join(image.caption for image in item.images),
    }
    if item.media is not None and item.media.kind == "pdf":  # the PDF's own text is screened like the rest
        fields["PDF text"] = pipeline.pdf_text(path_for(item.media))
    return fields


def _event(submission: Submission, kind: str, actor: User | None, text: str = "") -> None:
    submission.events.append(SubmissionEvent(kind=kind, actor=actor, text=text[:5000], created_at=utcnow()))


def _apply(item: Item, data: SubmissionData) -> None:
    item.type, item.title, item.summary = data.type, data.title.strip(), data.summary.strip()
    item.ai_use = data.ai_use if data.ai_use in AI_USES else "none"
    item.moment = db.session.get(Moment, data.moment_id)
    item.department = db.session.get(Department, data.department_id)
    item.body = data.body if data.type == "job_aid" else ""
    item.transcript = data.transcript.strip() if data.type == "quick_learn" else ""
    item.kpis = list(db.session.scalars(select(KPI).where(KPI.id.in_(data.kpi_ids))))
    item.skills = list(db.session.scalars(select(Skill).where(Skill.id.in_(data.skill_ids))))
    steps = data.steps if data.type == "checklist" else []
    item.steps = [ChecklistStep(position=i, text=text[:300]) for i, text in enumerate(steps)]


def stored_files(item: Item) -> list[MediaFile]:
    """Every stored file the item shows: video or PDF and its preview, or each image and thumbnail."""
    files = [item.media, item.poster]
    for image in item.images:
        files += [image.media, image.thumbnail]
    return [m for m in files if m is not None]


def _detach(item: Item) -> list[MediaFile]:
    """Take every file off the item; return the rows, to be deleted once nothing points at them."""
    replaced = stored_files(item)
    item.media = item.poster = None
    item.images.clear()
    return replaced


def _register(output: pipeline.Output | None, result: pipeline.Result, owner: User) -> MediaFile | None:
    if output is None:
        return None
    return register_path(output.path, kind=output.kind, content_type=output.content_type, extension=output.extension,
                         width=output.width, height=output.height, duration_seconds=output.duration_seconds,
                         original_name=result.original_name, owner_id=owner.id)


def _attach(item: Item, results: list[pipeline.Result], owner: User) -> tuple[list[str], list[MediaFile]]:
    """Register the cleaned files on the item; return their storage names and the rows they replace."""
    replaced = _detach(item)
    db.session.flush()  # frees the old images' positions before the new ones take them
    first = results[0]
    if first.main.kind == "image":
        item.images = [ItemImage(position=position, media=_register(r.main, r, owner),
                                 thumbnail=_register(r.preview, r, owner)) for position, r in enumerate(results)]
    else:
        item.media = _register(first.main, first, owner)
        item.poster = _register(first.preview, first, owner)
    return [m.storage_name for m in stored_files(item)], replaced


def _caption(item: Item, captions: list[str]) -> None:
    for position, image in enumerate(item.images):
        image.caption = captions[position].strip()[:300] if position < len(captions) else ""


@claims_slugs
def save(user: User, data: SubmissionData, uploads: list[Upload], config, workdir: Path,
         submission: Submission | None = None, submit: bool = False) -> Submission:
    """Create or update a submission (and its item), optionally submitting it; all or nothing.

    `uploads` replace the item's files (one file, or several images in order); none keeps them.
    They get the quick checks here, before anything touches the database; then they are stored
    and the "media.process" job cleans them, attaches them and (if asked) submits. A refusal
    leaves no row and no file behind.
    """
    files = [(upload.path, upload.name) for upload in uploads]
    checked = pipeline.check_all(files, limits(config)) if files else []
    stored: list[str] = []
    try:
        if submission is None:
            item = Item(slug=unique_slug(Item, data.title), owner=user, status="draft")
            submission = Submission(item=item, submitter=user, department_id=data.department_id, state="draft")
            db.session.add(submission)
            _event(submission, "created", user, "Draft saved")
        item = submission.item
        earlier = submission.findings
        with db.session.no_autoflush:  # the new item is incomplete until _apply has run
            _apply(item, data)
        submission.department_id = data.department_id
        replaced: list[MediaFile] = []
        if data.type != "quick_learn":
            replaced += _detach(item)
        _caption(item, data.captions)
        db.session.flush()
        replaced = [m for m in replaced if m.id not in revisions.still_used(replaced)]  # an edit shares the live files
        fields = _fields(item)
        _redact_removed(submission, earlier, fields, user)
        findings = screen_fields(fields, config.get("SCREENING_PHONE_REGION", "US"))
        submission.findings_json, submission.flag_count = json.dumps(findings), len(findings)
        if checked:  # the job submits once the files are ready
            stored = processing.queue(submission.id, user.id, uploads, checked, data.captions, submit)
        elif submit:
            _submit(submission, user, findings)
        elif submission.state == "pending":  # saved as a draft while waiting: withdrawn from the queue
            _withdraw(submission, user)
        old_names = _delete_rows(replaced)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        delete_stored(stored)
        raise
    delete_stored(old_names)  # only once the rows are gone for good
    return submission


def attach_processed(submission: Submission, user: User, results: list[pipeline.Result], captions: list[str],
                     submit: bool, config) -> None:
    """Put the media job's files on the item (replacing its old ones) and submit if asked; all or nothing."""
    written: list[str] = []
    try:
        written, replaced = _attach(submission.item, results, user)
        _caption(submission.item, captions)
        db.session.flush()
        replaced = [m for m in replaced if m.id not in revisions.still_used(replaced)]  # an edit shares the live files
        if submit and submission.editable:
            findings = screen_fields(_fields(submission.item), config.get("SCREENING_PHONE_REGION", "US"))
            submission.findings_json, submission.flag_count = json.dumps(findings), len(findings)
            _submit(submission, user, findings)
        old_names = _delete_rows(replaced)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        delete_stored(written)
        for result in results:
            pipeline.discard(result.outputs)
        raise
    delete_stored(old_names)


def _delete_rows(replaced: list[MediaFile]) -> list[str]:
    """Delete replaced media rows; return their storage names, removed once the commit succeeds."""
    for media in replaced:
        db.session.delete(media)
    return [m.storage_name for m in replaced]


def start_edit(live: Item, editor: User, config) -> Submission:
    """Open an edit of a published item; what screening flags in the live text is remembered, so removing it redacts."""
    findings = screen_fields(_fields(live), config.get("SCREENING_PHONE_REGION", "US"))
    return revisions.start(live, editor, findings)


def _redact_removed(submission: Submission, earlier: list[dict], fields: dict[str, str], actor: User) -> None:
    """Personal data flagged before and removed now goes from every earlier version, diff and notification."""
    gone = redaction.removed_values(earlier, fields)
    if gone and redaction.redact(submission, gone, include_current=False):
        _event(submission, "redacted", actor, f"{len(gone)} removed value{'s' if len(gone) != 1 else ''} "
                                              "redacted from earlier versions and notifications")


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
    _event(submission, {"pending": "submitted", "draft": "withdrawn"}.get(to, to), actor, text)


def snapshot(item: Item) -> str:
    """The item as plain text, one section per field, for versions and diffs."""
    media = item.media
    lines = [
        f"Title: {item.title}", f"Type: {ITEM_TYPES.get(item.type, item.type)}",
        f"Department: {item.department.name if item.department else ''}",
        f"Moment: {item.moment.shelf_title if item.moment else ''}",
        "KPIs: " + ", ".join(k.name for k in item.kpis), "Skills: " + ", ".join(s.name for s in item.skills),
    ]
    if media is not None:
        lines.append(f"File: {media.original_name} ({media.kind}, {media.size_bytes} bytes)")
    for number, image in enumerate(item.images, 1):
        caption = f": {image.caption}" if image.caption else ""
        lines.append(f"Image {number} of {len(item.images)}: {image.media.original_name} ({image.media.size_bytes} bytes){caption}")
    lines += ["", "Summary:", item.summary]
    if item.body:
        lines += ["", "Body:", *item.body.splitlines()]
    if item.steps:
        lines += ["", "Steps:", *[f"{i + 1}. {s.text}" for i, s in enumerate(item.steps)]]
    if item.transcript:
        lines += ["", "Transcript:", *item.transcript.splitlines()]
    return "\n".join(lines)


def _describe(findings: list[dict]) -> str:
    if not findings:
        return "No personal data or confidential terms found."
    counts: dict[str, int] = {}
    for f in findings:
        counts[f["label"]] = counts.get(f["label"], 0) + 1
    return "Flagged: " + ", ".join(f"{n} × {label.lower()}" for label, n in counts.items())


def _submit(submission: Submission, actor: User, findings: list[dict]) -> None:
    _check_complete(submission.item)  # every path (form, bare POST, harvest) meets the same rule
    number = len(submission.versions) + 1
    submission.versions.append(SubmissionVersion(number=number, snapshot=snapshot(submission.item),
                                                 author_id=actor.id, created_at=utcnow()))
    submission.item.version = number
    claimant = submission.claimed_by_id if submission.state == "pending" else None
    transition(submission, "pending", actor, f"Version {number}")
    if claimant and claimant != actor.id:
        notify(claimant, f"{actor.name} changed “{submission.item.title}” while you were reviewing it; "
                         "it is back in the queue.", f"/review/{submission.id}")
    _event(submission, "screened", None, _describe(findings))
    edit_of_published = submission.item.revision_of_id is not None
    if not findings and (is_trusted(actor, submission.department_id) or (edit_of_published and actor.is_curator)):
        why = "trusted contributor" if is_trusted(actor, submission.department_id) else "curator"
        transition(submission, "approved", None, f"Published without review: {why}, screening clean.")
        _notify_decision(submission)


def submit(submission: Submission, actor: User, config) -> Submission:
    """Submit (or resubmit) a saved draft as it is; raises Incomplete if it lacks what its type needs."""
    if submission.submitter_id != actor.id:
        raise InvalidTransition("Only the person who shared it can submit it.")
    if submission.state == "pending":  # editable while it waits, but submitting it again as it is changes nothing
        raise InvalidTransition("It is already waiting for review.")
    if processing.is_processing(submission.id):
        raise InvalidTransition("Your file is still being processed; it is submitted for review once it is ready.")
    _check_complete(submission.item)
    findings = screen_fields(_fields(submission.item), config.get("SCREENING_PHONE_REGION", "US"))
    submission.findings_json, submission.flag_count = json.dumps(findings), len(findings)
    _submit(submission, actor, findings)
    db.session.commit()
    return submission


def _withdraw(submission: Submission, actor: User) -> None:
    claimant = submission.claimed_by_id
    transition(submission, "draft", actor, "Withdrawn from review by the submitter")
    if claimant and claimant != actor.id:
        notify(claimant, f"{actor.name} withdrew “{submission.item.title}” from review.", f"/review/{submission.id}")


def withdraw(submission: Submission, actor: User) -> None:
    """Take a pending submission back out of the queue; it becomes a draft again."""
    if submission.state != "pending":
        raise InvalidTransition("Only a submission waiting for review can be withdrawn.")
    _withdraw(submission, actor)
    db.session.commit()


def redact_on_request(submission: Submission, reviewer: User, text: str) -> int:
    """A reviewer removes a piece of text everywhere it shows for this item, current content included."""
    value = text.strip()
    if len(value) < redaction.MIN_LENGTH:
        raise InvalidTransition(f"Give at least {redaction.MIN_LENGTH} characters to redact.")
    changed = redaction.redact(submission, {value})
    if changed or value not in snapshot(submission.item):
        _event(submission, "redacted", reviewer, "Redacted on request")
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
    findings = screen_fields(_fields(item), current_app.config.get("SCREENING_PHONE_REGION", "US"))
    submission.findings_json, submission.flag_count = json.dumps(findings), len(findings)
    _event(submission, "edited", reviewer, f"Version {number}")
    if reviewer.id != submission.submitter_id:
        notify(submission.submitter_id, f"{reviewer.name} edited “{item.title}” during review.", f"/submissions/{submission.id}")
    db.session.commit()


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
    _event(submission, "claimed", reviewer)
    db.session.commit()


def release(submission: Submission, reviewer: User) -> None:
    """Give a claimed submission back to the queue."""
    if not can(reviewer, "release_submission", submission):
        raise InvalidTransition("Only the reviewer who claimed it (or a curator) can release it.")
    submission.claimed_by_id = submission.claimed_at = None
    _event(submission, "released", reviewer)
    db.session.commit()


def _notify_decision(submission: Submission) -> None:
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
    _notify_decision(submission)
    db.session.commit()


def comment(submission: Submission, user: User, text: str) -> None:
    """Add a comment to the timeline; the other side is notified."""
    _event(submission, "commented", user, text.strip())
    if user.id != submission.submitter_id:
        notify(submission.submitter_id, f"{user.name} commented on “{submission.item.title}”.", f"/submissions/{submission.id}")
    elif submission.claimed_by_id:
        notify(submission.claimed_by_id, f"{user.name} replied on “{submission.item.title}”.", f"/review/{submission.id}")
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


def mine(user: User) -> list[Submission]:
    """The user's own submissions, newest first."""
    query = (select(Submission).where(Submission.submitter_id == user.id)
             .options(selectinload(Submission.item)).order_by(Submission.updated_at.desc()))
    return list(db.session.scalars(query))


# Trusted contributors and confidential terms --------------------------------------------


def is_trusted(user: User, department_id: int) -> bool:
    """True when the user is trusted in that department."""
    return db.session.get(TrustedContributor, (user.id, department_id)) is not None


def trusted() -> list[TrustedContributor]:
    """Every trusted contributor, by department."""
    query = select(TrustedContributor).options(selectinload(TrustedContributor.user),
                                               selectinload(TrustedContributor.department))
    return sorted(db.session.scalars(query), key=lambda t: (t.department.name, t.user.name))


def trust(user_id: int, department_id: int, by: User) -> None:
    """Mark a person trusted in a department (idempotent)."""
    if db.session.get(TrustedContributor, (user_id, department_id)) is None:
        db.session.add(TrustedContributor(user_id=user_id, department_id=department_id, granted_by_id=by.id))
    db.session.commit()


def untrust(user_id: int, department_id: int) -> None:
    """Remove a trusted mark."""
    db.session.execute(delete(TrustedContributor).where(
        TrustedContributor.user_id == user_id, TrustedContributor.department_id == department_id))
    db.session.commit()


def people() -> list[tuple[int, str]]:
    """Every active person, for the trusted-contributor form."""
    return [(u.id, f"{u.name} ({u.email})") for u in db.session.scalars(select(User).where(User.active).order_by(User.name))]


def terms() -> list[ConfidentialTerm]:
    """Every confidential term."""
    return list(db.session.scalars(select(ConfidentialTerm).order_by(ConfidentialTerm.term)))


def add_term(term: str, by: User) -> None:
    """Add a confidential term (idempotent, case-insensitive)."""
    term = term.strip()
    exists = db.session.scalar(select(ConfidentialTerm.id).where(func.lower(ConfidentialTerm.term) == term.lower()))
    if exists is None:
        db.session.add(ConfidentialTerm(term=term, created_by_id=by.id))
    db.session.commit()


def remove_term(term_id: int) -> None:
    """Delete a confidential term."""
    db.session.execute(delete(ConfidentialTerm).where(ConfidentialTerm.id == term_id))
    db.session.commit()
