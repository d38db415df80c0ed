"""Submit and follow a submission (/submit, /submissions); reviewing (/review) is in review_views.py."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, request, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from marketplace import diskspace
from marketplace.choices import options
from marketplace.htmx import render, render_fragment, see_other
from marketplace.lifecycle import similar
from marketplace.policy import can, require
from marketplace.submissions import processing, records, review, services, uploads
from marketplace.submissions.forms import (
    ActionForm,
    CommentForm,
    DecisionForm,
    PreviewForm,
    RedactForm,
    ReviewerEditForm,
    SubmissionForm,
)
from marketplace.submissions.pipeline import MediaRejected
from marketplace.submissions.screening import highlight

bp = Blueprint("submissions", __name__)


@bp.record_once
def _install(state) -> None:
    uploads.init_app(state.app)


@bp.app_context_processor
def _nav_helpers() -> dict:
    def review_pending_count() -> int:
        return review.pending_count(current_user) if can(current_user, "review_queue") else 0

    return {"review_pending_count": review_pending_count, "highlight_finding": highlight,
            "submission_age": review.age_text, "event_labels": records.EVENT_LABELS}


# Submitting ---------------------------------------------------------------------------


def form_with_choices(**kwargs) -> SubmissionForm:
    """The submission form with its select options filled in."""
    return _form(**kwargs)


def _form(**kwargs) -> SubmissionForm:
    form = SubmissionForm(**kwargs)
    for name, pairs in services.choices().items():
        getattr(form, name).choices = options(pairs)
    return form


def prefill_item(item, department_id) -> dict:
    """Form values from an item (editing a published one starts from what is live)."""
    return {
        "type": item.type, "title": item.title, "summary": item.summary, "moment_id": item.moment_id,
        "department_id": department_id, "kpi_ids": [k.id for k in item.kpis],
        "skill_ids": [s.id for s in item.skills], "body": item.body, "transcript": item.transcript,
        "steps": "\n".join(step.text for step in item.steps),
        "captions": "\n".join(image.caption for image in item.images), "ai_use": item.ai_use,
    }


def _data(form: SubmissionForm) -> services.SubmissionData:
    return services.SubmissionData(
        type=form.type.data, title=form.title.data, summary=form.summary.data or "", moment_id=form.moment_id.data,
        department_id=form.department_id.data, kpi_ids=form.kpi_ids.data or [], skill_ids=form.skill_ids.data or [],
        body=form.body.data or "", steps=form.step_lines, transcript=form.transcript.data or "",
        captions=form.caption_lines, ai_use=form.ai_use.data or "none",
    )


def _form_page(form, submission=None, status: int = 200, findings=None, live=None) -> Response:
    cfg = current_app.config
    return render(
        "submissions/submit.html", "submissions/_form.html", status=status, form=form, submission=submission, live=live,
        similar=similar.for_text(f"{form.title.data or ''} {form.summary.data or ''}", current_user,
                                 exclude=[x.item_id for x in [submission] if x] + [x.id for x in [live] if x]),
        findings=findings if findings is not None else (submission.findings if submission else []),
        limits={"mb": cfg["SUBMISSION_MAX_UPLOAD_MB"], "minutes": cfg["SUBMISSION_MAX_VIDEO_SECONDS"] / 60,
                "megapixels": cfg["SUBMISSION_MAX_IMAGE_PIXELS"] / 1e6, "images": cfg["SUBMISSION_MAX_IMAGES"]},
    )


def form_page(form, live=None) -> Response:
    """The submit form page (for a published item's edit when `live` is given)."""
    return _form_page(form, None, live=live)


def save_form(form: SubmissionForm, submission=None, live=None) -> Response:
    """Validate, run the pipeline and save; re-render with 422 (or the pipeline's 4xx) on problems.

    With `live` (a published item) the save opens an edit of it, reviewed before it replaces what is live.
    """
    shown = submission.item if submission else live
    current = len(shown.images) if shown else 0
    has_media = bool(shown and (shown.media_id or current))
    submitting = form.submitting()
    valid = form.validate() & form.check_captions(len(form.files) or current)  # & runs both: every error at once
    complete = form.validate_for_submit(has_media) if submitting else True  # run even when the title is missing
    if not (valid and complete):
        return _form_page(form, submission, 422, live=live)
    chosen = uploads.uploads_from(form.files) if form.type.data == "quick_learn" else []
    try:
        if live is not None:
            submission = services.start_edit(live, current_user, current_app.config)
        saved = services.save(current_user, _data(form), chosen, current_app.config, uploads.incoming_dir(),
                              submission=submission, submit=submitting)
    except MediaRejected as problem:
        diskspace.raise_if_low(uploads.incoming_dir())  # a full disk is not the file's fault (issue 12)
        form.file.errors.append(problem.message)
        return _form_page(form, None if live is not None else submission, problem.status, live=live)
    except services.Incomplete as problem:  # the service's rule, should the form ever let one through
        for name, message in problem.problems.items():
            getattr(form, name).errors.append(message)
        return _form_page(form, None if live is not None else submission, 422, live=live)
    media = processing.status(saved.id) if chosen else None
    if media is not None:
        flash(media.message + (" It is then submitted for review." if submitting and media.processing else ""),
              "error" if media.failed else "success")
    elif saved.state == "approved":
        flash("Published: you are a trusted contributor and screening found nothing.", "success")
    elif submitting:
        flash("Submitted for review. You'll be notified of the decision.", "success")
    else:
        flash("Draft saved. Finish it whenever you're ready.", "success")
    return see_other(url_for("submissions.detail", submission_id=saved.id))


@bp.route("/submit", methods=["GET", "POST"])
@login_required
def new() -> Response:
    """Share a Quick Learn, job aid or checklist."""
    require("submit")
    form = _form()
    if request.method == "POST":
        return save_form(form)
    if current_user.department_id and not form.department_id.data:
        form.department_id.data = current_user.department_id
    return _form_page(form)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error) -> Response:
    """Over MAX_CONTENT_LENGTH: the body was never read, so say so on an empty form."""
    form = _form(formdata=None)
    form.file.errors = [
        f"The upload is larger than the {current_app.config['SUBMISSION_MAX_UPLOAD_MB']} MB limit; nothing was saved."
    ]
    return _form_page(form, None, 413)


def _own(submission_id: int, action: str = "view_submission"):
    submission = services.get(submission_id) or abort(404)
    require("view_submission", submission)  # 404 first, so outsiders learn nothing
    require(action, submission)
    return submission


@bp.route("/submissions")
@login_required
def mine() -> Response:
    """The signed-in person's submissions."""
    return render("submissions/mine.html", submissions=services.mine(current_user))


@bp.route("/submissions/<int:submission_id>")
@login_required
def detail(submission_id: int) -> Response:
    """A submission: status, screening findings, what changed, and its timeline."""
    submission = _own(submission_id)
    return render("submissions/detail.html", **detail_context(submission))


def detail_context(submission) -> dict:
    """What the submission and review pages show of a submission."""
    sla = current_app.config["REVIEW_SLA_WORKING_DAYS"]
    item = submission.item
    return {
        "submission": submission, "item": item, "changes": review.latest_changes(submission),
        "comment_form": CommentForm(), "action_form": ActionForm(), "decision_form": DecisionForm(),
        "overdue": review.is_overdue(submission, sla), "redact_form": RedactForm(formdata=None),
        "text_form": ReviewerEditForm(formdata=None, data={"title": item.title, "summary": item.summary, "body": item.body}),
        "media_status": processing.status(submission.id),
    }


@bp.route("/submissions/<int:submission_id>/processing")
@login_required
def media_status(submission_id: int) -> Response:
    """Polled by the submission page while its file is processed; reloads the page once it is done."""
    submission = _own(submission_id)
    status = processing.status(submission.id)
    response = render_fragment("submissions/_media_status.html", submission=submission, media_status=status)
    if request.headers.get("HX-Request") and not (status and status.processing):
        response.headers["HX-Refresh"] = "true"  # the finished file (or the failure) shows on the full page
    return response


@bp.route("/submissions/<int:submission_id>/edit", methods=["GET", "POST"])
@login_required
def edit(submission_id: int) -> Response:
    """Finish a draft, or change and resubmit after a decision."""
    submission = _own(submission_id, "edit_submission")
    form = _form(data=prefill_item(submission.item, submission.department_id)) if request.method == "GET" else _form()
    if request.method == "POST":
        return save_form(form, submission)
    return _form_page(form, submission)


@bp.route("/submissions/<int:submission_id>/submit", methods=["POST"])
@login_required
def submit(submission_id: int) -> Response:
    """Submit a complete draft as it is."""
    submission = _own(submission_id, "edit_submission")
    form = ActionForm()
    if not form.validate():
        abort(400)
    try:
        services.submit(submission, current_user, current_app.config)
    except services.Incomplete as problem:
        for message in problem.problems.values():
            flash(message, "error")  # every missing piece at once
        return render("submissions/detail.html", status=422, **detail_context(submission))
    except review.InvalidTransition as problem:
        abort(409, problem)
    return see_other(url_for("submissions.detail", submission_id=submission.id))


@bp.route("/submissions/<int:submission_id>/withdraw", methods=["POST"])
@login_required
def withdraw(submission_id: int) -> Response:
    """Take a pending submission back out of the review queue (it becomes a draft)."""
    submission = _own(submission_id, "edit_submission")
    if not ActionForm().validate():
        abort(400)
    try:
        services.withdraw(submission, current_user)
    except review.InvalidTransition as problem:
        abort(409, problem)
    flash("Withdrawn from review: it is a draft again. Submit it whenever you're ready.", "success")
    return see_other(url_for("submissions.detail", submission_id=submission.id))


@bp.route("/submissions/<int:submission_id>/comment", methods=["POST"])
@login_required
def comment(submission_id: int) -> Response:
    """Comment on a submission (submitter and reviewers)."""
    submission = _own(submission_id, "comment_submission")
    form = CommentForm()
    if not form.validate():
        flash("Write a comment first.", "error")
    else:
        review.comment(submission, current_user, form.text.data)
    back = request.form.get("back") == "review" and can(current_user, "review_submission", submission)
    return see_other(url_for("review.detail" if back else "submissions.detail", submission_id=submission.id))


@bp.route("/submit/preview", methods=["POST"])
@login_required
def preview() -> Response:
    """Live preview of the job aid markdown, sanitized exactly like published pages, with findings."""
    form = PreviewForm()
    if not form.validate():
        abort(400)
    body = form.body.data or ""
    findings = records.screen_fields({"body": body}, current_app.config["SCREENING_PHONE_REGION"])
    return render_fragment("submissions/_preview.html", body=body, findings=findings)


def register(app) -> None:
    """Register the submit and review blueprints."""
    from marketplace.submissions import review_views  # it imports this module for detail_context

    app.register_blueprint(bp)
    app.register_blueprint(review_views.bp)
