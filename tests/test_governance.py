"""Governance gaps: withdraw or edit while pending, honest flag box, AI label, similar content, harvested drafts."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.lifecycle import similar
from marketplace.models import Notification
from marketplace.spaces.harvesting import mentionless
from marketplace.submissions import review
from marketplace.submissions import services as submissions
from marketplace.submissions.uploads import incoming_dir
from tests import submission_helpers as h


def test_a_submitter_withdraws_a_pending_submission_and_the_reviewer_is_told(as_role, base, tmp_path):
    submission = h.make(base, tmp_path)
    review.claim(submission, base.users["champion"])
    client = as_role("employee")
    assert client.send(f"/submissions/{submission.id}/withdraw").status_code == 303
    db.session.refresh(submission)
    assert submission.state == "draft" and submission.claimed_by_id is None and submission.item.status == "draft"
    notes = db.session.scalars(select(Notification.text).where(Notification.user_id == base.users["champion"].id))
    assert any("withdrew" in text for text in notes)
    assert client.send(f"/submissions/{submission.id}/withdraw").status_code == 409  # nothing left to withdraw


def test_editing_while_pending_makes_a_new_version_and_returns_it_to_the_queue(as_role, base, tmp_path):
    submission = h.make(base, tmp_path)
    review.claim(submission, base.users["champion"])
    page = as_role("employee").get(f"/submissions/{submission.id}").get_data(as_text=True)
    assert "Edit while it waits" in page and "Withdraw from review" in page
    submissions.save(base.users["employee"], h.data(base, title="Unjamming the label printer fast"), [], current_app.config,
                     incoming_dir(), submission=submission, submit=True)
    assert submission.state == "pending" and len(submission.versions) == 2 and submission.claimed_by_id is None


def test_the_flag_box_only_says_you_can_still_submit_when_you_can(as_role, base, tmp_path):
    submission = h.make(base, tmp_path, transcript="Mail erin.private@example.com")
    reviewer_view = as_role("champion").get(f"/review/{submission.id}").get_data(as_text=True)
    assert "You can still submit" not in reviewer_view and "you can still submit" not in reviewer_view
    review.claim(submission, base.users["champion"])
    review.decide(submission, base.users["champion"], "approve", "")
    mine = as_role("employee").get(f"/submissions/{submission.id}").get_data(as_text=True)
    assert "can still submit" not in mine and "can still edit" not in mine


def test_the_ai_label_shows_on_the_item_and_in_review_and_filters_the_queue(as_role, base, tmp_path):
    made = h.make(base, tmp_path, title="Drafted with a chatbot", ai_use="generated")
    plain = h.make(base, tmp_path, title="Written by hand")
    assert made.item.ai_label == "AI-generated" and plain.item.ai_label == ""
    assert "AI-generated" in as_role("champion").get(f"/review/{made.id}").get_data(as_text=True)
    assert "AI-generated" in as_role("employee").get(f"/items/{made.item.slug}").get_data(as_text=True)
    only_ai = as_role("curator").get("/review?ai=yes").get_data(as_text=True)
    assert "Drafted with a chatbot" in only_ai and "Written by hand" not in only_ai
    without = as_role("curator").get("/review?ai=no").get_data(as_text=True)
    assert "Written by hand" in without and "Drafted with a chatbot" not in without


def test_similar_items_come_from_the_search_index_while_typing(as_role, base, indexed):
    found = similar.for_text("My expense claim was rejected", base.users["employee"])
    assert [item.id for item in found] == [base.job_aid.id]
    assert similar.for_text("My expense claim was rejected", base.users["employee"], exclude=[base.job_aid.id]) == []
    fragment = as_role("employee").get("/similar?title=expense+claim+rejected", headers={"HX-Request": "true"})
    assert base.job_aid.title in fragment.get_data(as_text=True)
    form = as_role("employee").get("/submit").get_data(as_text=True)
    assert 'hx-get="/similar"' in form


def test_reviewers_see_similar_items_in_review(as_role, base, indexed, tmp_path):
    submission = h.make(base, tmp_path, type="job_aid", title="Expense claim rejected again", body="Fix it.",
                        summary="Resubmit a rejected expense claim.")
    page = as_role("champion").get(f"/review/{submission.id}").get_data(as_text=True)
    assert "Already in the catalog" in page and base.job_aid.title in page


def test_mentions_are_kept_out_of_harvested_titles():
    assert mentionless("@sam how do I fix a jammed printer? cc @lee.smith") == "how do I fix a jammed printer? cc"
    assert mentionless("Mail erin@example.com") == "Mail erin@example.com"  # an address is not a mention


def test_the_reviewer_tidies_a_pending_job_aid_as_a_new_version(as_role, base, tmp_path):
    submission = h.make(base, tmp_path, type="job_aid", title="@sam jammed printer", body="Open it.")
    review.claim(submission, base.users["champion"])
    response = as_role("champion").send(f"/review/{submission.id}/text",
                                         {"title": "Clearing a jammed printer", "summary": "One minute.", "body": "Open the lid."})
    assert response.status_code == 303
    db.session.refresh(submission)
    assert submission.item.title == "Clearing a jammed printer" and len(submission.versions) == 2
    assert as_role("champion").send(f"/review/{submission.id}/text", {"title": ""}).status_code == 422
