"""Production behaviour through real gunicorn: headers, no banner, and `next` never breaks a header."""

from __future__ import annotations

import re

import pytest
import requests

from tests.gunicorn_server import gunicorn

DEMO_PASSWORD = "demo-password"


@pytest.fixture(scope="module")
def production_server(demo_home, tmp_path_factory):
    """gunicorn in production mode (MARKETPLACE_ENV=production) on a seeded demo database."""
    # Plain HTTP on loopback (SESSION_COOKIE_SECURE=0): TLS ends at the proxy in real deployments.
    with gunicorn(demo_home, tmp_path_factory.mktemp("prod"), {"MARKETPLACE_ENV": "production"}, workers=1) as url:
        yield url


@pytest.fixture()
def signed_in(production_server):
    browser = requests.Session()
    page = browser.get(f"{production_server}/login", timeout=10).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = browser.post(f"{production_server}/login", timeout=10, allow_redirects=False,
                            data={"email": "employee@demo.test", "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code == 303, response.text[:300]
    return browser


def test_no_server_banner_and_hsts(production_server):
    for path in ("/login", "/healthz", "/static/app.css", "/nope"):
        response = requests.get(f"{production_server}{path}", timeout=10)
        assert "Server" not in response.headers, response.headers.get("Server")
        assert response.headers["Strict-Transport-Security"].startswith("max-age=63072000")


def test_signed_in_pages_and_fragments_are_not_stored(production_server, signed_in):
    for path, headers in (("/", {}), ("/account", {}), ("/notifications", {"HX-Request": "true"}),
                          ("/catalog?moment=solve", {"HX-Request": "true"}), ("/notifications/badge", {"HX-Request": "true"})):
        response = signed_in.get(f"{production_server}{path}", headers=headers, timeout=10)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
    static = signed_in.get(f"{production_server}/static/app.css", timeout=10)
    assert static.headers.get("Cache-Control") != "no-store"  # shared assets stay cacheable


@pytest.mark.parametrize("raw", ["%0B", "%0C", "%0D%0A", "%C3%A9", "%E6%97%A5", "%09/evil.example", "%85", "%E2%80%A8"])
@pytest.mark.parametrize("htmx", [True, False])
def test_strange_next_gives_a_clean_redirect_through_gunicorn(production_server, signed_in, raw, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    response = signed_in.get(f"{production_server}/login?next=/{raw}x", headers=headers, timeout=10, allow_redirects=False)
    assert response.status_code in (200, 303), response.text[:200]
    location = response.headers["HX-Redirect" if htmx else "Location"]
    assert location.isascii() and location.isprintable() and not location.startswith("//")


def test_copied_cookie_dies_at_sign_out_through_gunicorn(production_server, signed_in):
    copy = requests.Session()
    copy.cookies.update(signed_in.cookies)
    assert copy.get(f"{production_server}/notifications", timeout=10, allow_redirects=False).status_code == 200
    page = signed_in.get(f"{production_server}/account", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page) or re.search(r'X-CSRFToken&#34;: &#34;([^&]+)&#34;', page)
    assert signed_in.post(f"{production_server}/logout", data={"csrf_token": token.group(1)},
                          timeout=10, allow_redirects=False).status_code == 303
    response = copy.get(f"{production_server}/notifications", timeout=10, allow_redirects=False)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_worker_freezes_the_loaded_app_out_of_the_collector():
    import subprocess
    import sys

    # In a fresh interpreter, as a gunicorn worker runs the hook after loading the app (its modules here).
    code = ("import gc; import marketplace.search.services; from marketplace import gunicorn_conf;"
            "gunicorn_conf.post_worker_init(None); print(gc.get_threshold()[0], gc.get_freeze_count() > 10_000)")
    printed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120).stdout.split()
    assert printed == ["10000", "True"]
