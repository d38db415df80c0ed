"""Impact and follow-up routes × roles (registered with the foundation's completeness check)."""

from __future__ import annotations

import pytest

from marketplace.followups.services import answer_token
from tests.impact_fixtures import build
from tests.test_route_matrix import (
    EXTRA_ROUTES,
    LOGIN,
    OK,
    ROLES,
    Route,
    _cases,
    _check,
    _outcome,
    signed_in,
    staff_only,
)

# Access rules and service rules answer the same on both databases: this runs on SQLite only
# (`make test` runs the PostgreSQL suite with -m "not browser and not access_matrix").
pytestmark = pytest.mark.access_matrix

LEADERS_TOO = signed_in(employee=403, champion=403)
ONLY_EMPLOYEE = signed_in(champion=404, curator=404, leader=404, admin=404)

IMPACT_ROUTES: dict[str, Route] = {
    "impact.overview": Route(lambda w: "/impact", LEADERS_TOO),
    # The leader is in support: the sales KPI is not theirs (403), the support KPI is.
    "impact.kpi": Route(lambda w: f"/impact/kpis/{w.kpi.slug}", staff_only()),
    "leader's own KPI": Route(lambda w: f"/impact/kpis/{w.kpi2.slug}?department=support", LEADERS_TOO),
    "impact.network_page": Route(lambda w: "/impact/network?period=365", LEADERS_TOO),
    "impact.export": Route(lambda w: f"/impact/export/readings.csv?kpi={w.kpi.slug}", staff_only(), htmx_too=False),
    "scorecard export": Route(lambda w: "/impact/export/scorecard.csv", LEADERS_TOO, htmx_too=False),
    "network export": Route(lambda w: "/impact/export/network-people.csv", LEADERS_TOO, htmx_too=False),
    "impact.import_readings": Route(lambda w: "/impact/readings/import", staff_only()),
    "impact.confirm_import": Route(lambda w: f"/impact/readings/import/{w.staged.id}/confirm", staff_only(), method="POST"),
    "impact.api_tokens": Route(lambda w: "/impact/tokens", signed_in(employee=403, champion=403, curator=403, leader=403)),
    "impact.revoke_token": Route(lambda w: f"/impact/tokens/{w.token.id}/revoke", signed_in(employee=403, champion=403, curator=403, leader=403), method="POST"),
    "impact.api_readings": Route(lambda w: f"/api/v1/kpis/{w.kpi.slug}/readings", {r: OK for r in ROLES}, method="POST"),  # 401 without a token
    "impact.opened": Route(lambda w: f"/items/{w.job_aid.slug}/opened", signed_in(), method="POST"),
    "impact.played": Route(lambda w: f"/items/{w.quick_learn.slug}/played", signed_in(), method="POST"),
    "impact.proficiency": Route(lambda w: "/impact/proficiency", staff_only()),
    "impact.outcome": Route(lambda w: f"/impact/experiments/{w.world.experiment.id}/outcome", signed_in(employee=403, champion=403)),
    "followups.index": Route(lambda w: "/followups", signed_in()),
    "followups.settings": Route(lambda w: "/followups/settings", signed_in(), method="POST", data=lambda w: {"action": "snooze"}),
    "followups.answer": Route(lambda w: f"/followups/{w.followup.id}", ONLY_EMPLOYEE),
    "followups.answer_link": Route(lambda w: f"/followups/answer/{answer_token(w.followup)}", {**ONLY_EMPLOYEE, "anonymous": OK}),
}
IMPACT_ROUTES["impact.confirm_import"].expect["admin"] = 404  # someone else's upload
EXTRA_ROUTES.update(IMPACT_ROUTES)


@pytest.fixture()
def impact(app, base):
    return build(base)


@pytest.mark.parametrize(("endpoint", "roles"), list(_cases(IMPACT_ROUTES)))
def test_impact_route_access(as_role, impact, endpoint, roles):
    _check(as_role, impact, IMPACT_ROUTES[endpoint], roles)


def test_anonymous_is_sent_to_sign_in(as_role, impact):
    assert _outcome(as_role("anonymous").get("/impact"), "anonymous") == LOGIN
