"""Integrations' route × role matrix: admin pages, personal channels, inbound endpoints, the xAPI profile."""

from __future__ import annotations

import pytest

from tests.test_route_matrix import (
    EXTRA_ROUTES,
    OK,
    ROLES,
    Route,
    _cases,
    _check,
    signed_in,
)

# Access rules and service rules answer the same on both databases: this runs on SQLite only
# (`make test` runs the PostgreSQL suite with -m "not browser and not access_matrix").
pytestmark = pytest.mark.access_matrix

admin_only = signed_in(employee=403, champion=403, curator=403, leader=403)
# Inbound chat endpoints answer to signatures, not sessions: unsigned requests are refused alike for everyone.
unsigned = {role: 404 for role in ROLES}

INTEGRATION_ROUTES: dict[str, Route] = {
    "integrations.connections": Route(lambda b: "/admin/integrations", admin_only),
    "integrations.add_rule": Route(lambda b: "/admin/integrations/rules", admin_only, method="POST"),
    "integrations.delete_rule": Route(lambda b: "/admin/integrations/rules/999999/delete", {**admin_only, "admin": 404}, method="POST"),
    "integrations.toggle_connection": Route(lambda b: "/admin/integrations/999999/toggle", {**admin_only, "admin": 404}, method="POST"),
    "integrations.deliveries": Route(lambda b: "/admin/deliveries", admin_only),
    "integrations.retry_delivery": Route(lambda b: "/admin/deliveries/999999/retry", {**admin_only, "admin": 404}, method="POST"),
    "integrations.channels": Route(lambda b: "/account/channels", signed_in()),
    "integrations.slack_command": Route(lambda b: "/integrations/slack/commands", unsigned, method="POST", data=lambda b: {"text": "x"}),
    "integrations.slack_action": Route(lambda b: "/integrations/slack/actions", unsigned, method="POST"),
    "integrations.capture_page": Route(lambda b: "/integrations/captures/no-such-token", {"anonymous": "login", **{r: 404 for r in ROLES[1:]}}),
    "integrations.teams_message": Route(lambda b: "/integrations/teams/messages", unsigned, method="POST"),
    "integrations.xapi_profile": Route(lambda b: "/xapi/profile", {role: OK for role in ROLES}, htmx_too=False),
}
EXTRA_ROUTES.update(INTEGRATION_ROUTES)


@pytest.mark.parametrize(("endpoint", "roles"), list(_cases(INTEGRATION_ROUTES)))
def test_integration_route_access(as_role, base, endpoint, roles):
    _check(as_role, base, INTEGRATION_ROUTES[endpoint], roles)
