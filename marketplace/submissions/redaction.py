"""Redaction: personal data removed in a later version disappears from every earlier one.

Versions, the timeline, stored findings, notifications and the content of every copy of the item
(the live one, working copies of edits) are rewritten in place, so nothing the UI shows can bring
the value back. Diffs are computed from the versions and follow automatically.
"""

from __future__ import annotations

import json

from sqlalchemy import or_, select

from marketplace.catalog.models import Item
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.submissions.models import Submission

REDACTED = "[removed personal data]"
PERSONAL = {"email", "phone", "card", "iban", "national_id"}  # confidential terms are not personal data
MIN_LENGTH = 3  # never rewrite a stray character everywhere


def removed_values(old_findings: list[dict], fields: dict[str, str]) -> set[str]:
    """Personal data flagged before that no field contains any more."""
    text = "\n".join(value or "" for value in fields.values())
    return {f["match"] for f in old_findings
            if f.get("kind") in PERSONAL and len(f.get("match", "")) >= MIN_LENGTH and f["match"] not in text}


def family(submission: Submission) -> list[Submission]:
    """Every submission about the same published item: the original and each edit."""
    item = submission.item
    live_id = item.revision_of_id or item.id
    query = (select(Submission).join(Item, Item.id == Submission.item_id)
             .where(or_(Item.id == live_id, Item.revision_of_id == live_id)))
    return list(db.session.scalars(query))


def _scrub(text: str, values: set[str]) -> str:
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, REDACTED)
    return text


def _scrub_item(item: Item, values: set[str]) -> None:
    for name in ("title", "summary", "body", "transcript"):
        current = getattr(item, name) or ""
        if any(v in current for v in values):
            setattr(item, name, _scrub(current, values)[:200] if name == "title" else _scrub(current, values))
    for step in item.steps:
        if any(v in step.text for v in values):
            step.text = _scrub(step.text, values)[:300]
    for image in item.images:
        if any(v in image.caption for v in values):
            image.caption = _scrub(image.caption, values)[:300]


def _scrub_findings(submission: Submission, values: set[str]) -> None:
    kept = []
    for finding in submission.findings:
        if finding.get("match") in values:
            continue
        for key in ("before", "after"):
            finding[key] = _scrub(finding.get(key, ""), values)
        kept.append(finding)
    submission.findings_json, submission.flag_count = json.dumps(kept), len(kept)


def redact(submission: Submission, values: set[str], include_current: bool = True) -> int:
    """Replace `values` everywhere they can be seen for this item; returns how many places changed (not committed)."""
    values = {v for v in values if len(v) >= MIN_LENGTH}
    if not values:
        return 0
    changed = 0
    for member in family(submission):
        for version in member.versions:
            scrubbed = _scrub(version.snapshot, values)
            changed += scrubbed != version.snapshot
            version.snapshot = scrubbed
        for event in member.events:
            scrubbed = _scrub(event.text, values)
            changed += scrubbed != event.text
            event.text = scrubbed
        _scrub_findings(member, values)
        member.decision_note = _scrub(member.decision_note or "", values)
        if include_current or member.id != submission.id:
            _scrub_item(member.item, values)
            if member.item.revision_of is not None:
                _scrub_item(member.item.revision_of, values)
    notes = db.session.scalars(select(Notification).where(or_(*[Notification.text.contains(v, autoescape=True) for v in values])))
    for note in notes:
        note.text = _scrub(note.text, values)[:500]
        changed += 1
    return changed
