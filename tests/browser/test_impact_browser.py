"""Impact in real Chromium at phone width: a curator imports readings and sees the line move; axe on the pages."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _fits_the_phone(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate("""Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 392)
        .slice(0, 6).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right))""")
    assert overflow <= PHONE["width"] + 1, f"page is {overflow}px wide at 390px: {wide}"


def test_curator_imports_readings_and_sees_the_line_move(page):
    page.set_viewport_size(PHONE)
    login(page, "curator@demo.test")
    page.goto("/impact")
    page.get_by_role("link", name="Opportunity win rate").click()
    expect(page).to_have_url(re.compile(r"/impact/kpis/win-rate"))
    before = page.locator("#trend svg").inner_html()
    _fits_the_phone(page)
    next_week = date.today() - timedelta(days=date.today().weekday()) + timedelta(days=7)
    page.get_by_role("navigation", name="Impact").get_by_role("link", name="Import readings").click()
    csv_text = f"kpi,period,start,value,unit\nwin-rate,week,{next_week.isoformat()},45%,%\n"
    page.get_by_label("CSV file").set_input_files(files=[{"name": "week.csv", "mimeType": "text/csv", "buffer": csv_text.encode()}])
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("status").filter(has_text="1 readings")).to_be_visible()
    page.get_by_role("button", name="Store 1 readings").click()
    expect(page.locator(".flash-success")).to_contain_text("1 new")
    page.goto("/impact/kpis/win-rate")
    page.get_by_text("Data table").first.click()
    first = page.locator("#readings-table tbody tr").first
    expect(first).to_contain_text(next_week.isoformat())
    expect(first).to_contain_text("45%")
    assert page.locator("#trend svg").inner_html() != before, "the chart shows the new reading"
    assert not [m for m in page.console_messages if m.type == "error"], [m.text for m in page.console_messages]


def test_bad_csv_lists_problems_and_keyboard_reaches_the_form(page):
    page.set_viewport_size(PHONE)
    login(page, "curator@demo.test")
    page.goto("/impact/readings/import")
    page.get_by_label("CSV file").set_input_files(files=[{"name": "bad.csv", "mimeType": "text/csv",
                                                          "buffer": b"kpi,period,start,value\nwin-rate,week,2026-13-01,=1+1\n"}])
    page.get_by_role("button", name="Check the file").focus()
    page.keyboard.press("Enter")
    alert = page.get_by_role("alert").filter(has_text="Nothing was stored")
    expect(alert).to_contain_text("Row 2, column “value”")
    expect(alert).to_contain_text("Row 2, column “start”")
    _fits_the_phone(page)


PAGES = [("/impact", "leader@demo.test"), ("/impact/kpis/first-contact-resolution", "curator@demo.test"),
         ("/impact/network?period=365&value=120", "curator@demo.test"), ("/impact/readings/import", "curator@demo.test"),
         ("/impact/proficiency", "curator@demo.test"), ("/impact/tokens", "admin@demo.test"), ("/followups", "employee@demo.test")]


@pytest.mark.parametrize(("path", "email"), PAGES)
def test_impact_pages_have_no_serious_axe_violations_and_fit_a_phone(page, path, email):
    page.set_viewport_size(PHONE)
    login(page, email)
    page.goto(path)
    results = Axe().run(page)
    serious = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"] if v["impact"] in {"serious", "critical"}]
    assert serious == [], serious
    _fits_the_phone(page)
    assert not [m for m in page.console_messages if m.type == "error"], [m.text for m in page.console_messages]
