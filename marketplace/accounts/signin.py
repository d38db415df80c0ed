"""The browser side of sessions: what the signed cookie holds and how sign-in and sign-out use it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from flask import current_app, g, request, session
from flask_login import login_user, logout_user

from marketplace.accounts import sessions
from marketplace.accounts.models import RevokeReason, SignInMethod, User, UserSession

TOKEN_KEY, SEEN_KEY = "sid", "seen"
# Rewriting the cookie on every request adds nothing; a minute's resolution is plenty for idle expiry.
SEEN_RESOLUTION = 60


def lifetimes() -> sessions.Lifetimes:
    """Idle and absolute session lifetimes from configuration."""
    config = current_app.config
    return sessions.Lifetimes(
        idle=timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
        absolute=timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]),
    )


def device_summary(user_agent: str) -> str:
    """A short, non-identifying description of the browser ("Chrome on Android")."""
    browsers = (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
    systems = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
               ("Mac OS X", "macOS"), ("Linux", "Linux"))
    browser = next((name for marker, name in browsers if marker in user_agent), "A browser")
    system = next((name for marker, name in systems if marker in user_agent), "")
    return f"{browser} on {system}" if system else browser


def sign_in(user: User, method: SignInMethod = SignInMethod.PASSWORD, provider: str | None = None,
            id_token: str | None = None) -> None:
    """Start a fresh server-side session for `user` in this browser (defeats session fixation)."""
    session.clear()
    token = sessions.start(user, lifetimes(), method, provider, device_summary(request.user_agent.string or ""), id_token)
    login_user(user)
    session.permanent = True
    session[TOKEN_KEY] = token
    session[SEEN_KEY] = int(time.time())
    g.user_session = None


def sign_out(reason: RevokeReason = RevokeReason.SIGNED_OUT) -> UserSession | None:
    """Revoke this browser's session on the server and clear the cookie; returns the ended row."""
    ended = sessions.revoke(session.get(TOKEN_KEY), reason)
    logout_user()
    session.clear()
    return ended


def _forget_sign_in() -> None:
    # A dead session's keys leave the cookie (the CSRF token and flashes stay); nothing is written server-side.
    for key in (TOKEN_KEY, SEEN_KEY, "_user_id", "_fresh", "_id"):
        session.pop(key, None)


def current_token() -> str | None:
    """This browser's session token, if any."""
    return session.get(TOKEN_KEY)


def _seen_at() -> datetime | None:
    seen = session.get(SEEN_KEY)
    if not isinstance(seen, int):
        return None
    return datetime.fromtimestamp(seen, UTC).replace(tzinfo=None)


def load_checked(user: User | None) -> User | None:
    """Return `user` only when this browser's session is live; refresh the idle clock in the cookie."""
    if user is None or not user.is_active:
        _forget_sign_in()
        return None
    row = sessions.find_valid(session.get(TOKEN_KEY), user.id, _seen_at(), lifetimes())
    if row is None:
        _forget_sign_in()
        return None
    g.user_session = row
    now = int(time.time())
    if now - session.get(SEEN_KEY, 0) >= SEEN_RESOLUTION:
        session[SEEN_KEY] = now  # only the cookie changes: a GET writes nothing to the database
    return user

