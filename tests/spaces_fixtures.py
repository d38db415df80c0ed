"""A private space with a host, a member, an invitee and outsiders, for the spaces tests."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.spaces import discussions, retros, services
from marketplace.spaces.models import Experiment, Post, Space, Thread
from tests.factories import Base

# Membership role → the base user who plays it.
PLAYERS = {"host": "leader", "member": "employee", "invited": "curator", "non-member": "champion", "admin": "admin"}


@dataclass
class World:
    base: Base
    space: Space
    thread: Thread
    answer: Post
    experiment: Experiment


def space_data(**overrides) -> services.SpaceData:
    """Sensible defaults for a new space."""
    values = {
        "name": "Refund rules swarm", "problem": "Agents give different refund answers.", "kpi_id": None,
        "skill_ids": [], "visibility": "private", "chatham_house": False, "ends_on": None, "invite_ids": [],
    }
    return services.SpaceData(**{**values, **overrides})


def build_world(base: Base, **overrides) -> World:
    """Leader hosts a private space; the employee joined and asked; the leader's answer is accepted."""
    users = base.users
    space = services.create_space(
        space_data(kpi_id=base.kpi2.id, skill_ids=[base.skill.id], invite_ids=[users["employee"].id, users["curator"].id], **overrides),
        users["leader"],
    )
    services.answer_invitation(space, users["employee"], True)
    thread = discussions.create_thread(
        space, users["employee"], discussions.ThreadData("question", "How do refunds work?", "Which form do I use?", [base.skill.id])
    )
    answer = discussions.reply(thread, users["leader"], "Use the **refund** form.")
    discussions.accept(thread, answer)
    retros.create_retro(space, users["leader"], retros.RetroData("We argued.", "Customers wait.", "- Write one rule", None))
    experiment = retros.experiments(space)[0]
    return World(base, space, thread, answer, experiment)
