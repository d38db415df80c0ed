"""Your data: download everything we hold about you, or ask for it to be erased (admins: for someone)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, send_file, url_for
from flask_login import current_user, login_required

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.htmx import render, see_other
from marketplace.policy import require
from marketplace.privacy import erasure, services
from marketplace.privacy.forms import ErasureForm, ExportForm
from marketplace.privacy.models import PrivacyRequest, RequestKind

bp = Blueprint("privacy", __name__)


def _person(user_id: int | None) -> User:
    person = current_user if user_id is None else (db.session.get(User, user_id) or abort(404))
    require("manage_privacy", person)
    return person


def _page_url(person: User) -> str:
    return url_for("privacy.index") if person.id == current_user.id else url_for("privacy.admin_index", user_id=person.id)


def _page(person: User, status: int = 200, form: ErasureForm | None = None) -> Response:
    return render(
        "privacy/index.html", status=status, person=person, myself=person.id == current_user.id,
        requests=services.requests_for(person), pending=services.pending_erasure(person),
        form=form or ErasureForm(), export_form=ExportForm(), downloadable=services.downloadable,
        kinds=services.KIND_LABELS, page_url=_page_url(person),
    )


@bp.get("/privacy")
@bp.get("/admin/users/<int:user_id>/privacy", endpoint="admin_index")
@login_required
def index(user_id: int | None = None) -> Response:
    """Exports and erasure for yourself (or, for admins, for someone)."""
    return _page(_person(user_id))


@bp.post("/privacy/exports")
@bp.post("/admin/users/<int:user_id>/privacy/exports", endpoint="admin_export")
@login_required
def export(user_id: int | None = None) -> Response:
    """Start preparing an export in the background."""
    person = _person(user_id)
    if not ExportForm().validate_on_submit():
        abort(400)
    services.request_export(person, current_user)
    db.session.commit()
    flash("Your export is being prepared. We will notify you when it is ready to download.", "success")
    return see_other(_page_url(person))


@bp.get("/privacy/exports/<int:request_id>")
@login_required
def download(request_id: int) -> Response:
    """The ZIP, while its link lasts."""
    request = db.session.get(PrivacyRequest, request_id)
    if request is None or request.kind != RequestKind.EXPORT:
        abort(404)
    require("download_export", request)
    if not services.downloadable(request) or not request.file_name:
        abort(410, "This download link has expired. Ask for a new export.")
    path = erasure.exports_dir() / request.file_name
    if not path.is_file():
        abort(410, "This export is no longer available. Ask for a new export.")
    response = send_file(path, mimetype="application/zip", as_attachment=True, download_name=f"marketplace-export-{request.id}.zip")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/privacy/erasure")
@bp.post("/admin/users/<int:user_id>/privacy/erasure", endpoint="admin_erasure")
@login_required
def request_erasure(user_id: int | None = None) -> Response:
    """Schedule an erasure with the chosen treatment per kind of content."""
    person = _person(user_id)
    form = ErasureForm()
    if form.validate_on_submit():
        try:
            request = services.request_erasure(person, current_user, {"posts": form.posts.data, "work": form.work.data})
        except services.PrivacyError as error:
            db.session.rollback()
            form.confirm.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Erasure scheduled for {request.run_after:%Y-%m-%d %H:%M} UTC. Until then it can be cancelled here.", "success")
            return see_other(_page_url(person))
    return _page(person, 422, form)


@bp.post("/privacy/erasure/<int:request_id>/cancel")
@login_required
def cancel_erasure(request_id: int) -> Response:
    """Cancel a scheduled erasure during its cool-off."""
    request = db.session.get(PrivacyRequest, request_id) or abort(404)
    person = db.session.get(User, request.user_id) if request.user_id else None
    if person is None:
        abort(404)
    require("manage_privacy", person)
    try:
        services.cancel_erasure(request)
    except services.PrivacyError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("The erasure is cancelled. Nothing was erased.", "success")
    return see_other(_page_url(person))
