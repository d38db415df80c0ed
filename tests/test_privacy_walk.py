"""Chatham House and private spaces: a non-member meets no member name and no private activity anywhere.

Two spaces are run by people who do nothing else in the product, so any page that shows their names
to an outsider, or counts their activity in those spaces, leaks it. The outsider walks every page,
fragment and notification they can load.
"""

from __future__ import annotations

import re

import pytest

from marketplace.people import services as people
from marketplace.search import admin
from marketplace.spaces import discussions, services
from tests import submission_helpers as h
from tests.spaces_fixtures import space_data

HOST, MEMBER = "Hana Quietude", "Mo Whisperfield"
FRAGMENT = {"HX-Request": "true"}


@pytest.fixture()
def circle(indexed):
    """An open and a private Chatham House space; the member asks, the host answers, the answer is accepted."""
    base = indexed
    host = h.extra_user("hana@test.example", HOST, base.support, is_leader=True)
    member = h.extra_user("mo@test.example", MEMBER, base.support)
    spaces = {}
    for name, visibility in (("Quiet Harbour", "open"), ("Sealed Room", "private")):
        space = services.create_space(space_data(name=name, visibility=visibility, chatham_house=True,
                                                 skill_ids=[base.skill.id], invite_ids=[member.id]), host)
        services.answer_invitation(space, member, True)
        thread = discussions.create_thread(space, member, discussions.ThreadData(
            "question", f"Refund limits in {name}", "Who signs off a big refund? cc @champion", [base.skill.id]))
        answer = discussions.reply(thread, host, "The team lead signs off; ask @champion for the form.")
        discussions.accept(thread, answer)
        spaces[visibility] = (space, thread, answer)
    services.invite(spaces["private"][0], host, [base.users["champion"].id])  # invited, still outside
    admin.rebuild()
    return base, host, member, spaces


def _pages(base, host, member, spaces) -> list[str]:
    open_space, open_thread, _ = spaces["open"]
    private_space, private_thread, _ = spaces["private"]
    skill = base.skill.slug
    pages = ["/", "/spaces", "/spaces?q=refund", "/notifications", "/notifications/badge", f"/people?skill={skill}",
             "/search?q=refund", "/search?q=refund&tab=discussions", f"/search?q={skill.replace('-', ' ')}&tab=people",
             "/search?q=refund+limits", f"/spaces/candidates?who_knows={skill}"]
    for space, thread in ((open_space, open_thread), (private_space, private_thread)):
        root = f"/spaces/{space.slug}"
        pages += [root, f"{root}?sort=newest", f"{root}/threads/{thread.id}", f"{root}/threads/{thread.id}?sort=newest",
                  f"{root}/retro", f"{root}/export.md", f"{root}/threads/{thread.id}/harvest"]
    return pages


def test_outsider_meets_no_member_name_anywhere(as_role, circle):
    base, host, member, spaces = circle
    outsider = as_role("champion")
    seen = 0
    for path in _pages(base, host, member, spaces):
        for headers in ({}, FRAGMENT):
            response = outsider.get(path, headers=headers)
            if response.status_code >= 400:
                continue
            seen += 1
            text = response.get_data(as_text=True)
            for name in (HOST, MEMBER, "hana@", "mo@"):
                assert name not in text, f"{path} {headers} shows {name!r} to a non-member"
    assert seen > 20, "the walk loaded too few pages to mean anything"


def test_notifications_to_outsiders_name_nobody(as_role, circle):
    outsider = as_role("champion")
    page = outsider.get("/notifications").get_data(as_text=True)
    assert "mentioned you" in page and "invited you" in page, page[:2000]
    assert HOST not in page and MEMBER not in page


def test_members_still_see_names(app, as_role, circle):
    base, host, member, spaces = circle
    space, thread, _ = spaces["open"]
    outsider_page = as_role("employee").get(f"/spaces/{space.slug}/threads/{thread.id}").get_data(as_text=True)
    assert "A member" in outsider_page and HOST not in outsider_page
    insider = app.test_client()
    assert insider.login("mo@test.example").status_code == 303
    page = insider.get(f"/spaces/{space.slug}/threads/{thread.id}").get_data(as_text=True)
    assert HOST in page and MEMBER in page


def _numbers(text: str) -> list[str]:
    return re.findall(r"\d+", re.sub(r"<[^>]+>", " ", text))


def test_reputation_shown_to_others_ignores_spaces_they_cannot_see(as_role, circle):
    base, host, member, spaces = circle
    outsider = base.users["champion"]
    assert people.reputation(host, outsider).accepted_answers == 0
    assert people.reputation(host, outsider).points == 0
    assert people.reputation(host, member).accepted_answers == 2, "members see what happened inside"
    assert people.reputation(host).accepted_answers == 2, "the person sees their own"
    experts = {e.user.id: e for e in people.who_knows(base.skill.slug, viewer=outsider)}
    assert host.id not in experts, "answers in spaces the viewer cannot attribute are no evidence to them"
    assert host.id in {e.user.id for e in people.who_knows(base.skill.slug, viewer=member)}
    profile = as_role("champion").get(f"/people/{host.id}").get_data(as_text=True)
    assert "Quiet Harbour" not in profile and "Sealed Room" not in profile
    before = _numbers(profile)
    # A further accepted answer inside the private space changes nothing the outsider can see.
    space, thread, answer = spaces["private"]
    discussions.accept(thread, answer)
    discussions.accept(thread, discussions.reply(thread, host, "Second thought"))
    assert _numbers(as_role("champion").get(f"/people/{host.id}").get_data(as_text=True)) == before
