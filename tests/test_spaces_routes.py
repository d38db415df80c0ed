"""Routes × space membership (host, member, invited, non-member, admin outsider), htmx and plain forms."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Item
from marketplace.spaces import discussions, services
from tests.spaces_fixtures import PLAYERS, build_world

MEMBERSHIP = tuple(PLAYERS)
OK = "ok"


@dataclass
class R:
    path: object
    expect: dict
    method: str = "GET"
    data: object = field(default=lambda w: {})


def inside(host=OK, member=OK, outsider=404) -> dict:
    """Private-space default: members in, the invited and outsiders see nothing (404)."""
    return {"host": host, "member": member, "invited": outsider, "non-member": outsider, "admin": outsider}


def everyone(**overrides) -> dict:
    return {**{role: OK for role in MEMBERSHIP}, **overrides}


def sp(w) -> str:
    return f"/spaces/{w.space.slug}"


SPACE_ROUTES = {
    "spaces.index": R(lambda w: "/spaces", everyone()),
    "spaces.new": R(lambda w: "/spaces/new", everyone(member=403, **{"non-member": 403})),
    "spaces.ask": R(lambda w: "/spaces/ask?q=refund+rules", everyone()),
    "spaces.candidates": R(lambda w: f"/spaces/candidates?who_knows={w.base.skill.slug}", everyone()),
    "spaces.detail": R(sp, inside()),
    "spaces.thread": R(lambda w: f"{sp(w)}/threads/{w.thread.id}", inside()),
    "spaces.retro": R(lambda w: f"{sp(w)}/retro", inside()),
    "spaces.export": R(lambda w: f"{sp(w)}/export.md", inside()),
    "spaces.harvest": R(lambda w: f"{sp(w)}/threads/{w.thread.id}/harvest", inside(member=403)),
    "spaces.edit_post": R(lambda w: f"{sp(w)}/posts/{w.answer.id}/edit", inside(member=403)),
    "spaces.join": R(lambda w: f"{sp(w)}/join", inside(host=403, member=403), "POST"),
    "spaces.answer": R(lambda w: f"{sp(w)}/invitation", {**inside(host=404, member=404), "invited": OK}, "POST", lambda w: {"answer": "decline"}),
    "spaces.invite": R(lambda w: f"{sp(w)}/invite", inside(member=403), "POST", lambda w: {"invite_emails": "admin@test.example"}),
    "spaces.member": R(lambda w: f"{sp(w)}/members/{w.base.users['curator'].id}/remove", inside(member=403), "POST"),
    "spaces.lifecycle": R(lambda w: f"{sp(w)}/lifecycle", inside(member=403), "POST", lambda w: {"action": "permanent"}),
    "spaces.new_thread": R(lambda w: f"{sp(w)}/threads", inside(), "POST", lambda w: {"kind": "question", "title": "T", "body": "B"}),
    "spaces.reply": R(lambda w: f"{sp(w)}/threads/{w.thread.id}/replies", inside(), "POST", lambda w: {"body": "More"}),
    "spaces.vote": R(lambda w: f"{sp(w)}/posts/{w.answer.id}/vote", inside(host=403), "POST"),
    "spaces.accept": R(lambda w: f"{sp(w)}/posts/{w.answer.id}/accept", inside(), "POST"),
    "spaces.delete_post": R(lambda w: f"{sp(w)}/posts/{w.answer.id}/delete", inside(member=403), "POST"),
    "spaces.hide_post": R(lambda w: f"{sp(w)}/posts/{w.answer.id}/hide", inside(member=403), "POST", lambda w: {"reason": "Off topic"}),
    "spaces.experiment": R(lambda w: f"{sp(w)}/experiments/{w.experiment.id}", inside(member=403), "POST", lambda w: {"status": "running"}),
    "people.index": R(lambda w: f"/people?skill={w.base.skill.slug}", everyone()),
    "people.profile": R(lambda w: f"/people/{w.base.users['leader'].id}", everyone()),
    "people.reputation_help": R(lambda w: "/people/reputation", everyone()),
    "people.skills": R(lambda w: f"/people/{w.base.users['employee'].id}/skills", everyone(host=403, invited=403, **{"non-member": 403}), "POST", lambda w: {"skill_ids": str(w.base.skill.id)}),
    "people.endorse": R(lambda w: f"/people/{w.base.users['employee'].id}/skills/{w.base.skill.id}/endorse", everyone(member=403), "POST"),
}


def _outcome(response) -> object:
    if response.status_code in (403, 404):
        return response.status_code
    assert response.status_code < 400, (response.status_code, response.get_data(as_text=True)[:800])
    return OK


def _cases():
    for name in SPACE_ROUTES:
        for mode in ("page", "htmx"):
            for role in MEMBERSHIP:
                yield pytest.param(name, role, mode, id=f"{name}-{role}-{mode}")


@pytest.fixture()
def world(base):
    base.users["employee"].skills = [base.skill]
    db.session.commit()
    return build_world(base)


@pytest.mark.parametrize(("endpoint", "role", "mode"), list(_cases()))
def test_space_route_matrix(as_role, world, endpoint, role, mode):
    route = SPACE_ROUTES[endpoint]
    client = as_role(PLAYERS[role])
    headers = {"HX-Request": "true"} if mode == "htmx" else {}
    if route.method == "GET":
        response = client.get(route.path(world), headers=headers)
    else:
        response = client.send(route.path(world), route.data(world), headers=headers)
    assert _outcome(response) == route.expect[role]


def test_every_space_and_people_route_is_in_the_matrix(app):
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.split(".")[0] in {"spaces", "people"}}
    assert endpoints == set(SPACE_ROUTES)


def test_anonymous_is_sent_to_sign_in(client, world):
    for path in ("/spaces", f"/spaces/{world.space.slug}", "/people"):
        assert "/login" in client.get(path).headers["Location"]


def test_removed_member_loses_access_at_once(as_role, world):
    member = as_role("employee")
    url = f"/spaces/{world.space.slug}/threads/{world.thread.id}"
    assert member.get(url).status_code == 200
    host = as_role("leader")
    host.send(f"/spaces/{world.space.slug}/members/{world.base.users['employee'].id}/remove")
    assert member.get(url).status_code == 404
    assert member.get(url, headers={"HX-Request": "true"}).status_code == 404


def test_private_space_is_not_listed_to_outsiders(as_role, world):
    page = as_role("champion").get("/spaces").get_data(as_text=True)
    assert world.space.name not in page
    assert world.space.name in as_role("employee").get("/spaces").get_data(as_text=True)


def test_invitee_accepts_from_the_spaces_list(as_role, world):
    curator = as_role("curator")
    assert "You're invited" in curator.get("/spaces").get_data(as_text=True)
    response = curator.send(f"/spaces/{world.space.slug}/invitation", {"answer": "accept"})
    assert response.status_code == 303
    assert curator.get(f"/spaces/{world.space.slug}").status_code == 200


def test_reply_vote_accept_without_javascript(as_role, world):
    member = as_role("employee")
    base_url = f"/spaces/{world.space.slug}"
    response = member.send(f"{base_url}/threads/{world.thread.id}/replies", {"body": "Plain *form* reply"})
    assert response.status_code == 303 and "#post-" in response.headers["Location"]
    page = member.get(f"{base_url}/threads/{world.thread.id}").get_data(as_text=True)
    assert "<em>form</em>" in page
    response = member.send(f"{base_url}/posts/{world.answer.id}/vote")
    assert response.status_code == 303
    db.session.refresh(world.answer)
    assert world.answer.score == 1
    empty = member.send(f"{base_url}/threads/{world.thread.id}/replies", {"body": ""})
    assert empty.status_code == 422


def test_reply_vote_accept_in_place_with_htmx(as_role, world):
    member = as_role("employee")
    base_url = f"/spaces/{world.space.slug}"
    response = member.send(f"{base_url}/threads/{world.thread.id}/replies", {"body": "Via htmx <script>x()</script>"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<div id="discussion"'), (response.headers, html[:300])
    assert "<script>" not in html and "Via htmx" in html
    vote = member.send(f"{base_url}/posts/{world.answer.id}/vote", htmx=True).get_data(as_text=True)
    assert vote.lstrip().startswith(f'<span id="vote-{world.answer.id}"') and 'aria-pressed="true"' in vote
    new_post = discussions.reply_tree(world.thread)[-1].post
    accepted = member.send(f"{base_url}/posts/{new_post.id}/accept", htmx=True).get_data(as_text=True)
    assert accepted.index(f'id="post-{new_post.id}"') < accepted.index(f'id="post-{world.answer.id}"')
    invalid = member.send(f"{base_url}/threads/{world.thread.id}/replies", {"body": ""}, htmx=True)
    assert invalid.status_code == 422 and 'id="discussion"' in invalid.get_data(as_text=True)


def test_edit_marks_and_delete_leaves_placeholder(as_role, world):
    host = as_role("leader")
    base_url = f"/spaces/{world.space.slug}"
    host.send(f"{base_url}/posts/{world.answer.id}/edit", {"body": "Updated answer"})
    page = host.get(f"{base_url}/threads/{world.thread.id}").get_data(as_text=True)
    assert "Updated answer" in page and "edited" in page
    host.send(f"{base_url}/posts/{world.answer.id}/delete")
    page = host.get(f"{base_url}/threads/{world.thread.id}").get_data(as_text=True)
    assert "Removed: the author deleted this post." in page and "Updated answer" not in page


def test_host_hides_with_reason(as_role, world):
    host = as_role("leader")
    post = discussions.reply(world.thread, world.base.users["employee"], "Spam spam")
    host.send(f"/spaces/{world.space.slug}/posts/{post.id}/hide", {"reason": "Spam"})
    page = as_role("employee").get(f"/spaces/{world.space.slug}/threads/{world.thread.id}").get_data(as_text=True)
    assert "Hidden by a host: Spam" in page and "Spam spam" not in page


def test_create_space_with_who_knows_invites(as_role, world, base):
    leader = as_role("leader")
    form = {"name": "Pricing swarm", "problem": "Discounts are chaos.", "kpi_id": "0", "visibility": "private", "who_knows": base.skill.slug}
    found = leader.send("/spaces/new", {**form, "find": "1"})
    assert found.status_code == 200 and "Erin Employee" in found.get_data(as_text=True)
    fragment = leader.get(f"/spaces/candidates?who_knows={base.skill.slug}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'name="invite_ids"' in fragment and "Erin Employee" in fragment
    created = leader.send("/spaces/new", {**form, "invite_ids": str(base.users["employee"].id)})
    assert created.status_code == 303
    space = services.space_by_slug("pricing-swarm")
    assert services.membership_of(base.users["employee"], space).state == "invited"
    assert leader.send("/spaces/new", {"name": ""}).status_code == 422


def test_archived_space_is_read_only_with_banner(as_role, world):
    services.archive(world.space)
    member = as_role("employee")
    page = member.get(f"/spaces/{world.space.slug}").get_data(as_text=True)
    assert "This space is read-only" in page
    assert member.send(f"/spaces/{world.space.slug}/threads/{world.thread.id}/replies", {"body": "x"}).status_code == 403


def test_harvest_route_creates_pending_item(as_role, world):
    host = as_role("leader")
    response = host.send(f"/spaces/{world.space.slug}/threads/{world.thread.id}/harvest", {})
    assert response.status_code == 303
    item = db.session.scalar(select(Item).where(Item.status == "pending"))
    assert item is not None and item.title == "How do refunds work?"


def test_people_who_knows_page_explains(as_role, world):
    page = as_role("leader").get(f"/people?skill={world.base.skill.slug}").get_data(as_text=True)
    assert "Who knows Expense policy?" in page and "1 published job aid" in page  # the champion's
    own = as_role("champion").get(f"/people?skill={world.base.skill.slug}").get_data(as_text=True)
    assert "1 published job aid" not in own, "nobody is listed as their own expert"
    fragment = as_role("champion").get(f"/people?skill={world.base.skill.slug}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="results"')


def test_endorse_in_place(as_role, world):
    response = as_role("leader").send(f"/people/{world.base.users['employee'].id}/skills/{world.base.skill.id}/endorse", htmx=True)
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="skills"') and "1 endorsement" in html and 'aria-pressed="true"' in html
