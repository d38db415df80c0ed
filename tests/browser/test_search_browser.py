"""Search in real Chromium: typing letter by letter updates results in place and the URL follows."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_typing_updates_results_and_url(page):
    login(page, "employee@demo.test")
    page.goto("/search")
    box = page.locator("#search-q")
    titles = page.locator("#search-results .card-title")
    seen = []
    for letter in "expe":
        box.press_sequentially(letter, delay=60)
        expect(page).to_have_url(re.compile(r"/search\?q=" + re.escape(box.input_value())))
        expect(titles.first).to_be_visible()
        seen.append(titles.first.inner_text())
    expect(titles.first).to_contain_text(re.compile("expense", re.I))
    box.press_sequentially("nse claim rej", delay=40)
    expect(page).to_have_url(re.compile(r"q=expense(\+|%20)claim(\+|%20)rej"))
    expect(titles.first).to_contain_text("rejected")
    assert seen[0] != titles.first.inner_text() or len(set(seen)) > 1  # results changed as we typed
    # A facet narrows in place, and typing afterwards keeps it.
    page.locator(".facet a", has_text="Something's broken").first.click()
    expect(page).to_have_url(re.compile(r"moment=solve"))
    box.press("End")
    box.press_sequentially("e", delay=40)
    expect(page).to_have_url(re.compile(r"q=expense(\+|%20)claim(\+|%20)reje.*moment=solve|moment=solve.*q=expense(\+|%20)claim(\+|%20)reje"))
    # Back restores the previous search.
    page.go_back()
    expect(page).to_have_url(re.compile(r"moment=solve"))
    assert not [m for m in page.console_messages if m.type == "error"]


def test_direct_link_renders_full_page_with_highlights(page):
    login(page, "employee@demo.test")
    page.goto("/search?q=forklift")
    expect(page.locator("#search-q")).to_have_value("forklift")
    expect(page.locator("#search-results mark").first).to_be_visible()
