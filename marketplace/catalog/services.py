"""Catalog rules: shelves, filtered listings, checklists and helpfulness."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, and_, case, delete, func, or_, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Department, User
from marketplace.catalog.models import (
    ITEM_TYPES,
    KPI,
    ChecklistStep,
    ChecklistTick,
    HelpfulVote,
    Item,
    ItemImage,
    Moment,
    Skill,
    item_kpis,
)
from marketplace.extensions import db
from marketplace.timeutil import utcnow

SORTS = {"newest": "Newest first", "title": "Title A–Z", "helpful": "Most helpful"}


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
    filters.sort = args.get("sort") if args.get("sort") in SORTS else "newest"
    page = (args.get("page") or "1").strip()
    filters.page = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    return filters


def published_items() -> Select:
    """A query for every published item, with what listings display loaded eagerly."""
    return (
        select(Item)
        .where(Item.status == "published")
        .options(selectinload(Item.kpis), selectinload(Item.moment), selectinload(Item.department))
    )


def _helpful_count():
    return (
        select(func.count(HelpfulVote.id))
        .where(HelpfulVote.item_id == Item.id, HelpfulVote.helpful.is_(True))
        .correlate(Item)
        .scalar_subquery()
    )


def filtered_query(filters: CatalogFilters) -> Select:
    """Build the listing query for the given filters and sort."""
    query = published_items()
    if filters.moment:
        query = query.where(Item.moment.has(Moment.slug == filters.moment))
    if filters.kpi:
        query = query.where(Item.kpis.any(KPI.slug == filters.kpi))
    if filters.skill:
        query = query.where(Item.skills.any(Skill.slug == filters.skill))
    if filters.department:
        query = query.where(Item.department.has(Department.slug == filters.department))
    if filters.type:
        query = query.where(Item.type == filters.type)
    if filters.q:
        pattern = f"%{filters.q.lower()}%"
        query = query.where(or_(func.lower(Item.title).like(pattern), func.lower(Item.summary).like(pattern)))
    order = {
        "newest": (Item.published_at.desc(), Item.id.desc()),
        "title": (func.lower(Item.title), Item.id),
        "helpful": (_helpful_count().desc(), Item.id.desc()),
    }[filters.sort]
    return query.order_by(*order)


def list_items(filters: CatalogFilters, per_page: int):
    """One page of the filtered catalog (a Flask-SQLAlchemy Pagination)."""
    return db.paginate(filtered_query(filters), page=filters.page, per_page=per_page, error_out=False)


def moments() -> list[Moment]:
    """The five moments of need in their natural order."""
    return list(db.session.scalars(select(Moment).order_by(Moment.position)))


def shelves(limit: int = 6) -> list[tuple[Moment, list[Item]]]:
    """One shelf of recent published items for each moment of need."""
    result = []
    for moment in moments():
        query = filtered_query(CatalogFilters(moment=moment.slug)).limit(limit)
        result.append((moment, list(db.session.scalars(query))))
    return result


def facet_options() -> dict[str, list]:
    """The values each catalog filter offers."""
    return {
        "moments": moments(),
        "kpis": list(db.session.scalars(select(KPI).order_by(KPI.name))),
        "skills": list(db.session.scalars(select(Skill).order_by(Skill.name))),
        "departments": list(db.session.scalars(select(Department).order_by(Department.name))),
        "types": ITEM_TYPES,
        "sorts": SORTS,
    }


def item_by_slug(slug: str) -> Item | None:
    """Load one item with its relations."""
    query = select(Item).where(Item.slug == slug).options(
        selectinload(Item.kpis), selectinload(Item.skills), selectinload(Item.steps),
        selectinload(Item.images).selectinload(ItemImage.media), selectinload(Item.images).selectinload(ItemImage.thumbnail),
    )
    return db.session.scalar(query)


def kpi_by_slug(slug: str) -> KPI | None:
    """Load a KPI by slug."""
    return db.session.scalar(select(KPI).where(KPI.slug == slug))


def ticked_step_ids(user: User, item: Item) -> set[int]:
    """The ids of this checklist's steps that the user has ticked."""
    query = (
        select(ChecklistTick.step_id)
        .join(ChecklistStep, ChecklistStep.id == ChecklistTick.step_id)
        .where(ChecklistTick.user_id == user.id, ChecklistStep.item_id == item.id)
    )
    return set(db.session.scalars(query))


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


def helpfulness(item: Item, user: User | None = None) -> Helpfulness:
    """Counts of helpful votes for an item, and the user's own answer."""
    yes, total = db.session.execute(
        select(
            func.coalesce(func.sum(case((HelpfulVote.helpful.is_(True), 1), else_=0)), 0),
            func.count(HelpfulVote.id),
        ).where(HelpfulVote.item_id == item.id)
    ).one()
    mine = None
    if user is not None:
        mine = db.session.scalar(
            select(HelpfulVote.helpful).where(and_(HelpfulVote.item_id == item.id, HelpfulVote.user_id == user.id))
        )
    return Helpfulness(int(yes), int(total), mine)


def items_for_kpi(kpi: KPI) -> list[Item]:
    """Published items that serve a KPI, grouped naturally by moment."""
    query = published_items().where(Item.kpis.any(KPI.id == kpi.id)).join(Moment).order_by(Moment.position, Item.title)
    return list(db.session.scalars(query))


def kpi_overview() -> list[tuple[KPI, int]]:
    """Every KPI with how many published items serve it."""
    served = (
        select(item_kpis.c.kpi_id, func.count().label("n"))
        .join(Item, Item.id == item_kpis.c.item_id)
        .where(Item.status == "published")
        .group_by(item_kpis.c.kpi_id)
        .subquery()
    )
    query = select(KPI, func.coalesce(served.c.n, 0)).outerjoin(served, served.c.kpi_id == KPI.id).order_by(KPI.name)
    return [(kpi, int(n)) for kpi, n in db.session.execute(query)]
