"""Friendly error pages and fragments, never a traceback."""

from __future__ import annotations

import contextlib

from flask import Flask, Response, current_app, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError

from marketplace import diskspace
from marketplace.extensions import db
from marketplace.htmx import reswap, wants_fragment

MESSAGES = {
    400: ("Something in that request was not right", "Please go back and try again."),
    403: ("You can't do that here", "Your role does not allow this. Ask an admin if you think it should."),
    404: ("We couldn't find that", "The page may have moved, or you may not have access to it."),
    405: ("That didn't work", "This page can't be used that way."),
    413: ("That file is too large", "Please choose a smaller file."),
    422: ("Please check the form", "Some of what you entered needs fixing."),
    429: ("Slow down a little", "Too many requests; try again in a moment."),
    500: ("Something went wrong on our side", "We've logged it. Please try again in a moment."),
    503: ("We'll be right back", "The marketplace can't reach its database just now. Nothing you saved is lost; please try again in a minute."),
    507: ("The server is out of space", diskspace.MESSAGE),
}
RETRY_AFTER_SECONDS = 30


def render_error(status: int, detail: str | None = None) -> Response:
    """Render the error page, or a fragment into #messages for htmx."""
    title, text = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    context = {"status": status, "title": title, "text": detail or text}
    if wants_fragment():
        response = make_response(render_template("errors/_error.html", **context), status)
        return reswap(response, "innerHTML", "#messages")
    return make_response(render_template("errors/error.html", **context), status)


def init_app(app: Flask) -> None:
    """Register handlers for HTTP errors, CSRF failures and unexpected exceptions."""

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Response:
        app.logger.warning("CSRF rejected: %s", error.description)
        return render_error(400, "Your form expired or came from elsewhere. Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        if error.code is None or error.code < 400:
            return error
        detail = error.description if getattr(error, "show_detail", False) else None
        try:
            return render_error(error.code, detail)
        except DBAPIError as failure:  # the page's header reads the database, and it is down
            return database_error(failure)

    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError) -> Response:
        _rollback()
        if diskspace.is_out_of_space(error):
            app.logger.error("Database disk full", exc_info=error)
            return render_standalone(507)
        if not _connection_problem(error):
            return unexpected_error(error)
        app.logger.error("Database unavailable: %s", type(error.orig).__name__ if error.orig else error)
        return render_standalone(503)

    @app.errorhandler(OSError)
    def os_error(error: OSError) -> Response:
        if not diskspace.is_out_of_space(error):
            return unexpected_error(error)
        _rollback()
        app.logger.error("Out of disk space", exc_info=error)
        return render_standalone(507)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> Response:
        app.logger.exception("Unhandled error", exc_info=error)
        _rollback()  # leave no half-done transaction behind for the next request
        try:
            return render_error(InternalServerError.code)
        except Exception as failure:  # noqa: BLE001 - the page itself failed (its header reads the database)
            _rollback()
            return render_standalone(503 if isinstance(failure, DBAPIError) else InternalServerError.code)


def _rollback() -> None:
    with contextlib.suppress(Exception):  # the connection is gone; the pool replaces it later
        db.session.rollback()


def _connection_problem(error: DBAPIError) -> bool:
    from sqlalchemy.exc import InterfaceError, OperationalError

    return bool(error.connection_invalidated) or isinstance(error, OperationalError | InterfaceError)


def render_standalone(status: int) -> Response:
    """An error page or fragment that needs no database: for when the database is the problem."""
    title, text = MESSAGES[status]
    context = {"status": status, "title": title, "text": text, "retry_path": request.path}
    # Straight from the Jinja environment: context processors (Flask-Login's current_user) would query.
    if wants_fragment():
        body = current_app.jinja_env.get_template("errors/_error.html").render(**context)
        response = reswap(make_response(body, status), "innerHTML", "#messages")
    else:
        response = make_response(current_app.jinja_env.get_template("errors/standalone.html").render(**context), status)
    response.vary.add("HX-Request")
    if status in (503, 507):
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
