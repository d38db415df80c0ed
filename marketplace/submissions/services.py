"""Saving and submitting: create and update submissions with their files, submit, withdraw.

No flask.request in here: views parse, call one function, and render. Reviewing is in review.py,
texts, snapshots and the timeline in records.py, the curators' lists in curator_lists.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Department, User
from marketplace.catalog.models import (
    AI_USES,
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
from marketplace.media.services import delete_stored, register_path
from marketplace.notifications.services import notify
from marketplace.submissions import pipeline, processing, redaction
from marketplace.submissions.curator_lists import is_trusted
from marketplace.submissions.models import Submission, SubmissionEvent, SubmissionVersion
from marketplace.submissions.records import (
    describe_findings,
    event,
    screen_fields,
    snapshot,
    text_fields,
)
from marketplace.submissions.review import InvalidTransition, notify_decision, transition
from marketplace.timeutil import utcnow


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
            event(submission, "created", user, "Draft saved")
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
        fields = text_fields(item)
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
            findings = screen_fields(text_fields(submission.item), config.get("SCREENING_PHONE_REGION", "US"))
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
    findings = screen_fields(text_fields(live), config.get("SCREENING_PHONE_REGION", "US"))
    return revisions.start(live, editor, findings)


def _redact_removed(submission: Submission, earlier: list[dict], fields: dict[str, str], actor: User) -> None:
    """Personal data flagged before and removed now goes from every earlier version, diff and notification."""
    gone = redaction.removed_values(earlier, fields)
    if gone and redaction.redact(submission, gone, include_current=False):
        event(submission, "redacted", actor, f"{len(gone)} removed value{'s' if len(gone) != 1 else ''} "
                                              "redacted from earlier versions and notifications")


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
    event(submission, "screened", None, describe_findings(findings))
    edit_of_published = submission.item.revision_of_id is not None
    if not findings and (is_trusted(actor, submission.department_id) or (edit_of_published and actor.is_curator)):
        why = "trusted contributor" if is_trusted(actor, submission.department_id) else "curator"
        transition(submission, "approved", None, f"Published without review: {why}, screening clean.")
        notify_decision(submission)


def submit(submission: Submission, actor: User, config) -> Submission:
    """Submit (or resubmit) a saved draft as it is; raises Incomplete if it lacks what its type needs."""
    if submission.submitter_id != actor.id:
        raise InvalidTransition("Only the person who shared it can submit it.")
    if submission.state == "pending":  # editable while it waits, but submitting it again as it is changes nothing
        raise InvalidTransition("It is already waiting for review.")
    if processing.is_processing(submission.id):
        raise InvalidTransition("Your file is still being processed; it is submitted for review once it is ready.")
    _check_complete(submission.item)
    findings = screen_fields(text_fields(submission.item), config.get("SCREENING_PHONE_REGION", "US"))
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


def mine(user: User) -> list[Submission]:
    """The user's own submissions, newest first."""
    query = (select(Submission).where(Submission.submitter_id == user.id)
             .options(selectinload(Submission.item)).order_by(Submission.updated_at.desc()))
    return list(db.session.scalars(query))
