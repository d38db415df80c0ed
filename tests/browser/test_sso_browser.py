"""Single sign-on in real Chromium: through the loopback provider's pages and back, on a phone-sized screen."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import _free_port, login
from tests.gunicorn_server import gunicorn
from tests.oidc_provider import Provider

pytestmark = pytest.mark.browser
ALICE = {"sub": "alice-0001", "name": "Alice Able", "email": "alice@corp.example", "department": "Sales",
         "groups": ["mp-curators"], "email_verified": True}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def idps():
    corp = Provider({"alice": ALICE}).start()
    other = Provider({"mallory": {**ALICE, "sub": "mallory"}}).start()
    yield corp, other
    corp.stop()
    other.stop()


@pytest.fixture(scope="module")
def sso_server(demo_home, tmp_path_factory, idps) -> str:
    """gunicorn (two workers) on the demo seed with the corp provider configured."""
    corp, _ = idps
    port = _free_port()
    corp.add_client("marketplace", "corp-secret", f"http://127.0.0.1:{port}/login/sso/corp/callback")
    env = {
        "MARKETPLACE_ENV": "testing", "OIDC_PROVIDERS": "corp", "OIDC_CORP_ISSUER": corp.issuer,
        "OIDC_CORP_CLIENT_ID": "marketplace", "OIDC_CORP_CLIENT_SECRET": "corp-secret",
        "OIDC_CORP_LABEL": "Sign in with Corp ID", "OIDC_CORP_DEPARTMENT_CLAIM": "department",
        "OIDC_CORP_GROUPS_CLAIM": "groups", "OIDC_CORP_GROUP_ROLES": "mp-curators=curator",
    }
    with gunicorn(demo_home, tmp_path_factory.mktemp("sso-live"), env, port=port) as url:
        yield url


@pytest.fixture()
def phone(browser, sso_server):
    context = browser.new_context(base_url=sso_server, viewport=PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def _through_the_provider(page) -> None:
    page.get_by_role("link", name="Sign in with Corp ID").click()
    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    page.get_by_role("button", name="Continue").click()


def _signed_out(page) -> None:
    page.goto("/notifications")
    expect(page).to_have_url(re.compile(r"/login\?next="))


def test_sign_in_through_the_provider_and_out_again(phone, idps):
    corp, _ = idps
    phone.goto("/kpis")
    expect(phone).to_have_url(re.compile(r"/login\?next=%2Fkpis|/login\?next=/kpis"))
    _through_the_provider(phone)
    expect(phone).to_have_url(re.compile(r"/kpis$"))
    _open_menu(phone)
    phone.get_by_role("link", name="Alice Able").click()
    expect(phone.get_by_role("heading", name="Your account")).to_be_visible()
    expect(phone.locator(".facts")).to_contain_text("Sales")
    expect(phone.locator(".facts")).to_contain_text("curator")
    expect(phone.locator("#sessions")).to_contain_text("through corp")
    _open_menu(phone)
    phone.get_by_role("button", name="Sign out", exact=True).click()
    expect(phone).to_have_url(re.compile(r"/login$"))
    ended = corp.ended_sessions[-1]
    assert ended["client_id"] == "marketplace" and ended["id_token_hint"].count(".") == 2
    _signed_out(phone)


def test_wrong_state_is_refused_in_the_browser(phone, idps):
    corp, _ = idps

    def tamper(route):
        # The provider's real answer, with the state swapped on its way back to the app.
        response = route.fetch(max_redirects=0)
        headers = {**response.headers, "location": re.sub(r"state=[^&]+", "state=forged", response.headers["location"])}
        route.fulfill(response=response, headers=headers)

    phone.route(lambda url: url.startswith(f"{corp.issuer}/authorize"), lambda route: (
        tamper(route) if route.request.method == "POST" else route.continue_()))
    phone.goto("/login")
    _through_the_provider(phone)
    expect(phone).to_have_url(re.compile(r"/login$"))
    expect(phone.locator("#messages")).to_contain_text("did not work")
    _signed_out(phone)


def test_replayed_code_is_refused_in_the_browser(phone):
    callbacks: list[str] = []
    phone.on("request", lambda req: callbacks.append(req.url) if "/callback?" in req.url else None)
    phone.goto("/login")
    _through_the_provider(phone)
    expect(phone).to_have_url(re.compile(r"/$"))
    old_code = parse_qs(urlsplit(callbacks[0]).query)["code"][0]
    _open_menu(phone)
    phone.get_by_role("button", name="Sign out", exact=True).click()
    expect(phone).to_have_url(re.compile(r"/login$"))
    phone.goto(callbacks[0])  # the very same callback again
    expect(phone).to_have_url(re.compile(r"/login$"))
    phone.goto("/login")
    phone.get_by_role("link", name="Sign in with Corp ID").click()  # a fresh, valid state ...
    fresh_state = parse_qs(urlsplit(phone.url).query)["state"][0]
    phone.goto(f"/login/sso/corp/callback?code={old_code}&state={fresh_state}")  # ... with a spent code
    expect(phone).to_have_url(re.compile(r"/login$"))
    expect(phone.locator("#messages")).to_contain_text("did not work")
    _signed_out(phone)


def test_token_from_another_issuer_is_refused_in_the_browser(phone, idps):
    corp, other = idps
    corp.rogue_token_from = other
    try:
        phone.goto("/login")
        _through_the_provider(phone)
        expect(phone).to_have_url(re.compile(r"/login$"))
        expect(phone.locator("#messages")).to_contain_text("did not work")
    finally:
        corp.rogue_token_from = None
    _signed_out(phone)


def test_password_sign_in_still_works_alongside(phone):
    login(phone, "employee@demo.test")
    expect(phone.get_by_role("link", name=re.compile("Account|Erin|Emp", re.I)).first).to_be_visible()


def _open_menu(page) -> None:
    """On a phone the header folds behind "Menu" (a <details>): open it when it is closed."""
    menu = page.locator("details.site-menu")
    if menu.count() and not menu.first.evaluate("el => el.open"):
        page.locator("details.site-menu > summary").first.click()
