"""Catalog rules: shelves, filtered listings, checklists and helpfulness."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache

from flask import current_app
from sqlalchemy import Select, bindparam, case, delete, func, select, union_all, update
from sqlalchemy.orm import defer, joinedload, selectinload

from marketplace.accounts.models import Department, User
from marketplace.catalog.labels import reference_labels
from marketplace.catalog.listing import (
    LISTING_OPTIONS,
    ORDERS,
    conditions,
    filtered_query,
    page_query,
)
from marketplace.catalog.models import (
    ITEM_STATUSES,
    ITEM_TYPES,
    KPI,
    ChecklistStep,
    ChecklistTick,
    HelpfulVote,
    Item,
    Moment,
    Skill,
    item_kpis,
)
from marketplace.extensions import db
from marketplace.timeutil import utcnow

SORTS = {"relevance": "Best match", "newest": "Newest first", "title": "Title A–Z", "helpful": "Most helpful"}
SEARCH_WINDOW = 500  # free text in the catalog lists this many best matches at most


@dataclass
class CatalogFilters:
    """Validated catalog filters; unknown values are dropped and reported."""

    moment: str | None = None
    kpi: str | None = None
    type: str | None = None
    skill: str | None = None
    department: str | None = None
    q: str | None = None
    sort: str = "newest"
    page: int = 1
    problems: list[str] = field(default_factory=list)

    @property
    def active(self) -> dict[str, str]:
        """The filters in use, by name."""
        names = ("moment", "kpi", "type", "skill", "department", "q")
        return {name: getattr(self, name) for name in names if getattr(self, name)}


def _known(model, slug: str | None) -> bool:
    return bool(slug) and db.session.scalar(select(model.id).where(model.slug == slug)) is not None


def parse_filters(args: dict[str, str]) -> CatalogFilters:
    """Turn query-string values into filters, dropping what does not exist."""
    filters = CatalogFilters()
    lookups = {"moment": Moment, "kpi": KPI, "skill": Skill, "department": Department}
    for name, model in lookups.items():
        value = (args.get(name) or "").strip()[:200]
        if value and _known(model, value):
            setattr(filters, name, value)
        elif value:
            filters.problems.append(f"No {name} called “{value}”; that filter was left out.")
    kind = (args.get("type") or "").strip()
    if kind in ITEM_TYPES:
        filters.type = kind
    elif kind:
        filters.problems.append(f"No item type called “{kind[:40]}”; that filter was left out.")
    filters.q = (args.get("q") or "").strip()[:200] or None
    filters.sort = args.get("sort") if args.get("sort") in SORTS else "relevance" if filters.q else "newest"
    if filters.sort == "relevance" and not filters.q:
        filters.sort = "newest"  # nothing typed: nothing to be relevant to
    page = (args.get("page") or "1").strip()
    filters.page = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    return filters


def published_items() -> Select:
    """A query for every published item, with what listings display loaded eagerly (bodies left out)."""
    return (
        select(Item)
        .where(Item.status == "published")
        .options(*LISTING_OPTIONS)
    )


def _matching_ids(filters: CatalogFilters) -> list[int] | None:
    """The best matches for the free text under the catalog's filters (the one search), or None when search is down."""
    from marketplace.search.backend import BackendUnavailable
    from marketplace.search.services import search_keys

    facets = {name: getattr(filters, name) for name in ("moment", "kpi", "type", "skill", "department") if getattr(filters, name)}
    try:
        return search_keys(filters.q or "", facets, SEARCH_WINDOW)[0]
    except BackendUnavailable:
        return None


def count_items(filters: CatalogFilters, ranked: list[int] | None = None) -> int:
    """How many published items match: counted over ids, from an index, remembered for a few seconds."""
    ttl = float(current_app.config.get("CATALOG_COUNT_SECONDS", 0))
    if ttl <= 0 or ranked is not None:
        return _count(filters, ranked)
    # Counting 50,000 index entries is a fifth of a catalog page's work; a total a few seconds old
    # is fine (the listed items themselves are always read fresh).
    cache = current_app.extensions.setdefault("catalog_counts", {})
    key = (filters.moment, filters.kpi, filters.type, filters.skill, filters.department, filters.q)
    now = time.monotonic()
    hit = cache.get(key)
    if hit and now - hit[0] < ttl:
        return hit[1]
    if len(cache) >= COUNT_CACHE_SIZE:
        cache.clear()
    total = cache[key] = (now, _count(filters))
    return total[1]


COUNT_CACHE_SIZE = 1024


def _count(filters: CatalogFilters, ranked: list[int] | None = None) -> int:
    return db.session.scalar(select(func.count()).select_from(Item).where(*conditions(filters, ranked))) or 0


def list_items(filters: CatalogFilters, per_page: int) -> Pagination:
    """One page of the filtered catalog: one count and one page query (plus two eager loads)."""
    ranked = _matching_ids(filters) if filters.q else None
    total = count_items(filters, ranked)
    if filters.q:
        query, values = filtered_query(filters, ranked).limit(per_page).offset((filters.page - 1) * per_page), {}
    else:
        query, values = page_query(filters, per_page)
    items = list(db.session.scalars(query, values)) if (filters.page - 1) * per_page < total else []
    return Pagination(items, filters.page, per_page, total)


@dataclass
class Pagination:
    """A page of results with what the pagination macro reads."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def moments() -> list[Moment]:
    """The five moments of need in their natural order."""
    return list(db.session.scalars(MOMENTS))


MOMENTS = select(Moment).order_by(Moment.position)


def shelves(limit: int = 6) -> list[tuple[Moment, list[Item]]]:
    """One shelf of recent published items for each moment of need, read in one statement."""
    all_moments = moments()
    if not all_moments:
        return []
    by_moment: dict[int, list[Item]] = {moment.id: [] for moment in all_moments}
    for item in db.session.scalars(_shelves_statement(tuple(by_moment), limit)):
        by_moment[item.moment_id].append(item)  # item.moment comes from the identity map, no query
    return [(moment, by_moment[moment.id]) for moment in all_moments]


@lru_cache(maxsize=8)
def _shelves_statement(moment_ids: tuple[int, ...], limit: int) -> Select:
    # Built once per set of moments: the home page's five-way union cost more to build than to run.
    newest = [
        select(Item.id).where(Item.status == "published", Item.moment_id == moment_id)
        .order_by(*ORDERS["newest"]).limit(limit).subquery()
        for moment_id in moment_ids
    ]
    ids = union_all(*(select(shelf.c.id) for shelf in newest))
    return (
        select(Item).where(Item.id.in_(ids))
        .options(defer(Item.body), defer(Item.transcript), selectinload(Item.kpis))
        .order_by(*ORDERS["newest"])
    )


def facet_options() -> dict[str, list]:
    """The values each catalog filter offers, as (value, label) pairs ready for <option>s."""
    labels = reference_labels()
    # Plain pairs, not objects: the menus show nothing else, and rows are far cheaper to build and render.
    return {"moments": labels["moment"], "kpis": labels["kpi"], "skills": labels["skill"],
            "departments": labels["department"], "types": ITEM_TYPES, "sorts": SORTS}


def item_by_slug(slug: str) -> Item | None:
    """Load one item with what its page shows of it in few statements.

    The single-row relations come in the item's own query; KPIs and skills in one more each;
    steps and images only when the page of that type touches them.
    """
    return db.session.scalar(ITEM_PAGE, {"slug": slug})


# Built once: with its loader options this statement cost more to build than to run.
ITEM_PAGE = select(Item).where(Item.slug == bindparam("slug")).options(
    joinedload(Item.moment), joinedload(Item.department), joinedload(Item.owner), joinedload(Item.media),
    joinedload(Item.poster), selectinload(Item.kpis), selectinload(Item.skills),
)


def kpi_by_slug(slug: str) -> KPI | None:
    """Load a KPI by slug."""
    return db.session.scalar(select(KPI).where(KPI.slug == slug))


def ticked_step_ids(user: User, item: Item) -> set[int]:
    """The ids of this checklist's steps that the user has ticked."""
    return set(db.session.scalars(TICKED, {"user_id": user.id, "item_id": item.id}))


TICKED = (
    select(ChecklistTick.step_id)
    .join(ChecklistStep, ChecklistStep.id == ChecklistTick.step_id)
    .where(ChecklistTick.user_id == bindparam("user_id"), ChecklistStep.item_id == bindparam("item_id"))
)


def set_step(user: User, item: Item, step_id: int, ticked: bool) -> bool:
    """Tick or untick one step of a checklist; False when the step is not in it."""
    if step_id not in {step.id for step in item.steps}:
        return False
    existing = db.session.get(ChecklistTick, (user.id, step_id))
    if ticked and existing is None:
        db.session.add(ChecklistTick(user_id=user.id, step_id=step_id))
        db.session.flush()
        if ticked_step_ids(user, item) >= {step.id for step in item.steps}:
            _completed_checklist(user, item)
    elif not ticked and existing is not None:
        db.session.delete(existing)
    db.session.commit()
    return True


def _completed_checklist(user: User, item: Item) -> None:
    """The last step was ticked: a learning event and a follow-up, in the tick's transaction."""
    from marketplace.events.models import Verb
    from marketplace.followups.models import FollowUpReason
    from marketplace.followups.services import for_item
    from marketplace.impact.recording import item_event

    item_event(user, Verb.COMPLETED, item)
    for_item(user, item, FollowUpReason.COMPLETED)


def reset_checklist(user: User, item: Item) -> None:
    """Untick every step of the checklist for this user."""
    step_ids = [step.id for step in item.steps]
    db.session.execute(
        delete(ChecklistTick).where(ChecklistTick.user_id == user.id, ChecklistTick.step_id.in_(step_ids))
    )
    db.session.commit()


def vote_helpful(user: User, item: Item, helpful: bool) -> None:
    """Record or change the user's one "was this helpful?" answer for an item."""
    vote = db.session.scalar(
        select(HelpfulVote).where(HelpfulVote.user_id == user.id, HelpfulVote.item_id == item.id)
    )
    if vote is None:
        db.session.add(HelpfulVote(user_id=user.id, item_id=item.id, helpful=helpful))
    else:
        vote.helpful = helpful
        vote.voted_at = utcnow()
    db.session.flush()
    # The listing sort key, recounted (not incremented) in the same transaction: it heals itself.
    yes = select(func.count(HelpfulVote.id)).where(HelpfulVote.item_id == item.id, HelpfulVote.helpful.is_(True))
    db.session.execute(update(Item).where(Item.id == item.id).values(helpful_yes=yes.scalar_subquery()))
    _voted(user, item, helpful)
    db.session.commit()


def _voted(user: User, item: Item, helpful: bool) -> None:
    """A learning event for the vote; "helpful" also schedules the follow-up."""
    from marketplace.events.models import Verb
    from marketplace.followups.models import FollowUpReason
    from marketplace.followups.services import for_item
    from marketplace.impact.recording import item_event

    item_event(user, Verb.VOTED_HELPFUL, item, helpful=helpful)
    if helpful:
        for_item(user, item, FollowUpReason.HELPFUL)


@dataclass
class Helpfulness:
    yes: int
    total: int
    mine: bool | None

    @property
    def percent(self) -> int | None:
        return round(100 * self.yes / self.total) if self.total else None


_AS_NUMBER = case((HelpfulVote.helpful.is_(True), 1), else_=0)
# Built once: constructing this statement cost more than running it.
HELPFULNESS = select(
    func.coalesce(func.sum(_AS_NUMBER), 0), func.count(HelpfulVote.id),
    func.max(case((HelpfulVote.user_id == bindparam("user_id"), _AS_NUMBER), else_=None)),
).where(HelpfulVote.item_id == bindparam("item_id"))


def helpfulness(item: Item, user: User | None = None) -> Helpfulness:
    """Counts of helpful votes for an item, and the user's own answer."""
    # One statement: the counts and the user's own vote.
    params = {"item_id": item.id, "user_id": user.id if user is not None else None}
    yes, total, mine = db.session.execute(HELPFULNESS, params).one()
    return Helpfulness(int(yes), int(total), None if mine is None else bool(mine))


def items_for_kpi(kpi: KPI, page: int, per_page: int) -> Pagination:
    """One page of the published items that serve a KPI, by title."""
    return list_items(CatalogFilters(kpi=kpi.slug, sort="title", page=page), per_page)


def kpi_overview() -> list[tuple[KPI, int]]:
    """Every KPI with how many published items serve it."""
    # All links, grouped along the KPI index, minus the few links of unpublished items: two index
    # reads instead of joining every link to its item (which took hundreds of ms at 50,000 items).
    links = dict(db.session.execute(select(item_kpis.c.kpi_id, func.count()).group_by(item_kpis.c.kpi_id)).all())
    unpublished = [status for status in ITEM_STATUSES if status != "published"]
    hidden = dict(db.session.execute(
        select(item_kpis.c.kpi_id, func.count())
        .join(Item, Item.id == item_kpis.c.item_id)
        .where(Item.status.in_(unpublished))
        .group_by(item_kpis.c.kpi_id)
    ).all())
    kpis = db.session.scalars(select(KPI).options(selectinload(KPI.department)).order_by(KPI.name))
    return [(kpi, links.get(kpi.id, 0) - hidden.get(kpi.id, 0)) for kpi in kpis]
