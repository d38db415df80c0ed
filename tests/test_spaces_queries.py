"""Listing spaces reads a bounded number of statements, and reading a space never writes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.extensions import db
from marketplace.spaces import services
from marketplace.spaces.models import Space
from marketplace.timeutil import today
from tests.spaces_fixtures import build_world, space_data
from tests.sql_counter import statements, writes


def _add_spaces(base, count: int, start: int) -> None:
    """Spaces of every visibility, each with several members, one invitation to the viewer among them."""
    users = base.users
    visibilities = ("open", "members", "private")
    for n in range(start, start + count):
        invite = [users["curator"].id, users["admin"].id] + ([users["employee"].id] if n % 4 == 0 else [])
        space = services.create_space(
            space_data(name=f"Swarm {n}", visibility=visibilities[n % 3], invite_ids=invite), users["leader"]
        )
        services.answer_invitation(space, users["curator"], True)
        if n % 4 == 0 and space.visibility != "private":
            services.answer_invitation(space, users["employee"], n % 8 == 0)


def _count(app, client, path: str, **headers) -> int:
    with statements(app) as seen:
        response = client.get(path, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return len(seen)


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_spaces_list_statements_do_not_grow_with_spaces_or_members(app, base, as_role, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    build_world(base)
    _add_spaces(base, 9, 0)  # includes a pending invitation, so both runs render that panel
    employee = as_role("employee")
    employee.get("/spaces")  # warm-up: the first request loads Jinja templates and the like
    few = _count(app, employee, "/spaces", **headers)
    _add_spaces(base, 30, 9)
    many = _count(app, employee, "/spaces", **headers)
    assert many == few, f"/spaces ran {few} statements with 10 spaces and {many} with 40: an N+1 is back"


def test_spaces_list_shows_the_viewers_membership_and_join_buttons(base, as_role):
    _add_spaces(base, 8, 0)
    page = as_role("employee").get("/spaces").get_data(as_text=True)
    assert page.count(">Member</span>") == 1  # Swarm 0 (open, accepted)
    assert "Ask to join" in page and ">Join</button>" in page


def test_reading_spaces_never_writes_even_when_one_is_due(app, base, as_role):
    world = build_world(base, visibility="open")
    world.space.ends_on = today() - timedelta(days=1)
    db.session.commit()
    member, outsider = as_role("employee"), as_role("champion")
    slug = world.space.slug
    paths = ["/spaces", f"/spaces/{slug}", f"/spaces/{slug}/threads/{world.thread.id}", f"/spaces/{slug}/retro",
             f"/spaces/{slug}/export.md", "/people", f"/people/{base.users['leader'].id}"]
    for client in (member, outsider):
        for path in paths:
            for headers in ({}, {"HX-Request": "true"}):
                with statements(app) as seen:
                    response = client.get(path, headers=headers)
                assert response.status_code in (200, 403, 404), (path, response.status_code)
                assert not writes(seen), f"GET {path} wrote: {writes(seen)}"
    db.session.expire_all()
    assert db.session.get(Space, world.space.id).status == "active"  # only the scheduled job archives


def test_due_space_reads_archived_until_the_job_archives_it(base, as_role):
    world = build_world(base, visibility="open")
    world.space.ends_on = today()
    db.session.commit()
    member = as_role("employee")
    page = member.get("/spaces").get_data(as_text=True)
    archived = page[page.index('id="group-archived"'):]
    assert world.space.name in archived
    reply = member.send(f"/spaces/{world.space.slug}/threads/{world.thread.id}/replies", {"body": "Late"})
    assert reply.status_code == 403
    assert services.archive_due() == 1
    db.session.refresh(world.space)
    assert world.space.status == "archived"
