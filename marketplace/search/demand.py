"""The demand signal: what people looked for and did not find, and requests made from it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import case, func, select

from marketplace.accounts.models import Department, User
from marketplace.extensions import db
from marketplace.search.models import ContentRequest, SearchDemand
from marketplace.search.schema import FACETS
from marketplace.search.services import split_terms
from marketplace.timeutil import utcnow

WINDOWS = (7, 30, 90)


def normalise(text: str) -> str:
    """The folded words of a query, one space apart: "Expense  CLAIM?" -> "expense claim"."""
    return " ".join(split_terms(text).all)[:200]


def canonical_filters(filters: dict[str, str]) -> str:
    """Filters as stable text so equal searches group together."""
    return urlencode(sorted((k, v) for k, v in filters.items() if k in FACETS and v))[:400]


def record(text: str, filters: dict[str, str], results: int, explicit: bool = False) -> bool:
    """Log a search that found little; nothing about who searched is kept."""
    query = normalise(text)
    if not query:
        return False
    db.session.add(SearchDemand(query=query, filters=canonical_filters(filters), results=results, explicit=explicit))
    db.session.commit()
    return True


def record_if_unmet(text: str, filters: dict[str, str], total: int, available: bool, low: int) -> bool:
    """The demand rule: a settled search that found `low` results or fewer is logged (an outage is not demand)."""
    if not available or total > low:
        return False
    return record(text, filters, total)


@dataclass
class DemandEntry:
    query: str
    filters: str
    counts: dict[int, int]
    requested: int
    last_results: int
    request: ContentRequest | None

    @property
    def department_slug(self) -> str | None:
        """The department the searches were narrowed to, if any: the request form's default."""
        return dict(parse_qsl(self.filters)).get("department")


def report(limit: int = 100) -> list[DemandEntry]:
    """Unmet queries of the last 90 days, most asked-for (last 30 days) first."""
    now = utcnow()
    since = {days: now - timedelta(days=days) for days in WINDOWS}
    within = {d: func.sum(case((SearchDemand.searched_at >= since[d], 1), else_=0)) for d in WINDOWS}
    columns = [within[d].label(f"d{d}") for d in WINDOWS]
    rows = db.session.execute(
        select(
            SearchDemand.query, SearchDemand.filters, *columns,
            func.sum(case((SearchDemand.explicit.is_(True), 1), else_=0)).label("requested"),
            func.min(SearchDemand.results).label("results"),
        )
        .where(SearchDemand.searched_at >= since[90])
        .group_by(SearchDemand.query, SearchDemand.filters)
        .order_by(within[30].desc(), within[90].desc(), SearchDemand.query)
        .limit(limit)
    ).all()
    requests = {(r.query, r.filters): r for r in db.session.scalars(select(ContentRequest).order_by(ContentRequest.id))}
    entries = [
        DemandEntry(row.query, row.filters, {d: int(getattr(row, f"d{d}") or 0) for d in WINDOWS},
                    int(row.requested or 0), int(row.results or 0), requests.get((row.query, row.filters)))
        for row in rows
    ]
    # Open entries first: resolved ones are history, kept visible so repeats are noticed.
    entries.sort(key=lambda e: e.request is not None and not e.request.is_open)
    return entries


def create_request(query: str, filters: str, department: Department, note: str, curator: User) -> ContentRequest:
    """Turn a demand entry into a request for the department's champions."""
    request = ContentRequest(query=normalise(query), filters=filters, department=department, note=note.strip(), created_by=curator)
    db.session.add(request)
    db.session.commit()
    return request


def resolve(request: ContentRequest) -> None:
    """Mark a request resolved: the content has landed."""
    request.status = "resolved"
    request.resolved_at = utcnow()
    db.session.commit()


def requests_for(user: User) -> list[ContentRequest]:
    """Open requests a user should act on: all for curators, their departments' for champions."""
    query = select(ContentRequest).where(ContentRequest.status == "open").order_by(ContentRequest.created_at.desc())
    if not (user.is_curator or user.is_admin):
        query = query.where(ContentRequest.department_id.in_([d.id for d in user.champion_of] or [-1]))
    return list(db.session.scalars(query))


def request_by_id(request_id: int) -> ContentRequest | None:
    """Load one content request."""
    return db.session.get(ContentRequest, request_id)


def departments() -> list[Department]:
    """Departments a request can be assigned to."""
    return list(db.session.scalars(select(Department).order_by(Department.name)))
