"""Run the app under real gunicorn on loopback, on its own copy of the migrated, seeded and indexed demo."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests import demo_home
from tests.browser.conftest import ROOT, _free_port, _wait_until_up


@contextmanager
def gunicorn(demo: Path, home: Path, env_extra: dict, port: int | None = None, workers: int = 2) -> Iterator[str]:
    """Yield the base URL of gunicorn serving a copy of the `demo` home (fixture demo_home) with `env_extra` in its environment."""
    database = demo_home.copy_to(demo, home)
    env = {
        **os.environ, "SECRET_KEY": "a-long-random-test-secret-key-value", "DATABASE_URL": f"sqlite:///{database}",
        "MARKETPLACE_INSTANCE_DIR": str(home), "UPLOAD_DIR": str(home / "uploads"),
        "SEARCH_INDEX_DIR": str(home / "index"), "SESSION_COOKIE_SECURE": "0", "SEED_DEMO": "1", **env_extra,
    }
    port = port or _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "marketplace:create_app()"]
    # The app logs a JSON line per request: into a file, since an undrained pipe fills and blocks the workers.
    log_path = Path(tempfile.mkdtemp(prefix="gunicorn-log-")) / "gunicorn.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, text=True)
    process.log_path = log_path
    try:
        _wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
