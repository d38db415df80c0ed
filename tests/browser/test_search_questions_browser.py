"""The home page box is the one search: a question typed on a phone finds and opens the right item."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_a_question_typed_into_the_home_box_opens_the_right_item(page):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "employee@demo.test")
    page.goto("/")
    box = page.locator("#hero-q")
    box.press_sequentially("how do I log a deal in the new crm", delay=20)
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=how(\+|%20)do(\+|%20)I"))
    first = page.locator("#search-results .hits .card-title a").first
    expect(first).to_contain_text("Logging an opportunity in the new CRM")
    first.click()
    expect(page).to_have_url(re.compile(r"/items/logging-an-opportunity-in-the-new-crm$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Logging an opportunity in the new CRM")
    assert not [m for m in page.console_messages if m.type == "error"]


def test_a_synonym_from_the_vocabulary_finds_the_renamed_item(page):
    login(page, "employee@demo.test")
    page.goto("/")
    page.locator("#hero-q").fill("per diem rates")
    page.locator("#hero-q").press("Enter")
    expect(page.locator("#search-results .hits .card-title a").first).to_contain_text("Meal allowances changed")
