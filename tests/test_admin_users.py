"""Admins create users, set roles and champion departments, and deactivate people."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import User


def _form(base, **overrides):
    data = {"name": "Nia New", "email": "Nia@Test.Example", "department_id": str(base.support.id),
            "is_leader": "y", "champion_of": [str(base.support.id)], "active": "y", "password": "a-good-long-password"}
    return {**data, **overrides}


def test_admin_creates_a_champion(as_role, base):
    client = as_role("admin")
    response = client.send("/admin/users", _form(base))
    assert response.status_code == 303
    user = db.session.scalar(select(User).where(User.email == "nia@test.example"))
    assert user.is_leader and not user.is_admin
    assert [d.slug for d in user.champion_of] == ["support"]
    assert user.roles == ["employee", "champion", "leader"]
    assert user.password_hash.startswith("scrypt:")
    assert as_role("anonymous").login("nia@test.example", "a-good-long-password").status_code == 303


def test_duplicate_email_and_short_password_re_render_with_422(as_role, base):
    client = as_role("admin")
    response = client.send("/admin/users", _form(base, email="employee@test.example"))
    assert response.status_code == 422
    assert "already has an account" in response.get_data(as_text=True)
    response = client.send("/admin/users", _form(base, password="short"))
    assert response.status_code == 422
    assert db.session.scalar(select(User).where(User.email == "nia@test.example")) is None


def test_admin_edits_roles_and_deactivates(as_role, base):
    client = as_role("admin")
    employee = base.users["employee"]
    data = {"name": employee.name, "email": employee.email, "department_id": str(base.sales.id), "is_curator": "y"}
    assert client.send(f"/admin/users/{employee.id}", data).status_code == 303
    db.session.expire_all()
    user = db.session.get(User, employee.id)
    assert user.is_curator and not user.active and user.champion_of == []


def test_admin_cannot_lock_themselves_out(as_role, base):
    client = as_role("admin")
    admin = base.users["admin"]
    response = client.send(f"/admin/users/{admin.id}", {"name": admin.name, "email": admin.email, "active": "y"})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(User, admin.id).is_admin


def test_unknown_user_is_404(as_role, base):
    assert as_role("admin").get("/admin/users/99999").status_code == 404
