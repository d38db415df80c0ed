"""Uploads on real networks, through a real gunicorn: slow clients, anonymous bodies, dropped connections."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.submissions.models import Submission
from tests import factories
from tests import media_fixtures as fx
from tests import server_fixtures as srv
from tests import submission_helpers as h


@pytest.fixture(scope="module")
def server(app, tmp_path_factory):
    """gunicorn (the project's settings, a 2 s worker timeout) on the tests' database and media.

    One server for the module: each test signs in afresh on its own base data (the `base` fixture).
    """
    env = srv.app_env(app.config, GUNICORN_TIMEOUT="2")
    with srv.gunicorn(env, log=tmp_path_factory.mktemp("uploads-server") / "gunicorn.log") as port:
        yield port


def _incoming(app) -> list[Path]:
    incoming = Path(app.config["UPLOAD_DIR"]) / "incoming"
    return [p for p in incoming.rglob("*") if p.is_file()] if incoming.is_dir() else []


def _raw_post(port: int, path: str, head: bytes, length: int, cookie: str = "") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)  # a loaded CI machine can be slow
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: multipart/form-data; boundary=mkpboundary42",
             f"Content-Length: {length}"] + ([f"Cookie: {cookie}"] if cookie else [])
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + head)
    return sock


def test_a_slow_upload_outlives_the_worker_timeout(app, base, server):
    # 3 MB at 400 KB/s takes ~8 s, four times gunicorn's timeout here: a sync worker is killed at 2 s.
    session = srv.sign_in(server, base.users["employee"].email, factories.PASSWORD)
    pdf = fx.pdf(b"/Padding (" + b"a" * (3 * 2**20) + b") ")
    head, content, tail = srv.multipart(srv.form_fields(base, session.token("/submit")), "slow.pdf", pdf)
    started = time.monotonic()
    status, headers, _ = session.request("POST", "/submit", srv.throttled([head, content, tail], 400_000),
                                         {"Content-Type": "multipart/form-data; boundary=mkpboundary42"},
                                         len(head) + len(content) + len(tail))
    assert time.monotonic() - started > 6
    assert status == 303 and "/submissions/" in headers["Location"]
    db.session.expire_all()
    submission = db.session.scalar(select(Submission))
    assert submission.item.media.kind == "pdf" and submission.item.media.size_bytes == len(pdf)


@pytest.mark.parametrize("who", ["anonymous", "leader"])
def test_unauthorised_uploads_are_refused_before_the_body_is_read(app, base, server, who, tmp_path):
    big = 150 * 2**20
    cookie, path = "", "/submit"
    if who == "leader":  # signed in, but the draft is someone else's: 404 before a byte of the file is stored
        draft = h.make(base, tmp_path, state="draft")
        session = srv.sign_in(server, base.users["leader"].email, factories.PASSWORD)
        cookie, path = "; ".join(f"{k}={v}" for k, v in session.cookies.items()), f"/submissions/{draft.id}/edit"
    before = set(_incoming(app))
    head, _, _ = srv.multipart({"title": "x"}, "huge.mp4", b"")
    sock = _raw_post(server, path, head + b"\0" * 2**20, big, cookie)
    answer = sock.recv(4096).decode(errors="replace")  # answered with 149 MB still unsent
    sock.close()
    expected = "HTTP/1.1 303" if who == "anonymous" else "HTTP/1.1 404"
    assert answer.startswith(expected), answer[:200]
    if who == "anonymous":
        assert "/login" in answer
    assert set(_incoming(app)) == before


def test_a_dropped_upload_leaves_no_partial_file(app, base, server):
    session = srv.sign_in(server, base.users["employee"].email, factories.PASSWORD)
    head, _, _ = srv.multipart(srv.form_fields(base, session.token("/submit")), "dropped.mp4", b"")
    cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
    sock = _raw_post(server, "/submit", head, len(head) + 50 * 2**20, cookie)
    for _ in range(8):
        sock.sendall(b"\1" * 2**20)
    deadline = time.monotonic() + 30
    while not _incoming(app) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _incoming(app), "the upload never reached the spool directory"
    sock.close()  # the client goes away mid-upload
    deadline = time.monotonic() + 30
    while _incoming(app) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _incoming(app) == []
