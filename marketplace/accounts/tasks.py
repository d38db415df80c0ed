"""Account housekeeping on the job runner's clock."""

from __future__ import annotations

from marketplace import jobs


@jobs.periodic(jobs.crontab(hour="3", minute="15"))
def purge_sessions() -> None:
    """Daily: delete session rows revoked or expired more than 30 days ago."""
    from marketplace.accounts import sessions

    sessions.purge()
