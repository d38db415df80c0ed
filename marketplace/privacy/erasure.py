"""Erase one person completely, column by column as the registry says.

Rows the search index follows (items, threads, posts) change through the ORM, so the index
hooks see them and the person's content and name leave the index with the same commit.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from flask import current_app
from sqlalchemy import String, cast, delete, or_, select, update

from marketplace.accounts.models import User
from marketplace.catalog.models import Item, ItemImage, MediaFile
from marketplace.extensions import db
from marketplace.identity.services import unusable_password
from marketplace.jobs.models import JobRun
from marketplace.mail.services import mail_subject
from marketplace.media.services import path_for
from marketplace.privacy.export import table
from marketplace.privacy.models import PrivacyRequest, Treatment
from marketplace.privacy.registry import Erase, Kind, entries
from marketplace.spaces.models import Post, Thread
from marketplace.submissions.models import Submission, SubmissionVersion
from marketplace.timeutil import utcnow

PLACEHOLDER_EMAIL = "former-colleague@erased.invalid"
PLACEHOLDER_NAME = "A former colleague"


def placeholder() -> User:
    """The one inactive account anonymised content is attributed to (never signs in)."""
    former = db.session.scalar(select(User).where(User.email == PLACEHOLDER_EMAIL))
    if former is None:
        former = User(email=PLACEHOLDER_EMAIL, name=PLACEHOLDER_NAME, active=False,
                      password_hash=unusable_password())
        db.session.add(former)
        db.session.flush()
    return former


def erase(user: User, choices: dict[str, str]) -> None:
    """Run an erasure now: content as chosen, then every registry entry, then the person's row."""
    former = placeholder()
    name, email, user_id = user.name, user.email, user.id
    treat = {kind: Treatment(choices.get(kind.value, Treatment.ANONYMISE)) for kind in Kind}
    _posts(user_id, former, treat[Kind.POSTS])
    _work(user_id, former, treat[Kind.WORK])
    db.session.flush()
    _redact(name, email)
    _export_files(user_id)
    _point_elsewhere(user_id, former)
    _jobs(user_id)
    db.session.flush()
    db.session.expunge(user)
    _delete_rows(user_id)
    db.session.expire_all()


# --- content by choice -----------------------------------------------------------------------------

def _posts(user_id: int, former: User, treatment: Treatment) -> None:
    for post in db.session.scalars(select(Post).where(Post.author_id == user_id)):
        post.author_id = former.id
        if treatment == Treatment.DELETE:
            post.body, post.deleted_at = "", post.deleted_at or utcnow()
    for thread in db.session.scalars(select(Thread).where(Thread.author_id == user_id)):
        thread.author_id = former.id
        if treatment == Treatment.DELETE:
            others = any(p.author_id not in (former.id, None) for p in thread.posts)
            if not others:
                db.session.delete(thread)
                continue
            thread.title = "Removed"
            thread.retro_what = thread.retro_so_what = thread.retro_now_what = ""


def _work(user_id: int, former: User, treatment: Treatment) -> None:
    for submission in db.session.scalars(select(Submission).where(Submission.submitter_id == user_id)):
        if treatment == Treatment.DELETE and submission.item.status != "published":
            item = submission.item
            db.session.delete(submission)
            db.session.delete(item)
        else:
            submission.submitter_id = former.id
    for item in db.session.scalars(select(Item).where(Item.owner_id == user_id)):
        if treatment == Treatment.DELETE and item.status != "published":
            db.session.delete(item)
        else:
            item.owner_id = former.id
    db.session.flush()
    db.session.execute(update(SubmissionVersion).where(SubmissionVersion.author_id == user_id).values(author_id=former.id))
    _media(user_id, former)


def _media(user_id: int, former: User) -> None:
    """Files still shown by an item stay (nameless, the former colleague's); the rest go, from disk too."""
    shown = select(Item.media_id).union(select(Item.poster_id), select(ItemImage.media_id), select(ItemImage.thumbnail_id))
    used = {row for row in db.session.scalars(shown) if row is not None}
    for media in db.session.scalars(select(MediaFile).where(MediaFile.owner_id == user_id)):
        if media.id in used:
            media.owner_id, media.original_name = former.id, ""
        else:
            path_for(media).unlink(missing_ok=True)
            db.session.delete(media)


# --- the registry's other treatments -----------------------------------------------------------------

def _mapped(table_name: str):  # noqa: ANN202 - a mapped class or None
    for mapper in db.Model.registry.mappers:
        if getattr(mapper, "local_table", None) is not None and mapper.local_table.name == table_name:
            return mapper.class_
    return None


def _redact(name: str, email: str) -> None:
    """Replace the person's full name and address wherever free text mentions them."""
    needles = [n for n in {name.strip(), email.strip()} if len(n) >= 3]
    if not needles:
        return
    pattern = re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE)
    for entry in entries(Erase.REDACT):
        rows, model = table(entry.table), _mapped(entry.table)
        column = rows.c[entry.name]
        is_json = not isinstance(column.type, String)
        text = cast(column, String) if is_json else column
        found = or_(*[text.ilike(f"%{n}%") for n in needles])
        if model is not None:  # through the ORM, so the search hooks see the change
            for row in db.session.scalars(select(model).where(found)):
                value = getattr(row, entry.name)
                setattr(row, entry.name, _replaced(value, pattern, is_json))
            continue
        key = list(rows.primary_key.columns)[0]
        for pk, value in db.session.execute(select(key, column).where(found)).all():
            db.session.execute(update(rows).where(key == pk).values({entry.name: _replaced(value, pattern, is_json)}))


def _replaced(value, pattern: re.Pattern, is_json: bool):  # noqa: ANN001, ANN202 - text or JSON
    if is_json:
        return json.loads(pattern.sub(PLACEHOLDER_NAME.lower(), json.dumps(value, ensure_ascii=False)))
    return pattern.sub(PLACEHOLDER_NAME.lower(), value or "")


def _point_elsewhere(user_id: int, former: User) -> None:
    for entry in entries(Erase.REASSIGN) + entries(Erase.NULLIFY):
        rows = table(entry.table)
        value = former.id if entry.erase == Erase.REASSIGN else None
        db.session.execute(update(rows).where(rows.c[entry.name] == user_id).values({entry.name: value}))


def _jobs(user_id: int) -> None:
    """Every job run about them: pending e-mails never leave, sent ones forget the address."""
    db.session.execute(delete(JobRun).where(JobRun.subject == mail_subject(user_id)))


def _export_files(user_id: int) -> None:
    for request in db.session.scalars(select(PrivacyRequest).where(PrivacyRequest.user_id == user_id, PrivacyRequest.file_name.is_not(None))):
        (exports_dir() / request.file_name).unlink(missing_ok=True)
        request.file_name = None


def exports_dir() -> Path:
    """Where prepared exports wait for download."""
    return Path(current_app.config["INSTANCE_DIR"]) / "exports"


def _delete_rows(user_id: int) -> None:
    doomed = entries(Erase.DELETE)
    for entry in sorted(doomed, key=lambda e: e.column == "users.id"):  # the person's own row last
        rows = table(entry.table)
        db.session.execute(delete(rows).where(rows.c[entry.name] == user_id))
