"""Operational endpoints."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from marketplace.database import database_status

bp = Blueprint("ops", __name__)


@bp.route("/healthz")
def healthz() -> Response:
    """JSON with the app version and database status; 503 when the database is down."""
    status = database_status()
    body = {"status": "ok" if status == "ok" else "degraded", "version": current_app.config["VERSION"], "database": status}
    return jsonify(body), (200 if status == "ok" else 503)
