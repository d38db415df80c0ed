"""GET never writes: every GET in the route matrices, for every role, page and htmx, sends no
INSERT, UPDATE or DELETE to the database. Housekeeping belongs in scheduled jobs."""

from __future__ import annotations

import re

from sqlalchemy import event

from marketplace.extensions import db
from tests.spaces_fixtures import PLAYERS
from tests.test_route_matrix import HIDDEN, ROLES, ROUTES
from tests.test_search_routes import SEARCH_ROUTES
from tests.test_spaces_routes import SPACE_ROUTES, world  # noqa: F401  (fixture)
from tests.test_submissions_matrix import SUBMISSION_ROUTES, with_submissions  # noqa: F401  (fixture)

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|UPSERT|MERGE|TRUNCATE)\b", re.I)


def _writes_during_gets(clients: dict, routes: dict, data, roles) -> dict[str, set[str]]:
    """Issue every GET in `routes` for each role, page and htmx; return the writes per endpoint."""
    found: dict[str, set[str]] = {}
    recording = {"endpoint": None}

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        if recording["endpoint"] and WRITE.match(statement):
            found.setdefault(recording["endpoint"], set()).add(statement.split("(")[0][:80])

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        for endpoint, route in routes.items():
            if route.method != "GET":
                continue
            for role in roles:
                for headers in ({}, {"HX-Request": "true"}):
                    recording["endpoint"] = endpoint
                    clients[role].get(route.path(data), headers=headers)
                    recording["endpoint"] = None
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return found


def _signed_in(as_role, roles) -> dict:
    return {role: as_role(role) for role in roles}


def _assert_no_writes(found: dict[str, set[str]]) -> None:
    assert not found, f"GET wrote to the database: { {endpoint: sorted(sql) for endpoint, sql in found.items()} }"


def test_foundation_gets_never_write(as_role, base):
    clients = _signed_in(as_role, ROLES)
    _assert_no_writes(_writes_during_gets(clients, {**ROUTES, **HIDDEN}, base, ROLES))


def test_search_gets_never_write(as_role, indexed):
    clients = _signed_in(as_role, ROLES)
    _assert_no_writes(_writes_during_gets(clients, SEARCH_ROUTES, indexed, ROLES))


def test_submission_gets_never_write(as_role, with_submissions):  # noqa: F811
    clients = _signed_in(as_role, ROLES)
    _assert_no_writes(_writes_during_gets(clients, SUBMISSION_ROUTES, with_submissions, ROLES))


def test_space_and_people_gets_never_write(as_role, world):  # noqa: F811
    clients = {player: as_role(role) for player, role in PLAYERS.items()}
    _assert_no_writes(_writes_during_gets(clients, SPACE_ROUTES, world, list(PLAYERS)))


def test_the_recorder_sees_a_write(as_role, base):
    """The check itself works: a POST that records a vote is seen as a write."""
    client = as_role("employee")
    seen = []
    listener = lambda conn, cur, statement, *rest: seen.append(statement) if WRITE.match(statement) else None  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        client.send(f"/items/{base.job_aid.slug}/helpful", {"answer": "yes"})
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert any(s.lstrip().upper().startswith("INSERT INTO HELPFUL_VOTES") for s in seen)
