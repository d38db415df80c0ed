"""Freshness housekeeping on the job runner's clock."""

from __future__ import annotations

from flask import current_app

from marketplace import jobs


@jobs.periodic(jobs.crontab(minute="20"))
def freshness() -> None:
    """Hourly (idempotent): leavers' items to their department's champions, then due-date reminders."""
    from marketplace.lifecycle import services

    services.run_freshness(remind_days=current_app.config["FRESHNESS_REMIND_DAYS"])
