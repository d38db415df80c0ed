"""Admins see job runs that used every attempt and can give them another go (/admin/jobs)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, url_for
from flask_login import login_required
from flask_wtf import FlaskForm

from marketplace.extensions import db
from marketplace.htmx import render, see_other
from marketplace.jobs import services
from marketplace.jobs.models import JobRun
from marketplace.policy import require

bp = Blueprint("jobs_admin", __name__, url_prefix="/admin/jobs")


class RetryForm(FlaskForm):
    """The retry button: only the CSRF token."""


@bp.route("")
@login_required
def failed() -> Response:
    """Failed job runs, newest first, with their last error and a retry button."""
    require("admin_jobs")
    return render("admin/jobs.html", runs=services.failed_runs(), form=RetryForm())


@bp.route("/<int:run_id>/retry", methods=["POST"])
@login_required
def retry(run_id: int) -> Response:
    """Give a failed run a fresh set of attempts."""
    require("admin_jobs")
    run = db.session.get(JobRun, run_id) or abort(404)
    if not RetryForm().validate():
        abort(400)
    try:
        services.retry_run(run)
    except services.NotFailed as problem:
        flash(str(problem), "error")
        return see_other(url_for("jobs_admin.failed"))
    db.session.commit()
    flash(f"Run {run.id} ({run.name}) is queued again.", "success")
    return see_other(url_for("jobs_admin.failed"))
