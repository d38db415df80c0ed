"""Search in real Chromium: typing letter by letter updates results in place and the URL follows."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import goto_with_htmx_held, login

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


def test_words_typed_before_htmx_is_ready_still_search(page):
    login(page, "employee@demo.test")
    release_htmx = goto_with_htmx_held(page, "/search")
    page.locator("#search-q").press_sequentially("expense claim rejected", delay=20)
    release_htmx()
    expect(page).to_have_url(re.compile(r"q=expense(\+|%20)claim(\+|%20)rejected"))
    expect(page.locator("#search-results .card-title").first).to_contain_text("rejected")


def test_an_untouched_page_sends_nothing_when_htmx_arrives(page):
    login(page, "employee@demo.test")
    refetched = []
    page.on("request", lambda request: request.headers.get("hx-request") and refetched.append(request.url))
    for path in ("/catalog?moment=apply", "/search?q=expense", "/people", "/review/freshness"):
        page.goto(path)
        page.wait_for_function("window.htmx !== undefined")
        page.wait_for_timeout(200)
        assert [url for url in refetched if urlsplit(url).path == urlsplit(path).path] == []


def test_direct_link_renders_full_page_with_highlights(page):
    login(page, "employee@demo.test")
    page.goto("/search?q=forklift")
    expect(page.locator("#search-q")).to_have_value("forklift")
    expect(page.locator("#search-results mark").first).to_be_visible()


def _demand_rows(database_url: str) -> list[tuple[str, int]]:
    """(query, results) of every logged search, read straight from the live server's SQLite file."""
    with closing(sqlite3.connect(database_url.removeprefix("sqlite:///"))) as conn:
        return conn.execute("SELECT query, results FROM search_demand ORDER BY id").fetchall()


def test_each_settled_search_is_logged_once_by_its_beacon(page, live_server):
    login(page, "employee@demo.test")
    posts = []
    page.on("request", lambda request: posts.append(request.post_data) if request.url.endswith("/search/demand") else None)
    before = _demand_rows(live_server.database_url)
    # A direct visit logs itself once the page has loaded (the GET wrote nothing).
    with page.expect_response(lambda response: response.url.endswith("/search/demand")) as logged:
        page.goto("/search?q=zanzibar+ferry")
    assert logged.value.status == 204
    assert _demand_rows(live_server.database_url)[len(before):] == [("zanzibar ferry", 0)]
    # Typing: only the search that stayed on screen is logged, not each keystroke's results.
    box = page.locator("#search-q")
    box.fill("")
    with page.expect_response(lambda response: response.url.endswith("/search/demand")):
        box.press_sequentially("quokka permit", delay=40)
    assert len(posts) == 2 and "q=quokka%20permit" in posts[1]
    assert _demand_rows(live_server.database_url)[len(before):] == [("zanzibar ferry", 0), ("quokka permit", 0)]
    assert not [m for m in page.console_messages if m.type == "error"]
