"""Spaces housekeeping on the job runner's clock (never on a GET)."""

from __future__ import annotations

from marketplace import jobs


@jobs.periodic(jobs.crontab(hour="2", minute="10"))
def archive_due_spaces() -> None:
    """Daily: archive spaces whose end date has passed."""
    from marketplace.spaces import services

    services.archive_due()
