"""Structured logs: one JSON line per request (request id, user id, route, status, time) and JSON
error lines whose traceback stays in the log, never in the page."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, g, request
from flask.logging import default_handler

ACCESS = logging.getLogger("marketplace.access")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")  # a proxy's id is kept only when it is harmless


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request fields and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        if "request_id" not in line and (request_id := _current_request_id()):
            line["request_id"] = request_id
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def _current_request_id() -> str | None:
    try:
        return g.get("request_id")
    except RuntimeError:  # outside a request
        return None


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (test runners swap it)."""

    @property
    def stream(self):  # noqa: ANN201
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:  # noqa: ANN001
        pass


def _handler() -> logging.Handler:
    handler = _Stderr()
    handler.setFormatter(JsonFormatter())
    handler.set_name("marketplace-json")
    return handler


def configure(app: Flask) -> None:
    """Send the app's and the access logger's records to stderr as JSON lines (once per process)."""
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    for logger in (app.logger, logging.getLogger("marketplace")):
        logger.removeHandler(default_handler)
        if not any(h.get_name() == "marketplace-json" for h in logger.handlers):
            logger.addHandler(_handler())
        logger.setLevel(level)
        logger.propagate = False
    ACCESS.setLevel(level)


def _user_id() -> int | None:
    # Only a user Flask-Login already loaded: logging must never query the database.
    user = g.get("_login_user")
    if user is not None and getattr(user, "is_authenticated", False):
        return int(user.get_id())
    return None


def init_app(app: Flask) -> None:
    """Give each request an id (X-Request-ID in and out) and log it as one JSON line when done."""
    configure(app)

    @app.before_request
    def start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def finish(response: Response) -> Response:
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers["X-Request-ID"] = request_id
        started = g.get("request_started", time.perf_counter())
        fields = {
            "request_id": request_id, "user_id": _user_id(), "method": request.method,
            "route": request.url_rule.rule if request.url_rule else None, "path": request.path,
            "status": response.status_code, "ms": round((time.perf_counter() - started) * 1000, 1),
        }
        ACCESS.info("request", extra={"fields": fields})
        return response
