"""Demo impact data: a year of readings (first-contact resolution rises where the collection landed),
usage, follow-up answers, a cost-of-proficiency case and Q&A across departments for the network.

Idempotent: nothing is added once the demo readings exist.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta

from sqlalchemy import select

from marketplace.accounts.models import Department, User
from marketplace.catalog.models import KPI, Item, Skill
from marketplace.curation.models import Collection
from marketplace.events.models import LearningEvent, Verb
from marketplace.extensions import db
from marketplace.followups.models import FollowUp, FollowUpReason, FollowUpState
from marketplace.impact import recording
from marketplace.impact.models import (
    Dimension,
    ExperimentOutcome,
    KpiProfile,
    KpiReading,
    Period,
    ProficiencyCase,
)
from marketplace.impact.rollups import week_of
from marketplace.spaces.models import Experiment, Membership, Post, Space, Thread
from marketplace.timeutil import today

SHOWCASE = "first-contact-resolution"
WEEKS = 52
LAUNCH_WEEKS_AGO = 26
# slug: (dimension, baseline, target, start value, weekly drift)
PROFILES = {
    "days-to-first-sale": (Dimension.FINANCIAL, 68, 45, 68, -0.25),
    "win-rate": (Dimension.FINANCIAL, 21, 28, 21, 0.06),
    "days-to-close": (Dimension.FINANCIAL, 9, 5, 9, -0.05),
    "invoices-paid-on-time": (Dimension.FINANCIAL, 86, 95, 86, 0.1),
    "first-contact-resolution": (Dimension.CUSTOMER, 61, 72, 61, 0),
    "csat": (Dimension.CUSTOMER, 78, 85, 78, 0.08),
    "average-handle-time": (Dimension.PROCESS, 9.5, 8, 9.5, -0.02),
    "expense-claims-rejected": (Dimension.PROCESS, 20, 10, 20, -0.1),
    "picking-accuracy": (Dimension.PROCESS, 97.1, 99, 97.1, 0.02),
    "safety-incidents": (Dimension.PROCESS, 6, 2, 6, -0.05),
    "crm-data-completeness": (Dimension.LEARNING, 61, 90, 61, 0.45),
}
# How the showcase KPI moves per department: (level before, gain reached 12 weeks after the launch).
DEPARTMENT_FCR = {"support": (62, 12), "sales": (60, 1), "finance": (58, 0), "operations": (61, 0.5)}
ANSWERS = [
    (True, "I check the refund decision guide before I answer instead of escalating.", "Finding the guide on my phone mid-call."),
    (True, "I use the triage table to decide what goes to Tier 2, so fewer tickets bounce back.", ""),
    (True, "I close the loop with the customer in the same chat: the reopened-ticket checklist reminded me.", "Queue pressure on Mondays."),
    (False, "", "I haven't had a refund case since."),
    (True, "I link the knowledge-base article in my reply; customers stop writing back.", "Some articles are out of date."),
    (True, "I ask the two clarifying questions from the guide first.", ""),
    (True, "Pro-rata refunds: I just do them now, no supervisor needed.", "The billing screen is slow."),
]
# (asker, answerer, skill, accepted): shaped so Tomasz bridges teams, Jonas only receives and Operations keeps to itself.
QA = [
    ("employee", "tomasz.kowalski", "Refunds and credits", True), ("employee", "tomasz.kowalski", "Refunds and credits", False),
    ("employee", "oskar.berg", "De-escalation", True), ("employee", "chloe.martin", "Ticket triage", True),
    ("rafael.souza", "tomasz.kowalski", "Refunds and credits", True), ("aisha.patel", "tomasz.kowalski", "Ticket triage", True),
    ("mei.chen", "tomasz.kowalski", "Refunds and credits", True), ("tomasz.kowalski", "grace.mensah", "Expense policy", True),
    ("oskar.berg", "grace.mensah", "Expense policy", True), ("chloe.martin", "daniel.kim", "Purchase orders", True),
    ("fatima.haddad", "liam.oconnor", "Forklift safety", True), ("liam.oconnor", "fatima.haddad", "Incident reporting", True),
    ("admin", "liam.oconnor", "Forklift safety", False),
]


def _monday(weeks_ago: int) -> date:
    return week_of(today()) - timedelta(weeks=weeks_ago)


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=hour)


def load(created) -> None:  # noqa: ANN001 - the seed's Counter
    """Add the demo impact data unless it is there already."""
    kpis = {k.slug: k for k in db.session.scalars(select(KPI))}
    if SHOWCASE not in kpis or db.session.scalar(select(KpiReading.id).limit(1)) is not None:
        return
    users = {u.email.split("@")[0]: u for u in db.session.scalars(select(User))}
    departments = {d.slug: d for d in db.session.scalars(select(Department))}
    rng = random.Random(9)
    launch = _monday(LAUNCH_WEEKS_AGO)
    collection = db.session.scalar(select(Collection).where(Collection.kpi_id == kpis[SHOWCASE].id))
    if collection is not None:
        collection.created_at = _at(launch, 9)
    _profiles_and_readings(kpis, departments, rng, launch, created)
    _usage(collection, users, rng, launch, created)
    _answers(collection, users, created)
    _network(users, kpis, created)
    _proficiency_and_outcomes(kpis, created)
    db.session.commit()
    from marketplace.impact.tasks import refresh_everything

    refresh_everything()


def _profiles_and_readings(kpis, departments, rng, launch, created) -> None:  # noqa: ANN001
    rows = []
    for slug, (dimension, baseline, target, start, drift) in PROFILES.items():
        kpi = kpis.get(slug)
        if kpi is None:
            continue
        db.session.add(KpiProfile(kpi_id=kpi.id, dimension=dimension, baseline=baseline, target=target, followup_days=30))
        if slug == SHOWCASE:
            continue
        for n in range(WEEKS):
            value = start + drift * n + rng.uniform(-1, 1) * max(0.1, abs(start) * 0.015)
            rows.append(KpiReading(kpi_id=kpi.id, scope="", period=Period.WEEK, period_start=_monday(WEEKS - 1 - n), value=round(value, 2)))
    kpi = kpis[SHOWCASE]
    for n in range(WEEKS):
        week = _monday(WEEKS - 1 - n)
        after = max(0.0, (week - launch).days / 7)
        values = []
        for slug, (level, gain) in DEPARTMENT_FCR.items():
            value = round(level + gain * (1 - math.exp(-after / 4)) + rng.uniform(-1.2, 1.2), 1)
            values.append(value)
            rows.append(KpiReading(kpi_id=kpi.id, scope=slug, department_id=departments[slug].id, period=Period.WEEK, period_start=week, value=value))
        rows.append(KpiReading(kpi_id=kpi.id, scope="", period=Period.WEEK, period_start=week, value=round(sum(values) / len(values), 1)))
    db.session.add_all(rows)
    created["kpi readings"] += len(rows)


def _event(actor, verb, item, when, **extra) -> None:  # noqa: ANN001
    recording.item_event(actor, verb, item, **extra)
    event = [o for o in db.session.new if isinstance(o, LearningEvent)][-1]
    event.occurred_at = when


def _usage(collection, users, rng, launch, created) -> None:  # noqa: ANN001
    if collection is None:
        return
    items = [e.item for e in collection.entries]
    people = list(users.values())
    count = 0
    for weeks_ago in range(WEEKS - 1, 0, -1):
        week = _monday(weeks_ago)
        for person in people:
            department = person.department.slug if person.department else ""
            share = 0.05 if week < launch else {"support": 0.85, "sales": 0.15}.get(department, 0.05)
            if rng.random() < share:
                item = rng.choice(items)
                _event(person, Verb.OPENED, item, _at(week + timedelta(days=rng.randrange(5)), 9 + rng.randrange(8)))
                count += 1
                if week >= launch and rng.random() < 0.3:
                    _event(person, Verb.VOTED_HELPFUL, item, _at(week + timedelta(days=4), 16), helpful=rng.random() < 0.85)
                    count += 1
    db.session.flush()
    created["learning events"] += count


def _answers(collection, users, created) -> None:  # noqa: ANN001
    if collection is None:
        return
    support = [u for key, u in users.items() if key != "employee" and u.department and u.department.slug in {"support", "sales"}]
    items = [e.item for e in collection.entries]
    for n, person in enumerate(support[:len(ANSWERS)]):
        changed, doing, obstacle = ANSWERS[n]
        item = items[n % len(items)]
        answered = _at(today() - timedelta(days=3 + 9 * n))
        followup = FollowUp(user_id=person.id, subject=f"item:{item.id}", title=item.title, link=f"/items/{item.slug}", item_id=item.id,
                            reason=FollowUpReason.HELPFUL, due_on=answered.date(), state=FollowUpState.ANSWERED, nonce=f"demo{n}",
                            sent_at=answered - timedelta(hours=3), answered_at=answered, changed=changed, doing_differently=doing,
                            got_in_the_way=obstacle, kpis=list(item.kpis))
        db.session.add(followup)
        db.session.flush()
        recording.answered_followup(person, followup)
        [o for o in db.session.new if isinstance(o, LearningEvent)][-1].occurred_at = answered
    employee = users.get("employee")
    if employee is not None and items:
        item = items[-1]
        db.session.add(FollowUp(user_id=employee.id, subject=f"item:{item.id}", title=item.title, link=f"/items/{item.slug}",
                                item_id=item.id, reason=FollowUpReason.HELPFUL, due_on=today(), nonce="demo-open",
                                state=FollowUpState.SCHEDULED, kpis=list(item.kpis)))
    created["follow-ups"] += len(ANSWERS) + 1


def _network(users, kpis, created) -> None:  # noqa: ANN001
    """An open space where people ask across departments (the network page's demo)."""
    skills = {s.name: s for s in db.session.scalars(select(Skill))}
    host = users.get("curator")
    if host is None or db.session.scalar(select(Space.id).where(Space.slug == "ask-anyone")) is not None:
        return
    space = Space(slug="ask-anyone", name="Ask anyone", visibility="open", status="permanent", created_by=host,
                  problem="Ask a colleague in any team; answers that help are accepted so others find them.", kpi=kpis.get(SHOWCASE))
    involved = {host.id} | {users[a].id for q in QA for a in q[:2] if a in users}
    space.memberships = [Membership(user_id=uid, role="host" if uid == host.id else "member", state="active") for uid in involved]
    db.session.add(space)
    db.session.flush()
    for n, (asker_key, answerer_key, skill_name, accepted) in enumerate(QA):
        asker, answerer = users.get(asker_key), users.get(answerer_key)
        if asker is None or answerer is None:
            continue
        when = _at(today() - timedelta(days=5 + 4 * n))
        thread = Thread(space=space, kind="question", title=f"{skill_name}: how do you handle this case?", author=asker,
                        solved=accepted, skills=[skills[skill_name]] if skill_name in skills else [], created_at=when, last_activity_at=when)
        thread.posts.append(Post(author=asker, is_opening=True, body=f"A {skill_name.lower()} question from the {asker.department.name} team.", created_at=when))
        reply = Post(author=answerer, body="Here is what works for us, step by step.", accepted=accepted, created_at=when + timedelta(hours=2))
        thread.posts.append(reply)
        db.session.add(thread)
        db.session.flush()
        stamps = [when]
        recording.asked(asker, thread)
        recording.answered(answerer, thread, reply)
        stamps.append(when + timedelta(hours=2))
        if accepted:
            recording.answer_accepted(answerer, thread, reply, asker)
            stamps.append(when + timedelta(hours=5))
        events = [o for o in db.session.new if isinstance(o, LearningEvent)][-len(stamps):]
        for event, stamp in zip(events, stamps, strict=True):
            event.occurred_at = stamp
        db.session.flush()
    created["network questions"] += len(QA)


def _proficiency_and_outcomes(kpis, created) -> None:  # noqa: ANN001
    if "days-to-first-sale" in kpis:
        db.session.add(ProficiencyCase(role="Account executive", kpi_id=kpis["days-to-first-sale"].id, days_before=90, days_after=62,
                                       hires_per_year=24, daily_cost=450, currency="EUR"))
        created["proficiency cases"] += 1
    kept = db.session.scalar(select(Experiment).where(Experiment.status == "kept"))
    if kept is not None and "crm-data-completeness" in kpis:
        db.session.add(ExperimentOutcome(experiment_id=kept.id, kpi_id=kpis["crm-data-completeness"].id,
                                         learned="A required field did more than any training video."))
    _ = Item  # items are reached through the collection
