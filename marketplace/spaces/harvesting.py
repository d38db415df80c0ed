"""Harvesting: a solved thread becomes a pending job aid in the champions' review queue."""

from __future__ import annotations

import re

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.catalog.models import Item, Moment
from marketplace.curation.services import claims_slugs, unique_slug
from marketplace.extensions import db
from marketplace.notifications.services import notify
from marketplace.spaces.discussions import opening_post
from marketplace.spaces.models import Post, Space, Thread
from marketplace.spaces.services import SpaceError, thread_link


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
