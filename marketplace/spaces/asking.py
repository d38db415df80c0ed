"""Somewhere to ask: the open spaces that match a question, and the company-wide Q&A space."""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.policy import can
from marketplace.spaces import discussions, services
from marketplace.spaces.membership import (
    active_space_ids,
    listed_spaces_clause,
    visible_spaces_clause,
)
from marketplace.spaces.models import Membership, Space, Thread
from marketplace.timeutil import today

COMPANY_QA_SLUG = "ask-the-company"
COMPANY_QA_NAME = "Ask the company"
COMPANY_QA_PROBLEM = (
    "Questions anyone can ask and anyone can answer, for the moments no other space fits. "
    "Every employee can post here; good answers are harvested into job aids."
)
MAX_WORDS = 8


def words(text: str) -> list[str]:
    """The query's meaningful words (three letters or more, lower case, at most MAX_WORDS)."""
    found = [w.lower() for w in re.findall(r"[\w-]{3,}", text or "")]
    return list(dict.fromkeys(found))[:MAX_WORDS]


def _like(column, word: str) -> ColumnElement[bool]:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


def matches_clause(text: str, viewer: User) -> ColumnElement[bool]:
    """SQL: spaces whose name (or problem, where the viewer may read it) has every word of the text."""
    terms = words(text)
    if not terms:
        return literal(True)
    readable = visible_spaces_clause(viewer)
    return and_(*(or_(_like(Space.name, w), and_(readable, _like(Space.problem, w))) for w in terms))


def _open_for_questions(viewer: User) -> ColumnElement[bool]:
    not_due = or_(Space.ends_on.is_(None), Space.ends_on > today())
    writable = or_(Space.status == "permanent", and_(Space.status == "active", not_due))
    return and_(writable, or_(Space.visibility == "open", Space.id.in_(active_space_ids(viewer))))


def best_spaces(viewer: User, text: str, limit: int = 3) -> list[Space]:
    """Open (or the viewer's own) writable spaces, best match for the text first: name hits weigh double."""
    terms = words(text)
    if not terms:
        return []
    score = sum((case((_like(Space.name, w), 2), else_=0) + case((_like(Space.problem, w), 1), else_=0)) for w in terms)
    query = (
        select(Space).where(_open_for_questions(viewer), listed_spaces_clause(viewer), Space.slug != COMPANY_QA_SLUG)
        .where(score > 0).order_by(score.desc(), Space.last_activity_at.desc()).limit(limit)
    )
    return list(db.session.scalars(query))


def company_qa_space() -> Space | None:
    """The company-wide Q&A space, if anyone has asked there yet (it is created by the first question)."""
    return db.session.scalar(select(Space).where(Space.slug == COMPANY_QA_SLUG))


def ensure_company_qa_space() -> Space:
    """The company-wide Q&A space: open, permanent, no end date; created on first use."""
    space = company_qa_space()
    if space is None:
        space = Space(slug=COMPANY_QA_SLUG, name=COMPANY_QA_NAME, problem=COMPANY_QA_PROBLEM,
                      visibility="open", status="permanent")
        db.session.add(space)
        db.session.flush()
    return space


def ask(asker: User, space: Space | None, title: str, body: str) -> Thread:
    """Ask a question in an open space (joining it on the way) or in the company Q&A space."""
    space = space or ensure_company_qa_space()
    if not can(asker, "ask_in_space", space):
        raise services.SpaceError("You can't ask in that space; choose another or ask the whole company.")
    member = services.membership_of(asker, space)
    if member is None or not member.is_active:
        member = member or Membership(space_id=space.id, user_id=asker.id, role="member")
        member.state = "active"
        db.session.add(member)
    data = discussions.ThreadData("question", title.strip(), (body or "").strip() or title.strip())
    return discussions.create_thread(space, asker, data)
