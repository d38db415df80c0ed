"""Demo freshness: items due soon (relative to today), and the retired item's reason and replacement."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from marketplace.catalog.models import Item
from marketplace.extensions import db
from marketplace.lifecycle.services import review_days
from marketplace.timeutil import today, utcnow

SOON = {"deal-stuck-in-legal-review": 5, "pre-demo-checklist": 10}  # days from the first `make run`
RETIRED = ("old-crm-opportunity-entry", "logging-an-opportunity-in-the-new-crm",
           "The old CRM was switched off; opportunities are logged in the new CRM now.")


def seed_lifecycle() -> int:
    """Set the demo's due-soon dates and the retirement note once; later runs change nothing."""
    changed = 0
    for slug, days in SOON.items():
        item = db.session.scalar(select(Item).where(Item.slug == slug))
        # last_verified_at doubles as the "already adjusted" mark, so a second run leaves the date alone.
        if item is not None and item.is_published and item.last_verified_at is None:
            item.review_by = today() + timedelta(days=days)
            changed += 1
    unverified = select(Item).where(Item.status == "published", Item.last_verified_at.is_(None), Item.review_by.is_not(None))
    for item in db.session.scalars(unverified):
        # A plausible history: last confirmed one review interval before the review date (never in the future).
        confirmed = datetime.combine(item.review_by - timedelta(days=review_days(item.type)), time(9))
        item.last_verified_at = min(confirmed, item.published_at or utcnow())
    slug, replacement_slug, reason = RETIRED
    item = db.session.scalar(select(Item).where(Item.slug == slug))
    replacement = db.session.scalar(select(Item).where(Item.slug == replacement_slug))
    if item is not None and item.is_retired and not item.retired_reason:
        item.retired_reason, item.replacement, item.retired_at = reason, replacement, item.retired_at or utcnow()
        changed += 1
    db.session.commit()
    return changed
