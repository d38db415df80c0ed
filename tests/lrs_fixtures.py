"""A real Ralph learning record store on loopback (filesystem backend), from .lrs-venv."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.pgcluster import _free_port

ROOT = Path(__file__).resolve().parent.parent
LRS_BIN = ROOT / ".lrs-venv" / "bin"
USER, PASSWORD = "marketplace", "lrs-test-password"
AUTHORITY_HOME = "https://lrs-authority.example"


class Lrs:
    """A running Ralph LRS: its xAPI endpoint and credentials, and a way to read statements back."""

    def __init__(self, url: str) -> None:
        self.url = url

    def statements(self) -> list[dict]:
        """Every statement the LRS stored (following `more` links)."""
        found, path = [], "/statements?limit=500"
        while path:
            response = httpx.get(self.url.rstrip("/") + path.removeprefix("/xAPI"), auth=(USER, PASSWORD),
                                 headers={"X-Experience-API-Version": "1.0.3"}, timeout=10)
            response.raise_for_status()
            body = response.json()
            found += body["statements"]
            path = body.get("more") or ""
        return found


def start_lrs(home: Path) -> tuple[subprocess.Popen, str]:
    """Start Ralph (filesystem backend) under `home` on a free loopback port; return it and its xAPI URL."""
    env = {**os.environ, "RALPH_APP_DIR": str(home / "app"), "RALPH_AUTH_FILE": str(home / "auth.json"),
           "RALPH_RUNSERVER_BACKEND": "fs", "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(home / "data")}
    subprocess.run([str(LRS_BIN / "ralph"), "auth", "-u", USER, "-p", PASSWORD, "-s", "all",
                    "-A", USER, AUTHORITY_HOME, "-w"], env=env, check=True, capture_output=True)
    port = _free_port()
    with open(home / "server.log", "w") as log:  # the child keeps its own copy of the descriptor
        server = subprocess.Popen([str(LRS_BIN / "python"), str(ROOT / "tests" / "ralph_server.py"), str(port)],
                                  env=env, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/__heartbeat__", timeout=1).status_code < 500:
                return server, f"http://127.0.0.1:{port}/xAPI"
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("Ralph did not start: " + (home / "server.log").read_text()[-2000:])


@pytest.fixture(scope="session")
def lrs(tmp_path_factory):
    """Start Ralph once for the session (skipped, with the reason, when scripts/ensure-lrs has not run)."""
    if not (LRS_BIN / "uvicorn").exists():
        pytest.skip("the Ralph LRS is not installed: run scripts/ensure-lrs (make test does)")
    server, url = start_lrs(tmp_path_factory.mktemp("lrs"))
    yield Lrs(url)
    server.terminate()
    server.wait(10)
