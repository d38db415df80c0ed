"""In Chromium: an employee uploads a video and watches the progress bar, the Sales champion
claims and approves it, and the employee finds it in the catalog and plays it."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests import media_fixtures
from tests.browser.conftest import browser_session, login

pytestmark = pytest.mark.browser

RECORD_PROGRESS = """() => {
  window.uploadProgress = [];
  document.addEventListener("htmx:xhr:progress", () => {
    const bar = document.getElementById("upload-progress");
    const box = document.getElementById("upload-progress-box");
    if (bar) { window.uploadProgress.push({value: bar.value, max: bar.max, shown: !box.hidden}); }
    // sessionStorage survives the full-page load that follows a successful upload.
    sessionStorage.setItem("uploadProgress", JSON.stringify(window.uploadProgress));
  });
}"""


def test_upload_review_publish_and_play(page, browser, live_server, tmp_path):
    video = media_fixtures.video(tmp_path / "pallet.webm", seconds=4, size="640x360", rate=25)
    title = f"Stacking a pallet safely {int(time.time())}"

    login(page, "employee@demo.test")
    page.get_by_role("link", name="Submit", exact=True).click()
    expect(page.get_by_role("heading", name="Share what you know")).to_be_visible()
    page.get_by_role("radio", name="Quick Learn").check()
    expect(page.locator("[data-type=job_aid]")).to_be_hidden()  # submit.js shows only the chosen type
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Summary").fill("Heavy at the bottom, overhang never.")
    page.get_by_label("Moment of need").select_option(index=2)
    page.get_by_label("KPIs it serves").select_option(index=0)
    page.get_by_label("Department (its champions review it)").select_option(label="Sales")
    page.get_by_label("Video, image or PDF").set_input_files(str(video))
    page.evaluate(RECORD_PROGRESS)
    page.get_by_role("button", name="Submit for review").click()

    page.wait_for_url(re.compile(r"/submissions/\d+$"))
    # The file is processed by the job worker; the page says so, then shows the submission once ready.
    expect(page.get_by_text(re.compile(r"Submitted for review\.|being processed")).first).to_be_visible()
    progress = page.evaluate("() => JSON.parse(sessionStorage.getItem('uploadProgress'))")
    assert progress, "the progress bar never moved"
    assert all(p["shown"] for p in progress)
    assert progress[-1]["value"] == progress[-1]["max"] > video.stat().st_size
    expect(page.locator(".badge.state-pending")).to_have_text("Waiting for review", timeout=30_000)

    champion = browser_session(browser, live_server, "champion@demo.test")
    champion.console_messages = []
    champion.on("console", lambda message: champion.console_messages.append(message))
    champion.goto("/review")
    champion.get_by_role("link", name=title).click()
    champion.get_by_role("button", name="Claim for review").click()
    champion.get_by_role("radio", name="Approve and publish").check()
    champion.get_by_role("button", name="Send decision").click()
    expect(champion.get_by_text("Approved and published.")).to_be_visible()
    champion.get_by_role("link", name="Review queue").click()
    expect(champion.get_by_role("link", name=title)).to_have_count(0)

    page.goto(f"/catalog?q={title.split()[-1]}")
    page.get_by_role("link", name=title).click()
    player = page.locator("video")
    expect(player).to_be_visible()
    assert page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play().then(() => true); }")
    deadline = time.monotonic() + 10  # polled from Python: wait_for_function would need eval, which the CSP forbids
    while page.evaluate("() => document.querySelector('video').currentTime") < 0.3:
        assert time.monotonic() < deadline, "the video did not play"
        page.wait_for_timeout(100)
    assert page.evaluate("() => document.querySelector('video').duration") == pytest.approx(4, abs=0.3)
    page.locator("#notifications-link").click()
    expect(page.get_by_role("link", name=f"“{title}” is published. Thank you for sharing it!")).to_be_visible()
    errors = [m.text for m in page.console_messages + champion.console_messages if m.type == "error"]
    assert not errors, errors


def test_photo_sequence_upload_and_reading_it_by_keyboard_without_javascript(page, browser, live_server, tmp_path):
    pictures = []
    for number in (1, 2, 3):
        path = tmp_path / f"{number}-step.jpg"
        path.write_bytes(media_fixtures.jpeg_with_exif(120, 80))
        pictures.append(str(path))
    title = f"Three photos of a label roll {int(time.time())}"

    login(page, "employee@demo.test")
    page.goto("/submit")
    page.get_by_role("radio", name="Quick Learn").check()
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Summary").fill("Swap the roll without a jam.")
    page.get_by_label("Moment of need").select_option(index=2)
    page.get_by_label("KPIs it serves").select_option(index=0)
    page.get_by_label("Department (its champions review it)").select_option(label="Sales")
    page.get_by_label("Video, image or PDF").set_input_files(pictures)
    page.get_by_label("Image captions").fill("Open the cover.\n\nClose the cover.")
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url(re.compile(r"/submissions/\d+$"))
    # The file is processed by the job worker; the page says so, then shows the submission once ready.
    expect(page.get_by_text(re.compile(r"Submitted for review\.|being processed")).first).to_be_visible()
    # Processing… is polled every 3 s and the page reloads when the images are ready.
    expect(page.locator(".badge.state-pending")).to_have_text("Waiting for review", timeout=30_000)
    page.get_by_role("link", name="Preview as published").click()
    expect(page.locator(".sequence > li")).to_have_count(3)
    expect(page.get_by_role("img", name="Open the cover.")).to_be_visible()
    assert not [m.text for m in page.console_messages if m.type == "error"]

    # The seeded sequence, read by keyboard with JavaScript off: an ordered list of figures.
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    reader = context.new_page()
    login(reader, "leader@demo.test")
    reader.goto("/items/stretch-wrapping-a-pallet")
    steps = reader.locator("ol.sequence > li figure")
    expect(steps).to_have_count(4)
    expect(steps.nth(0).locator("figcaption")).to_contain_text("Step 1 of 4")
    expect(steps.nth(0).get_by_role("img")).to_have_attribute("alt", re.compile(r"^Tie the end of the film"))
    reader.get_by_role("link", name="Step 3", exact=True).focus()
    reader.keyboard.press("Enter")
    reader.wait_for_url(re.compile(r"#step-3$"))
    for number in range(4):  # every picture really loads through /media, lazy ones once scrolled to
        image = steps.nth(number).get_by_role("img")
        image.scroll_into_view_if_needed()
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), number
    context.close()
