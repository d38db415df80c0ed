"""Export and erasure of a seeded person, driven by the registry, through the pages people use."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.catalog.models import Item
from marketplace.extensions import db
from marketplace.jobs import services as job_services
from marketplace.jobs.models import JobRun, JobState
from marketplace.media.services import media_root
from marketplace.privacy import services
from marketplace.privacy.erasure import PLACEHOLDER_EMAIL
from marketplace.privacy.models import AuditEntry, PrivacyRequest, RequestState
from marketplace.spaces.models import Post, Thread
from marketplace.submissions.models import Submission
from marketplace.timeutil import utcnow
from tests.privacy_fixtures import (
    BIO,
    DRAFT,
    EMAIL,
    NAME,
    POST,
    PUBLISHED,
    database_mentions,
    folder_mentions,
    index_mentions,
    seed_person,
)


@pytest.fixture()
def person(indexed, tmp_path):
    return seed_person(indexed, tmp_path)


def _signed_in(app, email: str = EMAIL):
    client = app.test_client()
    assert client.login(email).status_code == 303
    return client


def _zip(response) -> zipfile.ZipFile:
    assert response.status_code == 200 and response.mimetype == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.data))


def _download_link(client) -> str:
    page = client.get("/privacy").get_data(as_text=True)
    start = page.index('href="/privacy/exports/') + len('href="')
    return page[start:page.index('"', start)]


def test_export_holds_everything_about_the_person_and_nothing_secret(app, person, base):
    client = _signed_in(app)
    assert client.send("/privacy/exports").status_code == 303
    archive = _zip(client.get(_download_link(client)))
    names = set(archive.namelist())
    rows = {name: json.loads(archive.read(name)) for name in names if name.endswith(".json")}
    profile = rows["users.json"][0]
    assert profile["email"] == EMAIL and BIO in profile["bio"] and "password_hash" not in profile
    assert len(rows["user_skills.json"]) == 1
    endorsements = rows["endorsements.json"]
    assert {(e["user_id"] == person.user.id, e["endorser_id"] == person.user.id) for e in endorsements} == {(True, False), (False, True)}
    assert {s["id"] for s in rows["submissions.json"]} == {person.published.id, person.draft.id}
    assert {v["submission_id"] for v in rows["submission_versions.json"]} >= {person.published.id}
    assert any(POST in p["body"] for p in rows["space_posts.json"])
    assert len(rows["space_post_votes.json"]) == 1 and len(rows["checklist_ticks.json"]) == 1
    assert len(rows["helpful_votes.json"]) == 1
    events = rows["learning_events.json"]  # the one seeded, plus what their actions recorded (asking a question)
    assert {e["actor_id"] for e in events} == {person.user.id} and "opened" in {e["verb"] for e in events}
    texts = [n["text"] for n in rows["notifications.json"]]
    assert "Welcome aboard." in texts and not any("endorsed your skill" in t for t in texts)  # not others' notifications
    assert any(PUBLISHED in i["title"] for i in rows["items.json"])
    assert {f"media/{name}" for name in person.media_names} <= names and person.media_names
    assert "job_runs.json" not in names  # e-mail jobs are not hers to read; their registry entry says so
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["rows"]["media files"] == len(person.media_names)


def test_export_link_is_private_and_expires(app, person, base):
    client = _signed_in(app)
    client.send("/privacy/exports")
    link = _download_link(client)
    assert _signed_in(app, "employee@test.example").get(link).status_code == 404
    request = db.session.scalar(select(PrivacyRequest))
    request.expires_at = utcnow() - timedelta(minutes=1)
    path = Path(current_app.config["INSTANCE_DIR"]) / "exports" / request.file_name
    assert path.is_file()
    db.session.commit()
    assert client.get(link).status_code == 410
    assert services.expire_exports() == 1
    db.session.commit()
    assert db.session.scalar(select(PrivacyRequest)).state == RequestState.EXPIRED
    assert not path.exists()


def test_an_admin_exports_for_someone_and_gets_the_file(app, person, base):
    admin = _signed_in(app, "admin@test.example")
    assert admin.send(f"/admin/users/{person.user.id}/privacy/exports").status_code == 303
    request = db.session.scalar(select(PrivacyRequest))
    assert request.user_id == person.user.id and request.requested_by_id == base.users["admin"].id
    archive = _zip(admin.get(f"/privacy/exports/{request.id}"))
    assert json.loads(archive.read("users.json"))[0]["email"] == EMAIL
    assert _signed_in(app, "employee@test.example").send(f"/admin/users/{person.user.id}/privacy/exports").status_code == 403


def _schedule(client, path: str = "/privacy/erasure", **choices: str):
    data = {"posts": choices.get("posts", "anonymise"), "work": choices.get("work", "anonymise"), "confirm": "y"}
    return client.send(path, data)


def _end_cool_off() -> None:
    """Time passes: the request and its held-back job run are due; the sweep wakes the job."""
    past = utcnow() - timedelta(minutes=5)
    for request in db.session.scalars(select(PrivacyRequest).where(PrivacyRequest.kind == "erasure")):
        request.run_after = past
        db.session.execute(JobRun.__table__.update().where(JobRun.subject == request.subject).values(not_before=past))
    db.session.commit()
    job_services.sweep()
    db.session.expire_all()


def test_nothing_happens_during_the_cool_off_and_it_can_be_cancelled(app, person, base):
    client = _signed_in(app)
    assert _schedule(client).status_code == 303
    request = db.session.scalar(select(PrivacyRequest))
    assert request.state == RequestState.WAITING
    assert request.run_after - utcnow() > timedelta(days=6, hours=23)
    job_services.sweep()  # a sweep inside the cool-off changes nothing
    assert db.session.get(User, person.user.id) is not None
    assert "Erasure scheduled" in client.get("/privacy").get_data(as_text=True) or "is scheduled for" in client.get("/privacy").get_data(as_text=True)
    assert client.send(f"/privacy/erasure/{request.id}/cancel").status_code == 303
    _end_cool_off()  # the held-back job still wakes up: it finds the request cancelled
    assert db.session.get(PrivacyRequest, request.id).state == RequestState.CANCELLED
    assert db.session.get(User, person.user.id).email == EMAIL
    assert db.session.scalar(select(JobRun.state).where(JobRun.subject == request.subject)) == JobState.DONE


def test_confirmation_is_required_and_the_form_says_so(app, person):
    response = _signed_in(app).send("/privacy/erasure", {"posts": "delete", "work": "delete"})
    assert response.status_code == 422 and "Tick the box to confirm." in response.get_data(as_text=True)
    assert db.session.scalar(select(PrivacyRequest)) is None


def _assert_gone(*needles: str) -> None:
    for needle in needles:
        assert database_mentions(needle) == [], needle
        assert index_mentions(needle) == [], needle
        assert folder_mentions(needle) == [], needle


def test_anonymising_erasure_keeps_the_knowledge_and_removes_the_person(app, person, base):
    assert index_mentions("quixotix") and index_mentions(POST)  # she is in the index before
    client = _signed_in(app)
    client.send("/privacy/exports")  # an export file about her exists too
    admin = _signed_in(app, "admin@test.example")
    user_id = person.user.id
    assert _schedule(admin, f"/admin/users/{user_id}/privacy/erasure").status_code == 303
    _end_cool_off()

    assert db.session.get(User, user_id) is None
    _assert_gone(NAME, EMAIL, BIO, "quixotix", "zelda.quixotix")
    former = db.session.scalar(select(User).where(User.email == PLACEHOLDER_EMAIL))
    assert db.session.get(Item, person.published.item_id).owner_id == former.id
    assert db.session.get(Item, person.published.item_id).status == "published"
    assert db.session.get(Thread, person.thread_id).author_id == former.id
    assert database_mentions(POST)  # her question stays, attributed to a former colleague
    assert db.session.get(Submission, person.draft.id) is not None  # anonymised, not deleted
    assert all((media_root() / name).exists() for name in person.media_names)
    assert client.get("/privacy").status_code in (302, 303)  # her session ended with her account
    audit = db.session.scalars(select(AuditEntry)).all()
    assert len(audit) == 1 and audit[0].action == "privacy.erasure" and audit[0].actor_id == base.users["admin"].id
    assert db.session.scalar(select(PrivacyRequest).where(PrivacyRequest.kind == "erasure")).state == RequestState.DONE


def test_deleting_erasure_removes_posts_and_unpublished_work(app, person, base):
    client = _signed_in(app)
    assert _schedule(client, posts="delete", work="delete").status_code == 303
    draft_item, draft_media, user_id = person.draft.item_id, set(person.media_names), person.user.id
    published_item = person.published.item_id
    _end_cool_off()

    assert db.session.get(User, user_id) is None
    _assert_gone(NAME, EMAIL, BIO, POST, DRAFT, "quixotix")
    assert db.session.get(Item, draft_item) is None
    assert db.session.get(Item, published_item).status == "published"  # reviewed and published: it stays
    kept = {name for name in draft_media if (media_root() / name).exists()}
    assert kept and kept < draft_media  # the draft's files left the disk, the published item's stayed
    leftovers = db.session.scalars(select(Post).where(Post.thread_id == person.thread_id)).all()
    assert all(p.is_removed for p in leftovers if p.author_id != base.users["leader"].id)
    audit = db.session.scalars(select(AuditEntry)).all()
    assert len(audit) == 1 and audit[0].actor_id is None and NAME not in audit[0].note
