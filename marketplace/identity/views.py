"""Admin → Provisioning: SCIM bearer tokens and the group-to-role mapping."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, url_for
from flask_login import current_user, login_required

from marketplace.accounts.services import departments
from marketplace.choices import options
from marketplace.extensions import db
from marketplace.htmx import render, see_other
from marketplace.identity import services
from marketplace.identity.forms import MappingForm, TokenForm
from marketplace.identity.models import GroupMapping, MappedRole, ScimToken
from marketplace.policy import require

bp = Blueprint("identity", __name__, url_prefix="/admin/provisioning")


def _mapping_form() -> MappingForm:
    form = MappingForm(prefix="mapping")
    form.department_id.choices = options([(0, "—")] + [(d.id, d.name) for d in departments()])
    return form


def _page(status: int = 200, token_form: TokenForm | None = None, mapping_form: MappingForm | None = None, plain: str | None = None) -> Response:
    return render(
        "identity/provisioning.html", status=status, tokens=services.tokens(), mappings=services.mappings(),
        token_form=token_form or TokenForm(prefix="token"), mapping_form=mapping_form or _mapping_form(), plain=plain,
    )


@bp.get("")
@login_required
def index() -> Response:
    """Tokens and mappings."""
    require("admin_users")
    return _page()


@bp.post("/tokens")
@login_required
def create_token() -> Response:
    """Create a token and show it once (the page is not cached and not pushed to history)."""
    require("admin_users")
    form = TokenForm(prefix="token")
    if not form.validate_on_submit():
        return _page(422, token_form=form)
    token, plain = services.create_token(form.label.data, current_user)
    db.session.commit()
    flash(f"Token “{token.label}” created. Copy it now: it is not shown again.", "success")
    response = _page(201, plain=plain)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Response:
    """Refuse a token from now on."""
    require("admin_users")
    token = db.session.get(ScimToken, token_id) or abort(404)
    services.revoke_token(token)
    db.session.commit()
    flash(f"Token “{token.label}” revoked.", "success")
    return see_other(url_for("identity.index"))


@bp.post("/mappings")
@login_required
def add_mapping() -> Response:
    """Map an identity-provider group to a role."""
    require("admin_users")
    form = _mapping_form()
    if form.validate_on_submit():
        try:
            services.add_mapping(form.group_name.data, MappedRole(form.role.data), form.department_id.data or None)
        except services.ProvisioningError as error:
            db.session.rollback()
            form.group_name.errors.append(str(error))
        else:
            db.session.commit()
            flash("Mapping added; members' roles are updated.", "success")
            return see_other(url_for("identity.index"))
    return _page(422, mapping_form=form)


@bp.post("/mappings/<int:mapping_id>/remove")
@login_required
def remove_mapping(mapping_id: int) -> Response:
    """Stop granting a role through a group."""
    require("admin_users")
    mapping = db.session.get(GroupMapping, mapping_id) or abort(404)
    services.remove_mapping(mapping)
    db.session.commit()
    flash("Mapping removed; members' roles are updated.", "success")
    return see_other(url_for("identity.index"))
