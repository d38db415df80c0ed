"""Service rules for spaces: creation, membership, discussions, lifecycle, harvest, Chatham House."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import Item, Notification
from marketplace.policy import can
from marketplace.spaces import discussions, harvesting, retros, services
from marketplace.timeutil import today
from tests.spaces_fixtures import build_world, space_data


def notes_for(user) -> list[str]:
    return list(db.session.scalars(select(Notification.text).where(Notification.user_id == user.id)))


def test_create_space_pins_why_we_are_here_and_invites(base):
    world = build_world(base)
    rows = discussions.thread_rows(world.space)
    assert rows[0].thread.pinned and rows[0].thread.title == "Why we are here"
    assert "different refund answers" in discussions.opening_post(rows[0].thread).body
    assert world.space.department_id == base.support.id  # from the KPI's department
    assert any("invited you" in text for text in notes_for(base.users["curator"]))
    assert services.membership_of(base.users["curator"], world.space).state == "invited"


def test_private_space_visibility_follows_membership_at_once(base):
    world = build_world(base)
    employee, champion = base.users["employee"], base.users["champion"]
    assert can(employee, "view_space", world.space)
    assert not can(champion, "view_space", world.space)
    assert not can(base.users["curator"], "view_space", world.space)  # invited is not yet in
    services.remove_member(world.space, employee.id)
    assert not can(employee, "view_space", world.space)


def test_join_open_and_request_members_only(base):
    open_space = services.create_space(space_data(name="Open one", visibility="open"), base.users["leader"])
    members = services.create_space(space_data(name="Members one", visibility="members"), base.users["leader"])
    assert services.join(open_space, base.users["champion"]) == "active"
    assert services.join(members, base.users["champion"]) == "requested"
    assert not can(base.users["champion"], "view_space", members)
    assert any("asked to join" in t for t in notes_for(base.users["leader"]))
    services.approve(members, base.users["champion"].id)
    assert can(base.users["champion"], "view_space", members)
    with pytest.raises(services.SpaceError):
        services.join(build_world(base).space, base.users["admin"])


def test_replies_nest_one_level_and_mentions_notify_only_readers(base):
    world = build_world(base)
    child = discussions.reply(world.thread, base.users["employee"], "Thanks @leader and @champion", world.answer.id)
    grandchild = discussions.reply(world.thread, base.users["leader"], "Welcome", child.id)
    assert child.parent_id == world.answer.id and grandchild.parent_id == world.answer.id
    assert any("mentioned you" in t for t in notes_for(base.users["leader"]))
    assert not any("mentioned you" in t for t in notes_for(base.users["champion"]))  # cannot read the space


def test_votes_are_one_per_person_and_withdrawable(base):
    world = build_world(base)
    assert discussions.toggle_vote(world.answer, base.users["employee"]) is True
    assert world.answer.score == 1
    assert discussions.toggle_vote(world.answer, base.users["employee"]) is False
    assert world.answer.score == 0
    assert not can(base.users["leader"], "vote_post", world.answer)  # no votes on your own post


def test_accepted_answer_is_first_and_exclusive(base):
    world = build_world(base)
    other = discussions.reply(world.thread, base.users["employee"], "Or ask finance.")
    discussions.toggle_vote(other, base.users["leader"])
    tree = discussions.reply_tree(world.thread, "votes")
    assert tree[0].post.id == world.answer.id
    discussions.accept(world.thread, other)
    db.session.refresh(world.answer)
    assert not world.answer.accepted and other.accepted and world.thread.solved
    assert discussions.reply_tree(world.thread, "newest")[0].post.id == other.id


def test_edit_delete_and_hide(base):
    world = build_world(base)
    discussions.edit_post(world.answer, "Use the new refund form.")
    assert world.answer.edited_at is not None
    discussions.delete_post(world.answer)
    assert world.answer.is_removed and world.answer.body == "" and not world.thread.solved
    other = discussions.reply(world.thread, base.users["employee"], "Rude words")
    discussions.hide_post(other, base.users["leader"], "Off topic")
    assert other.is_hidden and other.hidden_reason == "Off topic"


def test_lifecycle_transitions(base):
    world = build_world(base)
    space = world.space
    services.archive(space)
    assert space.status == "archived" and not can(base.users["employee"], "post_in_space", space)
    assert can(base.users["employee"], "view_space", space)
    with pytest.raises(services.SpaceError):
        services.archive(space)
    services.reopen(space)
    assert space.status == "active"
    services.make_permanent(space)
    assert space.status == "permanent" and space.ends_on is None
    with pytest.raises(services.SpaceError):
        services.reopen(space)
    services.archive(space)
    services.make_permanent(space)
    assert space.status == "permanent"


def test_end_date_reads_as_archived_and_only_the_command_archives(base, app):
    world = build_world(base)
    world.space.ends_on = today()
    db.session.commit()
    space = services.space_by_slug(world.space.slug)
    assert space.status == "active", "reading a space must not archive it (GET never writes)"
    assert space.is_archived and space.display_status == "archived"
    assert not can(base.users["employee"], "post_in_space", space), "a due space is read-only before the job runs"
    assert services.archive_due() == 1 and space.status == "archived"
    other = services.create_space(space_data(name="Soon over", ends_on=today() + timedelta(days=2)), base.users["leader"])
    assert services.archive_due(today() + timedelta(days=1)) == 0
    result = app.test_cli_runner().invoke(args=["spaces", "archive-due", "--on", (today() + timedelta(days=2)).isoformat()])
    assert "Archived 1" in result.output, result.output
    db.session.refresh(other)
    assert other.status == "archived"
    services.reopen(other, on=today() + timedelta(days=3))
    assert other.status == "active" and other.ends_on > today() + timedelta(days=3)


def test_end_date_must_be_in_future(base):
    with pytest.raises(services.SpaceError):
        services.create_space(space_data(ends_on=date(2000, 1, 1)), base.users["leader"])


def test_retro_now_what_lines_become_experiments(base):
    world = build_world(base)
    thread = retros.create_retro(world.space, base.users["employee"], retros.RetroData("A", "B", "1. Try X\n\n* Try Y", date(2030, 1, 1)))
    titles = [e.title for e in retros.experiments(world.space) if e.thread_id == thread.id]
    assert titles == ["Try X", "Try Y"]
    experiment = retros.experiments(world.space)[0]
    retros.update_experiment(experiment, "kept")
    assert experiment.status == "kept"
    with pytest.raises(services.SpaceError):
        retros.create_retro(world.space, base.users["employee"], retros.RetroData("A", "B", "  \n", None))


def test_harvest_makes_pending_job_aid_crediting_contributors(base):
    world = build_world(base)
    item = harvesting.harvest(world.thread, base.users["leader"], [])
    assert item.status == "pending" and item.type == "job_aid" and item.department_id == base.support.id
    assert "Lee Leader" in item.body and "Erin Employee" in item.body
    assert f"/spaces/{world.space.slug}/threads/{world.thread.id}" in item.body
    assert world.thread.harvested_item_id == item.id
    with pytest.raises(services.SpaceError):
        harvesting.harvest(world.thread, base.users["leader"], [])


def test_chatham_house_keeps_authors_out_of_harvest_and_export(base):
    world = build_world(base, chatham_house=True)
    item = harvesting.harvest(world.thread, base.users["leader"], [])
    assert "Lee Leader" not in item.body and "Erin Employee" not in item.body
    export = services.export_markdown(world.space)
    assert "refund" in export and "Lee Leader" not in export and "Erin Employee" not in export


def test_export_names_authors_without_chatham_house(base):
    world = build_world(base)
    assert "**Lee Leader**" in services.export_markdown(world.space)


def test_unsolved_thread_cannot_be_harvested(base):
    world = build_world(base)
    discussions.accept(world.thread, world.answer)  # un-accept
    assert not can(base.users["leader"], "harvest_thread", world.thread)
    with pytest.raises(services.SpaceError):
        harvesting.harvest(world.thread, base.users["leader"], [])
    assert db.session.scalar(select(Item).where(Item.status == "pending")) is None


# Mutations that once survived (issue 15, point 9), and the export's format (point 8) -----


def test_reinviting_an_active_member_leaves_them_active(base):
    world = build_world(base)
    assert services.invite(world.space, base.users["leader"], [base.users["employee"].id]) == 0
    assert services.membership_of(base.users["employee"], world.space).state == "active"


def test_a_declined_invitation_does_not_notify_the_inviter(base):
    world = build_world(base)
    before = db.session.scalar(select(func.count()).select_from(Notification).where(Notification.user_id == base.users["leader"].id))
    services.answer_invitation(world.space, base.users["curator"], False)
    after = db.session.scalar(select(func.count()).select_from(Notification).where(Notification.user_id == base.users["leader"].id))
    assert after == before and services.membership_of(base.users["curator"], world.space).state == "declined"


def test_a_reply_to_a_nested_reply_joins_its_parent(base):
    world = build_world(base)
    child = discussions.reply(world.thread, base.users["employee"], "Nested", parent_id=world.answer.id)
    grandchild = discussions.reply(world.thread, base.users["leader"], "Deeper", parent_id=child.id)
    assert child.parent_id == world.answer.id and grandchild.parent_id == world.answer.id
    tree = {node.post.id: [c.id for c in node.children] for node in discussions.reply_tree(world.thread)}
    assert tree[world.answer.id] == [child.id, grandchild.id]


def test_export_leaves_out_hidden_and_removed_posts_and_reads_cleanly(base):
    world = build_world(base)
    hidden = discussions.reply(world.thread, base.users["employee"], "Secret sauce recipe")
    removed = discussions.reply(world.thread, base.users["employee"], "Oops wrong thread")
    discussions.hide_post(hidden, base.users["leader"], "Off topic")
    discussions.delete_post(removed)
    retros.create_retro(world.space, base.users["leader"], retros.RetroData("Line one\r\nline two", "B", "- Try it", None))
    text = services.export_markdown(world.space)
    assert "Secret sauce" not in text and "Oops" not in text
    assert "\r" not in text and "Line one\nline two" in text
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert "## Why we are here" in headings and "## Why we are here (Why we are here)" not in headings
