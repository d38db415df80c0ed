"""Background work for privacy requests, on the one job runner."""

from __future__ import annotations

from marketplace import jobs
from marketplace.privacy import services


@jobs.durable(services.EXPORT_JOB)
def prepare_export(request_id: int) -> None:
    services.prepare_export(request_id)


@jobs.on_failure(services.EXPORT_JOB)
def export_gave_up(run) -> None:  # noqa: ANN001 - a JobRun
    services.export_failed(run.payload["request_id"])


@jobs.durable(services.ERASURE_JOB)
def run_erasure(request_id: int) -> None:
    services.run_erasure(request_id)


@jobs.periodic(jobs.crontab(minute="7"))
def expire_exports() -> None:
    """Hourly: exports whose link expired are deleted."""
    from marketplace.extensions import db

    services.expire_exports()
    db.session.commit()
