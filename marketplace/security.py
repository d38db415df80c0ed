"""Security headers on every response."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def add_security_headers(response: Response) -> Response:
    """Attach CSP, nosniff, framing and referrer headers."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", current_app.config.get("CONTENT_SECURITY_POLICY", CONTENT_SECURITY_POLICY))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    hsts = current_app.config.get("HSTS_SECONDS") or 0
    if hsts:
        headers.setdefault("Strict-Transport-Security", f"max-age={hsts}; includeSubDomains")
    if _signed_in() and request.endpoint != "static":
        # Signed-in pages, fragments and private files must not outlive the session in any cache.
        headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
    return response


def _signed_in() -> bool:
    user = g.get("_login_user")  # set by Flask-Login once this request asked who is signed in
    return bool(user is not None and getattr(user, "is_authenticated", False))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def policy_for_providers(issuers: list[str]) -> str:
    """The CSP, with the sign-in providers' origins allowed as form targets.

    CSP form-action, taken from the page holding the form, also governs redirects after the
    POST: without this the sign-out button could not hand over to the provider's end-session page.
    """
    origins = " ".join(sorted({_origin(issuer) for issuer in issuers}))
    if not origins:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", f"form-action 'self' {origins}")


def allow_form_redirect_to(response: Response, url: str) -> Response:
    """Also allow `url`'s origin on this response (for an end-session endpoint off the issuer's origin)."""
    policy = current_app.config.get("CONTENT_SECURITY_POLICY", CONTENT_SECURITY_POLICY)
    if _origin(url) not in policy:
        policy = policy.replace("form-action 'self'", f"form-action 'self' {_origin(url)}")
    response.headers["Content-Security-Policy"] = policy
    return response


def init_app(app: Flask) -> None:
    """Register the header hook and cookie defaults."""
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    providers = app.extensions.get("oidc_providers", {})
    app.config["CONTENT_SECURITY_POLICY"] = policy_for_providers([p.issuer for p in providers.values()])
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=app.config.get("SESSION_ABSOLUTE_HOURS", 168))
    app.after_request(add_security_headers)
