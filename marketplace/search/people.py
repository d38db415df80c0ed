"""Who knows X? People ranked for a skill."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.catalog.models import Skill
from marketplace.extensions import db
from marketplace.search.schema import fold

# The spaces issue adds endorsements and accepted answers; until a users-skills table
# exists, people rank by the published items they own that teach the skill.
USER_SKILLS_TABLE = "user_skills"


@dataclass
class Expert:
    user: User
    declared: bool  # lists the skill on their profile
    items: int  # published items they own with the skill

    @property
    def score(self) -> int:
        return (3 if self.declared else 0) + self.items


def skill_by_slug(slug: str) -> Skill | None:
    """Load a skill by slug."""
    return db.session.scalar(select(Skill).where(Skill.slug == slug))


def skills_matching(text: str, limit: int = 5) -> list[Skill]:
    """Skills whose name contains every typed word (so "expen pol" finds "Expense policy")."""
    words = [w for w in fold(text).split() if w][:5]
    if not words:
        return []
    query = select(Skill).order_by(Skill.name).limit(limit)
    for word in words:
        query = query.where(func.lower(Skill.name).contains(word, autoescape=True))
    return list(db.session.scalars(query))


def who_knows(skill_slug: str, limit: int = 10) -> list:
    """People ranked by evidence for a skill: delegates to the spaces issue's ranking (marketplace.people)."""
    from marketplace.people.services import who_knows as ranked

    # No viewer: accepted answers count only in open spaces, so search never leaks private ones.
    return ranked(skill_slug, viewer=None, limit=limit)


def _declared(skill_id: int) -> set[int]:
    table = db.metadata.tables.get(USER_SKILLS_TABLE)
    if table is None or "user_id" not in table.c or "skill_id" not in table.c:
        return set()
    return set(db.session.scalars(select(table.c.user_id).where(table.c.skill_id == skill_id)))
