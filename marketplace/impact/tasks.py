"""Impact housekeeping: roll up learning events, refresh scorecard rows and network snapshots."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete

from marketplace import jobs

log = logging.getLogger(__name__)


def refresh_everything(with_network: bool = True) -> int:
    """Apply new learning events, then refresh scorecard rows (and the network snapshots)."""
    from marketplace.extensions import db
    from marketplace.impact import network, rollups, summaries

    applied = rollups.refresh()
    summaries.refresh()
    if with_network:
        network.refresh_all()
    db.session.commit()
    return applied


@jobs.periodic(jobs.crontab(minute="*/5"))
def roll_up_impact() -> None:
    """Every five minutes: fold new learning events into the rollups; refresh the scorecard rows."""
    applied = refresh_everything(with_network=False)
    if applied:
        log.info("impact: rolled up %s learning events", applied)


@jobs.periodic(jobs.crontab(minute="*/30"))
def measure_network() -> None:
    """Every half hour: measure and draw the knowledge-flow network for each period (sampled betweenness)."""
    from marketplace.extensions import db
    from marketplace.impact import network

    network.refresh_all()
    db.session.commit()


@jobs.periodic(jobs.crontab(minute="17", hour="3"))
def drop_stale_imports() -> None:
    """Daily: forget CSV uploads that were previewed but never confirmed (after a day)."""
    from marketplace.extensions import db
    from marketplace.impact.models import ImportState, ReadingImport
    from marketplace.timeutil import utcnow

    db.session.execute(delete(ReadingImport).where(
        ReadingImport.state == ImportState.PREVIEWED, ReadingImport.created_at < utcnow() - timedelta(days=1)))
    db.session.commit()
