"""The strategic shield: file, triage, deliver; one board for all demand; the requester hears every step."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Notification
from marketplace.requests import services
from marketplace.requests.models import ActionRequest, RequestState, Source
from marketplace.search import demand
from tests.lifecycle_fixtures import request_data


def _notes(user) -> list[str]:
    return list(db.session.scalars(select(Notification.text).where(Notification.user_id == user.id).order_by(Notification.id)))


def test_a_request_goes_from_filed_to_delivered_and_the_requester_hears_each_step(base):
    leader, curator, champion = base.users["leader"], base.users["curator"], base.users["champion"]
    request = services.file(leader, request_data(base))
    assert request.state == RequestState.NEW and request.source == Source.INTAKE
    assert any("New request from Lee Leader" in t for t in _notes(curator))  # L&D hears of it
    services.accept(request, curator, champion.id, None)
    assert request.state == RequestState.ACCEPTED and request.owner_id == champion.id
    with pytest.raises(services.RequestError, match="Link what was delivered"):
        services.deliver(request, champion)
    services.link(request, champion, "item", f"/items/{base.checklist.slug}")
    services.deliver(request, champion)
    assert request.state == RequestState.DELIVERED and request.delivered_at is not None
    assert [link.item_id for link in request.links] == [base.checklist.id]
    assert [e.kind for e in request.events] == ["filed", "accepted", "linked", "delivered"]
    heard = _notes(leader)
    assert any("was accepted" in t for t in heard) and any("was delivered" in t for t in heard)
    assert any("accepted" in t for t in _notes(champion))  # the new owner is told too


def test_decline_needs_a_reason_and_merge_needs_an_open_target(base):
    curator = base.users["curator"]
    first = services.file(base.users["leader"], request_data(base))
    duplicate = services.file(base.users["champion"], request_data(base, title="Same thing again"))
    with pytest.raises(services.RequestError):
        services.decline(first, curator, "   ")
    services.merge(duplicate, curator, first.id)
    assert duplicate.state == RequestState.MERGED and duplicate.merged_into_id == first.id
    assert [e.kind for e in first.events][-1] == "absorbed"
    with pytest.raises(services.RequestError):
        services.merge(first, curator, duplicate.id)  # a merged request is closed
    services.decline(first, curator, "A process problem: the approval step blocks it; no training needed.")
    assert first.state == RequestState.DECLINED
    assert any("no training needed" in t for t in _notes(base.users["leader"]))
    with pytest.raises(services.RequestError):
        services.accept(first, curator, None, None)  # declined stays declined


def test_employees_file_for_their_own_team_only(base):
    employee = base.users["employee"]  # Sales
    with pytest.raises(services.RequestError, match="your own team"):
        services.file(employee, request_data(base, department_id=base.support.id))
    assert services.file(employee, request_data(base, department_id=base.sales.id)).department_id == base.sales.id


def test_the_intake_form_lists_every_problem_and_files_with_a_valid_post(as_role, base):
    client = as_role("leader")
    page = client.get("/requests/new").get_data(as_text=True)
    assert "usually need no training" in page and "No training: change the process or the measure" in page
    response = client.send("/requests/new", {"title": "", "department_id": str(base.support.id), "kpi_id": str(base.kpi2.id)})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    for problem in ("Give the request a one-line title.", "Say where the KPI is today.", "Describe the behaviour gap.",
                    "Choose the likely cause.", "Choose a proposed solution."):
        assert problem in text
    form = {"title": "Faster refunds", "department_id": str(base.support.id), "kpi_id": str(base.kpi2.id),
            "kpi_current": "71%", "kpi_target": "80%", "behaviour": "Agents skip the credit check.", "who": "Agents",
            "cause": "process", "solution": "no_training"}
    filed = client.send("/requests/new", form)
    assert filed.status_code == 303
    request = db.session.scalar(select(ActionRequest).where(ActionRequest.title == "Faster refunds"))
    detail = client.get(filed.headers["Location"]).get_data(as_text=True)
    assert "Usually needs no training" in detail and request.solution == "no_training"


def test_the_board_shows_each_person_what_they_may_see(as_role, base):
    mine = services.file(base.users["leader"], request_data(base, title="Leader's support request"))
    sales = services.file(base.users["employee"], request_data(base, title="Employee's sales request", department_id=base.sales.id))
    assert "Employee&#39;s sales request" not in as_role("leader").get("/requests").get_data(as_text=True)
    champion = as_role("champion").get("/requests").get_data(as_text=True)
    assert "Employee&#39;s sales request" in champion and "Leader&#39;s support request" not in champion
    curator = as_role("curator").get("/requests").get_data(as_text=True)
    assert "Employee&#39;s sales request" in curator and "Leader&#39;s support request" in curator
    assert as_role("champion").get(f"/requests/{mine.id}").status_code == 404
    assert as_role("leader").get(f"/requests/{sales.id}").status_code == 404


def test_search_gaps_and_content_requests_land_on_the_same_board(base):
    curator = base.users["curator"]
    gap = services.from_search_gap("mileage  claim", curator)
    assert services.from_search_gap("mileage claim", curator).id == gap.id  # once while open
    content = demand.create_request("expense receipts", "", base.sales, "People ask weekly.", curator)
    on_board = db.session.scalar(select(ActionRequest).where(ActionRequest.source == Source.CONTENT_REQUEST))
    assert on_board.source_query == content.query and on_board.state == RequestState.ACCEPTED
    assert services.tab_counts(curator)["open"] == 2


def test_a_delivered_request_links_to_its_kpi_page(as_role, base):
    curator = base.users["curator"]
    request = services.file(base.users["leader"], request_data(base))
    services.accept(request, curator, curator.id, None)
    services.link(request, curator, "collection", base.collection.slug)
    services.deliver(request, curator)
    page = as_role("leader").get(f"/requests/{request.id}").get_data(as_text=True)
    assert f'href="/kpis/{base.kpi2.slug}"' in page and base.collection.title in page


def test_linking_something_that_does_not_exist_is_a_clear_422(as_role, base):
    curator = base.users["curator"]
    request = services.file(base.users["leader"], request_data(base))
    services.accept(request, curator, curator.id, None)
    response = as_role("curator").send(f"/requests/{request.id}/link", {"kind": "item", "reference": "/items/nope"})
    assert response.status_code == 422 and "No published catalog item has the address “nope”" in response.get_data(as_text=True)
