"""Rate limits: sign-in per account and per address, posting, uploads, search; 429 with Retry-After
and a friendly page or fragment; limits from configuration; shared counters in a real Redis."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
import redis

from tests import factories
from tests.conftest import make_app

TIGHT = {
    "RATELIMIT_ENABLED": True,
    "RATE_LIMIT_SIGN_IN_ACCOUNT": "3 per minute",
    "RATE_LIMIT_SIGN_IN_ADDRESS": "5 per minute",
    "RATE_LIMIT_POSTING": "2 per minute",
    "RATE_LIMIT_UPLOADS": "2 per minute",
    "RATE_LIMIT_SEARCH": "3 per minute",
}


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A real redis-server on loopback, for this module only."""
    binary = shutil.which("redis-server") or pytest.fail("redis-server is missing: scripts/ensure-test-system installs it")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    home = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                "--dir", str(home)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture()
def limited(database_url, tmp_path_factory, base):
    """An app on the test database with tight limits in memory."""
    return make_app(database_url, tmp_path_factory, **TIGHT)


def _sign_in(client, email: str, password: str, address: str = "10.0.0.1", htmx: bool = False):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post("/login", data={"email": email, "password": password, "csrf_token": client.csrf_token()},
                       headers=headers, environ_base={"REMOTE_ADDR": address})


def test_wrong_passwords_on_one_account_get_429_with_retry_after(limited, base):
    client = limited.test_client()
    email = base.users["employee"].email
    for _ in range(3):
        assert _sign_in(client, email, "wrong").status_code == 422
    refused = _sign_in(client, email.upper(), "wrong", address="10.0.0.2")  # same account, however typed or from where
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    page = refused.get_data(as_text=True)
    assert "Too many attempts" in page and "try again in" in page and "<html" in page
    assert _sign_in(client, email, factories.PASSWORD).status_code == 429  # the account waits out the window
    assert _sign_in(client, base.users["leader"].email, factories.PASSWORD).status_code == 303  # others are fine


def test_successful_sign_ins_are_not_counted(limited, base):
    for _ in range(5):
        client = limited.test_client()
        assert _sign_in(client, base.users["curator"].email, factories.PASSWORD).status_code == 303


def test_one_address_trying_many_accounts_is_limited(limited, base):
    client = limited.test_client()
    for n in range(5):
        assert _sign_in(client, f"nobody{n}@test.example", "guess", address="10.9.9.9").status_code == 422
    assert _sign_in(client, "nobody9@test.example", "guess", address="10.9.9.9").status_code == 429
    assert _sign_in(client, "nobody9@test.example", "guess", address="10.9.9.10").status_code == 422


def test_htmx_gets_a_fragment_into_messages(limited, base):
    client = limited.test_client()
    for _ in range(3):
        _sign_in(client, "someone@test.example", "wrong")
    refused = _sign_in(client, "someone@test.example", "wrong", htmx=True)
    assert refused.status_code == 429 and refused.headers["HX-Retarget"] == "#messages"
    assert "<html" not in refused.get_data(as_text=True) and "Too many attempts" in refused.get_data(as_text=True)
    assert "Retry-After" in refused.headers


def test_search_posting_and_uploads_are_limited_per_person(limited, base):
    erin, lee = limited.test_client(), limited.test_client()
    erin.login(base.users["employee"].email)
    lee.login(base.users["leader"].email)
    # (this app has no index built: search answers 503 "unavailable", which is not a limit)
    searches = [erin.get("/search?q=expense").status_code for _ in range(4)]
    assert 429 not in searches[:3] and searches[3] == 429
    assert lee.get("/search?q=expense").status_code != 429  # per person, not for everyone
    posts = [erin.send("/search/request", {"q": f"zebra {n}"}).status_code for n in range(3)]
    assert posts[:2] != [429, 429] and posts[2] == 429
    uploads = [erin.send("/submit", {"title": ""}).status_code for _ in range(3)]
    assert uploads[:2] == [422, 422] and uploads[2] == 429


def test_limits_off_by_configuration(database_url, tmp_path_factory, base):
    app = make_app(database_url, tmp_path_factory, **{**TIGHT, "RATELIMIT_ENABLED": False})
    client = app.test_client()
    assert all(_sign_in(client, "x@test.example", "wrong").status_code == 422 for _ in range(6))


def test_two_app_servers_share_counters_in_redis(database_url, tmp_path_factory, base, redis_url):
    shared = {**TIGHT, "RATELIMIT_STORAGE_URI": redis_url}
    first = make_app(database_url, tmp_path_factory, **shared).test_client()
    second = make_app(database_url, tmp_path_factory, **shared).test_client()
    email = base.users["champion"].email
    answers = [_sign_in(client, email, "wrong").status_code for client in (first, second, first, second)]
    assert answers == [422, 422, 422, 429]
    assert redis.Redis.from_url(redis_url).dbsize() > 0  # the counters really live in Redis
