"""The KPI scorecard and the balanced scorecard, read from readings, rollups and summaries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from statistics import mean
from typing import Any

from sqlalchemy import func, or_, select

from marketplace.accounts.models import Department, User
from marketplace.catalog.models import KPI, Item, item_kpis
from marketplace.curation.models import Collection
from marketplace.extensions import db
from marketplace.followups.models import FollowUp, FollowUpState, followup_kpis
from marketplace.impact.models import (
    Dimension,
    ExperimentOutcome,
    KpiProfile,
    KpiReading,
    Period,
    ProficiencyCase,
)
from marketplace.impact.rollup_models import KpiSummary, UsageWeek
from marketplace.impact.summaries import counters, rate
from marketplace.spaces.models import Experiment, Space
from marketplace.timeutil import today

PRIVACY_MIN = 5
WINDOW = timedelta(weeks=26)
TOO_FEW = "too few to show"


def headcounts() -> dict[int, int]:
    """Active people per department id."""
    query = select(User.department_id, func.count()).where(User.active.is_(True), User.department_id.is_not(None)).group_by(User.department_id)
    return dict(db.session.execute(query).all())


def better(kpi: KPI, delta: float) -> bool:
    """Whether a change of `delta` is an improvement for this KPI (direction-aware)."""
    return delta < 0 if kpi.direction == "down" else delta > 0


@dataclass
class Marker:
    on: date
    kind: str
    label: str


@dataclass
class DiD:
    """Difference in differences between high- and low-adoption departments around a launch."""

    launch: date | None = None
    launch_label: str = ""
    high: list[tuple[str, int, float]] = field(default_factory=list)  # (department, people, adoption %)
    low: list[tuple[str, int, float]] = field(default_factory=list)
    before_high: float | None = None
    after_high: float | None = None
    before_low: float | None = None
    after_low: float | None = None
    suppressed: list[str] = field(default_factory=list)
    reason: str = ""

    @property
    def effect(self) -> float | None:
        if None in (self.before_high, self.after_high, self.before_low, self.after_low):
            return None
        return (self.after_high - self.before_high) - (self.after_low - self.before_low)


@dataclass
class Scorecard:
    kpi: KPI
    profile: KpiProfile | None
    scope: str
    period: Period | None
    periods: list[Period]
    readings: list[KpiReading]
    departments: list[tuple[Department, int, bool]]  # (department, people, shown)
    adoption: list[tuple[date, int | None]]
    markers: list[Marker]
    counts: dict[str, int]
    answers: list[FollowUp]
    did: DiD
    suppressed_scope: bool = False

    @cached_property
    def target(self) -> float | None:
        latest = next((r.target for r in reversed(self.readings) if r.target is not None), None)
        return latest if latest is not None else (self.profile.target if self.profile else None)

    @cached_property
    def baseline(self) -> float | None:
        first = next((r.baseline for r in self.readings if r.baseline is not None), None)
        return first if first is not None else (self.profile.baseline if self.profile else None)

    @property
    def helpful_rate(self) -> float | None:
        return rate(self.counts.get("helpful_yes"), self.counts.get("helpful_votes"))

    @property
    def change_rate(self) -> float | None:
        answered = self.counts.get("followups_answered", 0)
        return rate(self.counts.get("followups_changed"), answered) if answered >= PRIVACY_MIN else None


def _readings(kpi: KPI, scope: str, period: Period | None) -> list[KpiReading]:
    query = select(KpiReading).where(KpiReading.kpi_id == kpi.id, KpiReading.scope == scope)
    if period is not None:
        query = query.where(KpiReading.period == period)
    return list(db.session.scalars(query.order_by(KpiReading.period_start)))


def _periods(kpi: KPI) -> list[Period]:
    found = set(db.session.scalars(select(KpiReading.period).where(KpiReading.kpi_id == kpi.id).distinct()))
    return [p for p in Period if p in found]


def scorecard(kpi: KPI, scope: str = "", period: str | None = None, viewer: Any = None) -> Scorecard:
    """Everything the KPI scorecard shows for one scope ("" = company-wide, or a department slug)."""
    people = headcounts()
    departments = [(d, people.get(d.id, 0), people.get(d.id, 0) >= PRIVACY_MIN)
                   for d in db.session.scalars(select(Department).order_by(Department.name))]
    by_slug = {d.slug: (d, n, shown) for d, n, shown in departments}
    suppressed = bool(scope) and scope in by_slug and not by_slug[scope][2]
    periods = _periods(kpi)
    chosen = Period(period) if period in {p.value for p in periods} else (Period.WEEK if Period.WEEK in periods else (periods[0] if periods else None))
    readings = [] if suppressed else _readings(kpi, scope, chosen)
    department_id = by_slug[scope][0].id if scope in by_slug else None
    return Scorecard(
        kpi=kpi, profile=db.session.get(KpiProfile, kpi.id), scope=scope, period=chosen, periods=periods,
        readings=readings, departments=departments, adoption=[] if suppressed else adoption(kpi, department_id),
        markers=markers(kpi), counts=counters(kpi.id), answers=answers(kpi), did=did(kpi, chosen, departments),
        suppressed_scope=suppressed,
    )


def adoption(kpi: KPI, department_id: int | None = None) -> list[tuple[date, int | None]]:
    """Weekly people using items that serve the KPI (a department's weeks under 5 people are hidden)."""
    query = select(UsageWeek.week, func.sum(UsageWeek.people)).where(UsageWeek.kpi_id == kpi.id)
    if department_id is not None:
        query = query.where(UsageWeek.department_key == department_id)
    rows = db.session.execute(query.group_by(UsageWeek.week).order_by(UsageWeek.week)).all()
    if department_id is None:
        return [(week, int(n)) for week, n in rows]
    return [(week, int(n) if n >= PRIVACY_MIN else None) for week, n in rows]


def _day(moment: datetime | date | None) -> date | None:
    return moment.date() if isinstance(moment, datetime) else moment


def markers(kpi: KPI) -> list[Marker]:
    """Collections launched, items published or retired, experiments started, for this KPI."""
    found = [Marker(_day(c.created_at), "collection", f"Collection launched: {c.title}")
             for c in db.session.scalars(select(Collection).where(Collection.kpi_id == kpi.id, Collection.status == "published"))]
    items = db.session.execute(
        select(Item.title, Item.status, Item.published_at, Item.updated_at).join(item_kpis, item_kpis.c.item_id == Item.id)
        .where(item_kpis.c.kpi_id == kpi.id, Item.status.in_(["published", "retired"]))
        .order_by(func.coalesce(Item.published_at, Item.updated_at).desc()).limit(8)
    ).all()
    for title, status, published, updated in items:
        if status == "retired":
            found.append(Marker(_day(updated), "retired", f"Item retired: {title}"))
        elif published:
            found.append(Marker(_day(published), "published", f"Item published: {title}"))
    outcome_ids = select(ExperimentOutcome.experiment_id).where(ExperimentOutcome.kpi_id == kpi.id)
    experiments = db.session.scalars(
        select(Experiment).join(Space, Space.id == Experiment.space_id)
        .where(or_(Experiment.id.in_(outcome_ids), Space.kpi_id == kpi.id)).order_by(Experiment.created_at.desc()).limit(8)
    )
    for experiment in experiments:
        outcome = db.session.get(ExperimentOutcome, experiment.id)
        status = f" ({experiment.status}{': ' + outcome.learned[:80] if outcome and outcome.learned else ''})"
        found.append(Marker(_day(experiment.created_at), "experiment", f"Experiment started: {experiment.title}{status}"))
    return sorted((m for m in found if m.on), key=lambda m: m.on)


def answers(kpi: KPI, limit: int = 10) -> list[FollowUp]:
    """Recent follow-up answers about things serving the KPI (shown without names), if at least 5 exist."""
    base = select(FollowUp).join(followup_kpis, followup_kpis.c.followup_id == FollowUp.id).where(
        followup_kpis.c.kpi_id == kpi.id, FollowUp.state == FollowUpState.ANSWERED)
    found = list(db.session.scalars(base.order_by(FollowUp.answered_at.desc()).limit(max(limit, PRIVACY_MIN))))
    return found[:limit] if len(found) >= PRIVACY_MIN else []


def _launch(kpi: KPI) -> tuple[date | None, str]:
    collection = db.session.scalar(select(Collection).where(Collection.kpi_id == kpi.id, Collection.status == "published").order_by(Collection.created_at))
    return (_day(collection.created_at), collection.title) if collection else (None, "")


def did(kpi: KPI, period: Period | None, departments: list[tuple[Department, int, bool]]) -> DiD:
    """Compare departments above and below the median adoption, before and after the KPI's collection launched."""
    launch, label = _launch(kpi)
    result = DiD(launch=launch, launch_label=label)
    if launch is None or period is None:
        result.reason = "No collection serving this KPI has been launched yet."
        return result
    before, after = launch - WINDOW, launch + WINDOW
    rows = db.session.execute(
        select(KpiReading.department_id, KpiReading.period_start, KpiReading.value).where(
            KpiReading.kpi_id == kpi.id, KpiReading.department_id.is_not(None), KpiReading.period == period,
            KpiReading.period_start >= before, KpiReading.period_start < after)
    ).all()
    values: dict[int, dict[str, list[float]]] = defaultdict(lambda: {"before": [], "after": []})
    for department_id, start, value in rows:
        values[department_id]["before" if start < launch else "after"].append(value)
    used = dict(db.session.execute(
        select(UsageWeek.department_key, func.sum(UsageWeek.people)).where(
            UsageWeek.kpi_id == kpi.id, UsageWeek.week >= launch, UsageWeek.week < after).group_by(UsageWeek.department_key)
    ).all())
    weeks = max(1, min((after - launch).days, max(1, (today() - launch).days)) // 7)
    candidates = []
    for department, people, shown in departments:
        series = values.get(department.id)
        if not series or not series["before"] or not series["after"]:
            continue
        if not shown:
            result.suppressed.append(department.name)
            continue
        share = 100 * (used.get(department.id, 0) / weeks) / people
        candidates.append((share, department, people, series))
    if len(candidates) < 2:
        result.reason = "At least two departments with 5 or more people need readings before and after the launch."
        return result
    candidates.sort(key=lambda c: c[0], reverse=True)
    half = len(candidates) // 2
    high, low = candidates[:half], candidates[half:]
    result.high = [(d.name, n, round(s, 1)) for s, d, n, _ in high]
    result.low = [(d.name, n, round(s, 1)) for s, d, n, _ in low]
    result.before_high = mean(v for *_, s in high for v in s["before"])
    result.after_high = mean(v for *_, s in high for v in s["after"])
    result.before_low = mean(v for *_, s in low for v in s["before"])
    result.after_low = mean(v for *_, s in low for v in s["after"])
    return result


@dataclass
class OverviewRow:
    kpi: KPI
    summary: KpiSummary | None
    dimension: Dimension


def overview(viewer: Any) -> dict[Dimension, list[OverviewRow]]:
    """Scorecard rows grouped by dimension; a leader sees their department's KPIs only."""
    query = select(KPI, KpiSummary, KpiProfile.dimension).outerjoin(KpiSummary, KpiSummary.kpi_id == KPI.id).outerjoin(
        KpiProfile, KpiProfile.kpi_id == KPI.id).order_by(KPI.name)
    if not (viewer.is_curator or viewer.is_admin):
        query = query.where(KPI.department_id == viewer.department_id)
    grouped: dict[Dimension, list[OverviewRow]] = {d: [] for d in Dimension}
    for kpi, summary, dimension in db.session.execute(query).all():
        dimension = Dimension(dimension) if dimension else Dimension.PROCESS
        grouped[dimension].append(OverviewRow(kpi, summary, dimension))
    return grouped


def proficiency_cases(viewer: Any) -> list[ProficiencyCase]:
    """Cost-of-delayed-proficiency cases (financial dimension)."""
    query = select(ProficiencyCase).order_by(ProficiencyCase.role)
    if not (viewer.is_curator or viewer.is_admin):
        query = query.outerjoin(KPI, KPI.id == ProficiencyCase.kpi_id).where(KPI.department_id == viewer.department_id)
    return list(db.session.scalars(query))
