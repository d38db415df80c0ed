"""One background thread per process follows the change feed into the index directory.

It catches up at start-up (the first request), every SEARCH_FOLLOW_SECONDS, and at once when a
write after commit failed; an empty index directory is built from the database first. Several
processes sharing a directory take turns under the index's write lock; machines with their own
directories each follow the shared database. Set SEARCH_FOLLOW_SECONDS to 0 to switch it off
(tests do, and drive `feed.catch_up` themselves).
"""

from __future__ import annotations

import logging
import os
import threading

from flask import Flask

log = logging.getLogger(__name__)
DEFAULT_SECONDS = 2.0


class Follower:
    """The thread, its wake-up event and the last error it met (for /healthz)."""

    def __init__(self, app: Flask, interval: float) -> None:
        self.app = app
        self.interval = interval
        self.wakeup = threading.Event()
        self.stopped = threading.Event()
        self.last_error: str | None = None
        self.pid = os.getpid()
        self.thread = threading.Thread(target=self._run, name="search-follower", daemon=True)

    def _run(self) -> None:
        from marketplace.search import feed

        while not self.stopped.is_set():
            try:
                with self.app.app_context():
                    feed.catch_up(self.app)
                self.last_error = None
            except Exception as error:  # noqa: BLE001 - keep following; the next tick retries
                self.last_error = repr(error)[:300]
                log.warning("search feed catch-up failed (will retry): %r", error)
            self.wakeup.wait(self.interval)
            self.wakeup.clear()

    def stop(self) -> None:
        """Stop after the current catch-up (tests)."""
        self.stopped.set()
        self.wakeup.set()
        self.thread.join(30)


def interval(app: Flask) -> float:
    """Seconds between catch-ups; 0 switches following off (default: off under TESTING)."""
    configured = app.config.get("SEARCH_FOLLOW_SECONDS")
    if configured is None:
        return 0.0 if app.testing else DEFAULT_SECONDS
    return float(configured)


def start(app: Flask) -> Follower | None:
    """Start this process's follower for `app` if it is on and not running (forked workers start their own)."""
    seconds = interval(app)
    if seconds <= 0:
        return None
    current = app.extensions.get("search_follower")
    if current is not None and current.pid == os.getpid() and current.thread.is_alive():
        return current
    follower = app.extensions["search_follower"] = Follower(app, seconds)
    follower.thread.start()
    return follower


def wake(app: Flask) -> None:
    """Ask the follower to catch up now (after a failed index write)."""
    follower = app.extensions.get("search_follower")
    if follower is not None:
        follower.wakeup.set()


def init_app(app: Flask) -> None:
    """Start following with the first request, so CLI commands (migrations, seeding) never start a thread."""

    @app.before_request
    def _follow() -> None:
        start(app)
