"""Nowhere is a dead end: a poor search leads to a way to ask, outsiders see how to join, experts can be reached."""

from __future__ import annotations

import re

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.spaces import asking, services
from marketplace.spaces.models import Membership, Thread
from tests.spaces_fixtures import build_world, space_data


def _open_space(base, name="Parcel returns", problem="Returned parcels pile up in the warehouse."):
    return services.create_space(space_data(name=name, problem=problem, visibility="open"), base.users["leader"])


def test_poor_search_offers_a_way_to_ask_in_the_best_matching_space(as_role, indexed):
    space = _open_space(indexed)
    _open_space(indexed, "Onboarding buddies", "New starters feel lost in week one.")
    employee = as_role("employee")
    page = employee.get("/search?q=parcel+returns+label").get_data(as_text=True)
    assert "/spaces/ask?q=parcel+returns+label" in page
    ask = employee.get("/spaces/ask?q=parcel+returns+label").get_data(as_text=True)
    assert re.search(rf'<input checked[^>]*value="{space.slug}"', ask) and "Ask the company" in ask
    assert 'value="parcel returns label"' in ask  # the question is pre-filled
    response = employee.send("/spaces/ask", {"space": space.slug, "title": "Which label for returns?", "body": ""})
    assert response.status_code == 303 and f"/spaces/{space.slug}/threads/" in response.headers["Location"]
    thread = db.session.scalar(select(Thread).where(Thread.title == "Which label for returns?"))
    assert thread.space_id == space.id
    member = services.membership_of(indexed.users["employee"], space)
    assert member.state == "active", "asking in an open space joins it, so answers reach the asker"


def test_with_no_matching_space_the_company_qa_space_takes_the_question(as_role, base):
    employee = as_role("employee")
    ask = employee.get("/spaces/ask?q=zeppelin+parking").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value=""', ask) and "everyone can answer" in ask
    response = employee.send("/spaces/ask", {"space": "", "title": "Where do zeppelins park?"})
    assert response.status_code == 303
    qa = asking.company_qa_space()
    assert qa.visibility == "open" and qa.status == "permanent"
    other = as_role("champion")
    assert other.send("/spaces/ask", {"space": "", "title": "And bikes?"}).status_code == 303
    assert db.session.scalar(select(Membership).where(Membership.space_id == qa.id)).state == "active"
    invalid = employee.send("/spaces/ask", {"space": "", "title": ""})
    assert invalid.status_code == 422 and "Write your question." in invalid.get_data(as_text=True)


def test_non_member_on_an_open_thread_sees_how_to_join_and_reply(as_role, base):
    world = build_world(base, visibility="open")
    outsider = as_role("champion")
    url = f"/spaces/{world.space.slug}/threads/{world.thread.id}"
    page = outsider.get(url).get_data(as_text=True)
    assert "Join and reply" in page and 'id="reply-form"' not in page
    joined = outsider.send(f"/spaces/{world.space.slug}/join?next={url}")
    assert joined.status_code == 303 and joined.headers["Location"].endswith(f"{url}#reply-form")
    assert 'id="reply-form"' in outsider.get(url).get_data(as_text=True)
    sneaky = as_role("curator").send(f"/spaces/{world.space.slug}/join?next=//evil.example/x")
    assert "evil" not in sneaky.headers.get("Location", "")


def test_spaces_list_filters_by_query(as_role, base):
    _open_space(base)
    _open_space(base, "Onboarding buddies", "New starters feel lost in week one.")
    page = as_role("employee").get("/spaces?q=parcel").get_data(as_text=True)
    assert "Parcel returns" in page and "Onboarding buddies" not in page
    page = as_role("employee").get("/spaces?q=lost+starters").get_data(as_text=True)
    assert "Onboarding buddies" in page and "Parcel returns" not in page
    assert "Parcel returns" in as_role("employee").get("/spaces").get_data(as_text=True)


def test_who_knows_offers_a_way_to_reach_and_search_matches_people_page(as_role, indexed):
    base = indexed
    for role in ("employee", "leader"):
        base.users[role].skills = [base.skill]
    db.session.commit()
    employee = as_role("employee")
    people = employee.get(f"/people?skill={base.skill.slug}").get_data(as_text=True)
    tab = employee.get("/search?q=expense+policy&tab=people").get_data(as_text=True)
    for page in (people, tab):
        assert f'href="/people/{base.users["employee"].id}"' not in page, "the searcher is never their own expert"
        assert f'href="/people/{base.users["leader"].id}"' in page and "Lists this skill" in page
        assert "mention=leader" in page
    ask = employee.get("/spaces/ask?q=Expense+policy&mention=leader").get_data(as_text=True)
    assert "@leader" in ask
