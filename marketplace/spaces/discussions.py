"""Discussions in a space: threads, replies, votes, accepted answers, edits and moderation."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import User
from marketplace.catalog.models import Skill
from marketplace.extensions import db
from marketplace.notifications.services import notify
from marketplace.policy import can
from marketplace.spaces.models import Post, PostVote, Space, Thread
from marketplace.spaces.services import SpaceError, name_for, thread_link
from marketplace.timeutil import utcnow

MENTION = re.compile(r"(?<![\w.@])@([a-z0-9](?:[a-z0-9._-]*[a-z0-9])?)", re.IGNORECASE)
REMOVED_TEXT = "This post was removed by its author."


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


def touch(space: Space, thread: Thread | None = None) -> None:
    """Mark the space (and the thread, if given) as active now."""
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
    touch(space, thread)
    db.session.flush()
    _notify_mentions(post, thread, author)
    if thread.kind == "question":
        from marketplace.impact import recording

        recording.asked(author, thread)
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
    touch(thread.space, thread)
    db.session.flush()
    told = _notify_mentions(post, thread, author)
    for user_id in {thread.author_id, parent.author_id if parent else None} - {None, author.id} - told:
        text = f"{name_for(db.session.get(User, user_id), thread.space, author)} replied in “{thread.title}”."
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
    touch(thread.space, thread)
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
            text = f"{name_for(user, thread.space, author)} mentioned you in “{thread.title}”."
            notify(user.id, text, thread_link(thread) + f"#post-{post.id}")
            told.add(user.id)
    return told
