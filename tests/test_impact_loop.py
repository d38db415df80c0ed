"""Closing the loop: experiment outcomes on the KPI's scorecard; cost of delayed proficiency on the financial dimension."""

from __future__ import annotations

from marketplace.extensions import db
from marketplace.impact.models import Dimension, ExperimentOutcome, KpiProfile
from marketplace.spaces.models import Experiment
from tests.spaces_fixtures import build_world


def test_host_records_an_outcome_and_it_marks_the_kpi_scorecard(as_role, base):
    world = build_world(base, visibility="open")
    client = as_role("leader")  # the space's host
    path = f"/impact/experiments/{world.experiment.id}/outcome"
    incomplete = client.send(path, {"learned": ""})
    assert incomplete.status_code == 422
    assert "Choose kept or dropped." in incomplete.get_data(as_text=True)
    done = client.send(path, {"status": "dropped", "learned": "Nobody read the one rule.", "kpi_id": str(base.kpi.id)})
    assert done.status_code == 303
    experiment = db.session.get(Experiment, world.experiment.id)
    db.session.refresh(experiment)
    assert experiment.status == "dropped"
    assert db.session.get(ExperimentOutcome, experiment.id).kpi_id == base.kpi.id
    page = as_role("curator").get(f"/impact/kpis/{base.kpi.slug}").get_data(as_text=True)
    assert "Experiment started: Write one rule (dropped: Nobody read the one rule.)" in page


def test_member_who_does_not_own_it_may_not(as_role, base):
    world = build_world(base, visibility="open")
    assert as_role("employee").send(f"/impact/experiments/{world.experiment.id}/outcome", {"status": "kept", "learned": "x"}).status_code == 403


def test_proficiency_case_values_the_days_saved(as_role, base):
    db.session.add(KpiProfile(kpi_id=base.kpi.id, dimension=Dimension.FINANCIAL))
    db.session.commit()
    client = as_role("curator")
    bad = client.send("/impact/proficiency", {"role": "", "days_before": "lots", "hires_per_year": "-1"})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422 and body.count('class="error"') >= 3
    ok = client.send("/impact/proficiency", {"role": "Account executive", "kpi_id": str(base.kpi.id), "days_before": "90",
                                             "days_after": "62", "hires_per_year": "24", "daily_cost": "450", "currency": "eur"})
    assert ok.status_code == 303
    page = client.get("/impact").get_data(as_text=True)
    financial = page.split('id="dim-financial"')[1]
    assert "Account executive" in financial and "302,400 EUR" in financial  # 28 days x 450 x 24
