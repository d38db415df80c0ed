"""Rules that moved into the policy and services: layering, claims, releases, demand, default deny."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.policy import can
from marketplace.search import demand
from marketplace.search.models import SearchDemand
from marketplace.spaces import harvesting
from marketplace.submissions import review
from marketplace.submissions import services as submissions
from marketplace.submissions.models import Submission
from tests import submission_helpers as h
from tests.spaces_fixtures import build_world

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    names |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return {n for n in names if n.startswith("marketplace")}


def test_policy_depends_only_on_models_and_the_membership_module():
    assert _imports(ROOT / "marketplace/policy.py") <= {"marketplace.spaces.membership"}
    below = _imports(ROOT / "marketplace/spaces/membership.py")
    assert all(name.endswith(".models") or name == "marketplace.extensions" for name in below), below


def test_importing_the_policy_loads_no_feature_services():
    code = "import sys, marketplace.policy; print(sorted(m for m in sys.modules if m.endswith('.services')))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out


def test_unknown_action_is_denied_even_to_admins(base):
    for user in base.users.values():
        assert not can(user, "launch_rockets", base.job_aid)
        assert not can(user, "launch_rockets")


def test_nobody_may_claim_their_own_work(base, tmp_path):
    own = h.make(base, tmp_path, submitter=base.users["champion"])
    assert not can(base.users["champion"], "claim_submission", own)
    assert can(base.users["curator"], "claim_submission", own)
    with pytest.raises(review.InvalidTransition):
        review.claim(own, base.users["champion"])
    assert own.claimed_by_id is None


def test_only_the_claimant_or_staff_may_release(base, tmp_path):
    pending = h.make(base, tmp_path)
    second = h.extra_user("champ2@test.example", "Cam Second", base.sales, champion_of=[base.sales])
    assert not can(base.users["champion"], "release_submission", pending), "nothing to release before a claim"
    review.claim(pending, base.users["champion"])
    assert can(base.users["champion"], "release_submission", pending)
    assert can(base.users["curator"], "release_submission", pending)
    assert not can(second, "release_submission", pending)
    assert not can(base.users["employee"], "release_submission", pending)


def test_a_draft_cannot_be_claimed(base, tmp_path):
    draft = h.make(base, tmp_path, state="draft")
    assert not can(base.users["champion"], "claim_submission", draft)


def test_demand_rule_lives_in_the_demand_module(base):
    assert not demand.record_settled("refunds", {}, 0, available=False), "an outage is not demand"
    assert not demand.record_settled("  ", {}, 0, available=True), "nothing typed"
    assert demand.record_settled("refunds", {}, 3, available=True, token="page"), "kept: unmet if nobody opens a result"
    assert demand.record_settled("refunds", {}, 3, available=True, token="page")
    assert db.session.scalar(select(func.count()).select_from(SearchDemand)) == 1, "once per results page"


def test_harvest_from_a_space_without_kpi_waits_as_a_draft(base):
    world = build_world(base)
    world.space.kpi = None
    db.session.commit()
    item = harvesting.harvest(world.thread, base.users["leader"], [])
    assert item.status == "draft", "an incomplete job aid must not reach the queue by the harvest path either"
    submission = db.session.scalar(select(Submission).where(Submission.item_id == item.id))
    assert submission.state == "draft" and submission.submitter_id == base.users["leader"].id


def test_every_submission_path_checks_completeness(base, tmp_path):
    draft = h.make(base, tmp_path, state="draft", kpi_ids=[])
    try:
        submissions.submit(draft, base.users["employee"], current_app.config)
    except submissions.Incomplete as problem:
        assert set(problem.problems) == {"kpi_ids"}
    else:
        raise AssertionError("a submission without a KPI went to review")
