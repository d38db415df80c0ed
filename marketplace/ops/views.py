"""Operational endpoints."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from marketplace.database import database_status

bp = Blueprint("ops", __name__)


@bp.route("/healthz")
def healthz() -> Response:
    """JSON with the app version, database status and search index lag; 503 when the database is down or search lags too far."""
    status = database_status()
    body = {"status": "ok" if status == "ok" else "degraded", "version": current_app.config["VERSION"], "database": status}
    healthy = status == "ok"
    if healthy:
        from marketplace.search.health import search_health

        body["search"] = search_health(current_app)
        healthy = body["search"]["status"] == "ok"
        body["status"] = "ok" if healthy else "degraded"
    return jsonify(body), (200 if healthy else 503)
