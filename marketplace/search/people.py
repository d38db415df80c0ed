"""Who knows X? from the search box: the skills a query names, ranked by marketplace.people."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.catalog.models import Skill
from marketplace.extensions import db
from marketplace.search.schema import fold


def skills_matching(text: str, limit: int = 5) -> list[Skill]:
    """Skills whose name contains every typed word (so "expen pol" finds "Expense policy")."""
    words = [w for w in fold(text).split() if w][:5]
    if not words:
        return []
    query = select(Skill).order_by(Skill.name).limit(limit)
    for word in words:
        query = query.where(func.lower(Skill.name).contains(word, autoescape=True))
    return list(db.session.scalars(query))


def who_knows(skill_slug: str, viewer: User, limit: int = 10) -> list:
    """The same ranking, evidence and exclusions as /people (one rule, marketplace.people.services)."""
    from marketplace.people.services import who_knows as ranked

    return ranked(skill_slug, viewer=viewer, limit=limit)
