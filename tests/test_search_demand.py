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


def test_zero_result_search_is_logged_normalised_without_the_person(as_role, indexed):
    client = as_role("employee")
    client.get("/search?q=  Tax%20REFUND??&moment=solve")
    client.get("/search?q=s")  # three results: more than "few", not logged
    logged = rows()
    assert [(r.query, r.filters, r.results) for r in logged] == [("tax refund", "moment=solve", 0)]
    assert not {c.name for c in SearchDemand.__table__.columns} & {"user_id", "ip", "session"}


def test_as_you_type_keystrokes_are_not_logged_only_the_settled_query(as_role, indexed):
    client = as_role("employee")
    for prefix in ("t", "ta", "tax", "tax r", "tax re"):
        client.get(f"/search?q={prefix}", headers={"HX-Request": "true"})
    assert rows() == []
    response = client.send("/search/demand", {"q": "tax return"}, htmx=True)
    assert response.status_code == 204
    assert [r.query for r in rows()] == ["tax return"]


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


def test_invalid_request_form_rerenders_with_422(as_role, indexed):
    response = as_role("curator").send("/curate/demand/requests", {"query": "", "department_id": "999"})
    assert response.status_code == 422
    assert "needs a query and a department" in response.get_data(as_text=True)


def test_request_form_defaults_to_the_department_the_searches_came_from(as_role, indexed):
    demand.record("visa letter", {"department": indexed.support.slug}, 0)
    demand.record("parking rules", {}, 0)
    page = as_role("curator").get("/curate/demand").get_data(as_text=True)
    visa = page[page.index("visa letter"):page.index("parking rules") if page.index("parking rules") > page.index("visa letter") else None]
    assert re.search(rf'<option value="{indexed.support.id}" selected>', visa), "defaults to Customer Support"
