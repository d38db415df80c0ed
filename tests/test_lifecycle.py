"""Published items stay true: edits as reviewed versions, retire and undo, freshness dates and reminders."""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, select

from marketplace.catalog import services as catalog
from marketplace.extensions import db
from marketplace.lifecycle import revisions
from marketplace.lifecycle import services as lifecycle
from marketplace.lifecycle.models import ReviewReminder
from marketplace.models import Item, Notification
from marketplace.search.services import SearchRequest, search
from marketplace.submissions import review
from marketplace.submissions import services as submissions
from marketplace.submissions.uploads import incoming_dir
from marketplace.timeutil import today
from tests import factories
from tests import submission_helpers as h


def _edit(base, live, editor, submit=True, **changes):
    """Edit a published job aid through the services, as the /items/<slug>/edit page does."""
    revision = submissions.start_edit(live, editor, current_app.config)
    values = {"type": live.type, "title": live.title, "summary": live.summary, "moment_id": live.moment_id,
              "department_id": live.department_id, "kpi_ids": [k.id for k in live.kpis], "body": live.body}
    return submissions.save(editor, submissions.SubmissionData(**{**values, **changes}), [], current_app.config,
                            incoming_dir(), submission=revision, submit=submit)


def _notes(user) -> list[str]:
    return list(db.session.scalars(select(Notification.text).where(Notification.user_id == user.id)))


# Editing a published item -------------------------------------------------------------------------


def test_an_edit_waits_for_review_while_the_published_version_stays_live(base):
    live = base.job_aid
    revision = _edit(base, live, base.users["champion"], body="New **steps**.")
    assert revision.state == "pending" and revision.item.revision_of_id == live.id
    db.session.refresh(live)
    assert live.body == "Body of **expense-claim-rejected**." and live.version == 1 and live.is_published
    assert revision.item.status == "pending"  # the working copy is never visible as a catalog item
    assert catalog.item_by_slug(live.slug).body == live.body
    old, new, rows = review.latest_changes(revision)
    assert (old, new) == (1, 2) and ("add", "New **steps**.") in rows and ("remove", "Body of **expense-claim-rejected**.") in rows


def test_approving_the_edit_replaces_the_live_content_and_moves_the_version_on(base):
    live = base.job_aid
    revision = _edit(base, live, base.users["champion"], title="Expense claim rejected? Fix it in 5 minutes", body="New.")
    reviewer = base.users["curator"]
    review.claim(revision, reviewer)
    review.decide(revision, reviewer, "approve", "")
    db.session.refresh(live)
    assert (live.title, live.body, live.version, live.status) == ("Expense claim rejected? Fix it in 5 minutes", "New.", 2, "published")
    assert revision.item.status == "superseded"
    assert live.review_by == today() + timedelta(days=365) and live.last_verified_by_id == reviewer.id
    assert db.session.scalar(select(func.count()).select_from(Item).where(Item.status == "published", Item.title.like("Expense%"))) == 1
    assert [s.id for s in revisions.history(live)] == [revision.id]


def test_one_edit_at_a_time_and_a_curator_s_clean_edit_publishes_at_once(base):
    live = base.checklist
    curator = base.users["curator"]
    revision = _edit(base, live, curator, type="checklist", steps=["Meet your buddy", "Shadow two calls"], body="")
    assert revision.state == "approved"
    db.session.refresh(live)
    assert [s.text for s in live.steps] == ["Meet your buddy", "Shadow two calls"] and live.version == 2
    assert revisions.open_revision(live) is None
    pending = _edit(base, live, base.users["champion"], type="checklist", steps=["Only one"], body="", submit=False)
    assert revisions.open_revision(live).id == pending.id


def test_the_edit_page_leads_to_the_working_copy_and_shows_the_form(as_role, base):
    champion = as_role("champion")
    page = champion.get(f"/items/{base.job_aid.slug}/edit")
    assert page.status_code == 200 and "The published version stays live" in page.get_data(as_text=True)
    form = h.form(base, type="job_aid", title=base.job_aid.title, body="Edited body", submit_review="Submit for review")
    response = champion.send(f"/items/{base.job_aid.slug}/edit", form)
    assert response.status_code == 303 and "/submissions/" in response.headers["Location"]
    again = champion.get(f"/items/{base.job_aid.slug}/edit")
    assert again.status_code == 303 and again.headers["Location"].endswith("/edit")  # to the open edit
    assert as_role("employee").get(f"/items/{base.job_aid.slug}/edit").status_code == 403


def test_ownership_can_be_transferred_and_the_new_owner_is_told(base):
    lifecycle.transfer(base.job_aid, base.users["employee"].id, base.users["champion"])
    assert base.job_aid.owner_id == base.users["employee"].id
    assert any("made you the owner" in text for text in _notes(base.users["employee"]))


# Retire and undo ------------------------------------------------------------------------------


def test_retiring_takes_the_item_out_of_search_shelves_and_collections_and_undo_restores_it(as_role, base, indexed):
    employee = base.users["employee"]
    assert any(hit.item.id == base.job_aid.id for hit in search(SearchRequest("expense claim "), employee).hits)
    lifecycle.retire(base.job_aid, base.users["curator"], "Replaced by the new policy.", base.checklist.id)
    assert not any(hit.item.id == base.job_aid.id for hit in search(SearchRequest("expense claim "), employee).hits)
    assert base.job_aid not in [i for _, items in catalog.shelves() for i in items]
    client = as_role("employee")
    collection = client.get(f"/collections/{base.collection.slug}").get_data(as_text=True)
    assert base.job_aid.title not in collection
    curator_view = as_role("curator").get(f"/collections/{base.collection.slug}").get_data(as_text=True)
    assert f"<s><a href=\"/items/{base.job_aid.slug}\">" in curator_view
    page = client.get(f"/items/{base.job_aid.slug}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "This item was retired" in text and "Replaced by the new policy." in text
    assert f'href="/items/{base.checklist.slug}"' in text
    assert any("retired" in note for note in _notes(base.users["champion"]))  # the owner is told
    lifecycle.unretire(base.job_aid, base.users["champion"])
    assert base.job_aid.is_published and base.job_aid.retired_reason == "" and base.job_aid.replacement_id is None
    assert any(hit.item.id == base.job_aid.id for hit in search(SearchRequest("expense claim "), employee).hits)


def test_retiring_needs_a_reason_and_a_published_replacement(base):
    for reason, replacement in (("  ", None), ("Old.", base.draft.id), ("Old.", base.job_aid.id)):
        try:
            lifecycle.retire(base.job_aid, base.users["curator"], reason, replacement)
        except lifecycle.LifecycleError:
            continue
        raise AssertionError(f"retire accepted {reason!r} / {replacement}")
    assert base.job_aid.is_published


def test_the_retire_form_lists_every_problem_with_422(as_role, base):
    response = as_role("champion").send(f"/items/{base.job_aid.slug}/retire", {"reason": "", "replacement_id": "0"})
    assert response.status_code == 422 and "Say why the item is retired." in response.get_data(as_text=True)


# Freshness ------------------------------------------------------------------------------------


def test_review_dates_default_per_type_on_approval_and_are_configurable(base, tmp_path):
    checklist = h.make(base, tmp_path, state="approved", type="checklist", steps=["One"])
    assert checklist.item.review_by == today() + timedelta(days=180)
    current_app.config["FRESHNESS_REVIEW_DAYS"] = {**current_app.config["FRESHNESS_REVIEW_DAYS"], "job_aid": 30}
    try:
        job_aid = h.make(base, tmp_path, state="approved", type="job_aid", body="Do it.")
        assert job_aid.item.review_by == today() + timedelta(days=30)
    finally:
        current_app.config["FRESHNESS_REVIEW_DAYS"]["job_aid"] = 365


def test_reminders_go_out_14_days_before_and_on_the_day_once_each(base):
    owner = base.users["champion"]
    base.job_aid.review_by = date(2027, 3, 15)
    db.session.commit()
    assert lifecycle.remind_owners(on=date(2027, 2, 28)) == 0  # 15 days before: nothing yet
    assert lifecycle.remind_owners(on=date(2027, 3, 1)) == 1   # 14 days before
    assert lifecycle.remind_owners(on=date(2027, 3, 1)) == 0   # a second run (or machine) sends nothing more
    assert lifecycle.remind_owners(on=date(2027, 3, 10)) == 0
    assert lifecycle.remind_owners(on=date(2027, 3, 15)) == 1  # on the day
    assert lifecycle.remind_owners(on=date(2027, 3, 20)) == 0
    texts = [t for t in _notes(owner) if base.job_aid.title in t]
    assert texts == [f"“{base.job_aid.title}” is due for review on 2027-03-15: confirm it is still accurate, update it or retire it.",
                     f"“{base.job_aid.title}” is due for review today: confirm it is still accurate, update it or retire it."]
    assert db.session.scalar(select(func.count()).select_from(ReviewReminder)) == 2


def test_still_accurate_records_who_and_when_and_moves_the_date_on(as_role, base):
    base.job_aid.review_by = today() - timedelta(days=3)
    db.session.commit()
    client = as_role("champion")
    page = client.get(f"/items/{base.job_aid.slug}").get_data(as_text=True)
    assert "This item is overdue for review" in page
    response = client.send(f"/items/{base.job_aid.slug}/verify", {"back": "freshness"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/review/freshness")
    db.session.refresh(base.job_aid)
    assert base.job_aid.review_by == today() + timedelta(days=365)
    assert base.job_aid.last_verified_by_id == base.users["champion"].id
    page = as_role("employee").get(f"/items/{base.job_aid.slug}").get_data(as_text=True)
    assert "This item is overdue for review" not in page and f"Last verified</dt><dd class=\"last-verified\">{today().isoformat()}" in page


def test_the_freshness_queue_shows_due_and_overdue_items_to_those_who_answer_for_them(as_role, base):
    base.job_aid.review_by = today() - timedelta(days=1)      # Sales, champion's: overdue
    base.checklist.review_by = today() + timedelta(days=10)   # Sales, champion's: due soon
    base.quick_learn.review_by = today() + timedelta(days=40)  # later: not listed
    db.session.commit()
    champion = as_role("champion").get("/review/freshness").get_data(as_text=True)
    assert base.job_aid.title in champion and base.checklist.title in champion and base.quick_learn.title not in champion
    overdue = as_role("champion").get("/review/freshness?window=overdue").get_data(as_text=True)
    assert base.job_aid.title in overdue and base.checklist.title not in overdue
    employee = as_role("employee").get("/review/freshness").get_data(as_text=True)
    assert base.job_aid.title not in employee and "Nothing is due" in employee
    by_collection = as_role("curator").get(f"/review/freshness?collection={base.collection.slug}&group=department").get_data(as_text=True)
    assert base.job_aid.title in by_collection and "Sales" in by_collection


def test_items_of_a_deactivated_owner_move_to_the_department_s_champions(base):
    owner = factories.user("leaving@test.example", "Lena Leaving", base.sales)
    base.job_aid.owner = owner
    db.session.commit()
    owner.active = False
    db.session.commit()
    moved, _ = lifecycle.run_freshness(on=today())
    assert moved == 1 and base.job_aid.owner_id == base.users["champion"].id
    assert any("owned by someone who left" in t for t in _notes(base.users["champion"]))


def test_files_shared_with_an_edit_stay_visible_on_the_live_item_and_are_kept(as_role, base):
    live = base.quick_learn
    media_id = live.images[0].media_id
    revision = submissions.start_edit(live, base.users["leader"], current_app.config)
    data = submissions.SubmissionData(type="quick_learn", title="Logging a call in ninety seconds", summary="Faster.",
                                      moment_id=live.moment_id, department_id=base.support.id, kpi_ids=[base.kpi2.id])
    submissions.save(base.users["leader"], data, [], current_app.config, incoming_dir(), submission=revision, submit=True)
    assert as_role("employee").get(f"/media/{media_id}").status_code == 200  # the working copy does not hide it
    review.claim(revision, base.users["curator"])
    review.decide(revision, base.users["curator"], "approve", "")
    db.session.refresh(live)
    assert live.title == "Logging a call in ninety seconds" and live.images[0].media_id == media_id
    assert as_role("employee").get(f"/media/{media_id}").status_code == 200


def test_an_item_without_a_department_is_edited_by_someone_without_one(base):
    base.job_aid.department = None
    db.session.commit()
    revision = _edit(base, base.job_aid, base.users["admin"], department_id=base.sales.id, body="Edited.")
    assert revision.department_id == base.sales.id and revision.state == "pending"


def test_the_freshness_queue_states_the_total_when_it_shows_only_the_most_urgent(base):
    for item in (base.job_aid, base.checklist, base.quick_learn):
        item.review_by = today() - timedelta(days=2)
    db.session.commit()
    rows, total = lifecycle.due_items(base.users["curator"], lifecycle.FreshnessFilters(), limit=2)
    assert total == 3 and len(rows) == 2
