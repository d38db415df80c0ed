"""The notifications page and the unread badge in the navigation."""

from __future__ import annotations

from flask import Blueprint, Response, request, url_for
from flask_login import current_user, login_required

from marketplace.htmx import render, render_fragment, see_other
from marketplace.notifications import services

bp = Blueprint("notifications", __name__)


@bp.route("/notifications")
@login_required
def index() -> Response:
    """Your notifications, newest first."""
    page_number = request.args.get("page", "1")
    page_number = int(page_number) if page_number.isdigit() and 0 < int(page_number) < 10_000 else 1
    return render("notifications/index.html", page=services.recent(current_user.id, page_number))


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_read() -> Response:
    """Mark all notifications read."""
    services.mark_all_read(current_user.id)
    return see_other(url_for("notifications.index"))


@bp.route("/notifications/badge")
@login_required
def badge() -> Response:
    """The unread count, polled by the navigation badge."""
    return render_fragment("notifications/_badge.html", unread=services.unread_count(current_user.id))
