"""KPI profiles and readings, API tokens for BI tools, proficiency cases and experiment outcomes."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Column, Enum, Float, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Department, User
from marketplace.catalog.models import KPI
from marketplace.extensions import db
from marketplace.timeutil import utcnow


def _values(enum_type: type[enum.Enum]) -> list[str]:
    return [member.value for member in enum_type]


class Dimension(enum.StrEnum):
    """The four perspectives of a balanced scorecard."""

    FINANCIAL = "financial"
    CUSTOMER = "customer"
    PROCESS = "process"
    LEARNING = "learning"

    @property
    def label(self) -> str:
        return {"financial": "Financial", "customer": "Customer", "process": "Internal process",
                "learning": "Learning and growth"}[self.value]


class Period(enum.StrEnum):
    """How long one reading covers."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class KpiProfile(db.Model):
    """What the scorecard needs to know about a KPI beyond the catalog's label."""

    __tablename__ = "impact_kpi_profiles"

    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"), primary_key=True)
    dimension: Mapped[Dimension] = mapped_column(Enum(Dimension, native_enum=False, length=20, values_callable=_values), default=Dimension.PROCESS)
    baseline: Mapped[float | None] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    followup_days: Mapped[int | None] = mapped_column()

    kpi: Mapped[KPI] = relationship()


class CollectionSetting(db.Model):
    """Per-collection follow-up delay (days), overriding the KPI's."""

    __tablename__ = "impact_collection_settings"

    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True)
    followup_days: Mapped[int] = mapped_column()


class KpiReading(db.Model):
    """One value of a KPI for one period, overall (scope "") or for one department (scope = its slug)."""

    __tablename__ = "impact_kpi_readings"
    __table_args__ = (UniqueConstraint("kpi_id", "scope", "period", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(120), default="")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    period: Mapped[Period] = mapped_column(Enum(Period, native_enum=False, length=10, values_callable=_values))
    period_start: Mapped[date] = mapped_column()
    value: Mapped[float] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    baseline: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(20), default="csv")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    department: Mapped[Department | None] = relationship()


class ImportState(enum.StrEnum):
    PREVIEWED = "previewed"
    APPLIED = "applied"


class ReadingImport(db.Model):
    """An uploaded CSV between preview and confirmation (removed by housekeeping after a day)."""

    __tablename__ = "impact_reading_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    content: Mapped[str] = mapped_column(Text)
    rows: Mapped[int] = mapped_column(default=0)
    state: Mapped[ImportState] = mapped_column(Enum(ImportState, native_enum=False, length=12, values_callable=_values), default=ImportState.PREVIEWED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


api_token_kpis = Table(
    "impact_api_token_kpis",
    db.metadata,
    Column("token_id", ForeignKey("impact_api_tokens.id", ondelete="CASCADE"), primary_key=True),
    Column("kpi_id", ForeignKey("kpis.id", ondelete="CASCADE"), primary_key=True),
)


class ApiToken(db.Model):
    """A bearer token for the readings API: only its SHA-256 is stored; scoped to KPIs; revocable."""

    __tablename__ = "impact_api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    kpis: Mapped[list[KPI]] = relationship(secondary=api_token_kpis, order_by="KPI.name")
    created_by: Mapped[User | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ProficiencyCase(db.Model):
    """Cost of delayed proficiency for one role: days to proficiency before and after, hires, daily cost."""

    __tablename__ = "impact_proficiency_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(120))
    kpi_id: Mapped[int | None] = mapped_column(ForeignKey("kpis.id", ondelete="SET NULL"))
    days_before: Mapped[float] = mapped_column(Float)
    days_after: Mapped[float] = mapped_column(Float)
    hires_per_year: Mapped[int] = mapped_column()
    daily_cost: Mapped[float] = mapped_column(Float)
    currency: Mapped[str] = mapped_column(String(8), default="EUR")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    kpi: Mapped[KPI | None] = relationship()

    @property
    def days_saved(self) -> float:
        return self.days_before - self.days_after

    @property
    def value_per_year(self) -> float:
        """Value of the time saved: days saved x daily cost x hires per year."""
        return self.days_saved * self.daily_cost * self.hires_per_year


class ExperimentOutcome(db.Model):
    """What a retro experiment taught (kept or dropped), optionally tied to the KPI it aimed at."""

    __tablename__ = "impact_experiment_outcomes"
    __table_args__ = (Index("ix_impact_experiment_outcomes_kpi", "kpi_id"),)

    experiment_id: Mapped[int] = mapped_column(ForeignKey("space_experiments.id", ondelete="CASCADE"), primary_key=True)
    kpi_id: Mapped[int | None] = mapped_column(ForeignKey("kpis.id", ondelete="SET NULL"))
    learned: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    kpi: Mapped[KPI | None] = relationship()


