"""Demo requests: one in every state, plus a search gap, so the board is never empty on `make run`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from marketplace.accounts.models import Department, User
from marketplace.catalog.models import KPI, Item
from marketplace.extensions import db
from marketplace.requests.models import (
    ActionRequest,
    RequestEvent,
    RequestLink,
    RequestState,
    Source,
)
from marketplace.timeutil import today, utcnow

# (title, requester, department, kpi, current, target, behaviour, who, cause, solution, state)
DEMO = [
    ("Fewer refund tickets reopened", "leader@demo.test", "support", "first-contact-resolution", "71%", "80%",
     "Agents close refund tickets before the credit shows on the customer's account, so customers call back.",
     "Tier-1 agents", "knowledge", "checklist", RequestState.NEW),
    ("New sellers close their first deal sooner", "leader@demo.test", "sales", "days-to-first-sale", "62 days", "45 days",
     "New sellers skip the discovery call and jump to the demo, so deals stall at the proposal.",
     "Sellers in their first 90 days", "skill", "checklist", RequestState.ACCEPTED),
    ("Sellers forget to log calls", "employee@demo.test", "sales", "crm-data-completeness", "64%", "90%",
     "Calls are not logged because logging takes seven clicks on a phone.", "All sellers", "environment", "no_training",
     RequestState.DECLINED),
    ("Help new sellers with their first deals", "champion@demo.test", "sales", "days-to-first-sale", "62 days", "50 days",
     "New sellers do not know which questions to ask before a demo.", "New sellers", "knowledge", "job_aid",
     RequestState.MERGED),
    ("First month in sales without guesswork", "leader@demo.test", "sales", "days-to-first-sale", "70 days", "55 days",
     "New sellers spend their first weeks asking around for the basics.", "New sellers", "knowledge", "checklist",
     RequestState.DELIVERED),
]


def _find(model, **lookup):
    return db.session.scalar(select(model).filter_by(**lookup))


def seed_requests() -> int:
    """Create the demo requests that do not exist yet (matched by title); returns how many were created."""
    created, accepted = 0, None
    curator = _find(User, email="curator@demo.test")
    champion = _find(User, email="champion@demo.test")
    for title, requester, department, kpi, current, target, behaviour, who, cause, solution, state in DEMO:
        existing = _find(ActionRequest, title=title)
        if existing is not None:
            accepted = existing if state == RequestState.ACCEPTED else accepted
            continue
        request = ActionRequest(
            title=title, requester=_find(User, email=requester), department=_find(Department, slug=department),
            kpi=_find(KPI, slug=kpi), kpi_current=current, kpi_target=target, target_date=today() + timedelta(days=90),
            behaviour=behaviour, who=who, frequency="Every week", cause=cause, solution=solution, state=state.value,
            source=Source.INTAKE.value,
        )
        request.events.append(RequestEvent(kind="filed", actor=request.requester, created_at=utcnow()))
        if state in {RequestState.ACCEPTED, RequestState.DELIVERED}:
            request.owner, request.due_date = champion, today() + timedelta(days=21)
            request.events.append(RequestEvent(kind="accepted", actor=curator, text=f"{champion.name} owns it"))
        if state == RequestState.DECLINED:
            request.decline_reason = "This is an environment problem, not a training one: we asked IT for one-tap call logging."
            request.events.append(RequestEvent(kind="declined", actor=curator, text=request.decline_reason))
        if state == RequestState.MERGED:
            request.merged_into = accepted
            request.events.append(RequestEvent(kind="merged", actor=curator, text="Duplicate"))
        if state == RequestState.DELIVERED:
            item = _find(Item, slug="first-30-days-in-sales")
            if item is not None:
                request.links.append(RequestLink(item=item))
            request.delivered_at = utcnow()
            request.events.append(RequestEvent(kind="delivered", actor=champion))
        db.session.add(request)
        db.session.flush()
        accepted = request if state == RequestState.ACCEPTED else accepted
        created += 1
    gap = "mileage claim electric car"
    if _find(ActionRequest, source_query=gap) is None:
        db.session.add(ActionRequest(
            title=f"People search for “{gap}” and find little", source=Source.SEARCH_GAP.value, source_query=gap,
            requester=curator, department=_find(Department, slug="finance"), state=RequestState.NEW.value,
            behaviour=f"People searched the catalog for “{gap}” and found little or nothing.",
            events=[RequestEvent(kind="filed", actor=curator, text="From the search demand report")]))
        created += 1
    db.session.commit()
    return created
