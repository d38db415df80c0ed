"""Browser fixtures: a real gunicorn server on the demo seed, driven by Debian's Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DEMO_PASSWORD = "demo-password"
LIVE_ENV: dict[str, str] = {}  # the live server's environment, for journeys that run a CLI job (issue 10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_flask(*args: str) -> subprocess.CompletedProcess:
    """Run a `flask` command against the live server's database (e.g. a scheduled job)."""
    return _flask(LIVE_ENV, *args)


def _flask(env: dict, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "flask", "--app", "marketplace", *args]
    return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)


def _wait_until_up(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {getattr(process, 'log_path', Path('/dev/null')).read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=10) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start within 120 s")


class LiveURL(str):
    """The live server's base URL; `database_url` says where its data lives, for tests that look things up."""

    database_url: str


@pytest.fixture(scope="session")
def live_server(demo_home, tmp_path_factory) -> Iterator[str]:
    """Base URL of gunicorn (two workers) serving a migrated, seeded, indexed demo (a copy of demo_home)."""
    from tests.demo_home import copy_to

    home = tmp_path_factory.mktemp("live")
    env = {
        **os.environ, "MARKETPLACE_ENV": "testing", "SECRET_KEY": "browser-test-secret-key",
        "DATABASE_URL": f"sqlite:///{copy_to(demo_home, home)}", "MARKETPLACE_INSTANCE_DIR": str(home),
        "UPLOAD_DIR": str(home / "uploads"), "SEARCH_INDEX_DIR": str(home / "index"),
        "SESSION_COOKIE_SECURE": "0", "SEED_DEMO": "1",
    }
    LIVE_ENV.update(env)
    port = _free_port()
    url = LiveURL(f"http://127.0.0.1:{port}")
    url.database_url = env["DATABASE_URL"]
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2", "marketplace:create_app()"]
    # The app logs a JSON line per request to stderr: into a file, since an undrained pipe fills and blocks the workers.
    log_path = home / "gunicorn.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, text=True)
    process.log_path = log_path
    # The job worker beside gunicorn, as `make run` starts it: uploads are processed by it.
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "marketplace", "jobs", "worker"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until_up(url, process)
        yield url
    finally:
        for running in (process, worker):
            running.terminate()
            running.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Debian's chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser, live_server):
    """A fresh browser context (no cookies) and page, with the base URL set."""
    context = browser.new_context(base_url=live_server)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.console_messages = []
    page.on("console", lambda message: page.console_messages.append(message))
    yield page
    context.close()


def login(page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the real login form."""
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def goto_with_htmx_held(page, path: str):
    """Open path with htmx's script held back, as on a slow phone; returns a function that releases it."""
    held = []
    page.route("**/vendor/htmx.min.js", lambda route: held.append(route))
    page.goto(path, wait_until="commit")
    page.wait_for_selector("main")
    for _ in range(100):  # the held request reaches the handler on one of Playwright's next turns
        if held:
            break
        page.wait_for_timeout(50)
    assert held and page.evaluate("typeof htmx") == "undefined"
    return held[0].continue_


def browser_session(browser, live_server, email: str):
    """A second, independent signed-in page (for journeys with two people)."""
    context = browser.new_context(base_url=live_server)
    context.set_default_timeout(10_000)
    other = context.new_page()
    login(other, email)
    return other
