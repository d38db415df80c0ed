"""Expertise location, skills, endorsements and reputation: all computed from evidence."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select

from marketplace.accounts.models import User, user_skills
from marketplace.catalog.models import HelpfulVote, Item, Skill
from marketplace.extensions import db
from marketplace.people.models import Endorsement
from marketplace.spaces.membership import attributable_spaces_clause
from marketplace.spaces.models import Post, Space, Thread, thread_skills

# Ranking weights: a published item is more evidence than an endorsement.
WEIGHTS = {"endorsement": 1, "item": 3, "accepted_answer": 2}
# Reputation points come only from what others valued, never from posting.
POINTS = {"item_published": 10, "accepted_answer": 15, "upvote": 2, "helpful_vote": 1}
BADGES = {
    "first_quick_learn": ("First Quick Learn", "Published your first Quick Learn."),
    "five_accepted": ("Five accepted answers", "Five of your answers were accepted by the person who asked or a host."),
    "ten_endorsements": ("Ten endorsements on one skill", "Ten colleagues endorsed you for the same skill."),
    "champion": ("Champion", "You champion learning for a department."),
}
DEFAULT_LIMIT = 20
ITEM_NOUNS = {"job_aid": "job aid", "checklist": "checklist", "quick_learn": "Quick Learn"}


def _plural(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"


@dataclass
class Expert:
    """One person in a "who knows X?" answer, with the evidence behind the rank."""

    user: User
    endorsements: int = 0
    item_counts: Counter = field(default_factory=Counter)  # published items by type
    accepted_answers: int = 0
    lists_skill: bool = False

    @property
    def items(self) -> int:
        """Published items of every type (the search tab shows this total)."""
        return sum(self.item_counts.values())

    @property
    def declared(self) -> bool:
        """Lists the skill on their profile (the name the search tab uses)."""
        return self.lists_skill

    @property
    def score(self) -> int:
        return (
            WEIGHTS["endorsement"] * self.endorsements
            + WEIGHTS["item"] * self.items
            + WEIGHTS["accepted_answer"] * self.accepted_answers
        )

    @property
    def reasons(self) -> list[str]:
        parts = [_plural(self.endorsements, "endorsement")] if self.endorsements else []
        for kind, n in sorted(self.item_counts.items()):
            parts.append(f"{n} published {ITEM_NOUNS.get(kind, kind)}{'' if n == 1 else 's'}")
        if self.accepted_answers:
            parts.append(_plural(self.accepted_answers, "accepted answer"))
        return parts

    @property
    def explanation(self) -> str:
        if self.reasons:
            return " · ".join(self.reasons)
        return "Lists this skill; no evidence yet" if self.lists_skill else "Chosen to invite"


def skill_by_slug(slug: str | None) -> Skill | None:
    """The skill with this slug, if any."""
    return db.session.scalar(select(Skill).where(Skill.slug == slug)) if slug else None


def all_skills() -> list[Skill]:
    """Every skill, by name."""
    return list(db.session.scalars(select(Skill).order_by(Skill.name)))


def who_knows(skill_slug: str, viewer: User | None = None, limit: int = DEFAULT_LIMIT) -> list[Expert]:
    """People ranked by evidence for a skill (never the viewer); answers count only where the viewer may attribute them."""
    skill = skill_by_slug(skill_slug)
    if skill is None:
        return []
    experts: dict[int, Expert] = {}

    def expert(user_id: int) -> Expert:
        return experts.setdefault(user_id, Expert(user=None))  # type: ignore[arg-type]

    for user_id in db.session.scalars(select(user_skills.c.user_id).where(user_skills.c.skill_id == skill.id)):
        expert(user_id).lists_skill = True
    endorsed = select(Endorsement.user_id, func.count()).where(Endorsement.skill_id == skill.id).group_by(Endorsement.user_id)
    for user_id, n in db.session.execute(endorsed):
        expert(user_id).endorsements = n
    items = (
        select(Item.owner_id, Item.type, func.count())
        .where(Item.status == "published", Item.owner_id.is_not(None), Item.skills.any(Skill.id == skill.id))
        .group_by(Item.owner_id, Item.type)
    )
    for user_id, kind, n in db.session.execute(items):
        expert(user_id).item_counts[kind] = n
    answers = (
        select(Post.author_id, func.count())
        .join(Thread, Thread.id == Post.thread_id)
        .join(Space, Space.id == Thread.space_id)
        .join(thread_skills, thread_skills.c.thread_id == Thread.id)
        .where(Post.accepted.is_(True), Post.deleted_at.is_(None), Post.author_id.is_not(None))
        .where(thread_skills.c.skill_id == skill.id, attributable_spaces_clause(viewer))
        .group_by(Post.author_id)
    )
    for user_id, n in db.session.execute(answers):
        expert(user_id).accepted_answers = n
    experts.pop(getattr(viewer, "id", None), None)  # nobody is their own expert
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(experts), User.active.is_(True)))}
    ranked = [e for uid, e in experts.items() if uid in users]
    for user_id, e in experts.items():
        e.user = users.get(user_id)  # type: ignore[assignment]
    ranked.sort(key=lambda e: (-e.score, -e.endorsements, e.user.name))
    return ranked[:limit]


def set_skills(user: User, skill_ids: list[int]) -> None:
    """Replace the skills a person lists on their profile."""
    user.skills = list(db.session.scalars(select(Skill).where(Skill.id.in_(skill_ids)))) if skill_ids else []
    db.session.flush()
    # Endorsements of a skill no longer listed are withdrawn, so counts match the profile.
    listed = [s.id for s in user.skills]
    db.session.execute(delete(Endorsement).where(Endorsement.user_id == user.id, Endorsement.skill_id.not_in(listed)))
    db.session.commit()


def toggle_endorsement(endorser: User, user: User, skill: Skill) -> bool:
    """Endorse a listed skill, or withdraw an existing endorsement; return whether it now stands."""
    existing = db.session.scalar(
        select(Endorsement).where(
            Endorsement.user_id == user.id, Endorsement.skill_id == skill.id, Endorsement.endorser_id == endorser.id
        )
    )
    if existing is not None:
        db.session.delete(existing)
        db.session.commit()
        return False
    if skill not in user.skills:
        raise ValueError("You can only endorse a skill the person lists.")
    db.session.add(Endorsement(user_id=user.id, skill_id=skill.id, endorser_id=endorser.id))
    from marketplace.notifications.services import notify

    notify(user.id, f"{endorser.name} endorsed you for {skill.name}.", f"/people/{user.id}")
    from marketplace.impact.recording import endorsed

    endorsed(endorser, user, skill)
    db.session.commit()
    return True


@dataclass
class SkillLine:
    skill: Skill
    endorsements: int
    mine: bool


def skill_lines(user: User, viewer: User | None) -> list[SkillLine]:
    """The person's listed skills with endorsement counts and whether the viewer endorsed each."""
    counts = dict(
        db.session.execute(
            select(Endorsement.skill_id, func.count()).where(Endorsement.user_id == user.id).group_by(Endorsement.skill_id)
        ).all()
    )
    mine: set[int] = set()
    if viewer is not None:
        mine = set(db.session.scalars(
            select(Endorsement.skill_id).where(Endorsement.user_id == user.id, Endorsement.endorser_id == viewer.id)
        ))
    return [SkillLine(s, counts.get(s.id, 0), s.id in mine) for s in user.skills]


@dataclass
class Reputation:
    """Points and badges, each traceable to evidence."""

    items_published: int
    accepted_answers: int
    upvotes: int
    helpful_votes: int
    badges: list[tuple[str, str]]

    @property
    def points(self) -> int:
        return (
            POINTS["item_published"] * self.items_published
            + POINTS["accepted_answer"] * self.accepted_answers
            + POINTS["upvote"] * self.upvotes
            + POINTS["helpful_vote"] * self.helpful_votes
        )


def _attributable_posts(viewer: User | None):
    """SQL: ids of posts in spaces where the viewer may see who wrote them."""
    return select(Post.id).join(Thread, Thread.id == Post.thread_id).join(Space, Space.id == Thread.space_id).where(
        attributable_spaces_clause(viewer)
    )


def reputation(user: User, viewer: User | None = None) -> Reputation:
    """Reputation from what others valued; space activity counts only where `viewer` (default: the person) may see it."""
    published = Item.owner_id == user.id, Item.status == "published"
    items = db.session.scalar(select(func.count(Item.id)).where(*published)) or 0
    quick_learns = db.session.scalar(select(func.count(Item.id)).where(*published, Item.type == "quick_learn")) or 0
    live_posts = Post.author_id == user.id, Post.deleted_at.is_(None), Post.id.in_(_attributable_posts(viewer or user))
    accepted = db.session.scalar(select(func.count(Post.id)).where(*live_posts, Post.accepted.is_(True))) or 0
    upvotes = db.session.scalar(select(func.coalesce(func.sum(Post.score), 0)).where(*live_posts)) or 0
    helpful = db.session.scalar(
        select(func.count(HelpfulVote.id)).join(Item, Item.id == HelpfulVote.item_id)
        .where(Item.owner_id == user.id, HelpfulVote.helpful.is_(True))
    ) or 0
    top_endorsed = db.session.scalar(
        select(func.count()).select_from(Endorsement).where(Endorsement.user_id == user.id)
        .group_by(Endorsement.skill_id).order_by(func.count().desc()).limit(1)
    ) or 0
    earned = {
        "first_quick_learn": quick_learns >= 1,
        "five_accepted": accepted >= 5,
        "ten_endorsements": top_endorsed >= 10,
        "champion": user.is_champion,
    }
    badges = [BADGES[key] for key, on in earned.items() if on]
    return Reputation(items, accepted, int(upvotes), helpful, badges)


def get_person(user_id: int) -> User | None:
    """An active person by id."""
    user = db.session.get(User, user_id)
    return user if user is not None and user.active else None



def all_people() -> list[User]:
    """Every active person, by name."""
    return list(db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.name)))


def ids_for_emails(text: str) -> list[int]:
    """Ids of active people whose e-mail addresses appear in a comma- or space-separated list."""
    emails = {e.strip().lower() for e in text.replace(";", ",").replace(" ", ",").split(",") if e.strip()}
    if not emails:
        return []
    query = select(User.id).where(func.lower(User.email).in_(emails), User.active.is_(True))
    return list(db.session.scalars(query))


@dataclass
class Membership:
    """A space on a profile: only spaces the viewer may read are shown."""

    name: str
    slug: str
    role: str


def visible_spaces_of(user: User, viewer: User) -> list[Membership]:
    """The person's active memberships in spaces where the viewer may see who takes part."""
    from marketplace.spaces.models import Membership as Row

    query = (
        select(Space.name, Space.slug, Row.role).join(Row, Row.space_id == Space.id)
        .where(Row.user_id == user.id, Row.state == "active", attributable_spaces_clause(viewer))
        .order_by(Space.name)
    )
    return [Membership(*row) for row in db.session.execute(query)]
