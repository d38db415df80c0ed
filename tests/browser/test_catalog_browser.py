"""Key foundation journeys in real Chromium: checklist ticks survive reload; curator reorders."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import goto_with_htmx_held, login

pytestmark = pytest.mark.browser


def test_employee_ticks_checklist_steps_and_they_survive_reload(page):
    login(page, "employee@demo.test")
    page.goto("/")
    page.get_by_role("link", name=re.compile("See all.*I need to do it now")).click()
    expect(page).to_have_url(re.compile(r"/catalog\?moment=apply"))
    page.get_by_role("combobox", name="Type").select_option("checklist")
    expect(page).to_have_url(re.compile(r"type=checklist"))
    expect(page.locator("#results .badge.type-quick_learn")).to_have_count(0)
    expect(page.locator("#results .badge.type-checklist").first).to_be_visible()
    page.locator("#results .card-title a").first.click()
    steps = page.get_by_role("checkbox")
    expect(steps.first).to_be_visible()
    steps.nth(0).click()
    expect(steps.nth(0)).to_have_attribute("aria-checked", "true")
    steps.nth(1).click()
    expect(steps.nth(1)).to_have_attribute("aria-checked", "true")
    page.reload()
    steps = page.get_by_role("checkbox")
    expect(steps.nth(0)).to_have_attribute("aria-checked", "true")
    expect(steps.nth(1)).to_have_attribute("aria-checked", "true")
    expect(steps.nth(2)).to_have_attribute("aria-checked", "false")
    expect(page.locator(".progress-count")).to_contain_text("2 of")
    assert not [m for m in page.console_messages if m.type == "error"]


def test_curator_reorders_a_collection(page):
    login(page, "curator@demo.test")
    page.goto("/collections")
    page.get_by_role("link", name="Fix it on the first contact").click()
    page.get_by_role("link", name="Edit collection").click()
    titles = page.locator(".entry .entry-title a")
    first, second = titles.nth(0).inner_text(), titles.nth(1).inner_text()
    page.get_by_role("button", name=f"Move down: {first}").click()
    expect(titles.nth(0)).to_have_text(second)
    expect(titles.nth(1)).to_have_text(first)
    page.reload()
    expect(page.locator(".entry .entry-title a").nth(0)).to_have_text(second)
    page.goto("/collections/fix-it-on-the-first-contact")
    expect(page.locator(".collection-items .card-title a").nth(0)).to_have_text(second)


def test_seeded_quick_learn_video_plays(page):
    login(page, "employee@demo.test")
    page.goto("/items/calming-an-angry-customer")
    video = page.locator("video")
    expect(video).to_be_visible()
    page.wait_for_function("() => document.querySelector('video').readyState >= 1")
    assert page.evaluate("document.querySelector('video').duration") > 1
    page.evaluate("document.querySelector('video').muted = true")
    page.evaluate("document.querySelector('video').play()")
    page.wait_for_function("() => document.querySelector('video').currentTime > 0.2")


def test_a_filter_chosen_before_htmx_is_ready_still_filters(page):
    login(page, "employee@demo.test")
    release_htmx = goto_with_htmx_held(page, "/catalog?moment=apply")
    page.get_by_role("combobox", name="Type").select_option("checklist")
    release_htmx()
    expect(page).to_have_url(re.compile(r"type=checklist"))
    expect(page.locator("#results .badge.type-quick_learn")).to_have_count(0)
    expect(page.locator("#results .badge.type-checklist").first).to_be_visible()
    assert not [m for m in page.console_messages if m.type == "error"]
