"""The demand signal: what people looked for and did not find, and requests made from it.

A settled search counts as unmet when it found nothing, when someone asked for the content,
or when nobody opened any of its results within OPEN_WINDOW. Near-duplicates ("Expense
claims", "claim expense", "expnse claim") share a group key and are counted together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import and_, case, func, or_, select

from marketplace.accounts.models import Department, User
from marketplace.extensions import db
from marketplace.search.models import ContentRequest, SearchDemand
from marketplace.search.schema import FACETS
from marketplace.search.services import PAGE, SearchRequest, SearchResults, split_terms
from marketplace.timeutil import utcnow

WINDOWS = (7, 30, 90)
WEEKS = 6  # weekly counts shown, newest first
OPEN_WINDOW = timedelta(minutes=5)  # a search nobody opened a result of within this is unmet


def normalise(text: str) -> str:
    """The folded words of a query, one space apart: "Expense  CLAIM?" -> "expense claim"."""
    return " ".join(split_terms(text).all)[:200]


def canonical_filters(filters: dict[str, str]) -> str:
    """Filters as stable text so equal searches group together."""
    return urlencode(sorted((k, v) for k, v in filters.items() if k in FACETS and v))[:400]


def filters_from_text(text: str) -> dict[str, str]:
    """The inverse of canonical_filters."""
    return dict(parse_qsl(text))


def group_key(text: str) -> str:
    """The near-duplicate key: meaningful words' stems (vocabulary equivalents as their first phrase), typos corrected, sorted."""
    from flask import current_app

    from marketplace.search.backend import BackendUnavailable
    from marketplace.search.hooks import backend_for
    from marketplace.search.schema import stem
    from marketplace.search.services import read_query

    words: set[str] = set()
    backend = backend_for(current_app)
    for concept in read_query(text.strip() + " ").concepts:
        for word in concept.alternatives[0]:
            try:
                if len(word) > 3 and not word.isdigit() and not backend.known(word):
                    word = backend.nearest(word) or word
            except BackendUnavailable:
                pass  # group by what was typed while search is being rebuilt
            words.add(stem(word))
    return " ".join(sorted(words))[:200]


def record(text: str, filters: dict[str, str], results: int, explicit: bool = False, token: str | None = None,
           department_id: int | None = None) -> bool:
    """Log a settled search (once per results page token); of who searched only their department is kept."""
    query = normalise(text)
    if not query:
        return False
    token = (token or "")[:32] or None
    row = db.session.scalar(select(SearchDemand).where(SearchDemand.token == token)) if token and not explicit else None
    if row is None:
        row = SearchDemand(query=query, filters=canonical_filters(filters), token=token, group_key=group_key(text),
                           department_id=department_id)
        db.session.add(row)
    row.results, row.explicit = results, explicit or row.explicit
    db.session.commit()
    return True


def worth_logging(request: SearchRequest, results: SearchResults, tab: str) -> bool:
    """Whether a results page is a settled search to log: the catalog tab's first page of typed words, search up.

    Further pages ("Show more") and the other tabs continue a search already logged (or look for
    people and threads, not content), so they carry no beacon.
    """
    return tab == "items" and request.limit == PAGE and bool(normalise(request.text)) and not results.unavailable


def record_settled(text: str, filters: dict[str, str], total: int, available: bool, token: str | None = None,
                   department_id: int | None = None) -> bool:
    """The demand rule for a settled search: logged once per results page; an outage is not demand.

    Every settled search is kept; the report counts it unmet only if it found nothing, was asked
    for, or nobody opened one of its results within OPEN_WINDOW.
    """
    if not available:
        return False
    return record(text, filters, total, token=token, department_id=department_id)


def opened(token: str, text: str, filters: dict[str, str], department_id: int | None = None) -> bool:
    """Someone opened a result of the search shown under `token`: it was not unmet."""
    token = (token or "")[:32]
    if not token:
        return False
    row = db.session.scalar(select(SearchDemand).where(SearchDemand.token == token))
    if row is None:  # opened before the settled search was logged
        if not normalise(text):
            return False
        row = SearchDemand(query=normalise(text), filters=canonical_filters(filters), token=token, results=1, group_key=group_key(text),
                           department_id=department_id)
        db.session.add(row)
    row.opened_at = row.opened_at or utcnow()
    db.session.commit()
    return True


def unmet_clause(now):  # noqa: ANN001, ANN201 - a datetime; returns a SQL condition
    """Found nothing, asked for explicitly, or nobody opened a result within OPEN_WINDOW."""
    return or_(
        SearchDemand.results == 0, SearchDemand.explicit.is_(True),
        and_(SearchDemand.opened_at.is_(None), SearchDemand.searched_at < now - OPEN_WINDOW),
    )


@dataclass
class DemandEntry:
    query: str
    filters: str
    counts: dict[int, int]
    requested: int
    last_results: int
    request: ContentRequest | None
    weekly: list[int] = field(default_factory=list)  # unmet searches per week, this week first
    variants: int = 1  # how many different wordings were grouped
    department_id: int | None = None  # the department most of these searches came from

    @property
    def trend(self) -> int:
        """This week's count minus last week's."""
        return (self.weekly[0] - self.weekly[1]) if len(self.weekly) > 1 else 0

    @property
    def department_slug(self) -> str | None:
        """The department the searches were narrowed to, if any: the request form's default."""
        return dict(parse_qsl(self.filters)).get("department")


def report(limit: int = 100) -> list[DemandEntry]:
    """Unmet searches of the last 90 days grouped by near-duplicate key, most asked-for (last 30 days) first."""
    now = utcnow()
    since = {days: now - timedelta(days=days) for days in WINDOWS}
    within = {d: func.sum(case((SearchDemand.searched_at >= since[d], 1), else_=0)) for d in WINDOWS}
    weeks = [
        func.sum(case((and_(SearchDemand.searched_at >= now - timedelta(days=7 * (w + 1)),
                            SearchDemand.searched_at < now - timedelta(days=7 * w)), 1), else_=0)).label(f"w{w}")
        for w in range(WEEKS)
    ]
    key = func.coalesce(func.nullif(SearchDemand.group_key, ""), SearchDemand.query)
    rows = db.session.execute(
        select(
            key.label("key"), func.min(SearchDemand.query).label("query"), func.count(func.distinct(SearchDemand.query)).label("variants"),
            SearchDemand.filters, *[within[d].label(f"d{d}") for d in WINDOWS], *weeks,
            func.sum(case((SearchDemand.explicit.is_(True), 1), else_=0)).label("requested"),
            func.min(SearchDemand.results).label("results"),
        )
        .where(SearchDemand.searched_at >= since[90], unmet_clause(now))
        .group_by(key, SearchDemand.filters)
        .order_by(within[30].desc(), within[90].desc(), func.min(SearchDemand.query))
        .limit(limit)
    ).all()
    requests = {(r.query, r.filters): r for r in db.session.scalars(select(ContentRequest).order_by(ContentRequest.id))}
    departments = _searchers_departments(key, since[90], now)
    entries = [
        DemandEntry(row.query, row.filters, {d: int(getattr(row, f"d{d}") or 0) for d in WINDOWS},
                    int(row.requested or 0), int(row.results or 0), requests.get((row.query, row.filters)),
                    [int(getattr(row, f"w{w}") or 0) for w in range(WEEKS)], int(row.variants or 1),
                    departments.get((row.key, row.filters)))
        for row in rows
    ]
    # Open entries first: resolved ones are history, kept visible so repeats are noticed.
    entries.sort(key=lambda e: e.request is not None and not e.request.is_open)
    return entries


def _searchers_departments(key, since, now) -> dict[tuple[str, str], int]:  # noqa: ANN001 - SQL expressions
    """For each (group key, filters): the department most of its unmet searches came from (ties: the lowest id)."""
    rows = db.session.execute(
        select(key.label("key"), SearchDemand.filters, SearchDemand.department_id, func.count().label("n"))
        .where(SearchDemand.searched_at >= since, unmet_clause(now), SearchDemand.department_id.is_not(None))
        .group_by(key, SearchDemand.filters, SearchDemand.department_id)
        .order_by(func.count().desc(), SearchDemand.department_id)
    ).all()
    top: dict[tuple[str, str], int] = {}
    for row in rows:  # most searches first, so the first row of a group is its answer
        top.setdefault((row.key, row.filters), row.department_id)
    return top


def create_request(query: str, filters: str, department: Department, note: str, curator: User) -> ContentRequest:
    """Turn a demand entry into a request for the department's champions."""
    request = ContentRequest(query=normalise(query), filters=filters, department=department, note=note.strip(), created_by=curator)
    db.session.add(request)
    from marketplace.requests.services import from_content_request

    from_content_request(request, curator)  # one pipeline of demand: it shows on the requests board too
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
