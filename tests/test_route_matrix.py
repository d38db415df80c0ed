"""Route × role matrix: who gets through, who gets 403/404, who is sent to sign in.

Every endpoint the app registers must have an entry in ROUTES; a new route without
one fails `test_every_route_is_in_the_matrix`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

# Access rules and service rules answer the same on both databases: this runs on SQLite only
# (`make test` runs the PostgreSQL suite with -m "not browser and not access_matrix").
pytestmark = pytest.mark.access_matrix

ROLES = ("anonymous", "employee", "champion", "curator", "leader", "admin")
OK, LOGIN = "ok", "login"


def signed_in(**overrides: object) -> dict:
    """Every signed-in role gets through; anonymous is sent to sign in."""
    return {"anonymous": LOGIN, **{role: OK for role in ROLES[1:]}, **overrides}


def staff_only(denied: int = 403) -> dict:
    """Curators and admins get through; other signed-in roles get `denied`."""
    return signed_in(employee=denied, champion=denied, leader=denied)


@dataclass
class Route:
    path: Callable
    expect: dict
    method: str = "GET"
    data: Callable = field(default=lambda b: {})
    htmx_too: bool = True  # GET pages are checked in full-page and htmx modes


ROUTES: dict[str, Route] = {
    "static": Route(lambda b: "/static/app.css", {role: OK for role in ROLES}, htmx_too=False),
    "ops.healthz": Route(lambda b: "/healthz", {role: OK for role in ROLES}, htmx_too=False),
    "accounts.login": Route(lambda b: "/login", {role: OK for role in ROLES}),
    "accounts.logout": Route(lambda b: "/logout", {role: LOGIN for role in ROLES}, method="POST"),
    "catalog.home": Route(lambda b: "/", signed_in()),
    "catalog.catalog": Route(lambda b: "/catalog?moment=solve", signed_in()),
    "catalog.item": Route(lambda b: f"/items/{b.job_aid.slug}", signed_in()),
    "catalog.tick_step": Route(
        lambda b: f"/items/{b.checklist.slug}/steps/{b.checklist.steps[0].id}", signed_in(),
        method="POST", data=lambda b: {"checked": "1"},
    ),
    "catalog.reset_checklist": Route(lambda b: f"/items/{b.checklist.slug}/checklist/reset", signed_in(), method="POST"),
    "catalog.helpful": Route(lambda b: f"/items/{b.job_aid.slug}/helpful", signed_in(), method="POST", data=lambda b: {"answer": "yes"}),
    "catalog.kpis": Route(lambda b: "/kpis", signed_in()),
    "catalog.kpi": Route(lambda b: f"/kpis/{b.kpi.slug}", signed_in()),
    "curation.index": Route(lambda b: "/collections", signed_in()),
    "curation.detail": Route(lambda b: f"/collections/{b.collection.slug}", signed_in()),
    "curation.new": Route(lambda b: "/collections/new", staff_only()),
    "curation.edit": Route(lambda b: f"/collections/{b.collection.slug}/edit", staff_only()),
    "curation.add_item": Route(
        lambda b: f"/collections/{b.collection.slug}/items", staff_only(), method="POST",
        data=lambda b: {"item_id": str(b.draft.id)},  # refused politely (422): drafts can't be added
    ),
    "curation.remove_item": Route(
        lambda b: f"/collections/{b.collection.slug}/items/{b.collection.entries[0].id}/remove", staff_only(), method="POST",
    ),
    "curation.move_item": Route(
        lambda b: f"/collections/{b.collection.slug}/items/{b.collection.entries[0].id}/move", staff_only(),
        method="POST", data=lambda b: {"direction": "down"},
    ),
    "curation.candidates": Route(lambda b: f"/collections/{b.collection.slug}/items/candidates?q=first", staff_only()),
    "admin.users": Route(lambda b: "/admin/users", signed_in(employee=403, champion=403, curator=403, leader=403)),
    "admin.edit_user": Route(lambda b: f"/admin/users/{b.users['employee'].id}", signed_in(employee=403, champion=403, curator=403, leader=403)),
    "jobs_admin.failed": Route(lambda b: "/admin/jobs", signed_in(employee=403, champion=403, curator=403, leader=403)),
    "jobs_admin.retry": Route(lambda b: "/admin/jobs/999999/retry", signed_in(employee=403, champion=403, curator=403, leader=403, admin=404), method="POST"),
    "media.serve": Route(lambda b: f"/media/{b.quick_learn.images[0].media_id}", signed_in(), htmx_too=False),
    "notifications.index": Route(lambda b: "/notifications", signed_in()),
    "notifications.mark_read": Route(lambda b: "/notifications/read", signed_in(), method="POST"),
    "notifications.badge": Route(lambda b: "/notifications/badge", signed_in()),
    # Issue 13: the account page and single sign-on (no provider configured here: 404; see tests/test_sso.py).
    "account.index": Route(lambda b: "/account", signed_in()),
    "account.change_password": Route(lambda b: "/account/password", signed_in(), method="POST"),  # 422: empty form
    "account.end_session": Route(lambda b: "/account/sessions/0/end", signed_in(**{r: 404 for r in ROLES[1:]}), method="POST"),
    "account.end_all": Route(lambda b: "/account/sessions/end-all", signed_in(), method="POST"),
    "sso.start": Route(lambda b: "/login/sso/corp", {role: 404 for role in ROLES}),
    "sso.callback": Route(lambda b: "/login/sso/corp/callback?code=x&state=y", {role: 404 for role in ROLES}),
}

# Hidden things answer 404 to those who may not see them, so their existence does not leak.
HIDDEN: dict[str, Route] = {
    "draft item": Route(lambda b: f"/items/{b.draft.slug}", signed_in(champion=OK, curator=OK, admin=OK, leader=404)),
    "draft collection": Route(lambda b: f"/collections/{b.draft_collection.slug}", signed_in(employee=404, champion=404, leader=404)),
    "draft collection edit": Route(lambda b: f"/collections/{b.draft_collection.slug}/edit", staff_only(denied=404)),
}
HIDDEN["draft item"].expect["employee"] = OK  # the employee owns the draft in the base fixture


def _cases(routes: dict[str, Route]):
    """GET routes: one case for every role and mode, sharing one world (GET never writes, which
    tests/test_get_never_writes.py holds); other methods: one case per role, each on fresh data."""
    for name, route in routes.items():
        if route.method == "GET":
            yield pytest.param(name, ROLES, id=name)
        else:
            for role in ROLES:
                yield pytest.param(name, (role,), id=f"{name}-{role}")


def _modes(route: Route) -> tuple[str, ...]:
    return ("page", "htmx") if route.method == "GET" and route.htmx_too else ("page",)


def _check(as_role, world, route: Route, roles) -> None:
    """Each role, in each mode, gets what the route expects; one message lists every role that does not."""
    wrong = {}
    for role in roles:
        client = as_role(role)
        for mode in _modes(route):
            response = _send(client, world, route, mode)
            if (got := _outcome(response, role)) != route.expect[role]:
                wrong[f"{role}/{mode}"] = f"got {got}, expected {route.expect[role]}"
    assert not wrong, f"{route.method} {route.path(world)}: {wrong}"


def _outcome(response, role: str) -> object:
    location = response.headers.get("Location", "") + response.headers.get("HX-Redirect", "")
    if response.status_code in (302, 303, 401) and "/login" in location and "/login" not in response.request.path:
        return LOGIN
    if response.status_code in (403, 404, 405):
        return response.status_code
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    return OK


def _send(client, world, route: Route, mode: str):
    headers = {"HX-Request": "true"} if mode == "htmx" else {}
    if route.method == "GET":
        return client.get(route.path(world), headers=headers)
    return client.send(route.path(world), route.data(world), headers=headers)


def _request(as_role, base, route: Route, role: str, mode: str):
    return _send(as_role(role), base, route, mode), role


@pytest.mark.parametrize(("endpoint", "roles"), list(_cases(ROUTES)))
def test_route_access(as_role, base, endpoint, roles):
    _check(as_role, base, ROUTES[endpoint], roles)


@pytest.mark.parametrize(("thing", "roles"), list(_cases(HIDDEN)))
def test_hidden_things_are_404(as_role, base, thing, roles):
    _check(as_role, base, HIDDEN[thing], roles)


def test_every_route_is_in_the_matrix(app):
    # Import the feature matrices here so the check holds however the suite is sliced.
    from tests import (  # noqa: F401  (they fill EXTRA_ROUTES)
        test_integrations_matrix,
        test_lifecycle_matrix,
        test_search_routes,
        test_submissions_matrix,
    )
    from tests.test_identity_matrix import IDENTITY_ROUTES  # noqa: F401  (fills EXTRA_ROUTES)
    from tests.test_privacy_matrix import PRIVACY_ROUTES  # noqa: F401  (fills EXTRA_ROUTES)
    __import__("tests.test_impact_routes")  # impact's matrix (a plain call keeps this one line on its own)
    from tests.test_spaces_routes import SPACE_ROUTES

    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(ROUTES) - EXTRA_ROUTES - set(SPACE_ROUTES))
    assert not missing, f"add these endpoints to ROUTES in tests/test_route_matrix.py (or a feature's matrix): {missing}"


# Feature issues keep their own matrices (with space membership and the like); they
# register the endpoints they cover here so the completeness check sees them.
EXTRA_ROUTES: set[str] = set()
