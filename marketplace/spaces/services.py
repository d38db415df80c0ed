"""Space rules: creation, membership, lifecycle, listing and export.

Discussions live in discussions.py, retros and experiments in retros.py, harvesting in harvesting.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import User
from marketplace.catalog.models import KPI, Skill
from marketplace.curation.services import claims_slugs, unique_slug
from marketplace.extensions import db
from marketplace.notifications.services import notify
from marketplace.policy import can
from marketplace.spaces.membership import (  # noqa: F401  (re-exported for search, people and tests)
    listed_spaces_clause,
    membership_of,
    remember_memberships,
    visible_spaces_clause,
)
from marketplace.spaces.models import Membership, Post, Space, Thread
from marketplace.timeutil import today, utcnow

REOPEN_DAYS = 30


class SpaceError(ValueError):
    """A space rule was broken; the message is shown to the person."""


# ------------------------------------------------------------------ visibility

# Membership lookups live in marketplace/spaces/membership.py, below both the policy and this module.
# Search (issue 5) indexes threads as "thread:<id>" documents (marketplace/search/discussions.py) and
# filters them by visible_spaces_clause(viewer) on every search, before any title, snippet or count exists.


# ------------------------------------------------------------------- lifecycle


def _archive_if_due(space: Space, on: date) -> bool:
    if space.status == "active" and space.ends_on is not None and space.ends_on <= on:
        space.status, space.archived_at = "archived", utcnow()
        return True
    return False


def archive_due(on: date | None = None) -> int:
    """Archive every active space whose end date has come; return how many."""
    on = on or today()
    due = db.session.scalars(select(Space).where(Space.status == "active", Space.ends_on <= on))
    count = sum(_archive_if_due(space, on) for space in due)
    db.session.commit()
    return count


def space_by_slug(slug: str) -> Space | None:
    """Load a space; reading never writes (a space past its end date reads as archived until the job archives it)."""
    return db.session.scalar(select(Space).where(Space.slug == slug))


def archive(space: Space) -> None:
    """Active or permanent → archived: read-only, still readable under its visibility."""
    if space.status == "archived":
        raise SpaceError("This space is already archived.")
    space.status, space.archived_at = "archived", utcnow()
    db.session.commit()


def reopen(space: Space, on: date | None = None) -> None:
    """Archived → active; a passed end date moves out so the space does not archive again at once."""
    if not space.is_archived:
        raise SpaceError("Only an archived space can be reopened.")
    on = on or today()
    if space.ends_on is not None and space.ends_on <= on:
        space.ends_on = on + timedelta(days=REOPEN_DAYS)
    space.status, space.archived_at = "active", None
    db.session.commit()


def make_permanent(space: Space) -> None:
    """Active or archived → permanent community of practice, with no end date."""
    if space.status == "permanent":
        raise SpaceError("This space is already permanent.")
    space.status, space.ends_on, space.archived_at = "permanent", None, None
    db.session.commit()


# ---------------------------------------------------------------- creation


@dataclass
class SpaceData:
    name: str
    problem: str
    kpi_id: int | None
    skill_ids: list[int]
    visibility: str
    chatham_house: bool
    ends_on: date | None
    invite_ids: list[int] = field(default_factory=list)


def space_link(space: Space) -> str:
    return f"/spaces/{space.slug}"


def thread_link(thread: Thread) -> str:
    return f"/spaces/{thread.space.slug}/threads/{thread.id}"


@claims_slugs
def create_space(data: SpaceData, host: User) -> Space:
    """Open a space with its host, a pinned "why we are here" post and the first invitations."""
    if data.ends_on is not None and data.ends_on <= today():
        raise SpaceError("The end date must be in the future.")
    kpi = db.session.get(KPI, data.kpi_id) if data.kpi_id else None
    space = Space(
        slug=unique_slug(Space, data.name), name=data.name.strip(), problem=data.problem.strip(), kpi=kpi,
        department_id=(kpi.department_id if kpi else None) or host.department_id,
        visibility=data.visibility, chatham_house=data.chatham_house, ends_on=data.ends_on, created_by=host,
        skills=list(db.session.scalars(select(Skill).where(Skill.id.in_(data.skill_ids)))) if data.skill_ids else [],
    )
    space.memberships.append(Membership(user_id=host.id, role="host", state="active"))
    db.session.add(space)
    db.session.flush()
    pinned = Thread(space=space, kind="pinned", title="Why we are here", author=host, pinned=True)
    pinned.posts.append(Post(author=host, is_opening=True, body=_why_we_are_here(space)))
    db.session.add(pinned)
    invite(space, host, data.invite_ids, commit=False)
    db.session.commit()
    return space


def _why_we_are_here(space: Space) -> str:
    lines = [space.problem]
    if space.kpi:
        lines.append(f"**The KPI we serve:** {space.kpi.name}.")
    if space.ends_on:
        lines.append(f"We aim to wrap up by {space.ends_on.isoformat()}; then we keep what we learned.")
    return "\n\n".join(lines)


# ------------------------------------------------------------------ membership


def invite(space: Space, inviter: User, user_ids: list[int], commit: bool = True) -> int:
    """Invite people (new, or who declined before) and notify them; return how many were invited."""
    count = 0
    for user_id in dict.fromkeys(user_ids):
        user = db.session.get(User, user_id)
        if user is None or not user.active:
            continue
        member = membership_of(user, space)
        if member is not None and member.state not in {"declined", "requested"}:
            continue
        if member is None:
            member = Membership(space_id=space.id, user_id=user.id, role="member")
            db.session.add(member)
        # A pending request is answered by the invitation itself.
        member.state = "active" if member.state == "requested" else "invited"
        member.invited_by_id = inviter.id
        notify(user.id, f"{name_for(user, space, inviter)} invited you to the space “{space.name}”.", "/spaces#invitations")
        count += 1
    if commit:
        db.session.commit()
    return count


def answer_invitation(space: Space, user: User, accept: bool) -> None:
    """Accept or decline a pending invitation."""
    member = membership_of(user, space)
    if member is None or member.state != "invited":
        raise SpaceError("There is no pending invitation.")
    member.state = "active" if accept else "declined"
    if accept and member.invited_by_id:
        notify(member.invited_by_id, f"{user.name} joined “{space.name}”.", space_link(space))
    db.session.commit()


def join(space: Space, user: User) -> str:
    """Join an open space at once, or ask the hosts of a members-only space; return the new state."""
    if space.visibility == "private":
        raise SpaceError("Private spaces are by invitation only.")
    member = membership_of(user, space) or Membership(space_id=space.id, user_id=user.id, role="member")
    db.session.add(member)
    member.state = "active" if space.visibility == "open" else "requested"
    if member.state == "requested":
        for host in hosts(space):
            notify(host.id, f"{user.name} asked to join “{space.name}”.", space_link(space) + "#members")
    db.session.commit()
    return member.state


def approve(space: Space, user_id: int) -> None:
    """A host lets a person who asked into a members-only space."""
    member = db.session.scalar(select(Membership).where(Membership.space_id == space.id, Membership.user_id == user_id))
    if member is None or member.state != "requested":
        raise SpaceError("That person has not asked to join.")
    member.state = "active"
    notify(user_id, f"You are now a member of “{space.name}”.", space_link(space))
    db.session.commit()


def remove_member(space: Space, user_id: int) -> None:
    """Remove a person (or withdraw their invitation); the last host cannot be removed."""
    member = db.session.scalar(select(Membership).where(Membership.space_id == space.id, Membership.user_id == user_id))
    if member is None:
        raise SpaceError("That person is not in this space.")
    if member.is_host and len(hosts(space)) == 1:
        raise SpaceError("A space needs at least one host.")
    db.session.delete(member)
    db.session.commit()


def hosts(space: Space) -> list[User]:
    """The space's active hosts."""
    query = select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.space_id == space.id, Membership.role == "host", Membership.state == "active"
    )
    return list(db.session.scalars(query.order_by(User.name)))


def memberships(space: Space) -> list[Membership]:
    """Everyone attached to the space: hosts first, then members, then pending."""
    order = {"active": 0, "requested": 1, "invited": 2, "declined": 3}
    rows = db.session.scalars(
        select(Membership).where(Membership.space_id == space.id).options(selectinload(Membership.user))
    )
    return sorted(rows, key=lambda m: (order.get(m.state, 9), m.role != "host", m.user.name))


def pending_invitations(user: User) -> list[Membership]:
    """Spaces that invited the user and await an answer."""
    query = select(Membership).where(Membership.user_id == user.id, Membership.state == "invited")
    return list(db.session.scalars(query.options(selectinload(Membership.space))))


# -------------------------------------------------------------------- listing


@dataclass
class SpaceSummary:
    space: Space
    members: int
    posts: int
    my_state: str | None


def spaces_overview(viewer: User, matching: ColumnElement[bool] | None = None) -> dict[str, list[SpaceSummary]]:
    """Spaces the viewer may see listed (and `matching`, if given), grouped as active, permanent and archived."""
    query = select(Space).where(listed_spaces_clause(viewer)).order_by(Space.last_activity_at.desc())
    spaces = list(db.session.scalars(query if matching is None else query.where(matching)))
    ids = [s.id for s in spaces]
    members = dict(db.session.execute(
        select(Membership.space_id, func.count()).where(Membership.space_id.in_(ids), Membership.state == "active")
        .group_by(Membership.space_id)
    ).all())
    posts = dict(db.session.execute(
        select(Thread.space_id, func.count(Post.id)).join(Post, Post.thread_id == Thread.id)
        .where(Thread.space_id.in_(ids), Post.deleted_at.is_(None)).group_by(Thread.space_id)
    ).all())
    remember_memberships(viewer, spaces)  # one query answers every policy check the page makes
    groups: dict[str, list[SpaceSummary]] = {"active": [], "permanent": [], "archived": []}
    for space in spaces:
        mine = membership_of(viewer, space)
        summary = SpaceSummary(space, members.get(space.id, 0), posts.get(space.id, 0), mine.state if mine else None)
        groups[space.display_status].append(summary)
    return groups


# --------------------------------------------------------------------- naming


def name_for(recipient: User | None, space: Space, person: User) -> str:
    """How a notification names someone: in Chatham House spaces, only members learn who it was."""
    if space.chatham_house and not (recipient is not None and can(recipient, "see_member_names", space)):
        return "A member of the space" if person.id != getattr(recipient, "id", None) else "You"
    return person.name


# --------------------------------------------------------------------- export


def _lines(text: str) -> str:
    """Browser line endings (\r\n) as plain newlines, so the export has no stray carriage returns."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def export_markdown(space: Space) -> str:
    """The space's discussions as markdown; authors are left out in Chatham House mode."""
    lines = [f"# {space.name}", "", _lines(space.problem), ""]
    threads = db.session.scalars(
        select(Thread).where(Thread.space_id == space.id).order_by(Thread.id).options(selectinload(Thread.posts))
    )
    for thread in threads:
        kind = "" if thread.kind_label == thread.title else f" ({thread.kind_label})"  # no "Why we are here (Why we are here)"
        lines += [f"## {thread.title}{kind}", ""]
        if thread.kind == "retro":
            lines += ["**What?** " + _lines(thread.retro_what), "", "**So what?** " + _lines(thread.retro_so_what), "",
                      "**Now what?** " + _lines(thread.retro_now_what), ""]
        for post in thread.posts:
            if post.is_removed or post.is_hidden or not post.body:
                continue
            who = "" if space.chatham_house or post.author is None else f"**{post.author.name}**: "
            mark = "✔ accepted answer: " if post.accepted else ""
            lines += [f"{'> ' if post.parent_id else ''}{mark}{who}{' '.join(post.body.split())}", ""]
    return "\n".join(lines)
