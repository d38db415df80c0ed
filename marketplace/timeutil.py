"""Time helpers: the database stores naive UTC on every backend."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """Return the current UTC time without tzinfo, as stored in the database."""
    return datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    """Return today's date in UTC."""
    return utcnow().date()
