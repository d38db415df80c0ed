"""The names every filter and facet shows: moments, KPIs, skills and departments, read in one statement."""

from __future__ import annotations

from sqlalchemy import literal, literal_column, select, union_all

from marketplace.accounts.models import Department
from marketplace.catalog.models import KPI, Moment, Skill
from marketplace.extensions import db


def _part(kind: str, model, label, position):  # noqa: ANN001, ANN202 - model columns
    return select(literal(kind, literal_execute=True).label("kind"), model.slug.label("slug"),
                  label.label("label"), position.label("position"))


# Built once: constructing a statement costs more than running it on these small tables.
LABELS = union_all(
    _part("moment", Moment, Moment.shelf_title, Moment.position),
    _part("kpi", KPI, KPI.name, literal_column("0")),
    _part("skill", Skill, Skill.name, literal_column("0")),
    _part("department", Department, Department.name, literal_column("0")),
).order_by(literal_column("kind"), literal_column("position"), literal_column("label"))


def reference_labels() -> dict[str, list[tuple[str, str]]]:
    """(slug, label) pairs by kind: moments in their natural order, the others by name."""
    labels: dict[str, list[tuple[str, str]]] = {"moment": [], "kpi": [], "skill": [], "department": []}
    for kind, slug, label, _ in db.session.execute(LABELS):
        labels[kind].append((slug, label))
    return labels
