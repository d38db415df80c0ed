"""`flask jobs worker` runs the job runner; `flask jobs sweep` and `flask jobs failed` inspect it."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

jobs_cli = AppGroup("jobs", help="Background jobs.")


@jobs_cli.command("worker")
@click.option("--workers", default=2, show_default=True, help="Worker threads.")
def worker_command(workers: int) -> None:
    """Run the job worker and the scheduler for periodic housekeeping (Ctrl-C stops)."""
    from marketplace.jobs.runner import bind, huey

    if current_app.config.get("JOBS_IMMEDIATE"):
        raise click.UsageError("JOBS_IMMEDIATE is set: jobs run in the web process, there is nothing to work on.")
    bind(current_app._get_current_object())
    click.echo(f"Job worker: {workers} threads on {current_app.config['JOBS_URL']}")
    huey.create_consumer(workers=workers, worker_type="thread", periodic=True, check_worker_health=True).run()


@jobs_cli.command("sweep")
def sweep_command() -> None:
    """Recover runs whose worker died and re-enqueue lost ones (the worker does this every minute)."""
    from marketplace.jobs import services

    click.echo(services.sweep())


@jobs_cli.command("failed")
def failed_command() -> None:
    """List job runs that used every attempt."""
    from marketplace.jobs import services

    for run in services.failed_runs():
        click.echo(f"{run.id}\t{run.name}\t{run.subject or '-'}\t{run.attempts} attempts\t{run.last_error or ''}")
