"""Keyboards: htmx swaps keep focus where the person was, through search, a checklist, a thread and the review queue."""

from __future__ import annotations

import pytest

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def focused(page) -> dict:
    """What has keyboard focus: tag, text, a few attributes."""
    return page.evaluate("""() => { const e = document.activeElement; return {
        tag: e.tagName, text: (e.innerText || '').trim().slice(0, 60), step: e.dataset.step || null,
        checked: e.getAttribute('aria-checked'), pressed: e.getAttribute('aria-pressed'),
        current: e.getAttribute('aria-current'), id: e.id }; }""")


def settle(page) -> None:
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    page.wait_for_timeout(100)  # htmx settles 20 ms after the swap


def test_ticking_a_step_keeps_focus_on_that_step(page):
    login(page, "employee@demo.test")
    page.goto("/items/new-crm-first-login-checklist")
    if page.locator(".tick[aria-checked=true]").count():
        page.locator("#checklist button.secondary").click()  # start from a fresh checklist
        settle(page)
    first = page.locator('.tick[data-step="1"]')
    first.focus()
    page.keyboard.press("Space")
    page.wait_for_selector('.tick[data-step="1"][aria-checked="true"]')
    settle(page)
    assert focused(page)["step"] == "1" and focused(page)["checked"] == "true"
    page.keyboard.press("Tab")
    assert focused(page)["step"] == "2", "the next Tab goes to the next step, not to 'Was this helpful?'"
    page.keyboard.press("Enter")
    page.wait_for_selector('.tick[data-step="2"][aria-checked="true"]')
    settle(page)
    assert focused(page)["step"] == "2"
    page.locator("#checklist button.secondary").focus()  # reset: its button goes away with the ticks
    page.keyboard.press("Enter")
    page.wait_for_selector('.tick[data-step="1"][aria-checked="false"]')
    settle(page)
    assert focused(page)["tag"] != "BODY" and focused(page)["step"] == "1"


def test_search_tabs_by_keyboard_keep_focus(page):
    login(page, "employee@demo.test")
    page.goto("/search")
    page.locator("#search-q").focus()
    page.keyboard.type("expense")
    page.wait_for_selector(".hits > li")
    assert focused(page)["id"] == "search-q", "typing never loses the search box"
    page.get_by_role("link", name="Discussions").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**tab=discussions**")
    settle(page)
    now = focused(page)
    assert now["tag"] == "A" and now["text"] == "Discussions" and now["current"] == "page"


def test_voting_and_replying_in_a_thread_by_keyboard(page):
    login(page, "employee@demo.test")
    page.goto("/spaces")
    page.locator(".space-card a").first.click()
    thread_link = page.locator(".thread-title a, a.thread-title").nth(1)
    thread_link.click()
    vote = page.locator(".post:not(.opening) .vote button").first
    if not vote.count():
        pytest.skip("no reply to vote on in the demo thread")
    box = vote.locator("xpath=ancestor::span[contains(@class, 'vote')]").get_attribute("id")
    vote.focus()
    before = vote.get_attribute("aria-pressed")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#{box} button[aria-pressed={'false' if before == 'true' else 'true'}]")
    settle(page)
    assert focused(page)["tag"] == "BUTTON" and focused(page)["pressed"] != before
    reply = page.locator("#reply-form textarea")
    if reply.count():
        reply.focus()
        page.keyboard.type("Thanks, that worked for me.")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        page.wait_for_selector("text=Thanks, that worked for me.")
        settle(page)
        assert focused(page)["tag"] != "BODY", "after posting, focus stays in the discussion"


def test_review_queue_filters_by_keyboard(page):
    login(page, "champion@demo.test")
    page.goto("/review")
    select = page.locator("#queue-filters select, form select").first
    select.focus()
    page.keyboard.press("ArrowDown")
    settle(page)
    assert focused(page)["tag"] in {"SELECT", "A", "BUTTON", "INPUT"}, focused(page)
