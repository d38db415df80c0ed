"""Route × role matrix for "Your data": each person for themselves, admins for anyone."""

from __future__ import annotations

import pytest

from marketplace.extensions import db
from marketplace.privacy import services
from tests.test_route_matrix import (
    EXTRA_ROUTES,
    Route,
    _cases,
    _check,
    signed_in,
)

# Access rules and service rules answer the same on both databases: this runs on SQLite only
# (`make test` runs the PostgreSQL suite with -m "not browser and not access_matrix").
pytestmark = pytest.mark.access_matrix

SELF_OR_ADMIN = signed_in(champion=403, curator=403, leader=403)  # the target is the base employee
ERASE = {"posts": "anonymise", "work": "delete", "confirm": "y"}

PRIVACY_ROUTES: dict[str, Route] = {
    "privacy.index": Route(lambda b: "/privacy", signed_in()),
    "privacy.export": Route(lambda b: "/privacy/exports", signed_in(), method="POST"),
    "privacy.download": Route(lambda b: f"/privacy/exports/{b.export_id}", signed_in(champion=404, curator=404, leader=404, admin=404), htmx_too=False),
    "privacy.request_erasure": Route(lambda b: "/privacy/erasure", signed_in(), method="POST", data=lambda b: ERASE),  # the employee: 422, one is already scheduled
    "privacy.cancel_erasure": Route(lambda b: f"/privacy/erasure/{b.erasure_id}/cancel", SELF_OR_ADMIN, method="POST"),
    "privacy.admin_index": Route(lambda b: f"/admin/users/{b.users['employee'].id}/privacy", SELF_OR_ADMIN),
    "privacy.admin_export": Route(lambda b: f"/admin/users/{b.users['employee'].id}/privacy/exports", SELF_OR_ADMIN, method="POST"),
    "privacy.admin_erasure": Route(
        lambda b: f"/admin/users/{b.users['champion'].id}/privacy/erasure", signed_in(employee=403, curator=403, leader=403),
        method="POST", data=lambda b: ERASE,
    ),
}
EXTRA_ROUTES.update(PRIVACY_ROUTES)


@pytest.fixture()
def with_requests(base):
    """The employee has a ready export (asked by themselves) and an erasure waiting out its cool-off."""
    employee = base.users["employee"]
    export = services.request_export(employee, employee)
    db.session.commit()  # the export job runs right after the commit in tests
    erasure = services.request_erasure(employee, employee, {"posts": "anonymise", "work": "anonymise"})
    db.session.commit()
    base.export_id, base.erasure_id = export.id, erasure.id
    return base


@pytest.mark.parametrize(("endpoint", "roles"), list(_cases(PRIVACY_ROUTES)))
def test_privacy_route_access(as_role, with_requests, endpoint, roles):
    _check(as_role, with_requests, PRIVACY_ROUTES[endpoint], roles)
