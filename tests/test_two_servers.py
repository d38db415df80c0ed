"""Many machines: two app servers behind Debian's haproxy, one PostgreSQL, shared media, jobs on
Redis, and rate-limit counters in Redis, so wrong passwords spread over both servers are limited as one.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import urllib.parse

import pytest
import redis
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
SIGN_IN_LIMIT = 3  # wrong passwords per account before 429, low so the test stays short


@pytest.fixture()
def cluster(tmp_path, tmp_path_factory, redis_url):  # noqa: F811
    """Two gunicorn servers (own instance and index dirs) on one PostgreSQL and one media dir, a job
    worker on Redis, rate limits on (counters in Redis), haproxy in front; yields (app, base, lb port, port a, port b)."""
    postgres = Cluster().start()
    try:
        shared_media = tmp_path / "shared-media"
        app = make_app(postgres.create_database("two_servers"), tmp_path_factory, UPLOAD_DIR=str(shared_media))
        with app.app_context():
            base = factories.build_base()
            limits = {"RATELIMIT_ENABLED": "1", "RATELIMIT_STORAGE_URI": _limiter_url(redis_url),
                      "RATE_LIMIT_SIGN_IN_ACCOUNT": f"{SIGN_IN_LIMIT} per 15 minutes"}
            envs = [srv.app_env(app.config, JOBS_IMMEDIATE="0", JOBS_URL=redis_url, **limits,
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


def _limiter_url(jobs_url: str) -> str:
    """The same Redis as the jobs, its own database (1) for the rate-limit counters."""
    return jobs_url.rsplit("/", 1)[0] + "/1"


def _wrong_password(port: int, email: str) -> tuple[int, dict]:
    """One failed sign-in from a fresh browser; (status, lower-cased headers)."""
    session = srv.Session(port)
    form = urllib.parse.urlencode({"email": email, "password": "not-the-password", "csrf_token": session.token("/login")}).encode()
    status, headers, _ = session.request("POST", "/login", [form], {"Content-Type": "application/x-www-form-urlencoded"}, len(form))
    return status, {k.lower(): v for k, v in headers.items()}


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


def test_wrong_passwords_spread_over_both_servers_are_limited_together(cluster, redis_url):  # noqa: F811
    app, base, lb_port, port_a, port_b = cluster
    email = base.users["champion"].email
    # Alternate the servers directly: each sees at most two attempts, under the limit of three, so
    # only counters shared in Redis (not each process's memory) can stop the fourth.
    answers = [_wrong_password(port, email) for port in (port_a, port_b, port_a)]
    assert [status for status, _ in answers] == [422] * SIGN_IN_LIMIT
    status, headers = _wrong_password(port_b, email)
    assert status == 429 and int(headers["retry-after"]) > 0
    assert _wrong_password(lb_port, email)[0] == 429  # and through the load balancer, whichever server answers
    assert redis.Redis.from_url(_limiter_url(redis_url)).dbsize() > 0, "the counters live in the shared Redis"
    session = srv.sign_in(lb_port, base.users["employee"].email, factories.PASSWORD)  # other accounts sign in as usual
    assert session.request("GET", "/submissions")[0] == 200
