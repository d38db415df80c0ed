"""Your account: profile summary, password, and the browsers you are signed in on."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, url_for
from flask_login import current_user, login_required

from marketplace.accounts import services, sessions, signin
from marketplace.accounts.forms import ChangePasswordForm
from marketplace.accounts.models import RevokeReason, SignInMethod
from marketplace.extensions import db
from marketplace.htmx import render, see_other

bp = Blueprint("account", __name__, url_prefix="/account")


def _page(form: ChangePasswordForm | None = None, status: int = 200) -> Response:
    current = signin.current_token()
    live = sessions.list_live(current_user)
    current_hash = sessions.hash_token(current) if current else None
    return render(
        "accounts/account.html", "accounts/_sessions.html", status=status,
        form=form or ChangePasswordForm(), has_password=services.has_password(current_user),
        live_sessions=live, current_hash=current_hash,
    )


@bp.route("")
@login_required
def index() -> Response:
    """Show the account page."""
    return _page()


@bp.route("/password", methods=["POST"])
@login_required
def change_password() -> Response:
    """Change the password (current one required); every other session ends, this one is renewed."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data, form.new.data)
        except services.AccountError as error:
            db.session.rollback()
            form.current.errors.append(str(error))
        else:
            _renew_this_browser()
            flash("Password changed. You are signed out everywhere else.", "success")
            return see_other(url_for("account.index"))
    return _page(form, status=422)


@bp.route("/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def end_session(session_id: int) -> Response:
    """End one of your other sessions."""
    if not sessions.end_other(current_user, session_id, signin.current_token()):
        abort(404)
    flash("That session is signed out.", "success")
    return see_other(url_for("account.index"))


@bp.route("/sessions/end-all", methods=["POST"])
@login_required
def end_all() -> Response:
    """Sign out everywhere: every session ends; this browser gets a fresh one."""
    sessions.revoke_all(current_user, RevokeReason.SIGNED_OUT_EVERYWHERE)
    _renew_this_browser()
    flash("You are signed out everywhere else.", "success")
    return see_other(url_for("account.index"))


def _renew_this_browser() -> None:
    # The old token is revoked with all the others (so a copy of this cookie dies too).
    row = g.get("user_session")
    method = row.method if row is not None else SignInMethod.PASSWORD
    provider = row.provider if row is not None else None
    id_token = row.id_token if row is not None else None
    signin.sign_in(current_user._get_current_object(), method, provider, id_token)
