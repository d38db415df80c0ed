"""`next` stays on this site, however the browser would read it, and never causes a 500."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from marketplace.redirects import browser_normalise, header_value, safe_next

# Raw values of `next` (as the app receives them, already URL-decoded once) that a browser
# could follow to another site, or that hold characters no header may carry.
OFF_SITE = [
    "//evil.example", "///evil.example", "////evil.example", "/\t/evil.example", "/\n/evil.example",
    "/\r/evil.example", "/\r\n/evil.example", "\t//evil.example", " //evil.example", "\x00//evil.example",
    "\x1f//evil.example", "/\\evil.example", "\\/evil.example", "\\\\evil.example", "/\\/evil.example",
    "https://evil.example", "http://evil.example/", "HTTPS://evil.example", "https:evil.example",
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "data:text/html,<b>x</b>",
    "vbscript:msgbox(1)", "evil.example", "@evil.example", "//evil.example@site", "/\u2215evil.example",
    "/\uff0fevil.example", "\uff0f\uff0fevil.example", "/\u2044evil.example", "/\u29f8evil.example",
    "/%2F/evil.example", "/%2f%2fevil.example", "/%5C/evil.example", "/%5c%5cevil.example",
    "/%09/evil.example", "/%0d%0a/evil.example", "/\x0b/evil.example", "/\x0c/evil.example",
    "/items\r\nSet-Cookie: x=1", "/items\nLocation: https://evil.example", "/\u2028/evil.example",
    "/\u202e/evil.example", "/\x7f/evil.example", "/\x85/evil.example", "/kp\tis", "/kpis\r", "", " ", "\t", "x" * 3000,
]
ON_SITE = [
    ("/kpis", "/kpis"), ("/items/expense-claim-rejected", "/items/expense-claim-rejected"),
    ("/search?q=expense claim", "/search?q=expense%20claim"), ("/search?q=caf\u00e9", "/search?q=caf%C3%A9"),
    ("/catalog?moment=solve&page=2", "/catalog?moment=solve&page=2"), ("/people/3#skills", "/people/3#skills"),
    ("  /kpis  ", "/kpis"), ("/search?q=%E2%82%AC", "/search?q=%E2%82%AC"),
    ("/search?q=\u65e5\u672c", "/search?q=%E6%97%A5%E6%9C%AC"),
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_off_site_and_malformed_targets_are_refused(target):
    assert safe_next(target) is None


@pytest.mark.parametrize(("target", "expected"), ON_SITE)
def test_on_site_paths_are_kept_and_encoded(target, expected):
    assert safe_next(target) == expected


def test_there_are_at_least_forty_variants():
    assert len(OFF_SITE) >= 40


def test_normalisation_matches_the_browser():
    assert browser_normalise("\x00 /\t/evil.example\n ") == "//evil.example"
    assert browser_normalise("/a\\b") == "/a/b"


def test_header_value_is_always_latin1_safe():
    for raw in ("/caf\u00e9", "/\x0b", "/\x0c", "/\u2028", "/\r\n"):
        value = header_value(raw)
        assert value.isascii() and value.isprintable(), value


@pytest.mark.parametrize("target", OFF_SITE[:40])
def test_login_while_signed_in_redirects_home(as_role, base, target):
    client = as_role("employee")
    response = client.get(f"/login?next={quote(target, safe='')}")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/\x0b/evil", "/\x0c/evil", "/\r\n/evil", "/\u00e9t\u00e9", "/\u65e5\u672c", "//evil.example"])
def test_htmx_login_redirect_header_is_clean(as_role, base, target):
    client = as_role("employee")
    response = client.get(f"/login?next={quote(target, safe='')}", headers={"HX-Request": "true"})
    assert response.status_code == 200
    location = response.headers["HX-Redirect"]
    assert location.isascii() and location.isprintable() and not location.startswith("//")
    location.encode("latin-1")


def test_sign_in_form_honours_a_local_next(client, base):
    token = client.csrf_token()
    response = client.post(f"/login?next={quote('/search?q=café')}",
                           data={"email": "employee@test.example", "password": "correct horse battery", "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == "/search?q=caf%C3%A9"


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\r\n/x", "https://evil.example"])
def test_sign_in_form_sends_bad_next_home(client, base, target):
    token = client.csrf_token()
    response = client.post(f"/login?next={quote(target, safe='')}",
                           data={"email": "employee@test.example", "password": "correct horse battery", "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_anonymous_visit_keeps_the_path_for_after_sign_in(client, base):
    response = client.get("/search?q=caf%C3%A9")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert response.headers["Location"].isascii()
