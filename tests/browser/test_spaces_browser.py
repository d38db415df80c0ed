"""The spaces journey in Chromium: swarm a problem privately, answer it, harvest it, keep outsiders out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import browser_session, login

pytestmark = pytest.mark.browser
QUESTION = "Can we refund a 45-day-old annual plan under the pilot rules?"


def _accept_invitation(page, space_name: str) -> None:
    page.goto("/spaces")
    invitation = page.locator(".invitation", has_text=space_name)
    invitation.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("heading", level=1, name=space_name)).to_be_visible()


def test_private_space_from_who_knows_to_harvested_draft(page, browser, live_server):
    # The leader creates a private space and invites an expert found through "who knows X?".
    login(page, "leader@demo.test")
    page.goto("/spaces/new")
    page.get_by_label("Name", exact=True).fill("Refund pilot swarm")
    page.get_by_label("The problem this space swarms").fill("Pilot refund rules confuse agents; we settle them in two weeks.")
    page.get_by_label("KPI it serves").select_option(label="First-contact resolution rate")
    page.get_by_label("Private").check()
    page.get_by_label("Who knows…?").select_option(label="Refunds and credits")
    expert = page.locator("#candidates li", has_text="Oskar Berg")
    expect(expert).to_contain_text("endorsements")  # each candidate says why
    expert.get_by_role("checkbox").check()
    page.get_by_label("Also invite by e-mail").fill("employee@demo.test")
    page.get_by_role("button", name="Create space").click()
    expect(page.get_by_role("heading", level=1, name="Refund pilot swarm")).to_be_visible()
    expect(page.locator(".thread-row.pinned")).to_contain_text("Pilot refund rules confuse agents")
    space_url = page.url

    # The employee accepts and asks a question.
    employee = browser_session(browser, live_server, "employee@demo.test")
    _accept_invitation(employee, "Refund pilot swarm")
    employee.get_by_label("Title", exact=True).fill(QUESTION)
    employee.get_by_label("Details (markdown; @name mentions notify people)").fill("A customer asks on chat. @oskar.berg do you know?")
    employee.get_by_role("button", name="Post").click()
    expect(employee.get_by_role("heading", level=1, name=QUESTION)).to_be_visible()
    thread_url = employee.url

    # The expert accepts the invitation and answers in place.
    oskar = browser_session(browser, live_server, "oskar.berg@demo.test")
    _accept_invitation(oskar, "Refund pilot swarm")
    oskar.goto(thread_url)
    oskar.locator(".reply-form textarea").fill("Yes: refund the **unused months** pro-rata, up to 90 days.")
    oskar.get_by_role("button", name="Answer").click()
    expect(oskar.locator("#discussion")).to_contain_text("unused months")

    # The employee accepts the answer; it is shown first, marked accepted.
    employee.goto(thread_url)
    employee.get_by_role("button", name="Accept answer").click()
    expect(employee.locator(".post.accepted")).to_contain_text("unused months")

    # The host harvests it into a draft that lands in the support champion's queue.
    page.goto(thread_url)
    page.get_by_role("link", name="Harvest into a job aid").click()
    page.get_by_role("button", name="Create draft job aid").click()
    expect(page.locator("#messages")).to_contain_text("approval queue")
    champion = browser_session(browser, live_server, "tomasz.kowalski@demo.test")
    champion.goto("/review")
    expect(champion.locator("main")).to_contain_text(QUESTION)

    # A member finds the discussion in search, as it is typed.
    employee.goto("/search")
    employee.locator("#search-q").press_sequentially("annual pla", delay=20)
    found = employee.locator(".thread-hit", has_text="Discussion in Refund pilot swarm")
    expect(found).to_contain_text("45-day-old annual")
    expect(found.get_by_role("link")).to_have_attribute("href", re.compile(r"^/spaces/refund-pilot-swarm/threads/\d+$"))

    # A non-member gets a 404 on the thread and finds nothing in search.
    outsider = browser_session(browser, live_server, "champion@demo.test")
    for url in (thread_url, space_url):
        response = outsider.goto(url)
        assert response is not None and response.status == 404
    outsider.goto("/search?q=" + "refund pilot 45-day")
    expect(outsider.locator("main")).not_to_contain_text(QUESTION)
    expect(outsider.locator("main")).not_to_contain_text("Refund pilot swarm")
    outsider.goto("/search?tab=discussions&q=" + "annual pla")
    expect(outsider.locator("main")).to_contain_text("No discussions you can read match")
    expect(outsider.locator("main")).not_to_contain_text("Refund pilot swarm")
    outsider.goto("/spaces")
    expect(outsider.locator("main")).not_to_contain_text("Refund pilot swarm")
    assert not [m for m in page.console_messages if m.type == "error"]
    assert re.search(r"/spaces/refund-pilot-swarm", space_url)
