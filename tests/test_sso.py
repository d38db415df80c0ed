"""Single sign-on against real OpenID Connect providers on loopback (HTTP all the way; no browser here)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from marketplace.accounts.models import User, UserIdentity, UserSession
from marketplace.extensions import db
from tests.conftest import make_app
from tests.oidc_provider import Provider

CALLBACK = "http://localhost/login/sso/{name}/callback"
ALICE = {"sub": "alice-0001", "name": "Alice Able", "email": "alice@corp.example", "department": "Sales",
         "groups": ["mp-curators", "sales-champions"], "email_verified": True}
BOB = {"sub": "bob-0002", "name": "Bob Baker", "email": "bob@corp.example", "groups": []}
ERIN = {"sub": "erin-0003", "name": "Erin", "email": "employee@test.example", "groups": [], "email_verified": False}


@pytest.fixture(scope="module")
def providers():
    corp = Provider({"alice": ALICE, "bob": BOB, "erin": ERIN}).start()
    other = Provider({"mallory": {**ALICE, "sub": "mallory"}}).start()
    corp.add_client("marketplace", "corp-secret", CALLBACK.format(name="corp"))
    other.add_client("marketplace", "other-secret", CALLBACK.format(name="other"))
    yield corp, other
    corp.stop()
    other.stop()


def provider_settings(corp: Provider, other: Provider) -> list[dict]:
    return [
        {"name": "corp", "issuer": corp.issuer, "client_id": "marketplace", "client_secret": "corp-secret",
         "label": "Sign in with Corp", "department_claim": "department", "groups_claim": "groups",
         "group_roles": "mp-curators=curator; sales-champions=champion:sales; mp-admins=admin"},
        {"name": "other", "issuer": other.issuer, "client_id": "marketplace", "client_secret": "other-secret"},
    ]


@pytest.fixture(scope="module")
def sso_app(database_url, tmp_path_factory, providers):
    corp, other = providers
    return make_app(database_url, tmp_path_factory, OIDC_PROVIDERS=provider_settings(corp, other))


@pytest.fixture(scope="module")
def password_off_app(database_url, tmp_path_factory, providers):
    corp, other = providers
    return make_app(database_url, tmp_path_factory, OIDC_PROVIDERS=provider_settings(corp, other),
                    PASSWORD_SIGN_IN=False, BREAK_GLASS_ADMINS="admin@test.example")


def start(client, name: str = "corp", next_path: str | None = None) -> str:
    """Begin sign-in; returns the provider's authorization URL."""
    response = client.get(f"/login/sso/{name}" + (f"?next={next_path}" if next_path else ""))
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def approve(authorize_url: str, username: str) -> str:
    """The person approves at the provider; returns the callback path with code and state."""
    response = requests.post(authorize_url, data={"username": username}, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    parts = urlsplit(response.headers["Location"])
    return f"{parts.path}?{parts.query}"


def sign_in(client, username: str, name: str = "corp", next_path: str | None = None):
    return client.get(approve(start(client, name, next_path), username))


def test_authorization_request_uses_pkce_state_and_nonce(sso_app, base):
    query = parse_qs(urlsplit(start(sso_app.test_client())).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0] and "openid" in query["scope"][0].split()
    assert query["redirect_uri"] == [CALLBACK.format(name="corp")]


def test_first_sign_in_creates_the_user_from_claims(sso_app, base):
    client = sso_app.test_client()
    response = sign_in(client, "alice", next_path="/kpis")
    assert response.status_code == 303 and response.headers["Location"] == "/kpis"
    user = db.session.scalar(select(User).where(User.email == "alice@corp.example"))
    assert user.name == "Alice Able" and user.department.slug == "sales"
    assert user.is_curator and not user.is_admin and [d.slug for d in user.champion_of] == ["sales"]
    identity = db.session.scalar(select(UserIdentity).where(UserIdentity.user_id == user.id))
    assert identity.subject == "alice-0001"
    assert client.get("/account").status_code == 200
    assert "change your password there" in client.get("/account").get_data(as_text=True)


def test_returning_user_is_matched_by_subject_not_email(sso_app, base, providers):
    corp, _ = providers
    client = sso_app.test_client()
    sign_in(client, "alice")
    user = db.session.scalar(select(User).where(User.email == "alice@corp.example"))
    user.email = "alice.renamed@corp.example"
    db.session.commit()
    sign_in(sso_app.test_client(), "alice")
    assert db.session.scalar(select(User.id).where(User.email.like("alice%")).limit(2)) == user.id
    assert len(db.session.scalars(select(User).where(User.name == "Alice Able")).all()) == 1


def test_groups_claim_sets_roles_on_every_sign_in_and_revokes_old_sessions(sso_app, base, providers):
    corp, _ = providers
    first = sso_app.test_client()
    sign_in(first, "alice")
    corp.users["alice"] = {**ALICE, "groups": ["mp-admins"]}
    try:
        second = sso_app.test_client()
        sign_in(second, "alice")
    finally:
        corp.users["alice"] = ALICE
    user = db.session.scalar(select(User).where(User.email == "alice@corp.example"))
    assert user.is_admin and not user.is_curator and user.champion_of == []
    assert first.get("/notifications").status_code == 302  # the role change ended the older session
    assert second.get("/admin/users").status_code == 200


def test_unverified_email_does_not_take_over_an_existing_account(sso_app, base):
    response = sign_in(sso_app.test_client(), "erin")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert db.session.scalar(select(UserIdentity).where(UserIdentity.subject == "erin-0003")) is None


def test_deactivated_user_cannot_sign_in_with_sso(sso_app, base):
    sign_in(sso_app.test_client(), "bob")
    user = db.session.scalar(select(User).where(User.email == "bob@corp.example"))
    user.active = False
    db.session.commit()
    client = sso_app.test_client()
    response = sign_in(client, "bob")
    assert response.headers["Location"] == "/login"
    assert "deactivated" in client.get("/login").get_data(as_text=True)


def test_wrong_state_is_refused(sso_app, base):
    client = sso_app.test_client()
    callback = approve(start(client), "alice")
    response = client.get(callback.replace("state=", "state=tampered"))
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert client.get("/notifications").status_code == 302
    assert db.session.scalar(select(User).where(User.email == "alice@corp.example")) is None


def test_replayed_code_is_refused(sso_app, base):
    client = sso_app.test_client()
    callback = approve(start(client), "alice")
    assert client.get(callback).status_code == 303
    client.send("/logout")
    assert client.get(callback).headers["Location"] == "/login"  # same code, same state: state is spent
    fresh_state = parse_qs(urlsplit(start(client)).query)["state"][0]
    old_code = parse_qs(urlsplit(callback).query)["code"][0]
    response = client.get(f"/login/sso/corp/callback?code={old_code}&state={fresh_state}")
    assert response.headers["Location"] == "/login"  # valid state, spent code: the provider refuses it
    assert client.get("/notifications").status_code == 302


def test_token_from_another_issuer_is_refused(sso_app, base, providers):
    corp, other = providers
    corp.rogue_token_from = other
    try:
        client = sso_app.test_client()
        response = sign_in(client, "alice")
    finally:
        corp.rogue_token_from = None
    assert response.headers["Location"] == "/login"
    assert client.get("/notifications").status_code == 302
    assert db.session.scalar(select(UserIdentity)) is None


def test_sign_out_ends_the_provider_session_too(sso_app, base, providers):
    corp, _ = providers
    client = sso_app.test_client()
    callback_client = sign_in(client, "alice")
    assert callback_client.status_code == 303
    response = client.send("/logout")
    location = response.headers["Location"]
    assert location.startswith(f"{corp.issuer}/logout?")
    query = parse_qs(urlsplit(location).query)
    assert query["client_id"] == ["marketplace"] and query["id_token_hint"][0].count(".") == 2
    assert query["post_logout_redirect_uri"] == ["http://localhost/login"]
    form_action = next(d for d in response.headers["Content-Security-Policy"].split("; ") if d.startswith("form-action"))
    assert corp.issuer in form_action.split()  # the sign-out form may hand over to the provider
    assert db.session.scalar(select(UserSession.revoked_reason)) == "signed_out"


def test_unknown_provider_is_404(sso_app, base):
    assert sso_app.test_client().get("/login/sso/nope").status_code == 404


def test_login_page_offers_every_provider(sso_app, base):
    html = sso_app.test_client().get("/login").get_data(as_text=True)
    assert "Sign in with Corp" in html and "Sign in with Other" in html and 'name="password"' in html


def test_password_sign_in_off_except_break_glass_admin(password_off_app, base):
    client = password_off_app.test_client()
    html = client.get("/login").get_data(as_text=True)
    assert 'name="password"' not in html and "Administrator sign-in" in html
    assert 'name="password"' in client.get("/login?break_glass=1").get_data(as_text=True)
    refused = client.login("employee@test.example")
    assert refused.status_code == 422 and "turned off" in refused.get_data(as_text=True)
    assert password_off_app.test_client().login("admin@test.example").status_code == 303


@pytest.mark.parametrize("role", ["anonymous", "employee", "champion", "curator", "leader", "admin"])
def test_sso_routes_for_every_role(sso_app, base, role):
    """Route × role with a provider configured: anyone may start; a forged callback signs nobody in."""
    client = sso_app.test_client()
    if role != "anonymous":
        assert client.login(base.users[role].email).status_code == 303
    assert start(client).startswith("http://127.0.0.1:")
    response = client.get("/login/sso/corp/callback?code=forged&state=forged")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
