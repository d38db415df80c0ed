"""Feeding impact: CSV import, API tokens and the readings API, page beacons, proficiency cases, outcomes."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, jsonify, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from marketplace.catalog.models import KPI
from marketplace.catalog.services import item_by_slug, kpi_by_slug
from marketplace.choices import options
from marketplace.events.models import Verb
from marketplace.extensions import csrf, db
from marketplace.htmx import render, see_other
from marketplace.impact import readings, tokens
from marketplace.impact.forms import (
    ConfirmForm,
    ImportForm,
    OutcomeForm,
    ProficiencyForm,
    TokenForm,
)
from marketplace.impact.models import ApiToken, ExperimentOutcome, ProficiencyCase, ReadingImport
from marketplace.impact.recording import item_event
from marketplace.impact.views import bp
from marketplace.policy import require
from marketplace.spaces.models import Experiment
from marketplace.timeutil import utcnow

PREVIEW_ROWS = 20


def _kpi_choices() -> list[tuple[int, str]]:
    return [(k.id, k.name) for k in db.session.scalars(select(KPI).order_by(KPI.name))]


@bp.route("/impact/readings/import", methods=["GET", "POST"])
@login_required
def import_readings() -> Response:
    """Upload a CSV of readings; a clean file is previewed, a faulty one lists every problem (nothing stored)."""
    require("import_readings")
    form = ImportForm()
    if request.method == "GET":
        return render("impact/import.html", form=form, staged=None, checked=None, confirm=None)
    if not form.validate_on_submit():
        return render("impact/import.html", status=422, form=form, staged=None, checked=None, confirm=None)
    upload = form.file.data
    raw = upload.read(current_app.config.get("IMPACT_MAX_IMPORT_BYTES", 32 * 2**20) + 1)
    if len(raw) > current_app.config.get("IMPACT_MAX_IMPORT_BYTES", 32 * 2**20):
        form.file.errors.append("The file is larger than 32 MB; split it.")
        return render("impact/import.html", status=422, form=form, staged=None, checked=None, confirm=None)
    staged, checked, file_error = readings.stage(current_user.id, upload.filename or "", raw)
    if file_error:
        form.file.errors.append(file_error)
    if staged is None:
        return render("impact/import.html", status=422, form=form, staged=None, checked=checked, confirm=None)
    return render("impact/import.html", form=ImportForm(formdata=None), staged=staged, checked=checked, confirm=ConfirmForm(),
                  preview=checked.rows[:PREVIEW_ROWS], kpis={k.id: k for k in db.session.scalars(select(KPI))})


@bp.route("/impact/readings/import/<int:import_id>/confirm", methods=["POST"])
@login_required
def confirm_import(import_id: int) -> Response:
    """Store a previewed import: all rows or none."""
    require("import_readings")
    staged = db.session.get(ReadingImport, import_id)
    if staged is None or staged.user_id != current_user.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        added, updated = readings.confirm(staged)
    except readings.ImportError_ as error:
        db.session.rollback()
        flash(str(error), "error")
        return see_other(url_for("impact.import_readings"))
    flash(f"Readings stored: {added} new, {updated} updated.", "success")
    return see_other(url_for("impact.overview"))


@bp.route("/impact/tokens", methods=["GET", "POST"])
@login_required
def api_tokens() -> Response:
    """Admins create (shown once), list and revoke bearer tokens for BI tools."""
    require("manage_api_tokens")
    form = TokenForm()
    form.kpi_ids.choices = options(_kpi_choices())
    secret = None
    if request.method == "POST":
        if not form.validate_on_submit():
            return render("impact/tokens.html", status=422, form=form, tokens=tokens.all_tokens(), secret=None, revoke=ConfirmForm())
        chosen = list(db.session.scalars(select(KPI).where(KPI.id.in_(form.kpi_ids.data))))
        _token, secret = tokens.create(form.name.data, chosen, current_user.id)
        form = TokenForm(formdata=None)
        form.kpi_ids.choices = options(_kpi_choices())
    response = render("impact/tokens.html", form=form, tokens=tokens.all_tokens(), secret=secret, revoke=ConfirmForm())
    response.headers["Cache-Control"] = "no-store"  # the secret is on this page once
    return response


@bp.route("/impact/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int) -> Response:
    """Revoke a token at once."""
    require("manage_api_tokens")
    token = db.session.get(ApiToken, token_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    tokens.revoke(token)
    flash(f"Token “{token.name}” revoked.", "success")
    return see_other(url_for("impact.api_tokens"))


def _api_error(status: int, message: str, problems: list | None = None) -> Response:
    body = {"error": message, **({"problems": [{"row": p.row, "column": p.column, "message": p.message} for p in problems]} if problems else {})}
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="marketplace"'
    return response


@bp.route("/api/v1/kpis/<slug>/readings", methods=["POST"])
@csrf.exempt  # a machine endpoint: the bearer token is the credential
def api_readings(slug: str) -> Response:
    """Store readings sent by a BI tool: {"readings": [{"period", "start", "value", "department"?, ...}]}."""
    token = tokens.authenticate(request.headers.get("Authorization"))
    if token is None:
        return _api_error(401, "A valid, unrevoked bearer token is required.")
    kpi = kpi_by_slug(slug)
    if kpi is None:
        return _api_error(404, f"There is no KPI “{slug[:60]}”.")
    if kpi.id not in {k.id for k in token.kpis}:
        return _api_error(403, f"This token may not write “{kpi.slug}”.")
    body = request.get_json(silent=True)
    entries = body.get("readings") if isinstance(body, dict) and "readings" in body else ([body] if isinstance(body, dict) else body)
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return _api_error(400, 'Send JSON: {"readings": [{"period": "week", "start": "2026-01-05", "value": 12.5}]}.')
    if len(entries) > readings.MAX_ROWS:
        return _api_error(413, f"Send at most {readings.MAX_ROWS} readings per request.")
    rows = [{"_row": i, **{k: v for k, v in e.items() if isinstance(k, str)}, "kpi": kpi.slug} for i, e in enumerate(entries, start=1)]
    checked = readings.check(rows, only_kpi=kpi, allowed_kpi_ids={k.id for k in token.kpis})
    if not checked.ok:
        return _api_error(422, "Nothing was stored.", checked.problems)
    added, updated = readings.store(checked, "api")
    token.last_used_at = utcnow()
    db.session.commit()
    return jsonify({"stored": added + updated, "created": added, "updated": updated}), 201


def _beacon(slug: str, verb: Verb) -> Response:
    item = item_by_slug(slug) or abort(404)
    require("view_item", item)
    item_event(current_user, verb, item)
    db.session.commit()
    return Response(status=204)


@bp.route("/items/<slug>/opened", methods=["POST"])
@login_required
def opened(slug: str) -> Response:
    """Beacon from the item page: someone opened this item (GET itself never writes)."""
    return _beacon(slug, Verb.OPENED)


@bp.route("/items/<slug>/played", methods=["POST"])
@login_required
def played(slug: str) -> Response:
    """Beacon from the Quick Learn player: most of it was played."""
    return _beacon(slug, Verb.PLAYED)


@bp.route("/impact/proficiency", methods=["GET", "POST"])
@login_required
def proficiency() -> Response:
    """Cost of delayed proficiency: list the cases and add one."""
    require("manage_proficiency")
    form = ProficiencyForm()
    form.kpi_id.choices = options([(0, "None")] + _kpi_choices())
    if request.method == "POST":
        if not form.validate_on_submit():
            return render("impact/proficiency.html", status=422, form=form, cases=_cases())
        db.session.add(ProficiencyCase(
            role=form.role.data.strip(), kpi_id=form.kpi_id.data or None, days_before=float(form.days_before.data),
            days_after=float(form.days_after.data), hires_per_year=form.hires_per_year.data,
            daily_cost=float(form.daily_cost.data), currency=form.currency.data.strip().upper()))
        db.session.commit()
        flash("Case added to the financial dimension of the scorecard.", "success")
        return see_other(url_for("impact.proficiency"))
    return render("impact/proficiency.html", form=form, cases=_cases())


def _cases() -> list[ProficiencyCase]:
    return list(db.session.scalars(select(ProficiencyCase).order_by(ProficiencyCase.role)))


@bp.route("/impact/experiments/<int:experiment_id>/outcome", methods=["GET", "POST"])
@login_required
def outcome(experiment_id: int) -> Response:
    """Close a retro experiment's loop: kept or dropped, what we learned, the KPI it aimed at."""
    experiment = db.session.get(Experiment, experiment_id) or abort(404)
    require("view_space", experiment.space)
    require("record_outcome", experiment)
    existing = db.session.get(ExperimentOutcome, experiment.id)
    form = OutcomeForm(obj=existing)
    form.kpi_id.choices = options([(0, "None")] + _kpi_choices())
    if request.method == "GET" and existing is None and experiment.space.kpi_id:
        form.kpi_id.data = experiment.space.kpi_id
    if request.method == "POST":
        if not form.validate_on_submit():
            return render("impact/outcome.html", status=422, form=form, experiment=experiment)
        record = existing or ExperimentOutcome(experiment_id=experiment.id)
        record.learned, record.kpi_id = form.learned.data.strip(), form.kpi_id.data or None
        experiment.status = form.status.data
        db.session.add(record)
        db.session.commit()
        flash("Outcome recorded; it shows on the KPI's scorecard.", "success")
        return see_other(f"/spaces/{experiment.space.slug}")
    return render("impact/outcome.html", form=form, experiment=experiment)
