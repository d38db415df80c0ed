"""Bearer tokens for BI tools: shown once, stored as SHA-256, scoped to KPIs, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select

from marketplace.catalog.models import KPI
from marketplace.extensions import db
from marketplace.impact.models import ApiToken
from marketplace.timeutil import utcnow

PREFIX = "mkt_"


def _digest(secret: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough (no password stretching needed).
    return hashlib.sha256(secret.encode()).hexdigest()


def create(name: str, kpis: list[KPI], creator_id: int | None) -> tuple[ApiToken, str]:
    """Make a token; the returned secret is shown once and never stored."""
    if not name.strip():
        raise ValueError("Give the token a name, e.g. the BI tool that will use it.")
    if not kpis:
        raise ValueError("Choose at least one KPI the token may write.")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name.strip()[:120], prefix=secret[:10], token_hash=_digest(secret), created_by_id=creator_id, kpis=kpis)
    db.session.add(token)
    db.session.commit()
    return token, secret


def authenticate(header: str | None) -> ApiToken | None:
    """The active token named by an `Authorization: Bearer …` header, or None."""
    if not header or not header.startswith("Bearer "):
        return None
    secret = header[7:].strip()
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    digest = _digest(secret)
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if token is None or not hmac.compare_digest(token.token_hash, digest) or not token.is_active:
        return None
    return token


def revoke(token: ApiToken) -> None:
    """Stop a token working at once."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    db.session.commit()


def all_tokens() -> list[ApiToken]:
    """Every token, newest first."""
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())))
