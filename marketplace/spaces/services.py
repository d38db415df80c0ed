"""Space rules: creation, membership, discussions, retros, lifecycle and harvesting."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import User
from marketplace.catalog.models import KPI, Item, Moment, Skill
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
from marketplace.spaces.models import Experiment, Membership, Post, PostVote, Space, Thread
from marketplace.timeutil import today, utcnow

REOPEN_DAYS = 30
MENTION = re.compile(r"(?<![\w.@])@([a-z0-9](?:[a-z0-9._-]*[a-z0-9])?)", re.IGNORECASE)
REMOVED_TEXT = "This post was removed by its author."


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
        notify(user.id, f"{_name_for(user, space, inviter)} invited you to the space “{space.name}”.", "/spaces#invitations")
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


# ---------------------------------------------------------------- discussions


@dataclass
class ThreadData:
    kind: str
    title: str
    body: str
    skill_ids: list[int] = field(default_factory=list)


@dataclass
class ThreadRow:
    thread: Thread
    votes: int
    replies: int


def _touch(space: Space, thread: Thread | None = None) -> None:
    now = utcnow()
    space.last_activity_at = now
    if thread is not None:
        thread.last_activity_at = now


def thread_rows(space: Space, sort: str = "votes") -> list[ThreadRow]:
    """The space's threads, pinned first, then by votes or newest."""
    opening = select(Post.thread_id, Post.score).where(Post.is_opening.is_(True)).subquery()
    replies = (
        select(Post.thread_id, func.count(Post.id).label("n"))
        .where(Post.is_opening.is_(False), Post.deleted_at.is_(None)).group_by(Post.thread_id).subquery()
    )
    votes = func.coalesce(opening.c.score, 0)
    order = [votes.desc(), Thread.last_activity_at.desc()] if sort == "votes" else [Thread.created_at.desc()]
    query = (
        select(Thread, votes, func.coalesce(replies.c.n, 0))
        .outerjoin(opening, opening.c.thread_id == Thread.id)
        .outerjoin(replies, replies.c.thread_id == Thread.id)
        .where(Thread.space_id == space.id)
        .order_by(Thread.pinned.desc(), *order, Thread.id.desc())
        .options(selectinload(Thread.author), selectinload(Thread.skills))
    )
    return [ThreadRow(t, int(v), int(n)) for t, v, n in db.session.execute(query)]


def thread_in(space: Space, thread_id: int) -> Thread | None:
    """A thread of this space, or None (a thread of another space is not found here)."""
    thread = db.session.get(Thread, thread_id)
    return thread if thread is not None and thread.space_id == space.id else None


def post_in(thread: Thread, post_id: int) -> Post | None:
    """A post of this thread, or None."""
    post = db.session.get(Post, post_id)
    return post if post is not None and post.thread_id == thread.id else None


def opening_post(thread: Thread) -> Post:
    """The thread's first post."""
    return db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.is_opening.is_(True)))


def _skills(ids: list[int]) -> list[Skill]:
    return list(db.session.scalars(select(Skill).where(Skill.id.in_(ids)))) if ids else []


def create_thread(space: Space, author: User, data: ThreadData) -> Thread:
    """Start a question or discussion; mentioned people are notified."""
    if data.kind not in {"question", "discussion"}:
        raise SpaceError("Choose question or discussion.")
    thread = Thread(space=space, kind=data.kind, title=data.title.strip(), author=author, skills=_skills(data.skill_ids))
    post = Post(author=author, is_opening=True, body=data.body)
    thread.posts.append(post)
    db.session.add(thread)
    _touch(space, thread)
    db.session.flush()
    _notify_mentions(post, thread, author)
    if thread.kind == "question":
        from marketplace.impact import recording

        recording.asked(author, thread)
    db.session.commit()
    return thread


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
    _touch(space, thread)
    db.session.commit()
    return thread


@dataclass
class ReplyNode:
    post: Post
    children: list[Post]


def reply_tree(thread: Thread, sort: str = "votes") -> list[ReplyNode]:
    """Top-level replies (accepted first, then by votes or newest), each with its nested replies in order."""
    posts = list(db.session.scalars(
        select(Post).where(Post.thread_id == thread.id, Post.is_opening.is_(False))
        .options(selectinload(Post.author)).order_by(Post.id)
    ))
    children: dict[int, list[Post]] = defaultdict(list)
    for post in posts:
        if post.parent_id is not None:
            children[post.parent_id].append(post)
    tops = [p for p in posts if p.parent_id is None]
    if sort == "newest":
        tops.sort(key=lambda p: (not p.accepted, -p.id))
    else:
        tops.sort(key=lambda p: (not p.accepted, -p.score, p.id))
    return [ReplyNode(p, children[p.id]) for p in tops]


def voted_post_ids(user: User, thread: Thread) -> set[int]:
    """Posts in the thread the user has upvoted."""
    query = select(PostVote.post_id).join(Post, Post.id == PostVote.post_id).where(
        PostVote.user_id == user.id, Post.thread_id == thread.id
    )
    return set(db.session.scalars(query))


def reply(thread: Thread, author: User, body: str, parent_id: int | None = None) -> Post:
    """Reply to the thread, or to a reply; a reply to a nested reply joins its parent (one level)."""
    parent = None
    if parent_id:
        parent = post_in(thread, parent_id)
        if parent is None or parent.is_opening:
            raise SpaceError("That reply is no longer here.")
        if parent.parent_id is not None:
            parent = db.session.get(Post, parent.parent_id)
    post = Post(thread_id=thread.id, author_id=author.id, body=body, parent_id=parent.id if parent else None)
    db.session.add(post)
    _touch(thread.space, thread)
    db.session.flush()
    told = _notify_mentions(post, thread, author)
    for user_id in {thread.author_id, parent.author_id if parent else None} - {None, author.id} - told:
        text = f"{_name_for(db.session.get(User, user_id), thread.space, author)} replied in “{thread.title}”."
        notify(user_id, text, thread_link(thread) + f"#post-{post.id}")
    if thread.kind == "question" and author.id != thread.author_id:
        from marketplace.impact import recording

        recording.answered(author, thread, post)
    db.session.commit()
    return post


def toggle_vote(post: Post, user: User) -> bool:
    """Upvote a post, or withdraw the upvote; return whether the vote now stands."""
    vote = db.session.get(PostVote, (user.id, post.id))
    if vote is None:
        db.session.add(PostVote(user_id=user.id, post_id=post.id))
        post.score = Post.score + 1  # in SQL, so concurrent votes don't overwrite each other
    else:
        db.session.delete(vote)
        post.score = Post.score - 1
    db.session.commit()
    db.session.refresh(post)
    return vote is None


def accept(thread: Thread, post: Post) -> bool:
    """Mark a reply as the accepted answer (replacing any other), or unmark it; return whether accepted."""
    if post.is_opening or post.is_removed or post.thread_id != thread.id:
        raise SpaceError("Only a reply can be the accepted answer.")
    now_accepted = not post.accepted
    for other in thread.posts:
        other.accepted = False
    post.accepted = now_accepted
    thread.solved = now_accepted
    if now_accepted and post.author_id and post.author_id != thread.author_id:
        notify(post.author_id, f"Your answer in “{thread.title}” was accepted.", thread_link(thread) + f"#post-{post.id}")
        _accepted_answer(thread, post)
    _touch(thread.space, thread)
    db.session.commit()
    return now_accepted


def _accepted_answer(thread: Thread, post: Post) -> None:
    """A learning event for the answerer and a follow-up for the asker, in the acceptance's transaction."""
    from marketplace.followups.models import FollowUpReason
    from marketplace.followups.services import schedule
    from marketplace.impact import recording

    recording.answer_accepted(post.author, thread, post, thread.author)
    kpis = [thread.space.kpi] if thread.space.kpi else []
    schedule(thread.author, FollowUpReason.ACCEPTED, subject=f"thread:{thread.id}", title=thread.title,
             link=thread_link(thread), kpis=kpis)


def edit_post(post: Post, body: str, title: str | None = None) -> None:
    """Change a post's text (and the thread title for an opening post); the edit is marked."""
    post.body = body
    post.edited_at = utcnow()
    if title and post.is_opening:
        post.thread.title = title.strip()
    db.session.commit()


def delete_post(post: Post) -> None:
    """Remove a post's text but keep its place, so the thread stays readable."""
    post.body, post.deleted_at = "", utcnow()
    if post.accepted:
        post.accepted = False
        post.thread.solved = False
    db.session.commit()


def hide_post(post: Post, host: User, reason: str) -> None:
    """A host hides a post with a reason everyone can see."""
    post.hidden_reason, post.hidden_by_id = reason.strip()[:300], host.id
    db.session.commit()


def unhide_post(post: Post) -> None:
    """A host shows a hidden post again."""
    post.hidden_reason = post.hidden_by_id = None
    db.session.commit()


def _name_for(recipient: User | None, space: Space, person: User) -> str:
    """How a notification names someone: in Chatham House spaces, only members learn who it was."""
    if space.chatham_house and not (recipient is not None and can(recipient, "see_member_names", space)):
        return "A member of the space" if person.id != getattr(recipient, "id", None) else "You"
    return person.name


def _mentioned_users(text: str) -> list[User]:
    handles = {h.lower() for h in MENTION.findall(text or "")}
    if not handles:
        return []
    # "_" is a LIKE wildcard but may appear in an e-mail name, so it is escaped.
    wanted = or_(*(func.lower(User.email).like(handle.replace("_", "\\_") + "@%", escape="\\") for handle in handles))
    return list(db.session.scalars(select(User).where(User.active.is_(True), wanted)))


def _notify_mentions(post: Post, thread: Thread, author: User) -> set[int]:
    """Tell people @mentioned by their e-mail name, if they may read the space; return who was told."""
    told: set[int] = set()
    for user in _mentioned_users(post.body):
        if user.id != author.id and can(user, "view_space", thread.space):
            text = f"{_name_for(user, thread.space, author)} mentioned you in “{thread.title}”."
            notify(user.id, text, thread_link(thread) + f"#post-{post.id}")
            told.add(user.id)
    return told


# ----------------------------------------------------------------- experiments


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


# -------------------------------------------------------------------- harvest


def harvestable_posts(thread: Thread) -> list[Post]:
    """Replies that can go into a harvested job aid: not removed, not hidden."""
    return [p for p in thread.posts if not p.is_opening and not p.is_removed and not p.is_hidden]


def mentionless(text: str) -> str:
    """The text without @mentions (people's handles do not belong in a catalog title)."""
    return " ".join(re.sub(r"(?<![\w.])@[\w][\w.-]*", " ", text).split()).strip(" ,;:-")


@claims_slugs
def harvest(thread: Thread, acting: User, chosen_ids: list[int]) -> Item:
    """Turn a solved thread into a pending job aid for the champions' queue, linked back to the thread."""
    if not thread.solved:
        raise SpaceError("Only a solved thread can be harvested.")
    if thread.harvested_item_id:
        raise SpaceError("This thread was already harvested.")
    space = thread.space
    question = opening_post(thread)
    usable = harvestable_posts(thread)
    accepted = [p for p in usable if p.accepted]
    extra = [p for p in usable if p.id in set(chosen_ids) and not p.accepted]
    contributors = {p.author.name for p in [question, *accepted, *extra] if p.author}
    sections = ["## The question", question.body, "## The answer", *[p.body for p in accepted]]
    if extra:
        sections += ["## Also useful", *[f"- {' '.join(p.body.split())}" for p in extra]]
    if not space.chatham_house and contributors:
        sections.append("Contributors: " + ", ".join(sorted(contributors)) + ".")
    sections.append(f"Harvested from the discussion [{thread.title}]({thread_link(thread)}) in {space.name}.")
    solve = db.session.scalar(select(Moment).where(Moment.slug == "solve"))
    title = mentionless(thread.title) or "Harvested answer"
    item = Item(
        type="job_aid", status="pending", title=title[:200], slug=unique_slug(Item, title),
        summary=" ".join(question.body.split())[:240], body="\n\n".join(sections), moment=solve,
        department_id=space.department_id, owner_id=acting.id,
        skills=list(thread.skills or space.skills), kpis=[space.kpi] if space.kpi else [],
    )
    db.session.add(item)
    db.session.flush()
    thread.harvested_item_id = item.id
    _notify_champions(item, space)
    db.session.commit()
    _enter_review_queue(item, acting)
    return item


def _enter_review_queue(item: Item, acting: User) -> None:
    """Hand the draft to the submissions workflow (issue 4) so it shows in the champions' /review queue."""
    try:
        from marketplace.submissions import services as submissions
        from marketplace.submissions.models import Submission
    except ImportError:  # without submissions the pending item and the champions' notification still stand
        return
    department_id = item.department_id or acting.department_id
    if department_id is None:
        return  # the queue is per department; an item with none waits for a curator in the catalog
    submission = Submission(item=item, submitter_id=acting.id, department_id=department_id, state="draft")
    db.session.add(submission)
    db.session.flush()
    try:
        submissions.submit(submission, acting, {})  # screens for personal data, then queues it (and commits)
    except submissions.Incomplete:
        # The same completeness rule as every other path: the harvester finishes it (a KPI, say) first.
        item.status = "draft"
        db.session.commit()


def _notify_champions(item: Item, space: Space) -> None:
    from marketplace.accounts.models import champion_departments

    champions = db.session.scalars(
        select(champion_departments.c.user_id).where(champion_departments.c.department_id == item.department_id)
    )
    for user_id in champions:
        notify(user_id, f"A draft job aid harvested from “{space.name}” awaits review: {item.title}.", "/review")


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

