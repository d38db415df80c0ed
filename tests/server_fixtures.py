"""Real servers on loopback for the production-layout tests: gunicorn, moto's S3, nginx, haproxy."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

from bench.upload import Session
from tests.pgcluster import _free_port

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def wait_for_port(port: int, seconds: float = 30, process: subprocess.Popen | None = None) -> None:
    """Wait until something accepts connections on 127.0.0.1:port."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


def app_env(config, **extra: str) -> dict[str, str]:
    """Environment for a server process on the same database, media and secret as a test app."""
    return {
        **os.environ, "MARKETPLACE_ENV": "testing", "SECRET_KEY": config["SECRET_KEY"],
        "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"], "MARKETPLACE_INSTANCE_DIR": config["INSTANCE_DIR"],
        "UPLOAD_DIR": config["UPLOAD_DIR"], "SEARCH_INDEX_DIR": config["SEARCH_INDEX_DIR"],
        "SESSION_COOKIE_SECURE": "0", "JOBS_IMMEDIATE": "1", "SEED_DEMO": "0", **extra,
    }


@contextlib.contextmanager
def process(command: list[str], env: dict[str, str], port: int | None = None, log: Path | None = None) -> Iterator[subprocess.Popen]:
    """Run a server process for the block; stop it (and wait) afterwards."""
    out = log.open("ab") if log else subprocess.DEVNULL
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT if log else subprocess.DEVNULL)
    try:
        if port is not None:
            wait_for_port(port, 60, server)
        yield server
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)
        if log:
            out.close()


@contextlib.contextmanager
def gunicorn(env: dict[str, str], workers: int = 1, log: Path | None = None) -> Iterator[int]:
    """The app under gunicorn with the project's own settings (marketplace/gunicorn_conf.py); yields the port."""
    port = _free_port()
    command = [sys.executable, "-m", "gunicorn", "-c", "python:marketplace.gunicorn_conf", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "marketplace:create_app()"]
    with process(command, env, port, log):
        yield port


def sign_in(port: int, email: str, password: str) -> Session:
    """A cookie-keeping session signed in over HTTP."""
    session = Session(port)
    token = session.token("/login")
    form = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token}).encode()
    status, _, _ = session.request("POST", "/login", [form], {"Content-Type": "application/x-www-form-urlencoded"}, len(form))
    assert status == 303, f"sign-in as {email} answered {status}"
    return session


def multipart(fields: dict[str, str | list[str]], file_name: str, content: bytes, boundary: str = "mkpboundary42") -> tuple[bytes, bytes, bytes]:
    """(head, file bytes, tail) of a multipart form with one file part named "file"."""
    parts = []
    for key, value in fields.items():
        for one in value if isinstance(value, list) else [value]:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{one}\r\n')
    head = "".join(parts).encode() + (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n").encode()
    return head, content, f"\r\n--{boundary}--\r\n".encode()


def throttled(blocks: list[bytes], bytes_per_second: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """Yield the blocks in small chunks at about `bytes_per_second` (a slow network, client side)."""
    started, sent = time.monotonic(), 0
    for block in blocks:
        for start in range(0, len(block), chunk):
            piece = block[start:start + chunk]
            yield piece
            sent += len(piece)
            ahead = sent / bytes_per_second - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)


def form_fields(base, token: str, **changes) -> dict:
    """The submit form's fields as a browser posts them."""
    from tests import submission_helpers as h

    return {**h.form(base, **changes), "csrf_token": token}


def fetch(port: int, path: str, session: Session | None = None, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """GET raw bytes (media), with the session's cookies."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    cookie = "; ".join(f"{k}={v}" for k, v in (session.cookies if session else {}).items())
    conn.request("GET", path, headers={**({"Cookie": cookie} if cookie else {}), **(headers or {})})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def upload(session: Session, base, file_name: str, content: bytes, path: str = "/submit") -> tuple[int, dict]:
    """POST the submit form with one file, at full speed."""
    head, content, tail = multipart(form_fields(base, session.token("/submit")), file_name, content)
    status, headers, _ = session.request("POST", path, [head, content, tail],
                                         {"Content-Type": "multipart/form-data; boundary=mkpboundary42"},
                                         len(head) + len(content) + len(tail))
    return status, headers
