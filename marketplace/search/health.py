"""This process's search health for /healthz: index lag behind the change feed, against SEARCH_LAG_LIMIT."""

from __future__ import annotations

from flask import Flask

from marketplace.search import feed

DEFAULT_LIMIT = 60.0  # seconds behind the feed before /healthz answers 503


def search_health(app: Flask) -> dict:
    """Changes and seconds behind, the follower's last error, and "ok" or "lagging"."""
    limit = float(app.config.get("SEARCH_LAG_LIMIT") or DEFAULT_LIMIT)
    try:
        found = feed.lag(app)
    except Exception as error:  # noqa: BLE001 - a health probe reports, never raises
        return {"status": "error", "error": type(error).__name__, "lag_limit_seconds": limit}
    follower = app.extensions.get("search_follower")
    found.update(lag_limit_seconds=limit, follower_error=follower.last_error if follower else None)
    found["status"] = "ok" if found["seconds_behind"] <= limit else "lagging"
    return found
