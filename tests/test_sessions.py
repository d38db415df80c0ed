"""Server-side sessions: a copied cookie stops working after every revoking event."""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from marketplace.accounts import services, sessions
from marketplace.accounts.models import RevokeReason, User, UserSession
from marketplace.extensions import db
from marketplace.timeutil import utcnow
from tests import factories


def copy_of(app, client):
    """A second client holding a copy of `client`'s session cookie (a stolen or shared cookie)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def assert_signed_in(client) -> None:
    assert client.get("/notifications").status_code == 200


def assert_refused(client) -> None:
    page = client.get("/notifications")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    post = client.post("/notifications/read", headers={"X-CSRFToken": client.csrf_token()})
    assert post.status_code in (303, 400) and "/login" in post.headers.get("Location", "/login")


@pytest.fixture()
def employee(as_role):
    return as_role("employee")


def test_copied_cookie_works_while_the_session_is_live(app, employee):
    assert_signed_in(copy_of(app, employee))


def test_sign_out_revokes_the_copied_cookie(app, employee):
    thief = copy_of(app, employee)
    response = employee.send("/logout")
    assert response.status_code == 303
    assert_refused(thief)
    assert_refused(employee)


def test_password_change_revokes_every_earlier_session(app, base, employee):
    thief = copy_of(app, employee)
    other_browser = app.test_client()
    other_browser.login("employee@test.example")
    response = employee.send("/account/password", {
        "current": factories.PASSWORD, "new": "a brand new passphrase", "confirm": "a brand new passphrase"})
    assert response.status_code == 303
    assert_refused(thief)
    assert_refused(other_browser)
    assert_signed_in(employee)  # this browser got a fresh session
    assert app.test_client().login("employee@test.example", "a brand new passphrase").status_code == 303


def test_password_change_needs_the_current_password(employee):
    response = employee.send("/account/password", {"current": "wrong", "new": "another passphrase!", "confirm": "another passphrase!"})
    assert response.status_code == 422
    assert "not your current password" in response.get_data(as_text=True)
    assert_signed_in(employee)


def test_password_change_lists_every_problem_at_once(employee):
    response = employee.send("/account/password", {"current": "", "new": "short", "confirm": "different"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "at least 10" in html.lower() and "differ" in html and "This field is required" in html


def test_sign_out_everywhere_revokes_copies_and_keeps_this_browser(app, employee):
    thief = copy_of(app, employee)
    assert employee.send("/account/sessions/end-all").status_code == 303
    assert_refused(thief)
    assert_signed_in(employee)


def test_ending_one_other_session(app, base, employee):
    other = app.test_client()
    other.login("employee@test.example")
    page = employee.get("/account").get_data(as_text=True)
    assert "this browser" in page and "Sign out this session" in page
    row = db.session.scalars(select(UserSession).order_by(UserSession.id.desc())).first()
    assert employee.send(f"/account/sessions/{row.id}/end").status_code == 303
    assert_refused(other)
    assert_signed_in(employee)


def test_cannot_end_someone_elses_session(app, as_role, base):
    admin = as_role("admin")
    employee = as_role("employee")
    theirs = db.session.scalar(select(UserSession).where(UserSession.user_id == base.users["admin"].id))
    assert employee.send(f"/account/sessions/{theirs.id}/end").status_code == 404
    assert_signed_in(admin)


def _admin_edit(admin, user: User, **changes):
    data = {"name": user.name, "email": user.email, "department_id": str(user.department_id or 0), "active": "y"}
    data.update({flag: "y" for flag in ("is_curator", "is_leader", "is_admin") if getattr(user, flag)})
    data.update(changes)
    return admin.send(f"/admin/users/{user.id}", {k: v for k, v in data.items() if v is not None})


def test_deactivation_by_an_admin_revokes_and_reactivation_does_not_revive(app, as_role, base):
    employee = as_role("employee")
    thief = copy_of(app, employee)
    admin = as_role("admin")
    user = base.users["employee"]
    assert _admin_edit(admin, user, active=None).status_code == 303
    assert_refused(thief)
    assert _admin_edit(admin, db.session.get(User, user.id), active="y").status_code == 303
    assert_refused(thief)
    assert_refused(employee)
    assert app.test_client().login("employee@test.example").status_code == 303


def test_role_change_revokes_earlier_sessions(app, as_role, base):
    leader = as_role("leader")
    thief = copy_of(app, leader)
    admin = as_role("admin")
    user = base.users["leader"]
    assert _admin_edit(admin, user, is_curator="y").status_code == 303
    assert_refused(thief)
    assert_refused(leader)


def test_saving_a_user_without_role_changes_keeps_their_sessions(app, as_role, base):
    leader = as_role("leader")
    admin = as_role("admin")
    assert _admin_edit(admin, base.users["leader"], name="Lee L. Leader").status_code == 303
    assert_signed_in(leader)


def test_admin_changing_own_roles_stays_signed_in_here(app, as_role, base):
    admin = as_role("admin")
    thief = copy_of(app, admin)
    assert _admin_edit(admin, base.users["admin"], is_curator="y").status_code == 303
    assert_refused(thief)
    assert_signed_in(admin)


def test_service_functions_for_other_paths(app, as_role, base):
    """deactivate_user and revoke_all are what SCIM and erasure call."""
    employee, leader = as_role("employee"), as_role("leader")
    services.deactivate_user(db.session.get(User, base.users["employee"].id))
    assert_refused(employee)
    assert sessions.revoke_all(db.session.get(User, base.users["leader"].id), "erased") == 1
    assert_refused(leader)
    reasons = set(db.session.scalars(select(UserSession.revoked_reason)))
    assert {RevokeReason.DEACTIVATED, RevokeReason.ERASED} <= reasons


def test_setting_active_false_anywhere_revokes_in_the_same_transaction(app, as_role, base):
    employee = as_role("employee")
    user = db.session.get(User, base.users["employee"].id)
    user.active = False
    db.session.commit()
    user.active = True
    db.session.commit()
    assert_refused(employee)


def test_idle_session_expires_from_the_cookie_clock(app, employee):
    with employee.session_transaction() as cookie:
        cookie["seen"] = int(time.time()) - app.config["SESSION_IDLE_MINUTES"] * 60 - 5
    assert_refused(employee)


def test_recent_activity_keeps_the_session(app, employee):
    with employee.session_transaction() as cookie:
        cookie["seen"] = int(time.time()) - app.config["SESSION_IDLE_MINUTES"] * 60 + 120
    assert_signed_in(employee)
    with employee.session_transaction() as cookie:
        assert cookie["seen"] >= int(time.time()) - 5  # the idle clock moved, in the cookie only


def test_absolute_lifetime_ends_even_an_active_session(app, base, employee):
    db.session.execute(UserSession.__table__.update().values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert_refused(employee)


def test_a_session_is_bound_to_its_user(app, as_role, base):
    employee = as_role("employee")
    with employee.session_transaction() as cookie:
        cookie["_user_id"] = str(base.users["admin"].id)  # a forged cookie would need the key; this proves the DB check too
    assert_refused(employee)


@contextmanager
def writes_recorded():
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement.split(None, 1)[0].upper())

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_get_requests_never_write(app, base, employee):
    with employee.session_transaction() as cookie:
        cookie["seen"] = int(time.time()) - 3600  # forces a cookie refresh: still no database write
    with writes_recorded() as statements:
        for path in ("/notifications", "/account", "/", "/kpis"):
            assert employee.get(path).status_code == 200
    assert not {"INSERT", "UPDATE", "DELETE"} & set(statements), statements


def test_purge_removes_old_rows_only(app, base, employee):
    user = db.session.get(User, base.users["employee"].id)
    old = UserSession(user_id=user.id, token_hash="x" * 64, method="password", device="",
                      created_at=utcnow() - timedelta(days=60), expires_at=utcnow() - timedelta(days=50))
    db.session.add(old)
    db.session.commit()
    assert sessions.purge() == 1
    assert_signed_in(employee)


def test_token_is_stored_hashed(app, employee):
    token = employee.get_cookie("session").value
    assert db.session.scalar(select(UserSession.token_hash)) != token
    assert all(len(h) == 64 for h in db.session.scalars(select(UserSession.token_hash)))


def test_purge_command(app, base, employee):
    result = app.test_cli_runner().invoke(args=["accounts", "purge-sessions", "--days", "0"])
    assert result.exit_code == 0 and "Deleted 0" in result.output  # the live session is kept
    assert_signed_in(employee)
