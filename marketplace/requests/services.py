"""Request rules: file through the strategic shield, triage on one board, deliver and link.

Every step is recorded on the request's timeline and the requester is told, in the same commit.
No flask.request in here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Department, User
from marketplace.catalog.models import KPI, Item
from marketplace.curation.models import Collection
from marketplace.extensions import db
from marketplace.notifications.services import notify
from marketplace.requests.models import (
    ActionRequest,
    Cause,
    RequestEvent,
    RequestLink,
    RequestState,
    Solution,
    Source,
)
from marketplace.spaces.models import Space
from marketplace.timeutil import utcnow

BOARD_TABS = {"open": "Open", "new": "New", "accepted": "Accepted", "delivered": "Delivered", "closed": "Declined or merged", "all": "All"}
TAB_STATES = {
    "open": (RequestState.NEW, RequestState.ACCEPTED), "new": (RequestState.NEW,), "accepted": (RequestState.ACCEPTED,),
    "delivered": (RequestState.DELIVERED,), "closed": (RequestState.DECLINED, RequestState.MERGED), "all": tuple(RequestState),
}
LINK_KINDS = {"item": "Catalog item", "collection": "Collection", "space": "Space"}
EVENT_LABELS = {"filed": "Filed", "accepted": "Accepted", "declined": "Declined", "merged": "Merged",
                "assigned": "Owner and due date set", "linked": "Delivered content linked", "delivered": "Delivered",
                "absorbed": "A duplicate was merged in"}
PAGE_SIZE = 50


class RequestError(ValueError):
    """A request rule was broken; the message is shown to the person."""


@dataclass
class RequestData:
    """What the intake form collected, already validated."""

    title: str
    department_id: int | None
    kpi_id: int | None
    kpi_current: str
    kpi_target: str
    target_date: date | None
    behaviour: str
    who: str
    frequency: str
    leader_modelling: str
    cause: str
    solution: str


def _event(request: ActionRequest, kind: str, actor: User | None, text: str = "") -> None:
    request.events.append(RequestEvent(kind=kind, actor=actor, text=text[:2000], created_at=utcnow()))


def _tell(request: ActionRequest, text: str, actor: User | None) -> None:
    """Notify the requester (and the owner) of a step, unless they took it themselves."""
    for user_id in {request.requester_id, request.owner_id} - {None, actor.id if actor else None}:
        notify(user_id, text, f"/requests/{request.id}")


def _staff_ids() -> list[int]:
    return list(db.session.scalars(select(User.id).where(User.active, or_(User.is_curator, User.is_admin))))


def may_file_for_any_team(user: User) -> bool:
    """Leaders, champions and L&D file for any team; employees for their own."""
    return bool(user.is_leader or user.is_champion or user.is_curator or user.is_admin)


def file(user: User, data: RequestData) -> ActionRequest:
    """File a request through the strategic shield; L&D is told."""
    if not may_file_for_any_team(user) and data.department_id != user.department_id:
        raise RequestError("You can file requests for your own team; ask your leader or a champion for another team.")
    if data.cause not in {c.value for c in Cause} or data.solution not in {s.value for s in Solution}:
        raise RequestError("Choose a likely cause and a proposed solution from the lists.")
    request = ActionRequest(
        title=data.title.strip()[:200], requester=user, department_id=data.department_id, kpi_id=data.kpi_id,
        kpi_current=data.kpi_current.strip()[:60], kpi_target=data.kpi_target.strip()[:60], target_date=data.target_date,
        behaviour=data.behaviour.strip(), who=data.who.strip()[:200], frequency=data.frequency.strip()[:120],
        leader_modelling=data.leader_modelling.strip(), cause=data.cause, solution=data.solution,
        state=RequestState.NEW.value, source=Source.INTAKE.value,
    )
    db.session.add(request)
    _event(request, "filed", user)
    db.session.flush()
    for user_id in set(_staff_ids()) - {user.id}:
        notify(user_id, f"New request from {user.name}: “{request.title}”.", f"/requests/{request.id}")
    db.session.commit()
    return request


def from_search_gap(query: str, actor: User, department_id: int | None = None) -> ActionRequest:
    """Put unmet search demand on the board (once per query while it is open)."""
    query = " ".join(query.split())[:200]
    if not query:
        raise RequestError("There is no search to turn into a request.")
    existing = db.session.scalar(select(ActionRequest).where(
        ActionRequest.source == Source.SEARCH_GAP.value, ActionRequest.source_query == query,
        ActionRequest.state.in_((RequestState.NEW.value, RequestState.ACCEPTED.value))))
    if existing is not None:
        return existing
    request = ActionRequest(title=f"People search for “{query}” and find little", source=Source.SEARCH_GAP.value,
                            source_query=query, requester=actor, department_id=department_id,
                            behaviour=f"People searched the catalog for “{query}” and found little or nothing.",
                            state=RequestState.NEW.value)
    db.session.add(request)
    _event(request, "filed", actor, "From the search demand report")
    db.session.commit()
    return request


def from_content_request(content_request, actor: User) -> ActionRequest:
    """A curator's content request (from search demand) lands on the same board, accepted."""
    request = ActionRequest(title=f"Content people searched for: “{content_request.query}”"[:200],
                            source=Source.CONTENT_REQUEST.value, source_query=content_request.query,
                            requester=actor, department_id=content_request.department_id,
                            behaviour=content_request.note or "", state=RequestState.ACCEPTED.value)
    db.session.add(request)
    _event(request, "filed", actor, "Content request to the department's champions")
    return request


# Reading ------------------------------------------------------------------------------------------


def _visible(query, user: User):
    if user.is_curator or user.is_admin:
        return query
    departments = [d.id for d in user.champion_of] or [-1]
    return query.where(or_(ActionRequest.requester_id == user.id, ActionRequest.owner_id == user.id,
                           ActionRequest.department_id.in_(departments)))


def board(user: User, tab: str = "open", page: int = 1):
    """The requests this person may see, in one tab of the board, oldest new ones first (a Pagination)."""
    states = [s.value for s in TAB_STATES.get(tab, TAB_STATES["open"])]
    query = _visible(select(ActionRequest).where(ActionRequest.state.in_(states)), user).options(
        selectinload(ActionRequest.requester), selectinload(ActionRequest.owner),
        selectinload(ActionRequest.department), selectinload(ActionRequest.kpi))
    query = query.order_by(ActionRequest.state, ActionRequest.due_date.is_(None), ActionRequest.due_date,
                           ActionRequest.created_at, ActionRequest.id)
    return db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)


def tab_counts(user: User) -> dict[str, int]:
    """How many requests each tab holds for this person."""
    rows = db.session.execute(_visible(select(ActionRequest.state, func.count()), user).group_by(ActionRequest.state))
    by_state = {state: int(n) for state, n in rows}
    return {tab: sum(by_state.get(s.value, 0) for s in states) for tab, states in TAB_STATES.items()}


def get(request_id: int) -> ActionRequest | None:
    """One request with its timeline and links."""
    query = select(ActionRequest).where(ActionRequest.id == request_id).options(
        selectinload(ActionRequest.events).selectinload(RequestEvent.actor),
        selectinload(ActionRequest.links).selectinload(RequestLink.item))
    return db.session.scalar(query)


def choices() -> dict[str, list[tuple[int, str]]]:
    """Options for the intake form's selects."""
    return {
        "department_id": [(d.id, d.name) for d in db.session.scalars(select(Department).order_by(Department.name))],
        "kpi_id": [(k.id, k.name) for k in db.session.scalars(select(KPI).order_by(KPI.name))],
    }


def owner_choices() -> list[tuple[int, str]]:
    """Who can own a request: champions and L&D."""
    query = select(User).where(User.active).order_by(User.name).options(selectinload(User.champion_of))
    return [(u.id, u.name) for u in db.session.scalars(query) if u.is_champion or u.is_curator or u.is_admin]


def merge_choices(request: ActionRequest) -> list[tuple[int, str]]:
    """Open requests a duplicate can be merged into."""
    query = (select(ActionRequest.id, ActionRequest.title).where(
        ActionRequest.id != request.id, ActionRequest.state.in_((RequestState.NEW.value, RequestState.ACCEPTED.value)))
        .order_by(ActionRequest.id.desc()).limit(200))
    return [(row.id, f"#{row.id} {row.title}") for row in db.session.execute(query)]


# Triage ---------------------------------------------------------------------------------------------


def _expect(request: ActionRequest, *states: RequestState) -> None:
    if request.state not in {s.value for s in states}:
        raise RequestError(f"This request is {request.state_enum.label.lower()}; that step does not apply.")


def _assign(request: ActionRequest, owner_id: int | None, due: date | None) -> None:
    if owner_id is not None:
        owner = db.session.get(User, owner_id)
        if owner is None or not owner.active:
            raise RequestError("Choose an active person as the owner.")
        request.owner = owner
    request.due_date = due


def accept(request: ActionRequest, actor: User, owner_id: int | None, due: date | None) -> None:
    """Accept a new request, with an owner and a due date."""
    _expect(request, RequestState.NEW)
    _assign(request, owner_id, due)
    request.state = RequestState.ACCEPTED.value
    owner = f" {request.owner.name} owns it" if request.owner else ""
    _event(request, "accepted", actor, (owner + (f", due {due.isoformat()}" if due else "")).strip())
    _tell(request, f"Your request “{request.title}” was accepted.{owner + '.' if owner else ''}", actor)
    db.session.commit()


def assign(request: ActionRequest, actor: User, owner_id: int | None, due: date | None) -> None:
    """Change the owner or due date of an accepted request."""
    _expect(request, RequestState.ACCEPTED)
    _assign(request, owner_id, due)
    _event(request, "assigned", actor, f"{request.owner.name if request.owner else 'No owner'}"
                                       f"{', due ' + due.isoformat() if due else ''}")
    _tell(request, f"“{request.title}” is owned by {request.owner.name if request.owner else 'nobody yet'}"
                   f"{', due ' + due.isoformat() if due else ''}.", actor)
    db.session.commit()


def decline(request: ActionRequest, actor: User, reason: str) -> None:
    """Decline with a reason the requester reads (often: this needs no training)."""
    _expect(request, RequestState.NEW, RequestState.ACCEPTED)
    if not reason.strip():
        raise RequestError("Give the requester a reason.")
    request.state, request.decline_reason = RequestState.DECLINED.value, reason.strip()
    _event(request, "declined", actor, request.decline_reason)
    _tell(request, f"Your request “{request.title}” was declined: {request.decline_reason}", actor)
    db.session.commit()


def merge(request: ActionRequest, actor: User, into_id: int) -> None:
    """Merge a duplicate into another open request; both requesters follow the survivor."""
    _expect(request, RequestState.NEW, RequestState.ACCEPTED)
    into = db.session.get(ActionRequest, into_id)
    if into is None or into.id == request.id or not into.is_open:
        raise RequestError("Merge into another open request.")
    request.state, request.merged_into = RequestState.MERGED.value, into
    _event(request, "merged", actor, f"Into #{into.id} “{into.title}”")
    _event(into, "absorbed", actor, f"#{request.id} “{request.title}”")
    _tell(request, f"Your request “{request.title}” was merged into “{into.title}”, which you can follow.", actor)
    db.session.commit()


def _target(kind: str, reference: str):
    slug = reference.strip().rstrip("/").rsplit("/", 1)[-1]
    model = {"item": Item, "collection": Collection, "space": Space}.get(kind)
    if model is None or not slug:
        raise RequestError("Choose what was delivered: a catalog item, a collection or a space.")
    row = db.session.scalar(select(model).where(model.slug == slug))
    published = row is not None and (kind == "space" or row.status == "published")
    if not published:
        raise RequestError(f"No published {LINK_KINDS[kind].lower()} has the address “{slug}”.")
    return row


def link(request: ActionRequest, actor: User, kind: str, reference: str) -> RequestLink:
    """Link something delivered for the request (by its address or slug)."""
    _expect(request, RequestState.ACCEPTED)
    row = _target(kind, reference)
    if any(getattr(existing, kind + "_id") == row.id for existing in request.links):
        raise RequestError("That is already linked.")
    added = RequestLink(**{kind: row})
    request.links.append(added)
    _event(request, "linked", actor, f"{LINK_KINDS[kind]}: {getattr(row, 'title', None) or row.name}")
    db.session.commit()
    return added


def deliver(request: ActionRequest, actor: User) -> None:
    """Mark an accepted request delivered: what was made is linked, the requester is told."""
    _expect(request, RequestState.ACCEPTED)
    if not request.links and request.solution != Solution.NO_TRAINING.value:
        raise RequestError("Link what was delivered first (an item, a collection or a space).")
    request.state, request.delivered_at = RequestState.DELIVERED.value, utcnow()
    _event(request, "delivered", actor)
    _tell(request, f"Your request “{request.title}” was delivered.", actor)
    db.session.commit()
