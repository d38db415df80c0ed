"""Balanced-scorecard rows, refreshed after rollups and imports (pages only read them)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, func, select

from marketplace.catalog.models import KPI, Item, item_kpis
from marketplace.extensions import db
from marketplace.impact import charts
from marketplace.impact.models import KpiProfile, KpiReading
from marketplace.impact.rollup_models import KpiCounter, KpiSummary, UsageWeek
from marketplace.impact.rollups import week_of
from marketplace.timeutil import today, utcnow

SPARK_POINTS = 26


def counters(kpi_id: int) -> dict[str, int]:
    """The KPI's running counts by name."""
    return dict(db.session.execute(select(KpiCounter.name, KpiCounter.value).where(KpiCounter.kpi_id == kpi_id)).all())


def rate(part: int | None, whole: int | None) -> float | None:
    """A share in percent, or None when nothing was counted."""
    return round(100 * (part or 0) / whole, 1) if whole else None


def overall_readings(kpi_id: int, limit: int | None = None) -> list[KpiReading]:
    """The KPI's company-wide readings, oldest first (the newest `limit` when given)."""
    query = select(KpiReading).where(KpiReading.kpi_id == kpi_id, KpiReading.scope == "").order_by(KpiReading.period_start.desc())
    if limit:
        query = query.limit(limit)
    return list(reversed(list(db.session.scalars(query))))


def refresh(kpi_ids: list[int] | None = None) -> int:
    """Recompute the scorecard rows of these KPIs (all when None); the caller commits."""
    kpis = list(db.session.scalars(select(KPI).where(KPI.id.in_(kpi_ids)) if kpi_ids else select(KPI)))
    overdue = _overdue_reviews()
    requests = _open_requests()
    last_week = week_of(today()) - timedelta(days=7)
    for kpi in kpis:
        _refresh_one(kpi, overdue.get(kpi.id, 0), requests.get(kpi.department_id, 0), last_week)
    db.session.flush()
    return len(kpis)


def _refresh_one(kpi: KPI, overdue: int, open_requests: int, last_week) -> None:  # noqa: ANN001
    summary = db.session.get(KpiSummary, kpi.id) or KpiSummary(kpi_id=kpi.id)
    db.session.add(summary)
    profile = db.session.get(KpiProfile, kpi.id)
    readings = overall_readings(kpi.id, SPARK_POINTS)
    latest = readings[-1] if readings else None
    counts = counters(kpi.id)
    summary.latest_value = latest.value if latest else None
    summary.latest_start = latest.period_start if latest else None
    summary.target = (latest.target if latest and latest.target is not None else None) or (profile.target if profile else None)
    summary.baseline = (latest.baseline if latest and latest.baseline is not None else None) or (profile.baseline if profile else None)
    summary.weekly_people = db.session.scalar(
        select(func.coalesce(func.sum(UsageWeek.people), 0)).where(UsageWeek.kpi_id == kpi.id, UsageWeek.week == last_week)
    ) or 0
    summary.helpful_rate = rate(counts.get("helpful_yes"), counts.get("helpful_votes"))
    summary.change_rate = rate(counts.get("followups_changed"), counts.get("followups_answered"))
    summary.overdue_reviews, summary.open_requests = overdue, open_requests
    values = [r.value for r in readings]
    summary.series = values
    summary.sparkline = str(charts.sparkline(f"{kpi.name}: the last {len(values)} readings", values)) if values else ""
    summary.refreshed_at = utcnow()


def _overdue_reviews() -> dict[int, int]:
    query = (
        select(item_kpis.c.kpi_id, func.count())
        .join(Item, Item.id == item_kpis.c.item_id)
        .where(and_(Item.status == "published", Item.review_by < today()))
        .group_by(item_kpis.c.kpi_id)
    )
    return dict(db.session.execute(query).all())


def _open_requests() -> dict[int, int]:
    from marketplace.search.models import ContentRequest

    query = select(ContentRequest.department_id, func.count()).where(ContentRequest.status == "open").group_by(ContentRequest.department_id)
    return dict(db.session.execute(query).all())
