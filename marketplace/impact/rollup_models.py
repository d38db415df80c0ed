"""Rollup tables: derived from learning events by a change-feed consumer, read by the impact pages."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Float, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.timeutil import utcnow


class AppliedChange(db.Model):
    """Feed changes applied above the persisted position (re-delivered ones are skipped: idempotent)."""

    __tablename__ = "impact_applied_changes"

    change_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)


class UsagePersonWeek(db.Model):
    """Someone used an item serving a KPI in a week (distinct people without rescanning events)."""

    __tablename__ = "impact_usage_person_weeks"

    kpi_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    week: Mapped[date] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)


class UsageWeek(db.Model):
    """Weekly people and events per KPI and department (department_key 0 = no department)."""

    __tablename__ = "impact_usage_weeks"

    kpi_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    department_key: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    week: Mapped[date] = mapped_column(primary_key=True)
    people: Mapped[int] = mapped_column(default=0)
    events: Mapped[int] = mapped_column(default=0)


class VoteState(db.Model):
    """The latest helpful answer per person and item, so changed votes are not counted twice."""

    __tablename__ = "impact_vote_states"

    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    item_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    helpful: Mapped[bool] = mapped_column()
    event_id: Mapped[int] = mapped_column()


class KpiCounter(db.Model):
    """A running count per KPI: helpful_yes, helpful_votes, followups_answered, followups_changed."""

    __tablename__ = "impact_kpi_counters"

    kpi_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class Flow(db.Model):
    """Knowledge flowing from one person to another in a week (user 0 = counted, never named)."""

    __tablename__ = "impact_flows"
    __table_args__ = (Index("ix_impact_flows_week", "week"),)

    week: Mapped[date] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    source_user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    target_user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    source_department: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    target_department: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(default=0)


class SkillAnswer(db.Model):
    """Answers per skill and answerer per week (who answers for a skill; user 0 = Chatham House)."""

    __tablename__ = "impact_skill_answers"

    week: Mapped[date] = mapped_column(primary_key=True)
    skill_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(default=0)


class KpiSummary(db.Model):
    """One balanced-scorecard row, refreshed by the rollup job and by imports."""

    __tablename__ = "impact_kpi_summaries"

    kpi_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    latest_value: Mapped[float | None] = mapped_column(Float)
    latest_start: Mapped[date | None] = mapped_column()
    target: Mapped[float | None] = mapped_column(Float)
    baseline: Mapped[float | None] = mapped_column(Float)
    weekly_people: Mapped[int] = mapped_column(default=0)
    helpful_rate: Mapped[float | None] = mapped_column(Float)
    change_rate: Mapped[float | None] = mapped_column(Float)
    overdue_reviews: Mapped[int] = mapped_column(default=0)
    open_requests: Mapped[int] = mapped_column(default=0)
    sparkline: Mapped[str] = mapped_column(Text, default="")
    series: Mapped[list] = mapped_column(JSON, default=list)
    refreshed_at: Mapped[datetime] = mapped_column(default=utcnow)


class NetworkSnapshot(db.Model):
    """The knowledge-flow network for one period, measured and drawn by the rollup job."""

    __tablename__ = "impact_network_snapshots"

    period_days: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    svg: Mapped[str] = mapped_column(Text, default="")
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
