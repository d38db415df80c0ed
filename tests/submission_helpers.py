"""Shared set-up for the submission tests: people, submissions in any state, form data, disk state."""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import Item, MediaFile, Moment
from marketplace.submissions import review, services
from marketplace.submissions.models import Submission
from marketplace.submissions.uploads import incoming_dir
from tests import factories, media_fixtures


def moment_id(slug: str = "solve") -> int:
    """The id of a moment of need."""
    return db.session.scalar(select(Moment.id).where(Moment.slug == slug))


def data(base, **changes) -> services.SubmissionData:
    """Valid submission data for the Sales department."""
    values = {
        "type": "quick_learn", "title": "Unjamming the label printer", "summary": "Clear a jam in one minute.",
        "moment_id": moment_id(), "department_id": base.sales.id, "kpi_ids": [base.kpi.id],
        "skill_ids": [base.skill.id], "transcript": "Open the lid.\n\nPull the roll.",
    }
    return services.SubmissionData(**{**values, **changes})


def upload(tmp_path: Path, content: bytes | None = None, name: str = "photo.jpg") -> services.Upload:
    """A file on disk, as the upload spooler would leave it."""
    path = tmp_path / f"spooled-{name.replace('/', '_')}"
    path.write_bytes(media_fixtures.jpeg_with_exif() if content is None else content)
    return services.Upload(path, name)


def make(base, tmp_path: Path, state: str = "pending", submitter=None, **changes) -> Submission:
    """A submission with an image, driven through the real services into `state`."""
    submitter = submitter or base.users["employee"]
    kind = changes.get("type", "quick_learn")
    files = [upload(tmp_path)] if kind == "quick_learn" else []
    submission = services.save(submitter, data(base, **changes), files, current_app.config, incoming_dir(),
                               submit=state != "draft")
    if state in {"rejected", "changes_requested", "approved"}:
        reviewer = base.users["champion"]
        review.claim(submission, reviewer)
        decision = {"rejected": "reject", "changes_requested": "changes", "approved": "approve"}[state]
        review.decide(submission, reviewer, decision, "Please blur the badge.")
    return submission


def extra_user(email: str, name: str, department, **roles):
    """Another person with the shared test password."""
    user = factories.user(email, name, department, **roles)
    db.session.commit()
    return user


def counts() -> tuple[int, int, int]:
    """How many submissions, items and media rows exist."""
    return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in (Submission, Item, MediaFile))


def files_on_disk() -> set[str]:
    """Every file under the upload directory, spool included."""
    root = Path(current_app.config["UPLOAD_DIR"])
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def form(base, **changes) -> dict:
    """Submit-form fields as a browser would post them."""
    values = {
        "type": "quick_learn", "title": "Unjamming the label printer", "summary": "Clear a jam in one minute.",
        "moment_id": str(moment_id()), "department_id": str(base.sales.id), "kpi_ids": [str(base.kpi.id)],
        "transcript": "", "body": "", "steps": "", "submit_review": "Submit for review",
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}
