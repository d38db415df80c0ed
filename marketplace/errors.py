"""Friendly error pages and fragments, never a traceback."""

from __future__ import annotations

from flask import Flask, Response, make_response, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

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
}


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
        return render_error(error.code, detail)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> Response:
        app.logger.exception("Unhandled error", exc_info=error)
        db.session.rollback()  # leave no half-done transaction behind for the next request
        return render_error(InternalServerError.code)
