"""Learning events for each action, recorded by the action's service in its own transaction.

`context` carries what the rollups and the xAPI forwarder (issue 14) need without a join:
item slug, moment, KPI slugs and ids, space id and whether the space is Chatham House.
"""

from __future__ import annotations

from typing import Any

from marketplace.events.models import ObjectType, Verb
from marketplace.events.services import record


def item_context(item: Any, **extra: Any) -> dict:
    """What an event about an item needs to stand on its own."""
    return {
        "item_slug": item.slug, "item_type": item.type, "moment": item.moment.slug if item.moment else None,
        "kpis": [k.slug for k in item.kpis], "kpi_ids": [k.id for k in item.kpis],
        "department_id": item.department_id, **extra,
    }


def item_event(actor: Any, verb: Verb, item: Any, **extra: Any) -> None:
    """Record opened / completed / played / voted_helpful for an item."""
    record(actor, verb, ObjectType.ITEM, item.id, context=item_context(item, **extra), object_ref=item.slug)


def thread_context(thread: Any, **extra: Any) -> dict:
    """A discussion event's context: space, KPI, skills and whether names may be shown."""
    space = thread.space
    return {
        "space_id": space.id, "space_slug": space.slug, "thread_id": thread.id, "chatham_house": space.chatham_house,
        "kpis": [space.kpi.slug] if space.kpi else [], "kpi_ids": [space.kpi.id] if space.kpi else [],
        "skill_ids": [s.id for s in thread.skills], "question_author_id": thread.author_id, **extra,
    }


def asked(actor: Any, thread: Any) -> None:
    """Someone asked a question in a space."""
    record(actor, Verb.ASKED, ObjectType.THREAD, thread.id, context=thread_context(thread), object_ref=thread.title[:200])


def answered(actor: Any, thread: Any, post: Any) -> None:
    """Someone answered a question (a reply in a question thread by someone other than the asker)."""
    record(actor, Verb.ANSWERED, ObjectType.POST, post.id, context=thread_context(thread, post_id=post.id),
           object_ref=thread.title[:200])


def answer_accepted(answerer: Any, thread: Any, post: Any, accepted_by: Any) -> None:
    """Someone's answer was accepted (the answerer is the actor)."""
    record(answerer, Verb.ANSWER_ACCEPTED, ObjectType.POST, post.id,
           context=thread_context(thread, post_id=post.id, accepted_by_id=getattr(accepted_by, "id", None)),
           object_ref=thread.title[:200])


def endorsed(endorser: Any, person: Any, skill: Any) -> None:
    """Someone endorsed a colleague for a skill."""
    record(endorser, Verb.ENDORSED, ObjectType.PERSON, person.id,
           context={"person_id": person.id, "person_department_id": person.department_id, "skill": skill.slug,
                    "skill_ids": [skill.id]}, object_ref=skill.slug)


def answered_followup(actor: Any, followup: Any) -> None:
    """Someone answered their follow-up."""
    record(actor, Verb.ANSWERED_FOLLOWUP, ObjectType.FOLLOWUP, followup.id, context={
        "subject": followup.subject, "reason": followup.reason.value, "changed": bool(followup.changed),
        "kpis": [k.slug for k in followup.kpis], "kpi_ids": [k.id for k in followup.kpis],
        "item_id": followup.item_id,
    }, object_ref=followup.subject)
