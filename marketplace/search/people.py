"""Who knows X? People ranked for a skill."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.catalog.models import Item, Skill, item_skills
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


def who_knows(skill_slug: str, limit: int = 10) -> list[Expert]:
    """Active people ranked by skill match, then by published items owned with that skill."""
    skill = skill_by_slug(skill_slug)
    if skill is None:
        return []
    owned = dict(
        db.session.execute(
            select(Item.owner_id, func.count(Item.id))
            .join(item_skills, item_skills.c.item_id == Item.id)
            .where(item_skills.c.skill_id == skill.id, Item.status == "published", Item.owner_id.is_not(None))
            .group_by(Item.owner_id)
        ).tuples().all()
    )
    declared = _declared(skill.id)
    ids = set(owned) | declared
    users = db.session.scalars(select(User).where(User.id.in_(ids), User.active.is_(True))) if ids else []
    experts = [Expert(user, user.id in declared, owned.get(user.id, 0)) for user in users]
    experts.sort(key=lambda e: (-e.score, e.user.name))
    return experts[:limit]


def _declared(skill_id: int) -> set[int]:
    table = db.metadata.tables.get(USER_SKILLS_TABLE)
    if table is None or "user_id" not in table.c or "skill_id" not in table.c:
        return set()
    return set(db.session.scalars(select(table.c.user_id).where(table.c.skill_id == skill_id)))
