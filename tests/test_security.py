"""Headers, cookies, CSRF, sessions and start-up safety."""

from __future__ import annotations

import pytest

from marketplace import create_app
from marketplace.extensions import db
from marketplace.models import User


def test_every_response_carries_security_headers(client):
    for path in ("/login", "/healthz", "/static/app.css", "/nope"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_have_no_inline_scripts_or_styles(as_role, base):
    client = as_role("curator")
    for path in ("/", "/catalog", f"/items/{base.checklist.slug}", f"/collections/{base.collection.slug}/edit"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html and " style=" not in html and "<style" not in html
        assert 'hx-headers="{&#34;X-CSRFToken&#34;' in html


def test_session_cookie_flags(client):
    response = client.login("employee@test.example")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookie_outside_development(monkeypatch, tmp_path):
    monkeypatch.setenv("MARKETPLACE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret-value")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}", "INSTANCE_DIR": str(tmp_path)})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    monkeypatch.setenv("MARKETPLACE_ENV", "development")
    dev = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'y.db'}", "INSTANCE_DIR": str(tmp_path)})
    assert dev.config["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize("key", [None, "", "dev-insecure-key", "change-me"])
def test_refuses_to_start_in_production_without_a_real_secret(monkeypatch, tmp_path, key):
    monkeypatch.setenv("MARKETPLACE_ENV", "production")
    if key is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"INSTANCE_DIR": str(tmp_path)})


def test_post_without_csrf_token_is_refused(as_role, base):
    client = as_role("employee")
    response = client.post(f"/items/{base.job_aid.slug}/helpful", data={"answer": "yes"})
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    response = client.post(f"/items/{base.job_aid.slug}/helpful", data={"answer": "yes"}, headers={"X-CSRFToken": "forged"})
    assert response.status_code == 400


def test_login_regenerates_the_session(client, base):
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by-an-attacker"
    client.login(base.users["employee"].email)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == str(base.users["employee"].id)


def test_wrong_password_re_renders_with_422_and_keeps_email(client, base):
    token = client.csrf_token()
    response = client.post("/login", data={"email": "employee@test.example", "password": "wrong", "csrf_token": token})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "don&#39;t match" in html and 'value="employee@test.example"' in html
    assert 'name="email"' in html and 'name="password"' in html


def test_login_redirects_only_to_local_paths(client, base):
    token = client.csrf_token()
    for target, expected in (("/kpis", "/kpis"), ("https://evil.example/", "/"), ("//evil.example", "/")):
        client.post("/logout", headers={"X-CSRFToken": client.csrf_token()})
        token = client.csrf_token()
        response = client.post(f"/login?next={target}", data={"email": "employee@test.example", "password": "correct horse battery", "csrf_token": token})
        assert response.status_code == 303
        assert response.headers["Location"] == expected


def test_deactivated_user_cannot_sign_in_and_is_signed_out(app, as_role, base):
    client = as_role("employee")
    assert client.get("/").status_code == 200
    user = db.session.get(User, base.users["employee"].id)
    user.active = False
    db.session.commit()
    assert client.get("/").status_code == 302
    response = app.test_client().login("employee@test.example")
    assert response.status_code == 422


def test_anonymous_htmx_request_gets_a_full_page_redirect(client):
    response = client.get("/catalog", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")
