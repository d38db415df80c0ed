"""In Chromium, at phone width: a leader's request travels the board to delivery, and an owner who was
reminded confirms an overdue item so its notice disappears."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import browser_session, login, run_flask

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"], page.url


def test_a_leader_files_a_request_a_curator_accepts_a_champion_delivers_a_checklist(page, browser, live_server):
    stamp = int(time.time())
    title, checklist = f"New sellers run a discovery call {stamp}", f"Discovery call checklist {stamp}"
    page.set_viewport_size(PHONE)
    login(page, "leader@demo.test")
    page.goto("/requests")  # the nav link sits in the phone menu; the journey is the board, not the menu
    page.get_by_role("link", name="File a request").click()
    _no_sideways_scroll(page)
    page.get_by_label("In one line: what should change?").fill(title)
    page.get_by_label("Which team?").select_option(label="Sales")
    page.get_by_label("The business KPI this should move").select_option(index=0)
    page.get_by_label("Its value today").fill("62 days")
    page.get_by_label("The target").fill("45 days")
    page.get_by_label("What do people do, or fail to do").fill("New sellers skip the discovery call and jump to the demo.")
    page.get_by_label("Who does it?").fill("Sellers in their first 90 days")
    page.get_by_label("Skill: they know, but can't do it well yet").check()
    page.get_by_label("Checklist", exact=True).check()
    page.get_by_role("button", name="File the request").click()
    page.wait_for_url(re.compile(r"/requests/\d+$"))
    request_url = page.url
    expect(page.locator(".page-head .badge").first).to_have_text("New")

    curator = browser_session(browser, live_server, "curator@demo.test")
    curator.goto("/requests?tab=new")
    curator.get_by_role("link", name=title).click()
    curator.get_by_label("Owner").select_option(label="Amara Nwosu")
    curator.get_by_role("button", name="Accept").click()
    expect(curator.locator(".page-head .badge").first).to_have_text("Accepted")

    champion = browser_session(browser, live_server, "champion@demo.test")
    champion.set_viewport_size(PHONE)
    champion.goto("/submit")
    champion.get_by_role("radio", name="Checklist").check()
    champion.get_by_label("Title", exact=True).fill(checklist)
    champion.get_by_label("Summary").fill("Five questions to ask before any demo.")
    champion.get_by_label("Moment of need").select_option(index=2)
    champion.get_by_label("KPIs it serves").select_option(index=0)
    champion.get_by_label("Department (its champions review it)").select_option(label="Sales")
    champion.get_by_label("Checklist steps, one per line").fill("Ask about the goal\nAsk who decides\nAsk about timing")
    champion.get_by_role("button", name="Submit for review").click()
    champion.wait_for_url(re.compile(r"/submissions/\d+$"))

    curator.goto("/review")
    curator.get_by_role("link", name=checklist).click()
    curator.get_by_role("button", name="Claim for review").click()
    curator.get_by_role("radio", name="Approve and publish").check()
    curator.get_by_role("button", name="Send decision").click()
    expect(curator.get_by_text("Approved and published.")).to_be_visible()
    item_path = curator.get_by_role("link", name="Open the page exactly as it will be published").get_attribute("href")

    champion.goto(request_url)
    _no_sideways_scroll(champion)
    champion.get_by_label("Its address or slug").fill(item_path)
    champion.get_by_role("button", name="Link it").click()
    champion.get_by_role("button", name="Mark delivered").click()
    expect(champion.locator(".page-head .badge").first).to_have_text("Delivered")

    page.goto(request_url)
    expect(page.locator(".page-head .badge").first).to_have_text("Delivered")
    expect(page.locator(".delivered").get_by_role("link", name=checklist)).to_be_visible()
    page.goto("/notifications")  # the link sits in the phone menu
    expect(page.get_by_role("link", name=f"Your request “{title}” was delivered.")).to_be_visible()
    errors = [m.text for m in page.console_messages if m.type == "error"]
    assert not errors, errors


def test_an_owner_is_reminded_confirms_the_item_and_the_overdue_notice_disappears(page):
    title, slug = "Forecast categories: going beyond gut feel", "forecasting-beyond-gut-feel"
    result = run_flask("freshness", "remind")  # the scheduled job, as the job runner would start it
    assert result.returncode == 0, result.stderr
    assert run_flask("freshness", "remind").stdout.startswith("Freshness: 0 reminders sent")  # idempotent
    page.set_viewport_size(PHONE)
    login(page, "rafael.souza@demo.test")
    page.goto(f"/items/{slug}")
    expect(page.get_by_text("This item is overdue for review")).to_be_visible()
    page.goto("/notifications")  # the link sits in the phone menu
    page.get_by_role("link", name=re.compile(f"“{re.escape(title)}” was due for review on")).click()
    page.wait_for_url(re.compile(r"/review/freshness"))
    _no_sideways_scroll(page)
    page.get_by_role("button", name=f"Still accurate: {title}").click()
    expect(page.get_by_text(f"Thanks: “{title}” is confirmed accurate")).to_be_visible()
    expect(page.get_by_role("button", name=f"Still accurate: {title}")).to_have_count(0)
    page.goto(f"/items/{slug}")
    expect(page.get_by_text("This item is overdue for review")).to_have_count(0)
    expect(page.locator(".last-verified")).to_contain_text("Rafael Souza")
    _no_sideways_scroll(page)
    errors = [m.text for m in page.console_messages if m.type == "error"]
    assert not errors, errors


@pytest.mark.parametrize("path", ["/requests", "/requests/new", "/review/freshness", "/items/old-crm-opportunity-entry",
                                  "/items/deal-stuck-in-legal-review/retire"])
def test_the_new_pages_have_no_serious_accessibility_violations_and_fit_a_phone(page, path):
    from axe_playwright_python.sync_playwright import Axe

    page.set_viewport_size(PHONE)
    login(page, "champion@demo.test")
    page.goto(path)
    _no_sideways_scroll(page)
    violations = Axe().run(page).response["violations"]
    serious = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations if v["impact"] in {"serious", "critical"}]
    assert serious == [], serious
