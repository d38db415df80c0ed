"""Scorecard figures against a small hand-computed fixture; privacy threshold; direction; CSV exports."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

from marketplace.accounts.models import Department
from marketplace.extensions import db
from marketplace.followups.models import FollowUp, FollowUpReason, FollowUpState
from marketplace.impact import scorecard, summaries
from marketplace.impact.exports import neutralise
from marketplace.impact.models import Dimension, KpiProfile, KpiReading, Period
from marketplace.impact.rollup_models import UsageWeek
from marketplace.timeutil import utcnow
from tests import factories
from tests.impact_fixtures import add_people

LAUNCH = date(2026, 1, 5)
# Weekly "days to first sale" (lower is better): two weeks before and two after the launch.
VALUES = {
    "sales": ([40, 44], [30, 34]),     # before mean 42, after 32: -10
    "support": ([41, 43], [40, 42]),   # before mean 42, after 41: -1
    "finance": ([50, 50], [10, 10]),   # only two people: left out
}


def _world(base):
    add_people(base)  # sales and support: 8 people each
    finance = Department(name="Finance", slug="finance")
    db.session.add(finance)
    for n in range(2):
        factories.user(f"fin{n}@test.example", f"Fin {n}", finance)
    base.collection.created_at = datetime.combine(LAUNCH, datetime.min.time())
    db.session.add(KpiProfile(kpi_id=base.kpi.id, dimension=Dimension.FINANCIAL, baseline=45, target=35))
    departments = {"sales": base.sales, "support": base.support, "finance": finance}
    db.session.flush()
    for slug, (before, after) in VALUES.items():
        weeks = [LAUNCH - timedelta(weeks=2), LAUNCH - timedelta(weeks=1), LAUNCH, LAUNCH + timedelta(weeks=1)]
        for week, value in zip(weeks, before + after, strict=True):
            db.session.add(KpiReading(kpi_id=base.kpi.id, scope=slug, department_id=departments[slug].id, period=Period.WEEK, period_start=week, value=value))
    for i, value in enumerate([44, 40, 36, 33]):
        db.session.add(KpiReading(kpi_id=base.kpi.id, scope="", period=Period.WEEK, period_start=LAUNCH + timedelta(weeks=i - 2), value=value))
    # Adoption after the launch: sales 4 people a week (50 %), support 1 (12.5 %), over 26 weeks.
    for i in range(26):
        week = LAUNCH + timedelta(weeks=i)
        db.session.add(UsageWeek(kpi_id=base.kpi.id, department_key=base.sales.id, week=week, people=4, events=9))
        db.session.add(UsageWeek(kpi_id=base.kpi.id, department_key=base.support.id, week=week, people=1, events=1))
    db.session.commit()


def test_difference_in_differences_matches_the_hand_computation(base):
    _world(base)
    did = scorecard.scorecard(base.kpi).did
    assert did.launch == LAUNCH
    assert did.high == [("Sales", 8, 50.0)] and did.low == [("Customer Support", 8, 12.5)]
    assert (did.before_high, did.after_high, did.before_low, did.after_low) == (42, 32, 42, 41)
    assert did.effect == -9
    assert scorecard.better(base.kpi, did.effect), "down is good for days to first sale"
    assert did.suppressed == ["Finance"]


def test_scorecard_page_reads_correctly_for_a_down_is_good_kpi(as_role, base):
    _world(base)
    page = as_role("curator").get(f"/impact/kpis/{base.kpi.slug}").get_data(as_text=True)
    assert "Lower is better" in page
    assert "Departments with high adoption moved 9 days more in the good direction" in page
    assert "evidence, not proof" in page
    assert "Collection launched: Ramp up new sellers" in page
    assert '<svg' in page and 'role="img"' in page and "<script" not in page.split("<main")[1]
    assert 'id="readings-table"' in page and "33 days" in page
    assert "on target" in page  # 33 days against a target of 35, lower is better


def test_departments_under_five_people_are_too_few_to_show(as_role, base):
    _world(base)
    page = as_role("curator").get(f"/impact/kpis/{base.kpi.slug}?department=finance").get_data(as_text=True)
    assert "too few to show" in page and 'id="readings-table"' not in page
    shown = as_role("curator").get(f"/impact/kpis/{base.kpi.slug}?department=sales").get_data(as_text=True)
    assert 'id="readings-table"' in shown


def _answer(base, n: int, text: str) -> None:
    user = factories.user(f"a{n}@test.example", f"Answerer {n}", base.sales)
    db.session.flush()
    db.session.add(FollowUp(user_id=user.id, subject=f"item:{n}", title="T", reason=FollowUpReason.HELPFUL, due_on=LAUNCH,
                            state=FollowUpState.ANSWERED, answered_at=utcnow(), changed=True, doing_differently=text, kpis=[base.kpi]))
    db.session.commit()


def test_followup_answers_show_without_names_and_only_from_five(as_role, base):
    _world(base)
    for n in range(4):
        _answer(base, n, f"Answer number {n}")
    client = as_role("curator")
    assert "Answer number" not in client.get(f"/impact/kpis/{base.kpi.slug}").get_data(as_text=True)
    _answer(base, 4, "=HYPERLINK(\"http://evil\")")
    page = client.get(f"/impact/kpis/{base.kpi.slug}").get_data(as_text=True)
    assert "Answer number 3" in page and "Answerer 3" not in page
    export = client.get(f"/impact/export/answers.csv?kpi={base.kpi.slug}")
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r[1] for r in rows if "HYPERLINK" in r[1]] == ["'=HYPERLINK(\"http://evil\")"]
    assert all("Answerer" not in cell for row in rows for cell in row)


def test_neutralise_covers_every_formula_prefix():
    for text in ("=1+1", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(text) == "'" + text
    assert neutralise(-3.5) == -3.5 and neutralise("plain") == "plain" and neutralise(None) == ""


def test_balanced_scorecard_groups_by_dimension_and_leaders_see_their_department(as_role, base):
    _world(base)
    summaries.refresh()
    db.session.commit()
    page = as_role("curator").get("/impact").get_data(as_text=True)
    financial = page.split('id="dim-financial"')[1].split("<section")[0]
    assert base.kpi.name in financial and "33 days" in financial and "on target" in financial
    assert base.kpi2.name in page.split('id="dim-process"')[1]
    leader = as_role("leader").get("/impact").get_data(as_text=True)  # the leader is in support
    assert base.kpi2.name in leader and base.kpi.name not in leader
    export = as_role("curator").get("/impact/export/scorecard.csv").get_data(as_text=True)
    assert "Financial,Days to first sale,days,down,33.0" in export
    assert as_role("curator").get("/impact/export/proficiency.csv").status_code == 200
    assert as_role("employee").get("/impact/export/proficiency.csv").status_code == 403
