"""Learning events as xAPI statements, batched to the configured learning record store (LRS).

Actors are accounts (the company's home page and our user id), never e-mail addresses.
Statement ids are derived from the event id, so sending a statement twice stores it once.
"""

from __future__ import annotations

import uuid

import httpx
from flask import current_app
from sqlalchemy import select, update

from marketplace import jobs
from marketplace.catalog.models import Item
from marketplace.events.models import LearningEvent, ObjectType, Verb
from marketplace.extensions import db
from marketplace.integrations.delivery import TIMEOUT, check_response
from marketplace.integrations.messages import absolute
from marketplace.integrations.models import Delivery, DeliveryKind, DeliveryState
from marketplace.spaces.models import Space, Thread
from marketplace.timeutil import utcnow

SEND_JOB = "xapi.send"
BATCH = 100
SEND_ATTEMPTS = 8
ADL = "http://adlnet.gov/expapi/verbs/"
NAMESPACE = uuid.UUID("6f0b5c39-8a57-4b7e-9a3c-1d2e3f405162")

# ADL verbs where one exists; our own IRIs (described by /xapi/profile) otherwise.
VERBS: dict[Verb, tuple[str | None, str]] = {
    Verb.OPENED: (ADL + "experienced", "experienced"),
    Verb.COMPLETED: (ADL + "completed", "completed"),
    Verb.PLAYED: (None, "played"),
    Verb.VOTED_HELPFUL: (ADL + "voted", "voted"),
    Verb.ASKED: (ADL + "asked", "asked"),
    Verb.ANSWERED: (ADL + "answered", "answered"),
    Verb.ANSWER_ACCEPTED: (None, "had an answer accepted"),
    Verb.ENDORSED: (None, "endorsed"),
    Verb.ANSWERED_FOLLOWUP: (ADL + "answered", "answered"),
}
OWN_VERBS = {Verb.PLAYED: "played", Verb.ANSWER_ACCEPTED: "answer-accepted", Verb.ENDORSED: "endorsed"}
EXTENSIONS = {"moment": "moment-of-need", "kpis": "kpis", "space": "space", "context": "context"}


def enabled() -> bool:
    """True when an LRS is configured."""
    return bool(current_app.config.get("XAPI_LRS_URL"))


def iri(path: str) -> str:
    """An IRI under our stable xAPI namespace (PUBLIC_BASE_URL/xapi/...)."""
    return absolute(f"/xapi/{path}")


def verb_iri(verb: Verb) -> str:
    """The verb's IRI: ADL's, or ours."""
    adl, _display = VERBS[verb]
    return adl or iri(f"verbs/{OWN_VERBS[verb]}")


def statement_id(event_id: int) -> str:
    """A stable statement id for one learning event."""
    return str(uuid.uuid5(NAMESPACE, f"{current_app.config['PUBLIC_BASE_URL']}/events/{event_id}"))


def statement_for(event: LearningEvent, described: tuple[str, str, dict] | None = None) -> dict:
    """The xAPI statement for a learning event (`described`: its object's name, path and extensions)."""
    _adl, display = VERBS[event.verb]
    return {
        "id": statement_id(event.id),
        "actor": {"objectType": "Agent", "account": {"homePage": current_app.config["XAPI_HOME_PAGE"], "name": str(event.actor_id)}},
        "verb": {"id": verb_iri(event.verb), "display": {"en-US": display}},
        "object": _activity(event, described or _describe(event)),
        "timestamp": event.occurred_at.isoformat(timespec="milliseconds") + "Z",
        "context": {"platform": "the marketplace", "language": "en"},
    }


def _activity(event: LearningEvent, described: tuple[str, str, dict]) -> dict:
    name, path, extensions = described
    definition: dict = {"name": {"en-US": name[:200]}, "type": iri(f"activities/{event.object_type.value}")}
    if extensions:
        definition["extensions"] = {iri(f"extensions/{EXTENSIONS[k]}"): v for k, v in extensions.items()}
    return {"objectType": "Activity", "id": absolute(path), "definition": definition}


def _describe(event: LearningEvent) -> tuple[str, str, dict]:
    if event.object_type == ObjectType.ITEM and (item := db.session.get(Item, event.object_id)):
        return item.title, f"/items/{item.slug}", {"moment": item.moment.slug, "kpis": [k.slug for k in item.kpis]}
    if event.object_type == ObjectType.SPACE and (space := db.session.get(Space, event.object_id)):
        return space.name, f"/spaces/{space.slug}", {"space": space.slug}
    if event.object_type in (ObjectType.THREAD, ObjectType.POST):
        thread = db.session.get(Thread, event.context.get("thread_id", event.object_id))
        if thread is not None:
            return thread.title, f"/spaces/{thread.space.slug}/threads/{thread.id}", {"space": thread.space.slug}
    return event.object_ref or event.object_type.value, f"/xapi/objects/{event.object_type.value}/{event.object_id}", {}


def queue_statements(event_ids: list[int]) -> int:
    """Queue the statements for these learning events (idempotent: one delivery per event); return how many."""
    keys = {event_id: f"xapi:event:{event_id}" for event_id in event_ids}
    done = set(db.session.scalars(select(Delivery.dedupe_key).where(Delivery.dedupe_key.in_(list(keys.values())))))
    wanted = [i for i, key in keys.items() if key not in done]
    if not wanted:
        return 0
    described: dict[tuple, tuple[str, str, dict]] = {}  # many events share an object: describe it once
    queued = 0
    for event in db.session.scalars(select(LearningEvent).where(LearningEvent.id.in_(wanted))):
        if event.actor_id is None:
            continue
        about = (event.object_type, event.object_id, event.context.get("thread_id"))
        if about not in described:
            described[about] = _describe(event)
        db.session.add(Delivery(kind=DeliveryKind.XAPI, dedupe_key=keys[event.id], user_id=event.actor_id,
                                summary=event.verb.value, payload=statement_for(event, described[about])))
        queued += 1
    return queued


def schedule_send() -> None:
    """Make sure a send job is on its way (one at a time is enough: it drains every pending statement)."""
    from marketplace.jobs.models import JobRun, JobState

    waiting = select(JobRun.id).where(JobRun.name == SEND_JOB, JobRun.state.in_([JobState.PENDING, JobState.RUNNING]))
    if db.session.scalar(waiting.limit(1)) is None:
        jobs.submit(SEND_JOB, {}, subject="xapi", max_attempts=SEND_ATTEMPTS)


def pending_batch() -> list[Delivery]:
    """The oldest pending statements, at most one batch."""
    query = select(Delivery).where(Delivery.kind == DeliveryKind.XAPI, Delivery.state == DeliveryState.PENDING)
    return list(db.session.scalars(query.order_by(Delivery.id).limit(BATCH)))


def send_pending() -> int:
    """Send every pending statement in batches; raise (to be retried) when the LRS fails."""
    sent = 0
    while batch := pending_batch():
        _post_batch([d.payload for d in batch])
        now = utcnow()
        for delivery in batch:
            delivery.state, delivery.sent_at, delivery.attempts = DeliveryState.SENT, now, delivery.attempts + 1
        db.session.commit()
        sent += len(batch)
    return sent


def _post_batch(statements: list[dict]) -> None:
    config = current_app.config
    url = config["XAPI_LRS_URL"].rstrip("/") + "/statements"
    headers = {"X-Experience-API-Version": config["XAPI_VERSION"], "Content-Type": "application/json"}
    auth = (config["XAPI_LRS_USERNAME"], config["XAPI_LRS_PASSWORD"]) if config.get("XAPI_LRS_USERNAME") else None
    try:
        response = httpx.post(url, json=statements, headers=headers, auth=auth, timeout=TIMEOUT)
    except httpx.HTTPError as error:
        raise ConnectionError(f"the LRS did not answer: {error}") from error
    check_response(response)


def fail_pending(reason: str) -> int:
    """The send job spent its retry budget: mark what is still pending failed (an admin can retry)."""
    result = db.session.execute(
        update(Delivery).where(Delivery.kind == DeliveryKind.XAPI, Delivery.state == DeliveryState.PENDING)
        .values(state=DeliveryState.FAILED, last_error=reason[:2000]).execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
