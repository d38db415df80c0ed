"""Impact housekeeping: roll up learning events, refresh scorecard rows and network snapshots."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete

from marketplace import jobs

log = logging.getLogger(__name__)


def refresh_everything() -> int:
    """Apply new learning events, then refresh summaries and networks (what the periodic job runs)."""
    from marketplace.extensions import db
    from marketplace.impact import network, rollups, summaries

    applied = rollups.refresh()
    summaries.refresh()
    network.refresh_all()
    db.session.commit()
    return applied


@jobs.periodic(jobs.crontab(minute="*/5"))
def roll_up_impact() -> None:
    """Every five minutes: fold new learning events into the rollups; refresh the scorecard and network."""
    applied = refresh_everything()
    if applied:
        log.info("impact: rolled up %s learning events", applied)


@jobs.periodic(jobs.crontab(minute="17", hour="3"))
def drop_stale_imports() -> None:
    """Daily: forget CSV uploads that were previewed but never confirmed (after a day)."""
    from marketplace.extensions import db
    from marketplace.impact.models import ImportState, ReadingImport
    from marketplace.timeutil import utcnow

    db.session.execute(delete(ReadingImport).where(
        ReadingImport.state == ImportState.PREVIEWED, ReadingImport.created_at < utcnow() - timedelta(days=1)))
    db.session.commit()
