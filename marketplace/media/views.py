"""Serve stored media with the right type, nosniff, disposition and Range support."""

from __future__ import annotations

from flask import Blueprint, Response, abort
from flask_login import login_required

from marketplace.media import services
from marketplace.media.storage import storage
from marketplace.policy import require

bp = Blueprint("media", __name__)


@bp.route("/media/<int:media_id>")
@login_required
def serve(media_id: int) -> Response:
    """Send a media file to someone allowed to see the item that shows it."""
    media = services.get_media(media_id) or abort(404)
    require("view_media", services.owning_item(media))
    response = storage().response(media.storage_name, media.content_type)
    response.headers["Content-Disposition"] = f'inline; filename="{media.storage_name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
