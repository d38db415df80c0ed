"""The submission state machine, claims, decisions, versions, trust and notifications."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask import current_app
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.media.services import path_for
from marketplace.models import Item, Notification
from marketplace.submissions import curator_lists, review, services
from marketplace.submissions.models import Submission
from marketplace.submissions.uploads import incoming_dir
from tests import submission_helpers as h

ALL_STATES = ["draft", "pending", "approved", "rejected", "changes_requested"]
ALLOWED = {("draft", "pending"), ("pending", "approved"), ("pending", "rejected"),
           ("pending", "changes_requested"), ("rejected", "pending"), ("changes_requested", "pending"),
           ("pending", "draft"), ("pending", "pending")}  # issue 10: withdrawn, or edited while it waits


@pytest.mark.parametrize("start", ALL_STATES)
@pytest.mark.parametrize("to", ALL_STATES)
def test_only_the_workflow_transitions_are_possible(base, tmp_path, start, to):
    submission = h.make(base, tmp_path, state=start)
    if (start, to) in ALLOWED:
        review.transition(submission, to, base.users["curator"])
        assert submission.state == to
        assert submission.item.status == review.ITEM_STATUS[to]
    else:
        with pytest.raises(review.InvalidTransition):
            review.transition(submission, to, base.users["curator"])
        assert submission.state == start


def test_draft_is_saved_and_finished_later(base, tmp_path):
    draft = h.make(base, tmp_path, state="draft", summary="")
    assert draft.state == "draft" and draft.item.status == "draft" and len(draft.item.images) == 1
    assert [e.kind for e in draft.events] == ["created"]
    with pytest.raises(services.Incomplete) as missing:
        services.submit(draft, base.users["employee"], current_app.config)
    assert set(missing.value.problems) == {"summary"} and draft.state == "draft"
    draft.item.summary = "Clear a jam in one minute."
    services.submit(draft, base.users["employee"], current_app.config)
    assert draft.state == "pending" and draft.item.status == "pending"
    assert [e.kind for e in draft.events] == ["created", "submitted", "screened"]
    assert len(draft.versions) == 1


def test_approval_publishes_and_notifies(base, tmp_path):
    submission = h.make(base, tmp_path)
    champion = base.users["champion"]
    review.claim(submission, champion)
    review.decide(submission, champion, "approve", "")
    item = db.session.get(Item, submission.item_id)
    assert item.status == "published" and item.published_at is not None
    assert [e.kind for e in submission.events][-2:] == ["claimed", "approved"]
    assert submission.events[-1].actor == champion
    note = db.session.scalar(select(Notification).where(Notification.user_id == base.users["employee"].id))
    assert "is published" in note.text and note.link == f"/submissions/{submission.id}"


@pytest.mark.parametrize("decision", ["reject", "changes"])
def test_reject_and_changes_need_a_note(base, tmp_path, decision):
    submission = h.make(base, tmp_path)
    review.claim(submission, base.users["champion"])
    with pytest.raises(review.InvalidTransition):
        review.decide(submission, base.users["champion"], decision, "  ")
    review.decide(submission, base.users["champion"], decision, "Blur the badge.")
    assert submission.decision_note == "Blur the badge."
    assert db.session.scalar(select(Notification.text).where(Notification.user_id == submission.submitter_id)).endswith("Blur the badge.")


def test_claim_is_exclusive(base, tmp_path):
    submission = h.make(base, tmp_path)
    review.claim(submission, base.users["champion"])
    with pytest.raises(review.AlreadyClaimed, match="Chris Champion"):
        review.claim(submission, base.users["curator"])
    assert submission.claimed_by == base.users["champion"]
    review.release(submission, base.users["champion"])
    review.claim(submission, base.users["curator"])
    assert submission.claimed_by == base.users["curator"]


def test_resubmission_keeps_every_version_with_a_diff(base, tmp_path):
    submission = h.make(base, tmp_path, state="changes_requested")
    services.save(base.users["employee"], h.data(base, summary="Clear any jam in under a minute."), [],
                  current_app.config, incoming_dir(), submission=submission, submit=True)
    assert submission.state == "pending" and [v.number for v in submission.versions] == [1, 2]
    assert submission.item.version == 2 and len(submission.item.images) == 1  # the file was kept
    old, new, rows = review.latest_changes(submission)
    assert (old, new) == (1, 2)
    assert ("remove", "Clear a jam in one minute.") in rows and ("add", "Clear any jam in under a minute.") in rows
    kinds = [e.kind for e in submission.events]
    assert kinds.count("submitted") == 2 and "changes_requested" in kinds


def test_replacing_the_file_removes_the_old_one(base, tmp_path):
    submission = h.make(base, tmp_path, state="draft")
    old_path = path_for(submission.item.images[0].media)
    assert old_path.is_file()
    services.save(base.users["employee"], h.data(base), [h.upload(tmp_path, name="new.jpg")], current_app.config,
                  incoming_dir(), submission=submission)
    assert not old_path.is_file() and submission.item.images[0].media.original_name == "new.jpg"


def test_trusted_contributor_publishes_without_review_unless_flagged(base, tmp_path):
    employee = base.users["employee"]
    curator_lists.trust(employee.id, base.sales.id, base.users["curator"])
    clean = h.make(base, tmp_path, title="Clean one")
    assert clean.state == "approved" and clean.item.status == "published"
    assert clean.events[-1].actor is None
    flagged = h.make(base, tmp_path, title="Flagged one", summary="Call me on +44 20 7946 0958.")
    assert flagged.state == "pending" and flagged.flag_count == 1
    curator_lists.trust(employee.id, base.support.id, base.users["curator"])
    curator_lists.untrust(employee.id, base.sales.id)
    assert h.make(base, tmp_path, title="Again").state == "pending"


def test_screening_flags_are_stored_and_described_in_the_timeline(base, tmp_path):
    curator_lists.add_term("Project Falcon", base.users["curator"])
    submission = h.make(base, tmp_path, summary="Part of project falcon; mail me at erin@example.com")
    assert submission.flag_count == 2
    assert {f["kind"] for f in submission.findings} == {"confidential", "email"}
    screened = next(e for e in submission.events if e.kind == "screened")
    assert "confidential term" in screened.text and "email address" in screened.text


def test_queue_is_scoped_filtered_and_sorted(base, tmp_path):
    support_champion = h.extra_user("sam@test.example", "Sam Support", base.support, champion_of=[base.support])
    sales = h.make(base, tmp_path, title="Sales one")
    support = h.make(base, tmp_path, title="Support one", department_id=base.support.id, kpi_ids=[base.kpi2.id])
    flagged = h.make(base, tmp_path, title="Flagged", summary="mail erin@example.com")
    sales.submitted_at = datetime(2020, 1, 1)
    db.session.commit()
    f = review.QueueFilters
    assert {s.id for s in review.queue(base.users["champion"], f(), 3)} == {sales.id, flagged.id}
    assert [s.id for s in review.queue(support_champion, f(), 3)] == [support.id]
    assert {s.id for s in review.queue(base.users["curator"], f(), 3)} == {sales.id, support.id, flagged.id}
    assert review.queue(base.users["leader"], f(), 3) == []
    assert [s.id for s in review.queue(base.users["curator"], f(flagged="yes"), 3)] == [flagged.id]
    assert [s.id for s in review.queue(base.users["curator"], f(overdue=True), 3)] == [sales.id]
    assert review.queue(base.users["curator"], f(sort="flags"), 3)[0].id == flagged.id
    assert review.queue(base.users["curator"], f(sort="oldest"), 3)[0].id == sales.id
    assert review.pending_count(base.users["champion"]) == 2 and review.pending_count(support_champion) == 1


def test_overdue_counts_working_days_only():
    friday_noon = datetime(2026, 11, 20, 12)
    monday_noon = friday_noon + timedelta(days=3)
    wednesday_noon = friday_noon + timedelta(days=5)
    thursday_noon = friday_noon + timedelta(days=6)
    assert review.overdue_cutoff(wednesday_noon, 3) == friday_noon
    assert review.overdue_cutoff(monday_noon, 1) == friday_noon
    assert review.overdue_cutoff(thursday_noon, 3) > friday_noon


def test_failed_upload_leaves_no_rows_and_no_files(base, tmp_path):
    before, files = h.counts(), h.files_on_disk()
    from marketplace.submissions.pipeline import MediaRejected

    with pytest.raises(MediaRejected):
        services.save(base.users["employee"], h.data(base), [h.upload(tmp_path, b"<html></html>", "x.png")],
                      current_app.config, incoming_dir(), submit=True)
    assert h.counts() == before and h.files_on_disk() == files
    assert db.session.scalar(select(Submission)) is None
