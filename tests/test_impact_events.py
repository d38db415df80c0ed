"""Learning events are written by each action in its own transaction; rollups follow the change feed."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.changes.models import Change
from marketplace.events.models import LearningEvent, Verb
from marketplace.extensions import db
from marketplace.followups.models import FollowUp
from marketplace.impact import rollups
from marketplace.impact.rollup_models import Flow, KpiCounter, UsagePersonWeek, UsageWeek
from marketplace.people.services import toggle_endorsement
from tests.spaces_fixtures import build_world


def _events(verb: Verb | None = None) -> list[LearningEvent]:
    query = select(LearningEvent).order_by(LearningEvent.id)
    return list(db.session.scalars(query.where(LearningEvent.verb == verb) if verb else query))


def test_viewing_an_item_writes_nothing_and_the_beacon_records_opened(as_role, base):
    client = as_role("employee")
    page = client.get(f"/items/{base.job_aid.slug}")
    assert page.status_code == 200
    assert f'hx-post="/items/{base.job_aid.slug}/opened"' in page.get_data(as_text=True)
    assert _events() == [], "GET never writes"
    assert client.send(f"/items/{base.job_aid.slug}/opened").status_code == 204
    [event] = _events(Verb.OPENED)
    assert event.actor_id == base.users["employee"].id and event.department_id == base.sales.id
    assert event.context["item_slug"] == base.job_aid.slug and event.context["moment"] == "solve"
    assert event.context["kpis"] == [base.kpi.slug] and event.object_ref == base.job_aid.slug
    feed = db.session.scalars(select(Change).where(Change.topic == "learning_event")).all()
    assert [c.entity_id for c in feed] == [str(event.id)]


def test_a_hidden_item_takes_no_beacon(as_role, base):
    assert as_role("leader").send(f"/items/{base.draft.slug}/opened").status_code == 404
    assert _events() == []


def test_ticking_the_last_step_completes_the_checklist_once(as_role, base):
    client = as_role("employee")
    steps = base.checklist.steps
    for step in steps[:-1]:
        client.send(f"/items/{base.checklist.slug}/steps/{step.id}", {"checked": "1"})
    assert _events(Verb.COMPLETED) == []
    client.send(f"/items/{base.checklist.slug}/steps/{steps[-1].id}", {"checked": "1"})
    assert len(_events(Verb.COMPLETED)) == 1
    followup = db.session.scalar(select(FollowUp))
    assert followup.subject == f"item:{base.checklist.id}" and followup.reason.value == "completed"


def test_helpful_vote_records_an_event_and_schedules_one_followup(as_role, base):
    client = as_role("employee")
    client.send(f"/items/{base.job_aid.slug}/helpful", {"answer": "yes"})
    client.send(f"/items/{base.job_aid.slug}/helpful", {"answer": "no"})
    client.send(f"/items/{base.job_aid.slug}/helpful", {"answer": "yes"})
    votes = _events(Verb.VOTED_HELPFUL)
    assert [e.context["helpful"] for e in votes] == [True, False, True]
    assert db.session.scalar(select(func.count(FollowUp.id))) == 1


def test_failed_action_leaves_no_event(as_role, base):
    as_role("employee").send(f"/items/{base.checklist.slug}/steps/999999", {"checked": "1"})
    assert _events() == []


def test_questions_answers_acceptance_and_endorsement_are_recorded(base):
    world = build_world(base, visibility="open")
    verbs = [e.verb for e in _events()]
    assert verbs == [Verb.ASKED, Verb.ANSWERED, Verb.ANSWER_ACCEPTED]
    accepted = _events(Verb.ANSWER_ACCEPTED)[0]
    assert accepted.actor_id == base.users["leader"].id  # the answerer had an answer accepted
    assert accepted.context["question_author_id"] == base.users["employee"].id
    assert accepted.context["space_id"] == world.space.id and accepted.context["kpis"] == [base.kpi2.slug]
    employee, leader = base.users["employee"], base.users["leader"]
    leader.skills = [base.skill]
    db.session.commit()
    toggle_endorsement(employee, leader, base.skill)
    assert _events(Verb.ENDORSED)[0].context["person_id"] == leader.id


def _usage(kpi_id: int) -> tuple[int, int]:
    people, events = db.session.execute(
        select(func.sum(UsageWeek.people), func.sum(UsageWeek.events)).where(UsageWeek.kpi_id == kpi_id)).one()
    return int(people or 0), int(events or 0)


def test_rollups_count_people_once_per_week_and_survive_redelivery(as_role, base):
    for role in ("employee", "champion"):
        client = as_role(role)
        client.send(f"/items/{base.job_aid.slug}/opened")
        client.send(f"/items/{base.job_aid.slug}/opened")
    as_role("employee").send(f"/items/{base.job_aid.slug}/helpful", {"answer": "yes"})
    # A change delivered twice (a gap re-check after a late commit) is applied once.
    feed = list(db.session.scalars(select(Change).order_by(Change.id)))
    rollups._apply(feed[-2:])
    rollups._apply(feed[-2:])
    db.session.commit()
    assert rollups.refresh() == 5  # the reader hands over all five; the two seen before are skipped
    assert _usage(base.kpi.id) == (2, 5)
    counters = dict(db.session.execute(select(KpiCounter.name, KpiCounter.value).where(KpiCounter.kpi_id == base.kpi.id)).all())
    assert counters == {"helpful_votes": 1, "helpful_yes": 1}
    rollups.refresh()  # on PostgreSQL the reader re-reads around id gaps for a minute: still counted once
    assert _usage(base.kpi.id) == (2, 5)
    assert db.session.scalar(select(func.count()).select_from(UsagePersonWeek)) == 2


def test_changed_vote_moves_the_helpful_rate_without_double_counting(as_role, base):
    client = as_role("employee")
    client.send(f"/items/{base.job_aid.slug}/helpful", {"answer": "yes"})
    rollups.refresh()
    client.send(f"/items/{base.job_aid.slug}/helpful", {"answer": "no"})
    rollups.refresh()
    counters = dict(db.session.execute(select(KpiCounter.name, KpiCounter.value).where(KpiCounter.kpi_id == base.kpi.id)).all())
    assert counters == {"helpful_votes": 1, "helpful_yes": 0}


def test_flows_name_people_except_in_chatham_house_spaces(base):
    build_world(base, visibility="open")
    rollups.refresh()
    flows = db.session.scalars(select(Flow)).all()
    assert {(f.kind, f.source_user_id, f.target_user_id) for f in flows} == {
        ("answered", base.users["leader"].id, base.users["employee"].id),
        ("accepted", base.users["leader"].id, base.users["employee"].id),
    }


def test_chatham_house_flows_are_counted_without_names(base):
    build_world(base, visibility="open", chatham_house=True)
    rollups.refresh()
    flows = db.session.scalars(select(Flow)).all()
    assert flows and all(f.source_user_id == 0 and f.target_user_id == 0 for f in flows)
    assert sum(f.count for f in flows) == 2
