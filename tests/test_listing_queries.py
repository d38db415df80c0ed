"""List pages read what they show: statement counts that do not grow with rows, and no bodies."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from marketplace.catalog.models import KPI, HelpfulVote, Skill
from marketplace.curation.models import Collection, CollectionEntry
from marketplace.extensions import db
from tests import factories

LISTINGS = [
    "/",
    "/catalog",
    "/catalog?moment=solve",
    "/catalog?kpi=days-to-first-sale",
    "/catalog?skill=expense-policy",
    "/catalog?department=sales",
    "/catalog?type=checklist",
    "/catalog?sort=title",
    "/catalog?sort=helpful&moment=more",
    "/catalog?q=zeta",
    "/catalog?page=2&sort=title",
    "/kpis",
    "/kpis/days-to-first-sale",
    "/kpis/days-to-first-sale?page=2",
    "/collections",
]
BODY_COLUMNS = re.compile(r"items\.(body|transcript)\b")


@contextmanager
def statements():
    """Record every SQL statement the app sends while the block runs."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _grow(base, n: int, tag: str) -> None:
    """More of everything listings show: items with KPIs, skills and votes; collections with entries."""
    skills = [Skill(name=f"Skill {tag}{k}", slug=f"skill-{tag}{k}") for k in range(3)]
    for k in range(n):
        item = factories.item(f"zeta-{tag}-{k:03d}", ("more", "solve", "new")[k % 3], title=f"Zeta {tag} {k:03d}",
                              kpis=[base.kpi, base.kpi2], skills=[base.skill, skills[k % 3]], department=base.sales,
                              body="A long body. " * 200, transcript="Said. " * 100)
        db.session.flush()
        db.session.add(HelpfulVote(user_id=base.users["employee"].id, item_id=item.id, helpful=True))
        if k % 5 == 0:
            kpi = KPI(name=f"KPI {tag}{k}", slug=f"kpi-{tag}{k}", department=base.support)  # each card its own KPI
            db.session.add(Collection(title=f"Set {tag}{k}", slug=f"set-{tag}{k}", intent="More.", kpi=kpi,
                                      featured=True, status="published", entries=[CollectionEntry(item=item, position=0)]))
    db.session.commit()


def _counts(client) -> dict[str, int]:
    counts = {}
    for path in LISTINGS:
        with statements() as seen:
            response = client.get(path)
        assert response.status_code == 200, path
        bodies = [s for s in seen if BODY_COLUMNS.search(s)]
        assert not bodies, f"{path} reads item bodies: {bodies[0][:200]}"
        counts[path] = len(seen)
    return counts


def test_listing_statement_counts_do_not_grow_with_rows(as_role, base):
    client = as_role("employee")
    _grow(base, 15, "a")  # past one page, so every listing shows full pages and pagination
    before = _counts(client)
    _grow(base, 45, "b")
    after = _counts(client)
    grown = {path: (before[path], after[path]) for path in LISTINGS if after[path] != before[path]}
    assert not grown, f"statement counts grew with rows (before, after): {grown}"
    assert max(after.values()) <= 15, after  # and stay small


@pytest.mark.parametrize("path", ["/", "/catalog?moment=more", "/kpis/days-to-first-sale", "/collections"])
def test_htmx_fragments_stay_bounded_too(as_role, base, path):
    client = as_role("employee")
    _grow(base, 15, "a")
    with statements() as small:
        client.get(path, headers={"HX-Request": "true"})
    _grow(base, 30, "b")
    with statements() as large:
        client.get(path, headers={"HX-Request": "true"})
    assert len(large) == len(small)


def test_collection_cards_count_entries_without_loading_items(as_role, base):
    client = as_role("employee")
    with statements() as seen:
        html = client.get("/collections").get_data(as_text=True)
    assert "3 items" in html and "serves Days to first sale" in html
    assert not any("FROM collection_entries JOIN items" in s or "FROM items" in s for s in seen)


def test_kpi_page_pages_through_what_serves_it(as_role, base):
    _grow(base, 15, "a")
    client = as_role("employee")
    first = client.get("/kpis/days-to-first-sale").get_data(as_text=True)
    assert "What serves this KPI (17)" in first and "Page 1 of 2" in first
    second = client.get("/kpis/days-to-first-sale?page=2").get_data(as_text=True)
    assert "Zeta a 014" in second and "Zeta a 000" not in second
    overview = client.get("/kpis").get_data(as_text=True)
    assert re.search(r"Days to first sale</a></th>.*?<td>17</td>", overview, re.S)  # drafts are not counted


def test_helpful_sort_follows_votes_as_they_change(as_role, base):
    client = as_role("employee")
    client.send(f"/items/{base.checklist.slug}/helpful", {"answer": "yes"})
    assert _first_title(client) == base.checklist.title
    client.send(f"/items/{base.checklist.slug}/helpful", {"answer": "no"})
    as_role("leader").send(f"/items/{base.job_aid.slug}/helpful", {"answer": "yes"})
    assert _first_title(client) == base.job_aid.title


def _first_title(client) -> str:
    html = client.get("/catalog?sort=helpful").get_data(as_text=True)
    return re.search(r'class="card-title"><a href="[^"]+">([^<]+)</a>', html).group(1).replace("&#39;", "'")


def test_catalog_totals_are_reused_for_a_few_seconds_then_recounted(database_url, tmp_path_factory, base):
    from tests.conftest import make_app

    app = make_app(database_url, tmp_path_factory, CATALOG_COUNT_SECONDS=3600)
    client = app.test_client()
    client.login(base.users["employee"].email)
    assert "3 items" in client.get("/catalog").get_data(as_text=True)
    with statements() as seen:
        again = client.get("/catalog").get_data(as_text=True)
    assert "3 items" in again and not any("count(*)" in s for s in seen)  # reused, not recounted
    factories.item("fresh-one", "new", title="Fresh one")
    db.session.commit()
    assert "Fresh one" in client.get("/catalog").get_data(as_text=True)  # the items themselves are live
    app.config["CATALOG_COUNT_SECONDS"] = 0
    assert "4 items" in client.get("/catalog").get_data(as_text=True)
