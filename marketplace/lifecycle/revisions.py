"""Editing a published item: the edit is a working copy with its own submission, reviewed like any
other; the published version stays live until the copy is approved, then takes its content."""

from __future__ import annotations

import json

from flask import current_app, has_app_context
from sqlalchemy import event, or_, select

from marketplace.accounts.models import User
from marketplace.catalog.models import ChecklistStep, Item, ItemImage, MediaFile
from marketplace.curation.services import unique_slug
from marketplace.extensions import db
from marketplace.media.services import path_for
from marketplace.submissions.models import Submission, SubmissionVersion
from marketplace.timeutil import utcnow

OPEN_STATES = ("draft", "pending", "changes_requested")  # a rejected edit no longer blocks a new one
UNLINK = "unlink_after_commit"
_installed = False


def open_revision(live: Item) -> Submission | None:
    """The edit of this published item still in progress, if any (one at a time)."""
    query = (select(Submission).join(Item, Item.id == Submission.item_id)
             .where(Item.revision_of_id == live.id, Submission.state.in_(OPEN_STATES)).order_by(Submission.id.desc()))
    return db.session.scalars(query).first()


def history(live: Item) -> list[Submission]:
    """Every submission of this item: how it was first proposed, and each edit since."""
    query = (select(Submission).join(Item, Item.id == Submission.item_id)
             .where(or_(Item.id == live.id, Item.revision_of_id == live.id)).order_by(Submission.id))
    return list(db.session.scalars(query))


def _copy(live: Item) -> Item:
    copy = Item(
        type=live.type, title=live.title, slug=unique_slug(Item, f"{live.slug}-edit"), summary=live.summary,
        body=live.body, transcript=live.transcript, moment=live.moment, department=live.department,
        owner=live.owner, status="draft", ai_use=live.ai_use, revision_of=live, version=live.version,
        media=live.media, poster=live.poster, review_by=live.review_by,
        kpis=list(live.kpis), skills=list(live.skills),
        steps=[ChecklistStep(position=s.position, text=s.text, detail=s.detail) for s in live.steps],
        images=[ItemImage(position=i.position, media=i.media, thumbnail=i.thumbnail, caption=i.caption) for i in live.images],
    )
    db.session.add(copy)
    return copy


def start(live: Item, editor: User, findings: list[dict]) -> Submission:
    """Open an edit of a published item (not committed: the save that follows commits it all)."""
    from marketplace.submissions.records import event, snapshot

    copy = _copy(live)
    db.session.flush()  # the copy (and its slug) exists before anything queries again
    with db.session.no_autoflush:  # the department may only come with the form's data
        department_id = live.department_id or editor.department_id
        submission = Submission(item=copy, submitter=editor, department_id=department_id, state="draft",
                                findings_json=json.dumps(findings), flag_count=len(findings))
        db.session.add(submission)
        # Version 1 is the published text, so the review shows exactly what the edit changes.
        submission.versions.append(SubmissionVersion(number=1, snapshot=snapshot(live), author_id=live.owner_id,
                                                     created_at=utcnow()))
        event(submission, "created", editor, f"Edit of the published version {live.version}")
    return submission  # flushed by the save that follows, once the form's department is set


def still_used(media: list[MediaFile]) -> set[int]:
    """Ids of these files that some item still shows (a working copy shares its files with the live item)."""
    ids = [m.id for m in media if m.id is not None]
    if not ids:
        return set()
    used = set(db.session.scalars(select(Item.media_id).where(Item.media_id.in_(ids))))
    used |= set(db.session.scalars(select(Item.poster_id).where(Item.poster_id.in_(ids))))
    used |= set(db.session.scalars(select(ItemImage.media_id).where(ItemImage.media_id.in_(ids))))
    used |= set(db.session.scalars(select(ItemImage.thumbnail_id).where(ItemImage.thumbnail_id.in_(ids))))
    return used


def apply(copy: Item, approver: User | None) -> Item:
    """Publish an approved edit: the live item takes the copy's content and a new version number."""
    from marketplace.lifecycle.services import next_review
    from marketplace.submissions.services import stored_files

    live = copy.revision_of
    before = stored_files(live)
    for name in ("type", "title", "summary", "body", "transcript", "moment", "department", "ai_use", "media", "poster"):
        setattr(live, name, getattr(copy, name))
    live.kpis, live.skills = list(copy.kpis), list(copy.skills)
    live.steps = [ChecklistStep(position=s.position, text=s.text, detail=s.detail) for s in copy.steps]
    live.images.clear()
    db.session.flush()  # frees the old images' positions
    live.images = [ItemImage(position=i.position, media=i.media, thumbnail=i.thumbnail, caption=i.caption) for i in copy.images]
    live.version += 1
    live.last_verified_at, live.last_verified_by_id = utcnow(), approver.id if approver else None
    live.review_by = next_review(live, current_app.config if has_app_context() else None)
    copy.status = "superseded"  # kept for the edit's own history; never listed or indexed
    db.session.flush()
    _forget(before)
    return live


def _forget(files: list[MediaFile]) -> None:
    """Delete the rows of files nothing shows any more; their files go once the commit stands."""
    used = still_used(files)
    for media in files:
        if media.id not in used:
            db.session.info.setdefault(UNLINK, []).append(path_for(media))
            db.session.delete(media)


def _unlink(session) -> None:  # noqa: ANN001 - SQLAlchemy's signature
    for path in session.info.pop(UNLINK, []):
        path.unlink(missing_ok=True)


def _keep(session) -> None:  # noqa: ANN001
    session.info.pop(UNLINK, None)


def install() -> None:
    """Unlink replaced files only after the commit that stopped showing them (once per process)."""
    global _installed
    if not _installed:
        event.listen(db.session, "after_commit", _unlink)
        event.listen(db.session, "after_rollback", _keep)
        _installed = True
