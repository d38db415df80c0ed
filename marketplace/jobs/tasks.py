"""The runner's own tasks: execute a durable run, sweep lost runs, prune the change feed."""

from __future__ import annotations

import logging

from huey import crontab

from marketplace.jobs.runner import periodic, task

log = logging.getLogger(__name__)


@task()
def execute_run(run_id: int) -> None:
    """Run one durable job (the body is looked up by the run's name)."""
    from marketplace.jobs import services

    services.execute(run_id)


@periodic(crontab(minute="*"))
def sweep_runs() -> None:
    """Every minute: recover runs whose worker died and re-enqueue runs whose message was lost."""
    from marketplace.jobs import services

    outcome = services.sweep()
    if any(outcome.values()):
        log.info("job sweep: %s", outcome)


@periodic(crontab(minute="*/10"))
def prune_change_feed() -> None:
    """Every ten minutes: drop change rows that every known consumer has applied."""
    from marketplace import changes
    from marketplace.extensions import db

    removed = changes.prune(db.session)
    db.session.commit()
    if removed:
        log.info("change feed: pruned %s rows", removed)
