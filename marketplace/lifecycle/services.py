"""Keeping published items true: retire and undo, "still accurate", ownership, the freshness queue
and the scheduled reminders. No flask.request in here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Department, User, champion_departments
from marketplace.catalog.models import Item
from marketplace.curation.models import Collection, CollectionEntry
from marketplace.extensions import db
from marketplace.lifecycle.models import ReviewReminder
from marketplace.notifications.services import notify
from marketplace.timeutil import today, utcnow

DEFAULT_REVIEW_DAYS = {"job_aid": 365, "checklist": 180, "quick_learn": 365}
GROUPINGS = {"owner": "Owner", "department": "Department"}
WINDOWS = {"all": "Overdue and due soon", "overdue": "Overdue", "soon": "Due soon"}


class LifecycleError(ValueError):
    """A lifecycle rule was broken; the message is shown to the person."""


def review_days(item_type: str, config: dict | None = None) -> int:
    """Days until the next review for an item of this type (configurable per type)."""
    configured = (config or {}).get("FRESHNESS_REVIEW_DAYS") or {}
    return int(configured.get(item_type, DEFAULT_REVIEW_DAYS.get(item_type, 365)))


def next_review(item: Item, config: dict | None = None, start: date | None = None) -> date:
    """The review-by date that follows an approval or a confirmation on `start` (default today)."""
    return (start or today()) + timedelta(days=review_days(item.type, config))


def is_overdue(item: Item, on: date | None = None) -> bool:
    """True when a published item is past its review-by date."""
    return item.is_published and item.review_by is not None and item.review_by < (on or today())


# Retire and undo ---------------------------------------------------------------------------


def replacement_choices(item: Item) -> list[tuple[int, str]]:
    """Published items that could replace this one (same department first)."""
    query = select(Item.id, Item.title, Item.department_id).where(Item.status == "published", Item.id != item.id)
    rows = db.session.execute(query.order_by(Item.title)).all()
    rows.sort(key=lambda row: row.department_id != item.department_id)
    return [(row.id, row.title) for row in rows]


def retire(item: Item, actor: User, reason: str, replacement_id: int | None = None) -> None:
    """Take a published item out of search, shelves and collections, saying why and where to go instead."""
    reason = reason.strip()
    if not item.is_published:
        raise LifecycleError("Only a published item can be retired.")
    if not reason:
        raise LifecycleError("Say why the item is retired; visitors will read it.")
    replacement = db.session.get(Item, replacement_id) if replacement_id else None
    if replacement_id and (replacement is None or not replacement.is_published or replacement.id == item.id):
        raise LifecycleError("The replacement must be another published item.")
    item.status, item.retired_at, item.retired_by_id = "retired", utcnow(), actor.id
    item.retired_reason, item.replacement = reason[:2000], replacement
    if item.owner_id and item.owner_id != actor.id:
        notify(item.owner_id, f"{actor.name} retired “{item.title}”: {item.retired_reason}", f"/items/{item.slug}")
    db.session.commit()


def unretire(item: Item, actor: User) -> None:
    """Undo a retirement: the item is published again, exactly as it was."""
    if not item.is_retired:
        raise LifecycleError("This item is not retired.")
    item.status, item.retired_at, item.retired_by_id = "published", None, None
    item.retired_reason, item.replacement_id = "", None
    if item.owner_id and item.owner_id != actor.id:
        notify(item.owner_id, f"{actor.name} brought “{item.title}” back from retirement.", f"/items/{item.slug}")
    db.session.commit()


# Verification and ownership ------------------------------------------------------------------


def verify(item: Item, actor: User, config: dict | None = None) -> date:
    """Record "still accurate": who and when; the next review date moves on. Returns it."""
    if not item.is_published:
        raise LifecycleError("Only a published item can be confirmed.")
    item.last_verified_at, item.last_verified_by_id = utcnow(), actor.id
    item.review_by = next_review(item, config)
    db.session.commit()
    return item.review_by


def owner_choices() -> list[tuple[int, str]]:
    """Active people an item can be handed to."""
    rows = db.session.execute(select(User.id, User.name, User.email).where(User.active).order_by(User.name))
    return [(row.id, f"{row.name} ({row.email})") for row in rows]


def transfer(item: Item, new_owner_id: int, actor: User) -> User:
    """Hand an item to another active person; they are told."""
    new_owner = db.session.get(User, new_owner_id)
    if new_owner is None or not new_owner.active:
        raise LifecycleError("Choose an active person to own the item.")
    item.owner = new_owner
    if new_owner.id != actor.id:
        notify(new_owner.id, f"{actor.name} made you the owner of “{item.title}”.", f"/items/{item.slug}")
    db.session.commit()
    return new_owner


def _champions(department_id: int | None) -> list[User]:
    """A department's active champions, longest-serving first (the first is the heir of a leaver's items)."""
    if department_id is None:
        return []
    query = (select(User).join(champion_departments, champion_departments.c.user_id == User.id)
             .where(champion_departments.c.department_id == department_id, User.active).order_by(User.id))
    return list(db.session.scalars(query))


def hand_over_items(leaver: User | None = None) -> int:
    """Give a leaver's items (without one: the items of everyone deactivated) to a champion; returns how many moved.

    The one hand-over for SCIM deprovisioning, an admin's deactivation and the hourly run; the
    caller commits. Published and retired items move (drafts and working copies of edits stay with
    their submission); the heir is the longest-serving active champion of the item's department,
    else of the leaver's own department, and every champion of that department is told.
    """
    query = (select(Item).join(User, User.id == Item.owner_id)
             .where(User.active.is_(False), Item.status.in_(("published", "retired")), Item.revision_of_id.is_(None))
             .order_by(Item.id))
    if leaver is not None:
        query = query.where(User.id == leaver.id)
    moved = 0
    for item in db.session.scalars(query).all():
        champions = _champions(item.department_id) or _champions(item.owner.department_id)
        if not champions:
            continue  # nobody to take it: the freshness queue shows it under its former owner for curators
        item.owner = champions[0]
        for champion in champions:
            notify(champion.id, f"“{item.title}” was owned by someone who left; it is now looked after by "
                                f"{champions[0].name}.", f"/items/{item.slug}")
        moved += 1
    return moved


def hand_over_orphans() -> int:
    """The hourly sweep: items whose owner was deactivated by any path move to a champion; returns how many."""
    moved = hand_over_items()
    db.session.commit()
    return moved


# The freshness queue ---------------------------------------------------------------------------


@dataclass
class FreshnessFilters:
    """Validated filters of /review/freshness."""

    window: str = "all"
    group: str = "owner"
    owner: int | None = None
    department: str | None = None
    collection: str | None = None


def parse_filters(args) -> FreshnessFilters:
    """Query-string values to filters; unknown values are ignored."""
    owner = (args.get("owner") or "").strip()
    return FreshnessFilters(
        window=args.get("window") if args.get("window") in WINDOWS else "all",
        group=args.get("group") if args.get("group") in GROUPINGS else "owner",
        owner=int(owner) if owner.isdigit() else None,
        department=(args.get("department") or "").strip()[:120] or None,
        collection=(args.get("collection") or "").strip()[:200] or None,
    )


def _scope(query, user: User):
    if user.is_curator or user.is_admin:
        return query
    departments = [d.id for d in user.champion_of] or [-1]
    return query.where((Item.owner_id == user.id) | Item.department_id.in_(departments))


SHOWN = 500  # rows on one page of the queue; the total is always stated, filters narrow it


def due_items(user: User, filters: FreshnessFilters, on: date | None = None, remind_days: int = 14,
              limit: int = SHOWN) -> tuple[list[Item], int]:
    """Published items this person answers for that are overdue or due within `remind_days` (first `limit`), and how many in all."""
    on = on or today()
    query = select(Item).where(Item.status == "published", Item.review_by.is_not(None))
    query = query.where(Item.review_by < on if filters.window == "overdue" else Item.review_by <= on + timedelta(days=remind_days))
    if filters.window == "soon":
        query = query.where(Item.review_by >= on)
    if filters.owner:
        query = query.where(Item.owner_id == filters.owner)
    if filters.department:
        query = query.where(Item.department.has(Department.slug == filters.department))
    if filters.collection:
        query = query.where(Item.id.in_(select(CollectionEntry.item_id).join(Collection)
                                        .where(Collection.slug == filters.collection)))
    query = _scope(query, user)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    query = query.options(selectinload(Item.owner), selectinload(Item.department))
    return list(db.session.scalars(query.order_by(Item.review_by, Item.id).limit(limit))), total


def grouped(items: list[Item], group: str) -> list[tuple[str, list[Item]]]:
    """Items in groups (by owner or department), groups in order of their most urgent item."""
    groups: dict[str, list[Item]] = {}
    for item in items:
        holder = item.owner if group == "owner" else item.department
        name = holder.name if holder else ("No owner" if group == "owner" else "No department")
        groups.setdefault(name, []).append(item)
    return list(groups.items())


def filter_options(user: User) -> dict[str, list]:
    """Owners, departments and collections to filter the queue by."""
    return {
        "owners": owner_choices() if user.is_curator or user.is_admin else [(user.id, user.name)],
        "departments": list(db.session.scalars(select(Department).order_by(Department.name))),
        "collections": list(db.session.scalars(select(Collection).where(Collection.status == "published").order_by(Collection.title))),
        "windows": WINDOWS, "groups": GROUPINGS,
    }


# Reminders (a scheduled job, never a page view) ----------------------------------------------------


def _recipients(item: Item) -> list[int]:
    if item.owner is not None and item.owner.active:
        return [item.owner.id]
    return [champion.id for champion in _champions(item.department_id)]


REMINDER_BATCH = 200


def _send(item: Item, kind: str, on: date) -> None:
    """Record one reminder and notify (not committed: the batch commits reminders and notifications together)."""
    review_by, owner_id = item.review_by, item.owner_id
    db.session.add(ReviewReminder(item_id=item.id, review_by=review_by, kind=kind, user_id=owner_id))
    when = f"is due for review on {review_by.isoformat()}"
    if kind == "due":
        when = "is due for review today" if review_by == on else f"was due for review on {review_by.isoformat()}"
    for user_id in _recipients(item):
        notify(user_id, f"“{item.title}” {when}: confirm it is still accurate, update it or retire it.",
               "/review/freshness" + (f"?owner={owner_id}" if owner_id else ""))


def _sent(item_ids: list[int]) -> set[tuple[int, date, str]]:
    rows = db.session.execute(select(ReviewReminder.item_id, ReviewReminder.review_by, ReviewReminder.kind)
                              .where(ReviewReminder.item_id.in_(item_ids)))
    return {tuple(row) for row in rows}


def _remind_batch(item_ids: list[int], on: date) -> int:
    """Send what this batch still owes in one commit; if another run raced us, redo it item by item."""
    items = list(db.session.scalars(select(Item).where(Item.id.in_(item_ids))
                                    .options(selectinload(Item.owner)).order_by(Item.review_by, Item.id)))
    done = _sent(item_ids)
    owed = [(item, "due" if item.review_by <= on else "soon") for item in items]
    owed = [(item, kind) for item, kind in owed if (item.id, item.review_by, kind) not in done]
    for item, kind in owed:
        _send(item, kind, on)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # another run (or machine) sent some of them first
        return sum(_remind_batch([item_id], on) for item_id in item_ids) if len(item_ids) > 1 else 0
    return len(owed)


def remind_owners(on: date | None = None, remind_days: int = 14) -> int:
    """Send the "due in 14 days" and "due today" reminders not sent yet; idempotent. Returns how many went out."""
    on = on or today()
    sent_before = select(ReviewReminder.item_id).where(
        ReviewReminder.item_id == Item.id, ReviewReminder.review_by == Item.review_by, ReviewReminder.kind == "due")
    query = (select(Item.id).where(Item.status == "published", Item.review_by.is_not(None),
                                   Item.review_by <= on + timedelta(days=remind_days), ~sent_before.exists())
             .order_by(Item.review_by, Item.id))
    ids = list(db.session.scalars(query))
    return sum(_remind_batch(ids[start:start + REMINDER_BATCH], on) for start in range(0, len(ids), REMINDER_BATCH))


def run_freshness(on: date | None = None, remind_days: int = 14) -> tuple[int, int]:
    """The scheduled housekeeping: hand over orphaned items, then remind. Returns (moved, reminded)."""
    moved = hand_over_orphans()
    return moved, remind_owners(on, remind_days)
