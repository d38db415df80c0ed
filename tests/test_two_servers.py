"""Many machines: two app servers behind Debian's haproxy, one PostgreSQL, shared media, jobs on Redis.

Rate limits across both servers (Flask-Limiter on Redis) are another branch's work; when the
branches merge, add here: N wrong passwords spread over both servers are limited as one.
"""

from __future__ import annotations

import os
import shutil
import sys
import time

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.submissions.models import Submission
from tests import factories
from tests import media_fixtures as fx
from tests import server_fixtures as srv
from tests.conftest import make_app
from tests.pgcluster import Cluster, _free_port
from tests.test_jobs import redis_url  # noqa: F401  (fixture: a real redis-server)

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
HAPROXY_CONFIG = """
defaults
    mode http
    timeout connect 5s
    timeout client 300s
    timeout server 300s
frontend web
    bind 127.0.0.1:{port}
    default_backend apps
backend apps
    balance roundrobin
    http-response set-header X-Backend %s
    server a 127.0.0.1:{a}
    server b 127.0.0.1:{b}
"""


@pytest.fixture()
def cluster(tmp_path, tmp_path_factory, redis_url):  # noqa: F811
    """Two gunicorn servers (own instance and index dirs) on one PostgreSQL and one media dir, a job
    worker on Redis, haproxy in front; yields (app, base, lb port, port a, port b)."""
    postgres = Cluster().start()
    try:
        shared_media = tmp_path / "shared-media"
        app = make_app(postgres.create_database("two_servers"), tmp_path_factory, UPLOAD_DIR=str(shared_media))
        with app.app_context():
            base = factories.build_base()
            envs = [srv.app_env(app.config, JOBS_IMMEDIATE="0", JOBS_URL=redis_url,
                                MARKETPLACE_INSTANCE_DIR=str(tmp_path / f"machine-{name}"),
                                SEARCH_INDEX_DIR=str(tmp_path / f"machine-{name}" / "index")) for name in "ab"]
            worker = [sys.executable, "-m", "flask", "--app", "marketplace", "jobs", "worker", "--workers", "1"]
            lb_port, config = _free_port(), tmp_path / "haproxy.cfg"
            with srv.gunicorn(envs[0], log=tmp_path / "a.log") as port_a, \
                    srv.gunicorn(envs[1], log=tmp_path / "b.log") as port_b, \
                    srv.process(worker, envs[0], log=tmp_path / "worker.log"):
                config.write_text(HAPROXY_CONFIG.format(port=lb_port, a=port_a, b=port_b))
                with srv.process([HAPROXY, "-f", str(config), "-db"], dict(os.environ), lb_port):
                    yield app, base, lb_port, port_a, port_b
            db.session.rollback()
    finally:
        postgres.stop()


def test_two_servers_share_sessions_and_media(cluster, tmp_path):
    app, base, lb_port, port_a, port_b = cluster
    session = srv.sign_in(lb_port, base.users["employee"].email, factories.PASSWORD)
    backends = set()
    for _ in range(4):
        status, headers, _ = session.request("GET", "/submissions")
        assert status == 200  # signed in, whichever server answers
        backends.add({k.lower(): v for k, v in headers.items()}["x-backend"])  # haproxy sends it lower-case
    assert backends == {"a", "b"}

    on_a, on_b = srv.Session(port_a), srv.Session(port_b)
    on_a.cookies = on_b.cookies = dict(session.cookies)
    video = fx.video(tmp_path / "clip.webm").read_bytes()
    status, headers = srv.upload(on_a, base, "clip.webm", video)
    assert status == 303
    submission_path = headers["Location"]
    deadline = time.monotonic() + 90  # the worker (on Redis) processes the video
    media = None
    while media is None and time.monotonic() < deadline:
        db.session.expire_all()
        submission = db.session.scalar(select(Submission))
        media = submission.item.media if submission else None
        time.sleep(0.5)
    assert media is not None, (tmp_path / "worker.log").read_text()[-3000:]
    status, _, page = on_b.request("GET", submission_path)
    assert status == 200 and "Waiting for review" in page and f"/media/{media.id}" in page
    status, headers, body = srv.fetch(port_b, f"/media/{media.id}", on_b)
    assert status == 200 and len(body) == media.size_bytes and headers["content-type"] == "video/webm"
    status, _, part = srv.fetch(port_b, f"/media/{media.id}", on_b, {"Range": "bytes=0-99"})
    assert status == 206 and part == body[:100]
