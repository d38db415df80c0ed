"""Retros ("What? So what? Now what?") and the experiments they plan."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.spaces.discussions import touch
from marketplace.spaces.models import Experiment, Post, Space, Thread
from marketplace.spaces.services import SpaceError
from marketplace.timeutil import today


@dataclass
class RetroData:
    what: str
    so_what: str
    now_what: str
    due_on: date | None


def now_what_lines(text: str) -> list[str]:
    """Each non-empty line of "Now what?", without list markers, is one experiment."""
    lines = (re.sub(r"^\s*(?:[-*+]|\d+[.)])\s*", "", line).strip() for line in text.splitlines())
    return [line[:300] for line in lines if line]


def create_retro(space: Space, author: User, data: RetroData) -> Thread:
    """Post a "What? So what? Now what?" retro; every "Now what" becomes a planned experiment."""
    actions = now_what_lines(data.now_what)
    if not actions:
        raise SpaceError("Write at least one “Now what?” line: it becomes an experiment.")
    thread = Thread(
        space=space, kind="retro", title=f"Retro {today().isoformat()}", author=author,
        retro_what=data.what, retro_so_what=data.so_what, retro_now_what=data.now_what,
    )
    thread.posts.append(Post(author=author, is_opening=True, body=""))
    db.session.add(thread)
    db.session.flush()
    for action in actions:
        db.session.add(Experiment(space_id=space.id, thread_id=thread.id, title=action, owner_id=author.id, due_on=data.due_on))
    touch(space, thread)
    db.session.commit()
    return thread


def experiments(space: Space) -> list[Experiment]:
    """The space's experiments, soonest due first."""
    query = select(Experiment).where(Experiment.space_id == space.id).options(selectinload(Experiment.owner))
    return sorted(db.session.scalars(query), key=lambda e: (e.due_on or date.max, e.id))


def experiment_in(space: Space, experiment_id: int) -> Experiment | None:
    """An experiment of this space, or None."""
    experiment = db.session.get(Experiment, experiment_id)
    return experiment if experiment is not None and experiment.space_id == space.id else None


def update_experiment(experiment: Experiment, status: str, owner_id: int | None = None, due_on: date | None = None) -> None:
    """Move an experiment along (planned, running, kept, dropped), or change its owner or due date."""
    experiment.status = status
    if owner_id:
        experiment.owner_id = owner_id
    if due_on:
        experiment.due_on = due_on
    db.session.commit()


def retros(space: Space) -> list[Thread]:
    """The space's retros, newest first."""
    query = select(Thread).where(Thread.space_id == space.id, Thread.kind == "retro").order_by(Thread.id.desc())
    return list(db.session.scalars(query))
