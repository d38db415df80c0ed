"""Channel rules: follow the change feed and time, and queue a chat message for each match.

The follower is a change-feed consumer ("integrations"): the deliveries it queues and its new
position commit together, so each change is turned into messages exactly once.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from marketplace import changes
from marketplace.catalog.models import HelpfulVote, Item, item_kpis
from marketplace.changes.models import Change, FeedCursor
from marketplace.curation.models import CollectionEntry
from marketplace.extensions import db
from marketplace.integrations import delivery, xapi
from marketplace.integrations.messages import Card, absolute, item_lines
from marketplace.integrations.models import ChannelRule, RuleEvent
from marketplace.spaces.models import Post, Space, Thread
from marketplace.timeutil import utcnow

CONSUMER = "integrations"
TOPICS = ("learning_event", "item_published", "item_updated", "space_opened", "space_archived")
_reader: dict[str, changes.FeedReader] = {}


# --- what goes on the feed -------------------------------------------------------------------

def _item_changes(session: Session, item: Item, op: str) -> list[tuple[str, object]]:
    if op == "delete" or item.status != "published":
        return []
    history = db.inspect(item).attrs.status.history
    if op == "insert" or history.has_changes():
        return [("item_published", item.id)]
    content = ("title", "summary", "body", "version")
    return [("item_updated", item.id)] if any(db.inspect(item).attrs[n].history.has_changes() for n in content) else []


def _space_changes(session: Session, space: Space, op: str) -> list[tuple[str, object]]:
    if op == "delete" or space.visibility != "open":
        return []  # members-only and private spaces are never announced
    if op == "insert":
        return [("space_opened", space.id)]
    history = db.inspect(space).attrs.status.history
    return [("space_archived", space.id)] if history.has_changes() and space.status == "archived" else []


def install() -> None:
    """Put publishing, updates and open spaces on the change feed."""
    changes.track(Item, _item_changes)
    changes.track(Space, _space_changes)


# --- following the feed ----------------------------------------------------------------------

def follow_feed() -> int:
    """Turn new changes into deliveries; returns how many changes were looked at."""
    reader = _reader.get("feed")
    if reader is None:
        cursor = db.session.get(FeedCursor, CONSUMER)
        reader = _reader["feed"] = changes.FeedReader(cursor.position if cursor else 0)
    try:
        seen = reader.poll(db.session, _apply, topics=TOPICS)
        changes.report_position(db.session, CONSUMER, reader.safe_position)
        db.session.commit()
    except Exception:
        _reader.pop("feed", None)  # start again from the stored position: applying is idempotent
        db.session.rollback()
        raise
    return seen


def _apply(batch: list[Change]) -> None:
    rules = _active_rules()
    events = [int(c.entity_id) for c in batch if c.topic == "learning_event"]
    for change in batch:
        if change.topic != "learning_event":
            _announce(change, rules.get(RuleEvent(change.topic), []))
    if events and xapi.enabled() and xapi.queue_statements(events):
        xapi.schedule_send()


def _active_rules() -> dict[RuleEvent, list[ChannelRule]]:
    found: dict[RuleEvent, list[ChannelRule]] = {}
    for rule in db.session.scalars(select(ChannelRule).where(ChannelRule.active.is_(True))):
        found.setdefault(rule.event, []).append(rule)
    return found


def _announce(change: Change, rules: list[ChannelRule]) -> None:
    for rule in rules:
        if rule.created_at > change.created_at or not rule.connection.active:
            continue  # a rule speaks only of what happened after it was made
        card = _card_for(change, rule)
        if card is not None:
            delivery.queue_chat(rule.connection, card, f"rule:{rule.id}:change:{change.id}")


def _card_for(change: Change, rule: ChannelRule) -> Card | None:
    if change.topic in ("item_published", "item_updated"):
        item = db.session.get(Item, int(change.entity_id))
        if item is None or item.status != "published" or not _item_matches(item, rule):
            return None
        verb = "New" if change.topic == "item_published" else "Updated"
        return Card(f"{verb}: {item.title}", [item.summary[:200], *item_lines(item)], [(item.title, absolute(f"/items/{item.slug}"))])
    space = db.session.get(Space, int(change.entity_id))
    if space is None or space.visibility != "open" or (rule.department_id and space.department_id != rule.department_id):
        return None
    verb = "A space opened" if change.topic == "space_opened" else "A space was archived"
    return Card(f"{verb}: {space.name}", [space.problem[:200]], [(space.name, absolute(f"/spaces/{space.slug}"))])


def _item_matches(item: Item, rule: ChannelRule) -> bool:
    if rule.department_id and item.department_id != rule.department_id:
        return False
    if rule.kpi_id and rule.kpi_id not in {k.id for k in item.kpis}:
        return False
    if rule.collection_id:
        member = select(CollectionEntry.id).where(
            CollectionEntry.collection_id == rule.collection_id, CollectionEntry.item_id == item.id
        )
        return db.session.scalar(member.limit(1)) is not None
    return True


# --- rules on the clock ----------------------------------------------------------------------

def unanswered_questions() -> int:
    """Announce questions in open spaces that nobody answered within each rule's hours."""
    queued = 0
    rules = db.session.scalars(select(ChannelRule).where(
        ChannelRule.active.is_(True), ChannelRule.event == RuleEvent.QUESTION_UNANSWERED)).all()
    for rule in rules:
        cutoff = utcnow() - timedelta(hours=rule.hours)
        answered = exists().where(Post.thread_id == Thread.id, Post.is_opening.is_(False), Post.deleted_at.is_(None))
        query = (select(Thread).join(Space).where(
            Thread.kind == "question", Thread.created_at < cutoff, Thread.created_at > rule.created_at - timedelta(days=7),
            Space.visibility == "open", Space.status == "active", ~answered))
        if rule.department_id:
            query = query.where(Space.department_id == rule.department_id)
        for thread in db.session.scalars(query.limit(50)):
            link = absolute(f"/spaces/{thread.space.slug}/threads/{thread.id}")
            card = Card(f"Can you help? Unanswered for {rule.hours} h: {thread.title}", [f"In {thread.space.name}"], [(thread.title, link)])
            queued += bool(delivery.queue_chat(rule.connection, card, f"rule:{rule.id}:unanswered:{thread.id}"))
    db.session.commit()
    return queued


def overdue_reviews(sla_days: int) -> int:
    """Tell champions' channels about submissions waiting past the review SLA."""
    from marketplace.submissions.models import Submission
    from marketplace.submissions.review import overdue_cutoff

    queued = 0
    cutoff = overdue_cutoff(utcnow(), sla_days)
    rules = db.session.scalars(select(ChannelRule).where(
        ChannelRule.active.is_(True), ChannelRule.event == RuleEvent.REVIEW_OVERDUE)).all()
    for rule in rules:
        query = select(Submission).where(Submission.state == "pending", Submission.submitted_at < cutoff)
        if rule.department_id:
            query = query.where(Submission.department_id == rule.department_id)
        for submission in db.session.scalars(query.limit(50)):
            card = Card(f"Review overdue: {submission.item.title}", [f"Waiting since {submission.submitted_at:%d %b %Y}"],
                        [("Open the review queue", absolute("/review"))])
            key = f"rule:{rule.id}:overdue:{submission.id}:{submission.submitted_at:%Y%m%d%H%M}"
            queued += bool(delivery.queue_chat(rule.connection, card, key))
    db.session.commit()
    return queued


def weekly_digest() -> int:
    """Post what helped most in the past week to every digest rule's channel."""
    since = utcnow() - timedelta(days=7)
    week = utcnow().strftime("%G-W%V")
    helped = (select(Item, func.count(HelpfulVote.id).label("votes")).join(HelpfulVote, HelpfulVote.item_id == Item.id)
              .where(HelpfulVote.helpful.is_(True), HelpfulVote.voted_at >= since, Item.status == "published")
              .group_by(Item.id).order_by(func.count(HelpfulVote.id).desc()).limit(5))
    queued = 0
    for rule in db.session.scalars(select(ChannelRule).where(
            ChannelRule.active.is_(True), ChannelRule.event == RuleEvent.WEEKLY_DIGEST)):
        query = helped.where(Item.id.in_(select(item_kpis.c.item_id).where(item_kpis.c.kpi_id == rule.kpi_id))) if rule.kpi_id else helped
        rows = db.session.execute(query).all()
        if not rows:
            continue
        lines = [f"{item.title}: {votes} found it helpful" for item, votes in rows]
        links = [(item.title, absolute(f"/items/{item.slug}")) for item, _votes in rows]
        queued += bool(delivery.queue_chat(rule.connection, Card("What helped this week", lines, links), f"rule:{rule.id}:digest:{week}"))
    db.session.commit()
    return queued
