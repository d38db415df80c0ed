"""Who knows X? ranking by evidence, endorsements and reputation rules."""

from __future__ import annotations

import pytest

from marketplace.catalog import services as catalog
from marketplace.extensions import db
from marketplace.people import services
from marketplace.spaces import discussions
from tests import factories
from tests.spaces_fixtures import build_world


def endorse(endorser, user, skill) -> None:
    services.toggle_endorsement(endorser, user, skill)


def test_who_knows_ranks_by_evidence_and_explains(base):
    skill = base.skill
    for role in ("employee", "curator", "leader"):
        base.users[role].skills = [skill]
    db.session.commit()
    for role in ("employee", "leader"):
        endorse(base.users[role], base.users["curator"], skill)
    # The champion owns the published job aid tagged with the skill (3 points) and lists nothing.
    experts = services.who_knows(skill.slug)
    names = [e.user.name for e in experts]
    assert names[:2] == ["Chris Champion", "Cora Curator"]
    assert experts[0].explanation == "1 published job aid"
    assert experts[1].explanation == "2 endorsements"
    assert experts[-1].explanation == "Lists this skill; no evidence yet"


def test_accepted_answers_count_only_where_the_viewer_may_read(base):
    world = build_world(base)  # the leader's answer is accepted in a private space tagged with the skill
    leader = base.users["leader"]
    as_outsider = {e.user.id: e for e in services.who_knows(base.skill.slug, viewer=base.users["champion"])}
    as_member = {e.user.id: e for e in services.who_knows(base.skill.slug, viewer=base.users["employee"])}
    assert leader.id not in as_outsider
    assert as_member[leader.id].accepted_answers == 1
    assert "1 accepted answer" in as_member[leader.id].explanation
    world.space.visibility = "open"
    db.session.commit()
    assert services.who_knows(base.skill.slug)[0].accepted_answers in (0, 1)


def test_who_knows_unknown_skill_and_limit(base):
    assert services.who_knows("no-such-skill") == []
    base.users["employee"].skills = [base.skill]
    db.session.commit()
    assert len(services.who_knows(base.skill.slug, limit=1)) == 1


def test_endorsement_is_one_per_person_and_withdrawable(base):
    employee, curator = base.users["employee"], base.users["curator"]
    curator.skills = [base.skill]
    db.session.commit()
    assert services.toggle_endorsement(employee, curator, base.skill) is True
    assert services.skill_lines(curator, employee)[0].endorsements == 1
    assert services.skill_lines(curator, employee)[0].mine
    assert services.toggle_endorsement(employee, curator, base.skill) is False
    assert services.skill_lines(curator, employee)[0].endorsements == 0
    with pytest.raises(ValueError):
        services.toggle_endorsement(employee, base.users["admin"], base.skill)  # the admin does not list it


def test_unlisting_a_skill_withdraws_its_endorsements(base):
    curator = base.users["curator"]
    curator.skills = [base.skill]
    db.session.commit()
    endorse(base.users["employee"], curator, base.skill)
    services.set_skills(curator, [])
    assert services.who_knows(base.skill.slug) and all(e.user.id != curator.id for e in services.who_knows(base.skill.slug))


def test_reputation_counts_what_others_valued_not_posting(base):
    employee = base.users["employee"]
    before = services.reputation(employee)
    assert before.points == 0
    world = build_world(base)  # employee asked a question and posted a retro-free thread: no points
    assert services.reputation(employee).points == 0
    leader = services.reputation(base.users["leader"])
    # leader: one published Quick Learn (10) and one accepted answer (15)
    assert (leader.items_published, leader.accepted_answers, leader.points) == (1, 1, 25)
    discussions.toggle_vote(world.answer, employee)
    catalog.vote_helpful(employee, base.quick_learn, True)
    catalog.vote_helpful(base.users["admin"], base.quick_learn, False)  # "not helpful" earns nothing
    assert services.reputation(base.users["leader"]).points == 25 + 2 + 1
    discussions.delete_post(world.answer)
    assert services.reputation(base.users["leader"]).points == 10 + 1  # removed posts stop counting


def test_badges_follow_their_rules(base):
    leader = base.users["leader"]
    assert ("First Quick Learn", services.BADGES["first_quick_learn"][1]) in services.reputation(leader).badges
    assert services.BADGES["champion"] in services.reputation(base.users["champion"]).badges
    assert services.BADGES["champion"] not in services.reputation(base.users["employee"]).badges
    leader.skills = [base.skill]
    db.session.commit()
    endorsers = [factories.user(f"e{i}@test.example", f"Endorser {i}", None) for i in range(10)]
    db.session.commit()
    for i, endorser in enumerate(endorsers):
        if i == 9:
            assert services.BADGES["ten_endorsements"] not in services.reputation(leader).badges
        endorse(endorser, leader, base.skill)
    assert services.BADGES["ten_endorsements"] in services.reputation(leader).badges
    world = build_world(base)
    for n in range(4):
        thread = discussions.create_thread(world.space, base.users["employee"], discussions.ThreadData("question", f"Q{n}", "?", []))
        discussions.accept(thread, discussions.reply(thread, leader, "A"))
    assert services.BADGES["five_accepted"] in services.reputation(leader).badges
