"""Durable delivery: a Delivery row and its job are written with the change; the worker sends them.

Retries back off (10 s, 40 s, 160 s ... capped at an hour) for CHAT_ATTEMPTS attempts, which
outlasts a receiver that is down for an hour; a 429 or 503 with Retry-After waits as asked.
After the last attempt the delivery is marked failed and listed on /admin/deliveries.
"""

from __future__ import annotations

import httpx
from flask import current_app
from sqlalchemy import select

from marketplace import jobs
from marketplace.extensions import db
from marketplace.integrations.messages import Card, slack_payload, teams_payload
from marketplace.integrations.models import (
    ChatConnection,
    ConnectionKind,
    Delivery,
    DeliveryKind,
    DeliveryState,
)
from marketplace.timeutil import utcnow

DELIVER_JOB = "integrations.deliver"
CHAT_ATTEMPTS = 8
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class ReceiverError(Exception):
    """The receiver did not take the message."""


def payload_for(connection: ChatConnection, card: Card) -> dict:
    """The JSON body this connection expects."""
    if connection.kind == ConnectionKind.TEAMS_WORKFLOW:
        return teams_payload(card)
    body = slack_payload(card)
    if connection.kind == ConnectionKind.SLACK_BOT:
        body["channel"] = connection.channel
    return body


def queue_chat(connection: ChatConnection, card: Card, dedupe_key: str, user_id: int | None = None) -> Delivery | None:
    """Queue one chat message in the current transaction; None when this key was queued before."""
    if _exists(dedupe_key):
        return None
    delivery = Delivery(
        kind=DeliveryKind.CHAT, connection=connection, dedupe_key=dedupe_key[:200], summary=card.heading[:300],
        payload=payload_for(connection, card), user_id=user_id,
    )
    db.session.add(delivery)
    db.session.flush()
    jobs.submit(DELIVER_JOB, {"delivery_id": delivery.id}, subject=f"delivery:{delivery.id}", max_attempts=CHAT_ATTEMPTS)
    return delivery


def _exists(dedupe_key: str) -> bool:
    return db.session.scalar(select(Delivery.id).where(Delivery.dedupe_key == dedupe_key[:200])) is not None


def send_chat(delivery_id: int) -> None:
    """Post one queued chat message; raise so the job runner retries when the receiver fails."""
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.state == DeliveryState.SENT:
        return  # erased, or sent by an earlier attempt whose bookkeeping was lost: nothing to do
    delivery.attempts += 1
    connection = delivery.connection
    try:
        if connection is None or not connection.active:
            raise ReceiverError("the connection was removed or turned off")
        _post(connection, delivery.payload)
    except jobs.RetryLater as error:
        _note_error(delivery, str(error))
        raise
    except (ReceiverError, httpx.HTTPError) as error:
        _note_error(delivery, str(error))
        raise ReceiverError(str(error)) from error
    delivery.state, delivery.sent_at, delivery.last_error = DeliveryState.SENT, utcnow(), None


def _note_error(delivery: Delivery, message: str) -> None:
    # Saved in its own transaction: the job runner rolls the failed attempt back.
    delivery_id, attempts = delivery.id, delivery.attempts
    db.session.rollback()
    row = db.session.get(Delivery, delivery_id)
    row.attempts, row.last_error = attempts, message[:2000]
    db.session.commit()


def _post(connection: ChatConnection, payload: dict) -> None:
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if connection.kind == ConnectionKind.SLACK_BOT:
        url = current_app.config["SLACK_API_BASE"].rstrip("/") + "/chat.postMessage"
        headers["Authorization"] = f"Bearer {connection.token}"
        payload = dict(payload)
        if email := payload.pop("lookup_email", None):
            payload["channel"] = _slack_user_id(connection, email)
    else:
        url = connection.url
    response = httpx.post(url, json=payload, headers=headers, timeout=TIMEOUT)
    check_response(response)
    if connection.kind == ConnectionKind.SLACK_BOT and not response.json().get("ok", False):
        raise ReceiverError(f"Slack refused the message: {response.json().get('error', 'unknown error')}")


def _slack_user_id(connection: ChatConnection, email: str) -> str:
    url = current_app.config["SLACK_API_BASE"].rstrip("/") + "/users.lookupByEmail"
    response = httpx.get(url, params={"email": email}, headers={"Authorization": f"Bearer {connection.token}"}, timeout=TIMEOUT)
    check_response(response)
    found = response.json()
    if not found.get("ok"):
        raise ReceiverError(f"no Slack account for this person ({found.get('error', 'unknown error')})")
    return found["user"]["id"]


def check_response(response: httpx.Response) -> None:
    """Raise RetryLater on 429/503 (honouring Retry-After) and ReceiverError on any other failure."""
    if response.status_code == 429 or (response.status_code == 503 and "Retry-After" in response.headers):
        raise jobs.RetryLater(_retry_after(response), f"receiver answered {response.status_code}")
    if response.status_code >= 300:
        raise ReceiverError(f"receiver answered {response.status_code}: {response.text[:200]}")


def _retry_after(response: httpx.Response) -> float:
    raw = response.headers.get("Retry-After", "").strip()
    return min(max(float(raw), 1.0), 3600.0) if raw.replace(".", "", 1).isdigit() else 60.0


def mark_failed(delivery_id: int, reason: str) -> None:
    """The retry budget is spent: show the delivery on the failed-deliveries page."""
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is not None and delivery.state != DeliveryState.SENT:
        delivery.state, delivery.last_error = DeliveryState.FAILED, (reason or "")[:2000]


def failed_deliveries(limit: int = 200) -> list[Delivery]:
    """Deliveries that gave up, newest first."""
    query = select(Delivery).where(Delivery.state == DeliveryState.FAILED).order_by(Delivery.id.desc()).limit(limit)
    return list(db.session.scalars(query))


def retry(delivery: Delivery) -> None:
    """An admin's "try again": back to pending with a fresh retry budget."""
    from marketplace.integrations import xapi

    delivery.state, delivery.last_error = DeliveryState.PENDING, None
    if delivery.kind == DeliveryKind.XAPI:
        xapi.schedule_send()
    else:
        jobs.submit(DELIVER_JOB, {"delivery_id": delivery.id}, subject=f"delivery:{delivery.id}", max_attempts=CHAT_ATTEMPTS)


def personal_connection() -> ChatConnection | None:
    """The Slack bot used for direct messages (the first active one)."""
    query = select(ChatConnection).where(ChatConnection.kind == ConnectionKind.SLACK_BOT, ChatConnection.active.is_(True))
    return db.session.scalar(query.order_by(ChatConnection.id).limit(1))


def queue_personal(connection: ChatConnection, user, card: Card) -> Delivery:  # noqa: ANN001 - a User
    """Queue a direct message to one person; the worker finds their Slack account by e-mail."""
    body = slack_payload(card)
    body["lookup_email"] = user.email
    delivery = Delivery(kind=DeliveryKind.CHAT, connection=connection, user_id=user.id, summary=card.heading[:300],
                        dedupe_key=f"personal:{user.id}:{utcnow().timestamp():.6f}", payload=body)
    db.session.add(delivery)
    db.session.flush()
    jobs.submit(DELIVER_JOB, {"delivery_id": delivery.id}, subject=f"delivery:{delivery.id}", max_attempts=CHAT_ATTEMPTS)
    return delivery
