"""Turn catalog rows (and, via discussions, space threads) into index documents: what is findable, and when."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from marketplace.catalog.models import ITEM_TYPES, Item
from marketplace.search import discussions

BATCH = 500


def stamp(item: Item) -> str:
    """The version of a row the index was built from (for drift checks)."""
    return f"{item.version}:{item.updated_at.isoformat() if item.updated_at else ''}"


def document(item: Item) -> dict | None:
    """The index document for an item, or None when nobody may find it (not published)."""
    if item.status != "published":
        return None
    steps = "\n".join(f"{step.text} {step.detail}" for step in item.steps)
    tags = [item.moment.name, item.moment.shelf_title, ITEM_TYPES.get(item.type, item.type)]
    tags += [kpi.name for kpi in item.kpis] + [skill.name for skill in item.skills]
    if item.department:
        tags.append(item.department.name)
    tag_text = " ".join(tags)
    return {
        "id": str(item.id),
        "stamp": stamp(item),
        "kind": "item",
        "moment": item.moment.slug,
        "type": item.type,
        "department": item.department.slug if item.department else "",
        "kpi": ",".join(kpi.slug for kpi in item.kpis),
        "skill": ",".join(skill.slug for skill in item.skills),
        "title": item.title,
        "summary": item.summary,
        "tags": tag_text,
        "body": f"{item.body}\n{steps}\n{item.transcript}",
        "title_prefix": item.title,
        "summary_prefix": f"{item.summary} {tag_text}",
        "spell": f"{item.title} {item.summary} {tag_text} {steps}",
    }


def _load(session: Session, ids: list[int]) -> list[Item]:
    query = (
        select(Item)
        .where(Item.id.in_(ids))
        .options(
            selectinload(Item.kpis), selectinload(Item.skills), selectinload(Item.steps),
            selectinload(Item.moment), selectinload(Item.department),
        )
    )
    return list(session.scalars(query))


def documents_for(session: Session, ids: set[int | str]) -> dict[int | str, dict | None]:
    """Current documents for these keys (item ids, or "thread:<id>"); None for rows gone or unfindable."""
    threads = {t for t in (discussions.thread_id_of(k) for k in ids if isinstance(k, str)) if t is not None}
    ids = {int(k) for k in ids if isinstance(k, int) or k.isdigit()}
    found: dict[int | str, dict | None] = {**dict.fromkeys(ids), **discussions.documents_for(session, threads)}
    ordered = sorted(ids)
    for start in range(0, len(ordered), BATCH):
        for item in _load(session, ordered[start:start + BATCH]):
            found[item.id] = document(item)
    return found


def published_count(session: Session) -> int:
    """How many documents the index should hold: published items and every thread."""
    from sqlalchemy import func

    return (session.scalar(select(func.count(Item.id)).where(Item.status == "published")) or 0) + discussions.count(session)


def published_item_ids(session: Session) -> list[int]:
    """Ids of every published item, oldest first (index order: a higher docnum is newer)."""
    return list(session.scalars(select(Item.id).where(Item.status == "published").order_by(Item.id)))


def item_batches(session: Session, ids: list[int]) -> Iterator[list[tuple[int | str, dict | None]]]:
    """These items as documents, in batches, keeping memory flat however many there are."""
    for start in range(0, len(ids), BATCH):
        batch = _load(session, ids[start:start + BATCH])
        yield [(item.id, document(item)) for item in batch]
        session.expunge_all()


def all_batches(session: Session) -> Iterator[list[tuple[int | str, dict | None]]]:
    """Every published item, then every thread, as documents in batches (for a rebuild)."""
    yield from item_batches(session, published_item_ids(session))
    yield from discussions.all_batches(session)


def published_stamps(session: Session) -> dict[int | str, str]:
    """Every published item's id and version stamp, and every thread's key and content stamp."""
    rows = session.execute(select(Item.id, Item.version, Item.updated_at).where(Item.status == "published"))
    found: dict[int | str, str] = {row.id: f"{row.version}:{row.updated_at.isoformat() if row.updated_at else ''}" for row in rows}
    return {**found, **discussions.stamps(session)}
