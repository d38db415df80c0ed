"""The requests board (/requests), the intake (/requests/new) and one request (/requests/<id>)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, request, url_for
from flask_login import current_user, login_required

from marketplace.choices import options
from marketplace.htmx import render, see_other
from marketplace.lifecycle import similar
from marketplace.policy import can, require
from marketplace.requests import services
from marketplace.requests.forms import (
    AcceptForm,
    DeclineForm,
    GapForm,
    LinkForm,
    MergeForm,
    RequestForm,
    StepForm,
)
from marketplace.requests.models import CAUSE_LABELS, Cause

bp = Blueprint("requests", __name__, url_prefix="/requests")


@bp.app_context_processor
def _labels() -> dict:
    return {"request_event_labels": services.EVENT_LABELS}


@bp.route("")
@login_required
def board() -> Response:
    """One board for all demand: filed requests, search gaps and content requests."""
    tab = request.args.get("tab") if request.args.get("tab") in services.BOARD_TABS else "open"
    page_arg = request.args.get("page", "1")
    page = services.board(current_user, tab, int(page_arg) if page_arg.isdigit() and int(page_arg) > 0 else 1)
    gaps = []
    if can(current_user, "triage_request"):
        from marketplace.search import demand

        gaps = [entry for entry in demand.report(limit=20) if entry.request is None][:5]
    return render("requests/board.html", "requests/_board.html", tab=tab, page=page, tabs=services.BOARD_TABS,
                  counts=services.tab_counts(current_user), gaps=gaps, gap_form=GapForm(formdata=None))


def _intake_form(**kwargs) -> RequestForm:
    form = RequestForm(**kwargs)
    for name, pairs in services.choices().items():
        if name == "department_id" and not services.may_file_for_any_team(current_user):  # employees file for their own team
            pairs = [(v, t) for v, t in pairs if v == current_user.department_id]
        getattr(form, name).choices = options(pairs)
    return form


def _intake_page(form, status: int = 200) -> Response:
    text = f"{form.title.data or ''} {form.behaviour.data or ''}"
    return render("requests/new.html", status=status, form=form, cause_labels=CAUSE_LABELS,
                  training_causes={c.value for c in Cause if c.needs_training},
                  similar=similar.for_text(text, current_user) if text.strip() else [])


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> Response:
    """File a request through the strategic shield: goal, gap, cause, solution."""
    require("file_request")
    form = _intake_form()
    if request.method == "GET":
        form.department_id.data = form.department_id.data or current_user.department_id
        return _intake_page(form)
    if not form.validate():
        return _intake_page(form, 422)
    data = services.RequestData(**{name: getattr(form, name).data for name in (
        "title", "department_id", "kpi_id", "kpi_current", "kpi_target", "target_date", "behaviour", "who",
        "frequency", "leader_modelling", "cause", "solution")})
    data.frequency, data.leader_modelling = data.frequency or "", data.leader_modelling or ""
    try:
        filed = services.file(current_user, data)
    except services.RequestError as problem:
        form.department_id.errors = [*form.department_id.errors, str(problem)]
        return _intake_page(form, 422)
    flash("Request filed. L&D will triage it; you'll be notified at every step.", "success")
    return see_other(url_for("requests.detail", request_id=filed.id))


def _request(request_id: int, action: str = "view_request"):
    found = services.get(request_id) or abort(404)
    require("view_request", found)
    require(action, found)
    return found


def _forms(found, **overrides) -> dict:
    forms = {"accept_form": AcceptForm(formdata=None), "decline_form": DeclineForm(formdata=None),
             "merge_form": MergeForm(formdata=None), "link_form": LinkForm(formdata=None), "step_form": StepForm()}
    forms.update(overrides)
    if can(current_user, "triage_request", found):
        forms["accept_form"].owner_id.choices = options(services.owner_choices())
        forms["merge_form"].into_id.choices = options(services.merge_choices(found))
    return forms


def _detail_page(found, status: int = 200, **overrides) -> Response:
    return render("requests/detail.html", status=status, req=found, **_forms(found, **overrides))


@bp.route("/<int:request_id>")
@login_required
def detail(request_id: int) -> Response:
    """One request: goal, gap, cause, solution, triage, delivered content and timeline."""
    return _detail_page(_request(request_id))


def _step(request_id: int, action: str, form_name: str, form_class, run) -> Response:
    """Validate one triage form and run its service step; 422 with every problem listed otherwise."""
    found = _request(request_id, action)
    form = form_class()
    if form_name == "accept_form":
        form.owner_id.choices = options(services.owner_choices())
    if form_name == "merge_form":
        form.into_id.choices = options(services.merge_choices(found))
    if form.validate():
        try:
            run(found, form)
        except services.RequestError as problem:
            form.form_errors.append(str(problem))
        else:
            return see_other(url_for("requests.detail", request_id=found.id))
    return _detail_page(found, 422, **{form_name: form})


@bp.route("/<int:request_id>/accept", methods=["POST"])
@login_required
def accept(request_id: int) -> Response:
    """Accept, with an owner and a due date."""
    return _step(request_id, "triage_request", "accept_form", AcceptForm,
                 lambda r, f: services.accept(r, current_user, f.owner_id.data, f.due_date.data))


@bp.route("/<int:request_id>/assign", methods=["POST"])
@login_required
def assign(request_id: int) -> Response:
    """Change the owner or due date."""
    return _step(request_id, "triage_request", "accept_form", AcceptForm,
                 lambda r, f: services.assign(r, current_user, f.owner_id.data, f.due_date.data))


@bp.route("/<int:request_id>/decline", methods=["POST"])
@login_required
def decline(request_id: int) -> Response:
    """Decline with a reason."""
    return _step(request_id, "triage_request", "decline_form", DeclineForm,
                 lambda r, f: services.decline(r, current_user, f.reason.data))


@bp.route("/<int:request_id>/merge", methods=["POST"])
@login_required
def merge(request_id: int) -> Response:
    """Merge a duplicate into another open request."""
    return _step(request_id, "triage_request", "merge_form", MergeForm,
                 lambda r, f: services.merge(r, current_user, f.into_id.data))


@bp.route("/<int:request_id>/link", methods=["POST"])
@login_required
def link(request_id: int) -> Response:
    """Link an item, collection or space delivered for the request."""
    return _step(request_id, "deliver_request", "link_form", LinkForm,
                 lambda r, f: services.link(r, current_user, f.kind.data, f.reference.data))


@bp.route("/<int:request_id>/deliver", methods=["POST"])
@login_required
def deliver(request_id: int) -> Response:
    """Mark the request delivered."""
    return _step(request_id, "deliver_request", "step_form", StepForm, lambda r, f: services.deliver(r, current_user))


@bp.route("/gap", methods=["POST"])
@login_required
def from_gap() -> Response:
    """Put a search gap from the demand report on the board."""
    require("triage_request")
    form = GapForm()
    if not form.validate():
        abort(400)
    created = services.from_search_gap(form.query.data, current_user)
    return see_other(url_for("requests.detail", request_id=created.id))
