"""Review submissions (/review): the queue, claims and decisions, and the curators' lists.

Endpoint names are "review.*"; the page of one submission shares its context with the submitter's.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, request, url_for
from flask_login import current_user, login_required

from marketplace.choices import options
from marketplace.htmx import render, render_fragment, see_other
from marketplace.lifecycle import similar
from marketplace.policy import can, require
from marketplace.submissions import curator_lists, review, services
from marketplace.submissions.forms import (
    ActionForm,
    DecisionForm,
    RedactForm,
    ReviewerEditForm,
    TermForm,
    TrustedForm,
)
from marketplace.submissions.views import detail_context

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.route("")
@login_required
def queue() -> Response:
    """The review queue: the champion's departments, or everything for curators."""
    require("review_queue")
    filters = review.parse_queue_filters(request.args)
    sla = current_app.config["REVIEW_SLA_WORKING_DAYS"]
    rows = review.queue(current_user, filters, sla)
    return render("review/index.html", "review/_queue.html", rows=rows, filters=filters, sla=sla,
                  departments=review.queue_departments(current_user), sorts=review.QUEUE_SORTS,
                  is_overdue=lambda s: review.is_overdue(s, sla), escalation=False)


@bp.route("/count")
@login_required
def count() -> Response:
    """The pending count in the navigation, polled by htmx."""
    require("review_queue")
    return render_fragment("review/_count.html")


@bp.route("/escalations")
@login_required
def escalations() -> Response:
    """Curators' view of every overdue submission."""
    require("escalations")
    sla = current_app.config["REVIEW_SLA_WORKING_DAYS"]
    rows = review.queue(current_user, review.QueueFilters(overdue=True), sla)
    return render("review/escalations.html", rows=rows, sla=sla, is_overdue=lambda s: True, escalation=True)


def _reviewable(submission_id: int):
    submission = services.get(submission_id) or abort(404)
    require("review_submission", submission)
    return submission


@bp.route("/<int:submission_id>", endpoint="detail")
@login_required
def review_detail(submission_id: int) -> Response:
    """Review one submission: preview as published, findings, changes, timeline, decision."""
    submission = _reviewable(submission_id)
    item = submission.item
    alike = similar.for_text(f"{item.title} {item.summary}", current_user, exclude=[item.id, item.revision_of_id])
    return render("review/detail.html", similar=alike, **detail_context(submission))


@bp.route("/<int:submission_id>/claim", methods=["POST"])
@login_required
def claim(submission_id: int) -> Response:
    """Claim a submission so nobody else reviews it at the same time."""
    submission = _reviewable(submission_id)
    if not ActionForm().validate():
        abort(400)
    if not can(current_user, "claim_submission", submission):
        own = submission.submitter_id == current_user.id
        flash("You can't review your own submission." if own else "Only a pending submission can be claimed.", "error")
        return _review_page(submission, 403)
    try:
        review.claim(submission, current_user)
    except review.AlreadyClaimed as problem:
        flash(str(problem), "error")
        return _review_page(submission, 409)
    return see_other(url_for("review.detail", submission_id=submission.id))


def _review_page(submission, status: int) -> Response:
    return render("review/detail.html", status=status, **detail_context(submission))


@bp.route("/<int:submission_id>/release", methods=["POST"])
@login_required
def release(submission_id: int) -> Response:
    """Give a claimed submission back to the queue."""
    submission = _reviewable(submission_id)
    if not ActionForm().validate():
        abort(400)
    require("release_submission", submission)
    review.release(submission, current_user)
    return see_other(url_for("review.queue"))


@bp.route("/<int:submission_id>/decide", methods=["POST"])
@login_required
def decide(submission_id: int) -> Response:
    """Approve, reject (reason required) or request changes (comments required)."""
    submission = _reviewable(submission_id)
    require("decide_submission", submission)
    form = DecisionForm()
    if not form.validate():
        context = detail_context(submission) | {"decision_form": form}
        return render("review/detail.html", "review/_decision.html", status=422, **context)
    review.decide(submission, current_user, form.decision.data, form.note.data or "")
    labels = {"approve": "Approved and published.", "reject": "Rejected.", "changes": "Changes requested."}
    flash(f"{labels[form.decision.data]} The submitter has been notified.", "success")
    return see_other(url_for("review.detail", submission_id=submission.id))


@bp.route("/<int:submission_id>/redact", methods=["POST"])
@login_required
def redact(submission_id: int) -> Response:
    """Remove a piece of personal data everywhere it shows for this item (on the submitter's request)."""
    submission = _reviewable(submission_id)
    require("redact_submission", submission)
    form = RedactForm()
    if not form.validate():
        return render("review/detail.html", status=422, **(detail_context(submission) | {"redact_form": form}))
    changed = review.redact_on_request(submission, current_user, form.text.data)
    flash(f"Redacted in {changed} place{'s' if changed != 1 else ''}." if changed else "That text appears nowhere.", "success")
    return see_other(url_for("review.detail", submission_id=submission.id))


@bp.route("/<int:submission_id>/text", methods=["POST"])
@login_required
def edit_text(submission_id: int) -> Response:
    """The reviewer tidies the title, summary and body before deciding (a harvested draft, say)."""
    submission = _reviewable(submission_id)
    require("decide_submission", submission)
    form = ReviewerEditForm()
    if not form.validate():
        return render("review/detail.html", status=422, **(detail_context(submission) | {"text_form": form}))
    review.edit_text(submission, current_user, form.title.data, form.summary.data or "", form.body.data or "")
    flash("Saved as a new version; the submitter has been told.", "success")
    return see_other(url_for("review.detail", submission_id=submission.id))


@bp.route("/trusted", methods=["GET", "POST"])
@login_required
def trusted() -> Response:
    """Curators mark people whose clean submissions publish without review."""
    require("manage_trusted")
    form = TrustedForm()
    form.user_id.choices = options(curator_lists.people())
    form.department_id.choices = options(services.choices()["department_id"])
    status = 200
    if request.method == "POST":
        if form.validate():
            curator_lists.trust(form.user_id.data, form.department_id.data, current_user)
            return see_other(url_for("review.trusted"))
        status = 422
    return render("review/trusted.html", status=status, form=form, rows=curator_lists.trusted(), action_form=ActionForm())


@bp.route("/trusted/<int:user_id>/<int:department_id>/remove", methods=["POST"])
@login_required
def untrust(user_id: int, department_id: int) -> Response:
    """Remove a trusted mark."""
    require("manage_trusted")
    if not ActionForm().validate():
        abort(400)
    curator_lists.untrust(user_id, department_id)
    return see_other(url_for("review.trusted"))


@bp.route("/terms", methods=["GET", "POST"])
@login_required
def terms() -> Response:
    """Curators maintain the confidential terms screening looks for."""
    require("manage_terms")
    form = TermForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            curator_lists.add_term(form.term.data, current_user)
            return see_other(url_for("review.terms"))
        status = 422
    return render("review/terms.html", status=status, form=form, rows=curator_lists.terms(), action_form=ActionForm())


@bp.route("/terms/<int:term_id>/remove", methods=["POST"])
@login_required
def remove_term(term_id: int) -> Response:
    """Delete a confidential term."""
    require("manage_terms")
    if not ActionForm().validate():
        abort(400)
    curator_lists.remove_term(term_id)
    return see_other(url_for("review.terms"))
