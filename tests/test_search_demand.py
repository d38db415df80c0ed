"""The demand log: unmet searches recorded anonymously, ranked for curators, turned into requests."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.search import demand
from marketplace.search.models import ContentRequest, SearchDemand
from marketplace.timeutil import utcnow


def rows() -> list[SearchDemand]:
    return list(db.session.scalars(select(SearchDemand).order_by(SearchDemand.id)))


def _beacon(page) -> dict[str, str] | None:
    """The demand beacon of a rendered results page: the fields its form posts on load, or None."""
    html = page.get_data(as_text=True)
    found = re.search(r'<form class="demand-beacon"[^>]*hx-post="([^"]+)"[^>]*hx-trigger="([^"]+)"[^>]*>(.*?)</form>', html, re.S)
    if not found:
        return None
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', found.group(3)))
    return {"url": found.group(1), "trigger": found.group(2), **fields}


def test_a_direct_visit_writes_nothing_its_beacon_logs_it_once_without_the_person(as_role, indexed):
    client = as_role("employee")
    page = client.get("/search?q=  Tax%20REFUND??&moment=solve")
    assert rows() == [], "GET never writes"
    beacon = _beacon(page)
    assert beacon["trigger"] == "load" and beacon["url"] == "/search/demand"
    data = {k: v for k, v in beacon.items() if k not in ("url", "trigger")}
    for _ in range(2):  # a back navigation re-runs the restored page's beacon: the same search, one row
        assert client.send(beacon["url"], data, htmx=True).status_code == 204
    logged = rows()
    assert [(r.query, r.filters, r.results) for r in logged] == [("tax refund", "moment=solve", 0)]
    assert not {c.name for c in SearchDemand.__table__.columns} & {"user_id", "ip", "session"}


def test_only_a_first_page_of_catalog_results_carries_a_beacon(as_role, indexed):
    client = as_role("employee")
    assert _beacon(client.get("/search?q=s"))  # found things: logged too, unmet only if nobody opens one
    assert _beacon(client.get("/search?q=expense", headers={"HX-Request": "true"}))["trigger"] == "load delay:1500ms"
    for path in ("/search", "/search?q=%20%3F", "/search?q=expense&limit=20", "/search?q=expense&tab=discussions",
                 "/search?q=expense&tab=people"):
        assert _beacon(client.get(path)) is None, path
    assert rows() == []


def test_request_this_content_is_logged_as_explicit(as_role, indexed):
    client = as_role("employee")
    response = client.send("/search/request", {"q": "Tax return", "moment": "solve"})
    assert response.status_code == 303
    assert [(r.query, r.explicit) for r in rows()] == [("tax return", True)]


def test_curator_sees_ranked_counts_over_7_30_90_days(as_role, indexed):
    now = utcnow()
    ages = {"tax return": [1, 2, 20, 60], "visa letter": [1, 10, 11, 12, 13], "old thing": [100]}
    for query, days in ages.items():
        db.session.add_all(SearchDemand(query=query, filters="", results=0, searched_at=now - timedelta(days=d)) for d in days)
    db.session.commit()
    entries = demand.report()
    assert [(e.query, e.counts[7], e.counts[30], e.counts[90]) for e in entries] == [
        ("visa letter", 1, 5, 5), ("tax return", 2, 3, 4),
    ]
    page = as_role("curator").get("/curate/demand")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.index("visa letter") < text.index("tax return") and "old thing" not in text


def test_only_curators_and_admins_see_the_demand_log(as_role, indexed):
    for role, status in (("employee", 403), ("champion", 403), ("leader", 403), ("curator", 200), ("admin", 200)):
        assert as_role(role).get("/curate/demand").status_code == status, role


def test_curator_turns_entry_into_request_for_champions_and_resolves_it(as_role, indexed):
    demand.record("visa letter", {}, 0)
    curator = as_role("curator")
    response = curator.send("/curate/demand/requests", {"query": "visa letter", "filters": "", "department_id": indexed.sales.id, "note": "Several asked."})
    assert response.status_code == 303
    request = db.session.scalar(select(ContentRequest))
    assert (request.query, request.department_id, request.status) == ("visa letter", indexed.sales.id, "open")
    champion_page = as_role("champion").get("/curate/requests").get_data(as_text=True)
    assert "visa letter" in champion_page and "Several asked." in champion_page
    assert as_role("employee").get("/curate/requests").status_code == 403
    assert as_role("champion").send(f"/curate/requests/{request.id}/resolve").status_code == 403
    assert curator.send(f"/curate/requests/{request.id}/resolve").status_code == 303
    db.session.refresh(request)
    assert request.status == "resolved" and request.resolved_at is not None
    assert "Resolved" in curator.get("/curate/demand").get_data(as_text=True)


def test_a_logged_search_keeps_the_searchers_department_only(as_role, indexed):
    as_role("employee").send("/search/demand", {"q": "visa letter", "sid": "employee-page"}, htmx=True)
    as_role("leader").send("/search/request", {"q": "Visa letter"})
    users = indexed.users
    assert [(r.query, r.department_id) for r in rows()] == [
        ("visa letter", users["employee"].department_id), ("visa letter", users["leader"].department_id)]


def test_request_form_defaults_to_the_department_most_searches_came_from(as_role, indexed):
    sales, support = indexed.sales.id, indexed.support.id
    for department in (sales, support, support, None):
        demand.record("visa letter", {}, 0, department_id=department)
    demand.record("tax return", {}, 0, department_id=sales)
    assert {e.query: e.department_id for e in demand.report()} == {"visa letter": support, "tax return": sales}
    page = as_role("curator").get("/curate/demand").get_data(as_text=True)
    visa, tax = page[page.index("visa letter"):page.index("tax return")], page[page.index("tax return"):]
    assert f'value="{support}" selected' in visa and f'value="{sales}" selected' not in visa
    assert f'value="{sales}" selected' in tax


def test_invalid_request_form_rerenders_with_422(as_role, indexed):
    response = as_role("curator").send("/curate/demand/requests", {"query": "", "department_id": "999"})
    assert response.status_code == 422
    assert "needs a query and a department" in response.get_data(as_text=True)


def _age(minutes: float) -> None:
    for row in rows():
        row.searched_at = utcnow() - timedelta(minutes=minutes)
    db.session.commit()


def test_a_search_whose_result_was_opened_is_not_unmet_one_nobody_opened_is(as_role, indexed):
    client = as_role("employee")
    assert client.send("/search/demand", {"q": "expense claim", "sid": "page-one"}, htmx=True).status_code == 204
    assert client.send("/search/demand", {"q": "first week", "sid": "page-two"}, htmx=True).status_code == 204
    assert client.send("/search/opened", {"q": "expense claim", "sid": "page-one"}).status_code == 204
    assert demand.report() == []  # within the window nobody is judged yet
    _age(10)
    assert [e.query for e in demand.report()] == ["first week"]  # found things, but nobody opened one


def test_a_result_opened_before_the_search_settled_still_counts(as_role, indexed):
    client = as_role("employee")
    client.send("/search/opened", {"q": "expense claim", "sid": "early"})
    client.send("/search/demand", {"q": "expense claim", "sid": "early"}, htmx=True)
    assert len(rows()) == 1 and rows()[0].opened_at is not None
    _age(10)
    assert demand.report() == []


def test_near_duplicates_group_together_case_plurals_order_and_typos(as_role, indexed):
    for text in ("Visa letters", "letter visa", "visa letter", "VISA LETTER?"):
        demand.record(text, {}, 0)
    demand.record("tax return", {}, 0)
    entries = {e.query: e for e in demand.report()}
    assert len(entries) == 2
    visa = next(e for e in entries.values() if e.query != "tax return")
    assert visa.counts[30] == 4 and visa.variants == 3
    demand.record("expnse claims", {}, 0)
    assert demand.group_key("expnse claims") == demand.group_key("Expense claim")


def test_weekly_counts_and_trend(indexed):
    now = utcnow()
    for days in (1, 2, 3, 8, 15, 16):
        db.session.add(SearchDemand(query="visa letter", filters="", results=0, group_key="letter visa", searched_at=now - timedelta(days=days)))
    db.session.commit()
    (entry,) = demand.report()
    assert entry.weekly[:3] == [3, 1, 2] and entry.trend == 2


def test_the_beacon_logs_what_the_page_showed_without_loading_hits_again(app, indexed):
    from marketplace.search import services
    from tests.sql_counter import statements

    user, labels = indexed.users["employee"], services.facet_labels()
    asked = [("expense claim", {}), ("expense claim", {"moment": "solve"}), ("expnese cliam", {}),  # typos: corrected
             ("zzqx unicorn", {}), ("the and of", {}), ("how do i", {"type": "checklist"}), ("refunds", {})]
    for text, filters in asked:
        request = services.SearchRequest(text=text, filters=filters)
        page = services.search(request, user, labels)
        assert services.settled_total(request, user, labels) == page.total, (text, filters)
        if text == "expnese cliam":
            assert page.corrected and page.total > 0  # the full search's correction decides this one
    services.search(services.SearchRequest(text="expense claim"), user, labels)
    with statements(app) as seen:
        assert services.settled_total(services.SearchRequest(text="expense claim"), user, labels) > 0
    assert not [s for s in seen if "items" in s.lower() or "space_" in s.lower()], seen
