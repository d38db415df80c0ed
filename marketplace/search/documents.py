"""Turn catalog rows (and, via discussions, space threads) into index documents: what is findable, and when."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Department
from marketplace.catalog.models import (
    ITEM_TYPES,
    KPI,
    ChecklistStep,
    Item,
    Moment,
    Skill,
    item_kpis,
    item_skills,
)
from marketplace.search import discussions

BATCH = 500
# Read as plain rows, not ORM objects: building objects and their collections was most of
# the time of a large catch-up, and the index needs only these columns.
_ITEM_COLUMNS = (Item.id, Item.status, Item.version, Item.updated_at, Item.type, Item.title, Item.summary,
                 Item.body, Item.transcript, Item.moment_id, Item.department_id)


def _stamp(version: int, updated_at: datetime | None) -> str:
    """The version of a row the index was built from (for drift checks)."""
    return f"{version}:{updated_at.isoformat() if updated_at else ''}"


def _linked(session: Session, link: Table, target: type[KPI] | type[Skill], column: str, ids: list[int]) -> dict[int, list]:
    """Each item's KPIs or skills as (name, slug), ordered by name as the relationships are."""
    found: dict[int, list] = {}
    rows = session.execute(
        select(link.c.item_id, target.name, target.slug).join(target, target.id == link.c[column])
        .where(link.c.item_id.in_(ids)).order_by(link.c.item_id, target.name, target.id)
    )
    for item_id, name, slug in rows:
        found.setdefault(item_id, []).append((name, slug))
    return found


def _steps(session: Session, ids: list[int]) -> dict[int, str]:
    """Each item's checklist steps as one text, in step order."""
    found: dict[int, list[str]] = {}
    rows = session.execute(
        select(ChecklistStep.item_id, ChecklistStep.text, ChecklistStep.detail)
        .where(ChecklistStep.item_id.in_(ids)).order_by(ChecklistStep.item_id, ChecklistStep.position, ChecklistStep.id)
    )
    for item_id, text, detail in rows:
        found.setdefault(item_id, []).append(f"{text} {detail}")
    return {item_id: "\n".join(lines) for item_id, lines in found.items()}


def _document(row, moment, department, kpis: list, skills: list, steps: str) -> dict:  # noqa: ANN001 - rows
    tags = [moment.name, moment.shelf_title, ITEM_TYPES.get(row.type, row.type)]
    tags += [name for name, _slug in kpis] + [name for name, _slug in skills]
    if department:
        tags.append(department.name)
    tag_text = " ".join(tags)
    return {
        "id": str(row.id),
        "stamp": _stamp(row.version, row.updated_at),
        "kind": "item",
        "moment": moment.slug,
        "type": row.type,
        "department": department.slug if department else "",
        "kpi": ",".join(slug for _name, slug in kpis),
        "skill": ",".join(slug for _name, slug in skills),
        "title": row.title,
        "summary": row.summary,
        "tags": tag_text,
        "body": f"{row.body}\n{steps}\n{row.transcript}",
        "title_prefix": row.title,
        "summary_prefix": f"{row.summary} {tag_text}",
        "spell": f"{row.title} {row.summary} {tag_text} {steps}",
    }


def _item_documents(session: Session, ids: list[int]) -> dict[int, dict | None]:
    """Documents for these item ids (at most a batch); None for an item nobody may find (not published)."""
    rows = session.execute(select(*_ITEM_COLUMNS).where(Item.id.in_(ids))).all()
    found: dict[int, dict | None] = {row.id: None for row in rows}
    published = [row for row in rows if row.status == "published"]
    if not published:
        return found
    shown = [row.id for row in published]
    moments = {row.id: row for row in session.execute(select(Moment.id, Moment.slug, Moment.name, Moment.shelf_title))}
    departments = {row.id: row for row in session.execute(select(Department.id, Department.slug, Department.name))}
    kpis = _linked(session, item_kpis, KPI, "kpi_id", shown)
    skills = _linked(session, item_skills, Skill, "skill_id", shown)
    steps = _steps(session, shown)
    for row in published:
        found[row.id] = _document(row, moments[row.moment_id], departments.get(row.department_id),
                                  kpis.get(row.id, []), skills.get(row.id, []), steps.get(row.id, ""))
    return found


def documents_for(session: Session, ids: set[int | str]) -> dict[int | str, dict | None]:
    """Current documents for these keys (item ids, or "thread:<id>"); None for rows gone or unfindable."""
    threads = {t for t in (discussions.thread_id_of(k) for k in ids if isinstance(k, str)) if t is not None}
    ids = {int(k) for k in ids if isinstance(k, int) or k.isdigit()}
    found: dict[int | str, dict | None] = {**dict.fromkeys(ids), **discussions.documents_for(session, threads)}
    ordered = sorted(ids)
    for start in range(0, len(ordered), BATCH):
        found.update(_item_documents(session, ordered[start:start + BATCH]))
    return found


def published_count(session: Session) -> int:
    """How many documents the index should hold: published items and every thread."""
    return (session.scalar(select(func.count(Item.id)).where(Item.status == "published")) or 0) + discussions.count(session)


def published_item_ids(session: Session) -> list[int]:
    """Ids of every published item, oldest first (index order: a higher docnum is newer)."""
    return list(session.scalars(select(Item.id).where(Item.status == "published").order_by(Item.id)))


def item_batches(session: Session, ids: list[int]) -> Iterator[list[tuple[int | str, dict | None]]]:
    """These items as documents, in batches, keeping memory flat however many there are."""
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        documents = _item_documents(session, batch)
        yield [(item_id, documents[item_id]) for item_id in batch if item_id in documents]


def all_batches(session: Session) -> Iterator[list[tuple[int | str, dict | None]]]:
    """Every published item, then every thread, as documents in batches (for a rebuild)."""
    yield from item_batches(session, published_item_ids(session))
    yield from discussions.all_batches(session)


def published_stamps(session: Session) -> dict[int | str, str]:
    """Every published item's id and version stamp, and every thread's key and content stamp."""
    rows = session.execute(select(Item.id, Item.version, Item.updated_at).where(Item.status == "published"))
    found: dict[int | str, str] = {row.id: _stamp(row.version, row.updated_at) for row in rows}
    return {**found, **discussions.stamps(session)}
