"""Collection rules: create, edit, add, remove and reorder items."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, selectinload, with_expression

from marketplace.accounts.models import User
from marketplace.catalog.models import KPI, Item
from marketplace.curation.models import Collection, CollectionEntry
from marketplace.extensions import db


class CurationError(ValueError):
    """A curation rule was broken; the message is shown to the curator."""


@dataclass
class CollectionData:
    title: str
    intent: str
    kpi_id: int
    featured: bool
    status: str


def slugify(text: str, max_length: int = 80) -> str:
    """ASCII, lower-case, hyphenated slug."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].strip("-") or "collection"


def unique_slug(model, text: str) -> str:
    """A slug for `model` that no row uses yet."""
    base = slugify(text)
    slug, n = base, 2
    while db.session.scalar(select(model.id).where(model.slug == slug)) is not None:
        slug, n = f"{base}-{n}", n + 1
    return slug


P = ParamSpec("P")
T = TypeVar("T")
SLUG_ATTEMPTS = 3


def claims_slugs(service: Callable[P, T]) -> Callable[P, T]:
    """Run again a service that picks new slugs with unique_slug, when a concurrent transaction took one first.

    unique_slug checks, then the insert comes later in the transaction: two people saving the
    same title at once both find the slug free, and the second insert breaks the unique index.
    The service rolled back (or is rolled back here) and runs again from the start, when
    unique_slug sees the committed row and picks the next slug.
    """

    @functools.wraps(service)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        for _ in range(SLUG_ATTEMPTS - 1):
            try:
                return service(*args, **kwargs)
            except IntegrityError as error:
                db.session.rollback()
                if not slug_taken(error):
                    raise
        return service(*args, **kwargs)

    return run


def slug_taken(error: IntegrityError) -> bool:
    """True when the unique index that broke is a slug's (SQLite and PostgreSQL name the column or index)."""
    return "slug" in str(error.orig).lower()


def _with_entries():
    item = selectinload(Collection.entries).selectinload(CollectionEntry.item)
    return item.options(defer(Item.body), defer(Item.transcript), selectinload(Item.kpis), selectinload(Item.moment))


def _listing_options():
    """What a collection card shows: its KPI and how many items, counted without loading them."""
    count = (
        select(func.count(CollectionEntry.id)).where(CollectionEntry.collection_id == Collection.id)
        .correlate(Collection).scalar_subquery()
    )
    return (selectinload(Collection.kpi), with_expression(Collection.entry_count, count))


def featured_collections(limit: int = 4) -> list[Collection]:
    """Published collections flagged as featured."""
    query = (
        select(Collection)
        .where(Collection.status == "published", Collection.featured.is_(True))
        .order_by(Collection.updated_at.desc())
        .limit(limit)
        .options(*_listing_options())
    )
    return list(db.session.scalars(query))


def list_collections(include_drafts: bool) -> list[Collection]:
    """Collections for the index page; drafts only for those who may edit."""
    query = select(Collection).order_by(Collection.featured.desc(), Collection.title).options(*_listing_options())
    if not include_drafts:
        query = query.where(Collection.status == "published")
    return list(db.session.scalars(query))


def collection_by_slug(slug: str) -> Collection | None:
    """Load a collection with its ordered entries."""
    return db.session.scalar(select(Collection).where(Collection.slug == slug).options(_with_entries()))


def kpi_choices() -> list[tuple[int, str]]:
    """KPIs a collection can serve."""
    return [(k.id, k.name) for k in db.session.scalars(select(KPI).order_by(KPI.name))]


PICKER_LIMIT = 10


def addable_items(collection: Collection, text: str = "", limit: int = PICKER_LIMIT) -> list:
    """Published items not yet in the collection whose title has every typed word: (id, title) rows, A to Z."""
    taken = select(CollectionEntry.item_id).where(CollectionEntry.collection_id == collection.id)
    query = select(Item.id, Item.title).where(Item.status == "published", Item.id.not_in(taken))
    for word in (text or "").lower().split()[:6]:
        query = query.where(func.lower(Item.title).contains(word, autoescape=True))
    return list(db.session.execute(query.order_by(Item.title).limit(limit)))


def _check(data: CollectionData) -> None:
    if db.session.get(KPI, data.kpi_id) is None:
        raise CurationError("Choose the KPI this collection serves.")
    if data.status not in {"draft", "published"}:
        raise CurationError("Status must be draft or published.")


@claims_slugs
def create_collection(data: CollectionData, owner: User) -> Collection:
    """Create a collection owned by the curator."""
    _check(data)
    collection = Collection(slug=unique_slug(Collection, data.title), owner_id=owner.id)
    _apply(collection, data)
    db.session.add(collection)
    db.session.commit()
    return collection


def update_collection(collection: Collection, data: CollectionData) -> Collection:
    """Change a collection's title, intent, KPI, featured flag or status."""
    _check(data)
    _apply(collection, data)
    db.session.commit()
    return collection


def _apply(collection: Collection, data: CollectionData) -> None:
    collection.title = data.title.strip()
    collection.intent = data.intent.strip()
    collection.kpi_id = data.kpi_id
    collection.featured = data.featured
    collection.status = data.status


def add_item(collection: Collection, item_id: int) -> None:
    """Append a published item to the end of the collection."""
    item = db.session.get(Item, item_id)
    if item is None or item.status != "published":
        raise CurationError("Only published items can be added.")
    if any(entry.item_id == item_id for entry in collection.entries):
        raise CurationError(f"“{item.title}” is already in this collection.")
    collection.entries.append(CollectionEntry(item_id=item_id, position=len(collection.entries)))
    db.session.commit()


def _entry(collection: Collection, entry_id: int) -> CollectionEntry:
    for entry in collection.entries:
        if entry.id == entry_id:
            return entry
    raise CurationError("That item is no longer in this collection.")


def remove_item(collection: Collection, entry_id: int) -> None:
    """Remove an entry and close the gap in positions."""
    collection.entries.remove(_entry(collection, entry_id))
    _renumber(collection)
    db.session.commit()


def move_item(collection: Collection, entry_id: int, direction: str) -> None:
    """Swap an entry with its neighbour above or below."""
    entries = list(collection.entries)
    index = entries.index(_entry(collection, entry_id))
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(entries):
        entries[index], entries[other] = entries[other], entries[index]
        collection.entries[:] = entries
        _renumber(collection)
        db.session.commit()


def _renumber(collection: Collection) -> None:
    for position, entry in enumerate(collection.entries):
        entry.position = position
