"""What a submission is made of as text: its fields and their screening, snapshots, timeline events.

Shared by saving (services.py), reviewing (review.py) and edits of published items (lifecycle).
"""

from __future__ import annotations

from marketplace.accounts.models import User
from marketplace.catalog.models import ITEM_TYPES, Item
from marketplace.media.services import path_for
from marketplace.submissions import screening
from marketplace.submissions.curator_lists import confidential_terms
from marketplace.submissions.models import Submission, SubmissionEvent
from marketplace.submissions.video_pdf import pdf_text
from marketplace.timeutil import utcnow

EVENT_LABELS = {
    "created": "Created", "submitted": "Submitted", "screened": "Screened", "claimed": "Claimed",
    "released": "Released", "commented": "Commented", "approved": "Approved and published",
    "rejected": "Rejected", "changes_requested": "Changes requested", "withdrawn": "Withdrawn",
    "redacted": "Personal data redacted", "edited": "Edited by the reviewer",
}


def screen_fields(fields: dict[str, str], region: str) -> list[dict]:
    """Screen some named texts against the rules and the confidential terms."""
    return screening.as_dicts(screening.scan(fields, confidential_terms(), region))


def text_fields(item: Item) -> dict[str, str]:
    """The texts screening reads, by name (a PDF's own text included)."""
    fields = {
        "title": item.title, "summary": item.summary, "body": item.body,
        "steps": "\n".join(step.text for step in item.steps), "transcript": item.transcript,
        "captions": "\n".join(image.caption for image in item.images),
    }
    if item.media is not None and item.media.kind == "pdf":  # the PDF's own text is screened like the rest
        fields["PDF text"] = pdf_text(path_for(item.media))
    return fields


def event(submission: Submission, kind: str, actor: User | None, text: str = "") -> None:
    """Add an entry to the submission's timeline."""
    submission.events.append(SubmissionEvent(kind=kind, actor=actor, text=text[:5000], created_at=utcnow()))


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


def describe_findings(findings: list[dict]) -> str:
    """The screening result in one line, for the timeline."""
    if not findings:
        return "No personal data or confidential terms found."
    counts: dict[str, int] = {}
    for f in findings:
        counts[f["label"]] = counts.get(f["label"], 0) + 1
    return "Flagged: " + ", ".join(f"{n} × {label.lower()}" for label, n in counts.items())
