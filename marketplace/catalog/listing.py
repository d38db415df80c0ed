"""The catalog's listing statements: filters, sorts and what a card loads."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import Select, bindparam, case, func, or_, select
from sqlalchemy.orm import defer, selectinload

from marketplace.accounts.models import Department
from marketplace.catalog.models import KPI, Item, Moment, Skill, item_kpis, item_skills

if TYPE_CHECKING:
    from marketplace.catalog.services import CatalogFilters

# Cards show type, moment, title, summary and KPIs: never load bodies or transcripts for a list.
LISTING_OPTIONS = (
    defer(Item.body), defer(Item.transcript),
    selectinload(Item.kpis), selectinload(Item.moment),
)


def conditions(filters: CatalogFilters, ranked: list[int] | None = None) -> list:
    """What a published item must satisfy to be listed under these filters (and search's matches)."""
    where = [Item.status == "published"]
    where += [_FILTERS[name](getattr(filters, name)) for name in FACETS if getattr(filters, name)]
    if filters.q and ranked is not None:
        where.append(Item.id.in_(ranked or [-1]))  # the one search decided what matches
    elif filters.q:  # search is being rebuilt: fall back to the literal title and summary filter
        pattern = f"%{filters.q.lower()}%"
        where.append(or_(func.lower(Item.title).like(pattern), func.lower(Item.summary).like(pattern)))
    return where


ORDERS = {
    "newest": (Item.published_at.desc(), Item.id.desc()),
    "title": (func.lower(Item.title), Item.id),
    "helpful": (Item.helpful_yes.desc(), Item.id.desc()),
}


def filtered_query(filters: CatalogFilters, ranked: list[int] | None = None) -> Select:
    """Build the listing query for the given filters and sort (each served by an index, or search's order)."""
    query = select(Item).where(*conditions(filters, ranked)).options(*LISTING_OPTIONS)
    if filters.sort == "relevance" and ranked:
        return query.order_by(case({item_id: position for position, item_id in enumerate(ranked)}, value=Item.id), Item.id)
    return query.order_by(*ORDERS.get(filters.sort, ORDERS["newest"]))


FACETS = ("moment", "department", "kpi", "skill", "type")


def page_query(filters: CatalogFilters, per_page: int) -> tuple[Select, dict]:
    """One page of the filtered catalog (no free text): a statement built once per filter shape, and its values.

    Building the statement cost more than running it; there are few shapes (which filters are
    set, and the sort), so each is built once and reused with new values.
    """
    shape = tuple(name for name in FACETS if getattr(filters, name))
    values = {name: getattr(filters, name) for name in shape}
    values |= {"limit": per_page, "offset": (filters.page - 1) * per_page}
    return _shaped(shape, filters.sort if filters.sort in ORDERS else "newest"), values


@lru_cache(maxsize=256)
def _shaped(shape: tuple[str, ...], sort: str) -> Select:
    where = [Item.status == "published"] + [_FILTERS[name]() for name in shape]  # values come at execution
    return (select(Item).where(*where).options(*LISTING_OPTIONS).order_by(*ORDERS[sort])
            .limit(bindparam("limit")).offset(bindparam("offset")))


def _slug_id(model, name: str, slug: str | None):  # noqa: ANN001, ANN202 - a model and its id subquery
    # Resolved once by the database, so the filter compares an indexed column with a constant.
    return select(model.id).where(model.slug == bindparam(name, slug)).scalar_subquery()


# One condition per filter, its value bound now (conditions) or at execution (a shaped statement).
_FILTERS = {
    "moment": lambda slug=None: Item.moment_id == _slug_id(Moment, "moment", slug),
    "department": lambda slug=None: Item.department_id == _slug_id(Department, "department", slug),
    "kpi": lambda slug=None: Item.id.in_(select(item_kpis.c.item_id).where(item_kpis.c.kpi_id == _slug_id(KPI, "kpi", slug))),
    "skill": lambda slug=None: Item.id.in_(
        select(item_skills.c.item_id).where(item_skills.c.skill_id == _slug_id(Skill, "skill", slug))),
    "type": lambda kind=None: Item.type == bindparam("type", kind),
}
