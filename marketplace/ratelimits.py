"""Rate limits (Flask-Limiter): sign-in per account and per address, posting, uploads, search, API tokens.

Limits are attached here by endpoint, so features stay free of limiter code; each limit is a
Flask-Limiter string read from the environment (see README "Operations"). Counters live in
memory by default (one process: fine for `make run`) and in Redis when RATELIMIT_STORAGE_URI
points at it, which several app machines must share.
"""

from __future__ import annotations

import hashlib
import math
import time

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_login import current_user

DEFAULT_LIMITS = {
    # Failed sign-ins only: a person who types their password right is never slowed down.
    "RATE_LIMIT_SIGN_IN_ACCOUNT": "10 per 15 minutes",
    "RATE_LIMIT_SIGN_IN_ADDRESS": "50 per 15 minutes",
    "RATE_LIMIT_POSTING": "30 per 10 minutes",
    "RATE_LIMIT_UPLOADS": "20 per hour",
    "RATE_LIMIT_SEARCH": "120 per minute",
    "RATE_LIMIT_API": "300 per minute",
}
POSTING = ("spaces.new_thread", "spaces.reply", "submissions.comment", "search.request_content")
UPLOADS = ("submissions.new", "submissions.edit")


def client_address() -> str:
    """The caller's address (behind a proxy, set ProxyFix so this is the client, not the proxy)."""
    return request.remote_addr or "unknown"


def signed_in_person() -> str:
    """Limit people by account when signed in, else by address."""
    if current_user and current_user.is_authenticated:
        return f"user:{current_user.get_id()}"
    return f"addr:{client_address()}"


def sign_in_account() -> str:
    """The account being tried, however it is typed."""
    email = (request.form.get("email") or "").strip().lower()
    return "account:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def api_token() -> str:
    """The bearer token's digest (never the token itself), else the address."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer ") and header[7:].strip():
        return "token:" + hashlib.sha256(header[7:].strip().encode()).hexdigest()[:32]
    return f"addr:{client_address()}"


def _failed(response: Response) -> bool:
    # A successful sign-in redirects (303); the form coming back (422) or anything else counts.
    return response.status_code != 303


API_ENDPOINTS: tuple[str, ...] = ()  # token-authenticated API views, limited per token (none yet)


def _limit(name: str):
    return lambda: current_app.config[name]


def configure(app: Flask) -> None:
    """Read the limits and storage from the app config (environment), with safe defaults."""
    import os

    for name, default in DEFAULT_LIMITS.items():
        app.config.setdefault(name, os.environ.get(name, default))
    app.config.setdefault("RATELIMIT_STORAGE_URI", os.environ.get("RATELIMIT_STORAGE_URI", "memory://"))
    explicit = os.environ.get("RATELIMIT_ENABLED", "").strip().lower()
    # Tests sign the same ids in hundreds of times: limits are off under test unless turned on
    # explicitly (the app config, or the environment for test servers in their own processes).
    testing = app.config.get("TESTING") or app.config.get("ENV_NAME") == "testing"
    app.config.setdefault("RATELIMIT_ENABLED", explicit not in {"0", "false", "no", "off"} if explicit else not testing)
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "marketplace")


def init_app(app: Flask) -> None:
    """Bind the limiter and attach each limit to its endpoints (call after blueprints)."""
    configure(app)
    # One limiter per app (tests run several apps in one process, each with its own storage).
    limiter = Limiter(
        key_func=signed_in_person, headers_enabled=True, strategy="moving-window",
        swallow_errors=True,  # a storage outage must not take sign-in down: fall back to memory
        in_memory_fallback_enabled=True,
    )
    limiter.init_app(app)
    app.extensions["marketplace_limiter"] = limiter
    views = app.view_functions
    login = views["accounts.login"]
    login = limiter.limit(_limit("RATE_LIMIT_SIGN_IN_ACCOUNT"), key_func=sign_in_account, methods=["POST"],
                          deduct_when=_failed, scope="sign-in-account")(login)
    views["accounts.login"] = limiter.limit(_limit("RATE_LIMIT_SIGN_IN_ADDRESS"), key_func=client_address, methods=["POST"],
                                            deduct_when=_failed, scope="sign-in-address", override_defaults=False)(login)
    for endpoint in POSTING:
        if endpoint in views:
            views[endpoint] = limiter.shared_limit(_limit("RATE_LIMIT_POSTING"), scope="posting", methods=["POST"])(views[endpoint])
    for endpoint in UPLOADS:
        if endpoint in views:
            views[endpoint] = limiter.shared_limit(_limit("RATE_LIMIT_UPLOADS"), scope="uploads", methods=["POST"])(views[endpoint])
    for endpoint in API_ENDPOINTS:
        views[endpoint] = limiter.limit(_limit("RATE_LIMIT_API"), key_func=api_token, scope="api")(views[endpoint])
    if "search.search" in views:
        views["search.search"] = limiter.limit(_limit("RATE_LIMIT_SEARCH"), scope="search")(views["search.search"])

    @app.errorhandler(RateLimitExceeded)
    def too_many(error: RateLimitExceeded) -> Response:
        from marketplace.errors import render_error

        wait = retry_after_seconds()
        response = render_error(429, f"Too many attempts in a short time. Please try again in {_wait_text(wait)}.")
        response.headers["Retry-After"] = str(wait)
        return response


def retry_after_seconds() -> int:
    """Seconds until the breached limit lets the next request through (at least 1)."""
    current = getattr(current_app.extensions["marketplace_limiter"], "current_limit", None)
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))


def _wait_text(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes"
