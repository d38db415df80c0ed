"""Send due follow-ups on a schedule (the same service as `flask followups send-due`)."""

from __future__ import annotations

import logging

from marketplace import jobs

log = logging.getLogger(__name__)


@jobs.periodic(jobs.crontab(minute="7"))
def send_due_followups() -> None:
    """Hourly: send the follow-ups that are due (idempotent: a sent one is never sent again)."""
    from marketplace.followups.services import send_due

    sent = send_due()
    if sent:
        log.info("follow-ups: sent %s", sent)
