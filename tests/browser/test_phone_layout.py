"""Phones: every page of the route matrix, as every role, fits a 390 × 844 screen without sideways scrolling.

Screenshots of the key pages are kept under test-results/phone/ (git-ignored) for people to look at.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace import create_app
from marketplace.extensions import db
from marketplace.followups.models import FollowUp, FollowUpState
from marketplace.followups.services import answer_token
from marketplace.integrations.models import ChatCapture
from marketplace.models import KPI, Collection, Item, Post, Skill, Space, Thread, User
from marketplace.requests.models import ActionRequest
from marketplace.search.models import VocabularyEntry
from marketplace.spaces.models import Experiment
from marketplace.submissions.models import Submission
from tests.browser.conftest import LIVE_ENV, ROOT, login

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
ROLES = ("employee", "champion", "curator", "leader", "admin")
SHOTS = ROOT / "test-results" / "phone"
# Not pages: files, a health probe and downloads.
NOT_PAGES = {
    "static", "ops.healthz", "media.serve", "spaces.export", "accounts.logout",  # logout: a confirm page after POST
    "impact.export", "privacy.download",  # CSV and ZIP downloads
    "integrations.xapi_profile",  # JSON-LD for learning record stores
    "sso.start", "sso.callback",  # redirects to and from the identity provider
}
API_PREFIX = "scim."  # the SCIM provisioning API: JSON for identity providers, no pages
KEY_PAGES = {"catalog.home", "catalog.catalog", "catalog.item", "catalog.kpi", "search.search", "spaces.index",
             "spaces.detail", "spaces.thread", "submissions.new", "review.queue", "review.detail",
             "search.demand_log", "search.content_requests", "people.index", "curation.edit"}


def _paths(database_url: str, tmp_path) -> dict[str, str]:
    """A real URL for every GET page, found in the live server's demo data."""
    secret = LIVE_ENV.get("SECRET_KEY", "lookup-only")  # the server's key, so a signed follow-up link opens
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": secret, "TESTING": True,
                      "INSTANCE_DIR": str(tmp_path), "SEARCH_INDEX_DIR": str(tmp_path / "index"),
                      "UPLOAD_DIR": str(tmp_path / "uploads")})
    with app.app_context():
        def first(model, *where, order=None):
            return db.session.scalar(select(model).where(*where).order_by(order or model.id).limit(1))

        item = first(Item, Item.status == "published", Item.type == "checklist")
        collection = first(Collection, Collection.status == "published")
        solved = first(Thread, Thread.solved.is_(True), Thread.harvested_item_id.is_(None))
        thread = solved or first(Thread, Thread.kind == "question")
        space = db.session.get(Space, thread.space_id)
        post = first(Post, Post.thread_id == thread.id)
        submission = first(Submission, Submission.state == "pending") or first(Submission)
        employee = first(User, User.email == "employee@demo.test")
        followup = first(FollowUp, FollowUp.user_id == employee.id, FollowUp.state != FollowUpState.ANSWERED)
        return {
            "catalog.home": "/", "catalog.catalog": "/catalog?moment=solve", "catalog.item": f"/items/{item.slug}",
            "catalog.kpis": "/kpis", "catalog.kpi": f"/kpis/{first(KPI).slug}",
            "curation.index": "/collections", "curation.detail": f"/collections/{collection.slug}",
            "curation.new": "/collections/new", "curation.edit": f"/collections/{collection.slug}/edit",
            "curation.candidates": f"/collections/{collection.slug}/items/candidates?q=a",
            "admin.users": "/admin/users", "admin.edit_user": f"/admin/users/{employee.id}",
            "accounts.login": "/login", "notifications.index": "/notifications", "notifications.badge": "/notifications/badge",
            "submissions.new": "/submit", "submissions.mine": "/submissions",
            "submissions.detail": f"/submissions/{submission.id}", "submissions.edit": f"/submissions/{submission.id}/edit",
            "review.queue": "/review", "review.count": "/review/count", "review.escalations": "/review/escalations",
            "review.detail": f"/review/{submission.id}", "review.trusted": "/review/trusted", "review.terms": "/review/terms",
            "people.index": f"/people?skill={first(Skill).slug}", "people.profile": f"/people/{employee.id}",
            "people.reputation_help": "/people/reputation",
            "spaces.index": "/spaces", "spaces.new": "/spaces/new", "spaces.ask": "/spaces/ask?q=refund+for+a+damaged+parcel",
            "spaces.candidates": f"/spaces/candidates?who_knows={first(Skill).slug}",
            "spaces.detail": f"/spaces/{space.slug}", "spaces.thread": f"/spaces/{space.slug}/threads/{thread.id}",
            "spaces.retro": f"/spaces/{space.slug}/retro", "spaces.harvest": f"/spaces/{space.slug}/threads/{thread.id}/harvest",
            "spaces.edit_post": f"/spaces/{space.slug}/posts/{post.id}/edit",
            "search.search": "/search?q=expense+claim", "search.demand_log": "/curate/demand",
            "search.content_requests": "/curate/requests",
            "search.vocabulary_page": "/curate/vocabulary", "search.edit_vocabulary": f"/curate/vocabulary/{first(VocabularyEntry).id}",
            "submissions.media_status": f"/submissions/{submission.id}/processing",
            "account.index": "/account", "privacy.index": "/privacy", "privacy.admin_index": f"/admin/users/{employee.id}/privacy",
            "followups.index": "/followups", "followups.answer": f"/followups/{followup.id}",
            "followups.answer_link": f"/followups/answer/{answer_token(followup)}",
            "identity.index": "/admin/provisioning", "jobs_admin.failed": "/admin/jobs",
            "impact.overview": "/impact", "impact.kpi": f"/impact/kpis/{first(KPI).slug}", "impact.network_page": "/impact/network",
            "impact.api_tokens": "/impact/tokens", "impact.import_readings": "/impact/readings/import",
            "impact.proficiency": "/impact/proficiency", "impact.outcome": f"/impact/experiments/{first(Experiment).id}/outcome",
            "integrations.connections": "/admin/integrations", "integrations.deliveries": "/admin/deliveries",
            "integrations.channels": "/account/channels", "integrations.capture_page": f"/integrations/captures/{_capture()}",
            "requests.board": "/requests", "requests.new": "/requests/new", "requests.detail": f"/requests/{first(ActionRequest).id}",
            "lifecycle.freshness": "/review/freshness", "lifecycle.edit": f"/items/{item.slug}/edit",
            "lifecycle.retire": f"/items/{item.slug}/retire", "lifecycle.similar_fragment": "/similar?title=expense+claim",
        }, {r.endpoint for r in app.url_map.iter_rules() if "GET" in (r.methods or ())}


def _capture() -> str:
    """The demo has no chat capture waiting; make one, as Slack's "save to a space" shortcut would."""
    capture = ChatCapture(token="phone-walk-capture", source="slack", permalink="https://example.slack.com/archives/C1/p1",
                          messages=[{"author": "Sam", "text": "How do I file an expense claim for a damaged parcel refund?"}])
    if db.session.scalar(select(ChatCapture).where(ChatCapture.token == capture.token)) is None:
        db.session.add(capture)
        db.session.commit()
    return capture.token


@pytest.fixture(scope="module")
def phone_paths(live_server, tmp_path_factory):
    return _paths(live_server.database_url, tmp_path_factory.mktemp("lookup"))


@pytest.fixture()
def phone(browser, live_server):
    def open_page(javascript: bool = True):
        context = browser.new_context(base_url=live_server, viewport=PHONE, java_script_enabled=javascript)
        context.set_default_timeout(10_000)
        opened.append(context)
        return context.new_page()

    opened: list = []
    yield open_page
    for context in opened:
        context.close()


def overflow(page) -> int:
    """How many CSS pixels the document is wider than the viewport (0 when nothing scrolls sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_every_get_page_is_in_the_phone_walk(phone_paths):
    paths, endpoints = phone_paths
    missing = sorted(e for e in endpoints - set(paths) - NOT_PAGES if not e.startswith(API_PREFIX))
    assert not missing, f"give these pages a demo URL in tests/browser/test_phone_layout.py: {missing}"


@pytest.mark.parametrize("role", ROLES)
def test_no_page_scrolls_sideways_on_a_phone(phone, phone_paths, role):
    paths, _ = phone_paths
    page = phone()
    login(page, f"{role}@demo.test")
    SHOTS.mkdir(parents=True, exist_ok=True)
    too_wide = {}
    for endpoint, path in paths.items():
        if endpoint == "accounts.login":
            continue
        page.goto(path)
        if overflow(page) > 0:
            too_wide[path] = page.evaluate("document.documentElement.scrollWidth")
        if endpoint in KEY_PAGES and role in {"employee", "champion", "curator"}:
            page.screenshot(path=str(SHOTS / f"{role}-{endpoint.replace('.', '-')}.png"), full_page=True)
    assert not too_wide, f"wider than 390 px as {role}: {too_wide}"


def test_login_page_fits(phone):
    page = phone()
    page.goto("/login")
    assert overflow(page) == 0


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_header_collapses_into_a_menu_that_opens(phone, javascript):
    page = phone(javascript)
    login(page, "champion@demo.test")
    page.goto("/")
    submit = page.get_by_role("link", name="Submit", exact=True)
    assert not submit.is_visible(), "on a phone the navigation waits behind the menu"
    page.locator(".site-menu > summary").click()
    for name in ("Submit", "Spaces"):
        link = page.get_by_role("link", name=name, exact=True)
        assert link.is_visible()
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], f"{name} is off-screen: {box}"
    assert page.get_by_role("link", name="Notifications").first.is_visible()
    page.screenshot(path=str(SHOTS / f"menu-open-{'js' if javascript else 'nojs'}.png"))
    assert overflow(page) == 0


def test_search_filters_wait_behind_a_control_so_the_first_result_shows(phone):
    page = phone()
    login(page, "employee@demo.test")
    page.goto("/search?q=expense")
    first_hit = page.locator(".hits > li").first
    assert first_hit.bounding_box()["y"] < PHONE["height"], "the first result must be on the first screen"
    toggle = page.locator(".filters-toggle > summary")
    assert toggle.is_visible() and "Filters" in toggle.inner_text()
    toggle.click()
    assert page.locator(".facets .facet").first.is_visible()


def test_submit_buttons_use_the_product_styles(phone):
    page = phone()
    login(page, "employee@demo.test")
    page.goto("/submit")
    style = "(e) => [getComputedStyle(e).backgroundColor, getComputedStyle(e).borderRadius]"
    primary = page.locator("input[name=submit_review]").evaluate(style)
    assert primary == ["rgb(36, 70, 184)", "6px"], "the brand colour and shape of button.primary"


def test_hero_search_button_stays_in_its_box(phone):
    page = phone()
    login(page, "employee@demo.test")
    page.goto("/")
    hero = page.locator(".hero").bounding_box()
    button = page.locator(".hero button[type=submit]").bounding_box()
    assert button["x"] + button["width"] <= hero["x"] + hero["width"], (hero, button)
