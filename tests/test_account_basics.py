"""Account basics: the header link, the account page, and admins saving any valid address."""

from __future__ import annotations

import pytest

from marketplace.accounts.models import User
from marketplace.extensions import db


def _save(admin, user: User, email: str):
    return admin.send(f"/admin/users/{user.id}", {
        "name": user.name, "email": email, "department_id": str(user.department_id or 0), "active": "y"})


@pytest.mark.parametrize("email", ["erin@demo.test", "erin@corp.local", "erin@intranet", "erin+x@sub.example.org", "Erin@Demo.Test"])
def test_admin_saves_demo_and_internal_addresses(as_role, base, email):
    admin = as_role("admin")
    response = _save(admin, base.users["employee"], email)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    db.session.expire_all()
    assert db.session.get(User, base.users["employee"].id).email == email.lower()


@pytest.mark.parametrize("email", ["erin", "erin@", "@demo.test", "erin@@demo.test", "erin demo@demo.test", "erin@demo..test"])
def test_admin_gets_a_clear_error_for_malformed_addresses(as_role, base, email):
    response = _save(as_role("admin"), base.users["employee"], email)
    assert response.status_code == 422
    assert "e-mail address like" in response.get_data(as_text=True)


def test_admin_creates_a_demo_test_user(as_role, base):
    response = as_role("admin").send("/admin/users", {
        "name": "Dana Demo", "email": "dana@demo.test", "department_id": "0", "active": "y", "password": "long enough pass"})
    assert response.status_code == 303


def test_header_links_to_your_account(as_role, base):
    html = as_role("employee").get("/").get_data(as_text=True)
    assert 'href="/account"' in html and "Erin Employee" in html


def test_account_page_shows_profile_and_sessions(as_role, base):
    client = as_role("champion")
    html = client.get("/account").get_data(as_text=True)
    assert "champion@test.example" in html and "Sales" in html and "champion" in html
    assert f'/people/{base.users["champion"].id}' in html
    assert "this browser" in html and "Change password" in html


def test_account_sessions_fragment_for_htmx(as_role, base):
    response = as_role("employee").get("/account", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and 'id="sessions"' in html
