"""Sign-in, sign-out and user administration."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, request, url_for
from flask_login import current_user, login_required

from marketplace.accounts import services, signin
from marketplace.accounts.forms import LoginForm, NewUserForm, UserForm
from marketplace.choices import options
from marketplace.extensions import db, login_manager
from marketplace.htmx import render, see_other
from marketplace.policy import require
from marketplace.redirects import safe_next

bp = Blueprint("accounts", __name__)
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")


@login_manager.user_loader
def load_user(user_id: str):
    """Flask-Login hook: the signed-in user, only while this browser's server-side session is live."""
    user = services.signed_in_user(int(user_id)) if user_id.isdigit() else None
    return signin.load_checked(user)


def _safe_next(target: str | None) -> str:
    # Only same-site paths (judged as a browser would read them), so sign-in is no open redirect.
    return safe_next(target) or url_for("catalog.home")


def _password_form_shown() -> bool:
    return current_app.config["PASSWORD_SIGN_IN"] or request.args.get("break_glass") == "1"


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response:
    """Show the sign-in form and sign people in."""
    if current_user.is_authenticated:
        return see_other(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        config = current_app.config
        if user is not None and services.may_use_password(user, config["PASSWORD_SIGN_IN"], config["BREAK_GLASS_ADMINS"]):
            signin.sign_in(user)
            return see_other(_safe_next(request.args.get("next")))
        if user is not None:
            form.password.errors.append("Password sign-in is turned off. Use your organisation's sign-in above.")
        else:
            form.password.errors.append("That email and password don't match an active account.")
    status = 422 if form.is_submitted() else 200
    from marketplace.accounts.views_sso import providers

    return render("accounts/login.html", status=status, form=form, providers=list(providers().values()),
                  password_form=_password_form_shown() or form.is_submitted())


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> Response:
    """Sign out on POST; a GET shows a confirmation button."""
    if request.method == "POST":
        from marketplace.accounts.views_sso import end_session_url
        from marketplace.security import allow_form_redirect_to

        provider_logout = end_session_url(signin.sign_out())
        flash("You are signed out.", "info")
        if provider_logout:
            return allow_form_redirect_to(see_other(provider_logout), provider_logout)
        return see_other(url_for("accounts.login"))
    if not current_user.is_authenticated:
        return see_other(url_for("accounts.login"))
    return render("accounts/logout.html")


def _user_form(form: UserForm) -> UserForm:
    departments = services.departments()
    form.department_id.choices = options([(0, "— none —")] + [(d.id, d.name) for d in departments])
    form.champion_of.choices = options([(d.id, d.name) for d in departments])
    return form


def _user_data(form: UserForm) -> services.UserData:
    return services.UserData(
        name=form.name.data,
        email=form.email.data,
        department_id=form.department_id.data or None,
        is_curator=form.is_curator.data,
        is_leader=form.is_leader.data,
        is_admin=form.is_admin.data,
        champion_of=form.champion_of.data or [],
        active=form.active.data,
    )


def _initial(user) -> dict:
    fields = ("name", "email", "is_curator", "is_leader", "is_admin", "active")
    data = {name: getattr(user, name) for name in fields}
    data["department_id"] = user.department_id or 0
    data["champion_of"] = [d.id for d in user.champion_of]
    return data


@admin_bp.route("/users", methods=["GET", "POST"])
@login_required
def users() -> Response:
    """List users and create new ones."""
    require("admin_users")
    form = _user_form(NewUserForm())
    if form.validate_on_submit():
        try:
            user = services.create_user(_user_data(form), form.password.data)
        except services.AccountError as error:
            db.session.rollback()
            form.email.errors.append(str(error))
        else:
            flash(f"Created {user.name}.", "success")
            return see_other(url_for("admin.users"))
    status = 422 if form.is_submitted() else 200
    return render("admin/users.html", status=status, form=form, users=services.list_users())


@admin_bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def edit_user(user_id: int) -> Response:
    """Edit one user's details, roles, champion departments and active flag."""
    require("admin_users")
    user = services.get_user(user_id) or abort(404)
    form = _user_form(UserForm(data=_initial(user)))
    if form.validate_on_submit():
        try:
            services.update_user(user, _user_data(form), current_user)
        except services.AccountError as error:
            db.session.rollback()
            form.active.errors.append(str(error))
        else:
            if user.id == current_user.id and g.get("user_session") and g.user_session.revoked_at:
                signin.sign_in(user)  # your own role change ended your sessions; keep this browser in
            flash(f"Saved {user.name}.", "success")
            return see_other(url_for("admin.users"))
    status = 422 if form.is_submitted() else 200
    return render("admin/edit_user.html", status=status, form=form, user=user)


PUBLIC_ENDPOINTS = {"accounts.login", "ops.healthz", "static", "sso.start", "sso.callback"}


@bp.before_app_request
def require_sign_in() -> Response | None:
    """Anonymous visitors see the login page only; new routes are private by default."""
    if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None
    return login_manager.unauthorized()


@login_manager.unauthorized_handler
def unauthorized() -> Response:
    """Send anonymous visitors to sign in, returning them afterwards."""
    target = url_for("accounts.login", next=request.full_path.rstrip("?"))
    if request.headers.get("HX-Request") == "true":
        response = Response(status=401)
        response.headers["HX-Redirect"] = target  # a whole-page redirect, not a swap
        return response
    # 302 keeps a GET a GET; 303 turns a refused POST into a GET of the login page.
    return redirect(target, code=302 if request.method == "GET" else 303)
