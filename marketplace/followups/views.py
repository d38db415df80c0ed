"""Follow-ups: your list and settings, the answer form (signed in, or via the signed e-mail link)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, url_for
from flask_login import current_user, login_required

from marketplace.extensions import db
from marketplace.followups import services
from marketplace.followups.forms import AnswerForm, SettingsForm
from marketplace.followups.models import FollowUp, FollowUpState
from marketplace.htmx import render, see_other

bp = Blueprint("followups", __name__)


@bp.route("/followups")
@login_required
def index() -> Response:
    """Your follow-ups and whether you get them."""
    return render("followups/index.html", followups=services.mine(current_user.id),
                  setting=services.setting_for(current_user.id), form=SettingsForm())


@bp.route("/followups/settings", methods=["POST"])
@login_required
def settings() -> Response:
    """Snooze, turn off or turn on follow-ups."""
    form = SettingsForm()
    if not form.validate_on_submit():
        return render("followups/index.html", status=422, followups=services.mine(current_user.id),
                      setting=services.setting_for(current_user.id), form=form)
    services.change_setting(current_user.id, form.action.data)
    flash({"snooze": "Follow-ups snoozed for four weeks.", "off": "Follow-ups turned off.", "on": "Follow-ups turned on."}[form.action.data], "success")
    return see_other(url_for("followups.index"))


def _answer(followup: FollowUp, form: AnswerForm, *, via_link: bool) -> None:
    services.record_answer(followup, services.Answer(
        changed=form.changed.data == "yes", doing_differently=form.doing_differently.data or "",
        got_in_the_way=form.got_in_the_way.data or ""), nonce_used=via_link)


@bp.route("/followups/<int:followup_id>", methods=["GET", "POST"])
@login_required
def answer(followup_id: int) -> Response:
    """Answer one of your follow-ups (someone else's is not found)."""
    followup = db.session.get(FollowUp, followup_id)
    if followup is None or followup.user_id != current_user.id:
        abort(404)
    form = AnswerForm()
    if followup.state == FollowUpState.ANSWERED:
        return render("followups/answer.html", followup=followup, form=None, action=None)
    if form.is_submitted():
        if not form.validate():
            return render("followups/answer.html", status=422, followup=followup, form=form, action=url_for("followups.answer", followup_id=followup.id))
        _answer(followup, form, via_link=False)
        flash("Thank you: your answer helps show what learning changes.", "success")
        return see_other(url_for("followups.index"))
    return render("followups/answer.html", followup=followup, form=form, action=url_for("followups.answer", followup_id=followup.id))


@bp.route("/followups/answer/<token>", methods=["GET", "POST"])
def answer_link(token: str) -> Response:
    """The e-mailed link: opens this one answer form without a password; works once, for a limited time."""
    try:
        followup = services.followup_for_token(token[:500], current_user)
    except services.LinkError as error:
        return render("followups/link_error.html", status=410 if "used" in str(error) or "expired" in str(error) else 404, message=str(error))
    form = AnswerForm()
    action = url_for("followups.answer_link", token=token)
    if form.is_submitted():
        if not form.validate():
            return render("followups/answer.html", status=422, followup=followup, form=form, action=action)
        try:
            _answer(followup, form, via_link=True)
        except services.LinkError as error:
            return render("followups/link_error.html", status=410, message=str(error))
        return render("followups/thanks.html", followup=followup)
    response = render("followups/answer.html", followup=followup, form=form, action=action)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token must not leak through links on the page
    return response
