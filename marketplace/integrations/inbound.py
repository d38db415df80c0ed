"""Requests from chat tools: verify they are genuine, fresh and new, then answer from search.

Slack signs `v0:<timestamp>:<body>` with the app's signing secret (HMAC-SHA256); Teams
outgoing webhooks sign the body with the base64 security token (HMAC-SHA256, base64).
A request older than five minutes, or one whose signature we have seen, is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from marketplace import jobs
from marketplace.extensions import db
from marketplace.integrations.messages import Card, absolute, item_lines, slack_payload
from marketplace.integrations.models import InboundNonce
from marketplace.timeutil import utcnow

REPLAY_WINDOW = 300  # seconds, as Slack recommends
TOP = 3
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="chat-search")


class Refused(Exception):
    """An inbound request that must not be acted on; `status` is the HTTP answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def verify_slack(body: bytes, timestamp: str, signature: str, secret: str, now: float | None = None) -> None:
    """Accept a Slack request only with a valid, fresh, never-seen signature."""
    if not secret:
        raise Refused(404, "Slack is not connected")
    if not timestamp.isdigit() or abs((now or time.time()) - int(timestamp)) > REPLAY_WINDOW:
        raise Refused(401, "stale or missing timestamp")
    expected = "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature or ""):
        raise Refused(401, "bad signature")
    _remember(f"slack:{signature}")


def verify_teams(body: bytes, authorization: str, security_token: str) -> None:
    """Accept a Teams outgoing-webhook request only with a valid, never-seen HMAC."""
    if not security_token:
        raise Refused(404, "Teams is not connected")
    try:
        key = base64.b64decode(security_token, validate=True)
    except ValueError as error:
        raise Refused(500, "TEAMS_SECURITY_TOKEN is not base64") from error
    expected = "HMAC " + base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()
    if not hmac.compare_digest(expected, authorization or ""):
        raise Refused(401, "bad signature")
    _remember(f"teams:{hashlib.sha256(body).hexdigest()}")


def _remember(key: str) -> None:
    db.session.execute(delete(InboundNonce).where(InboundNonce.seen_at < utcnow() - timedelta(seconds=REPLAY_WINDOW * 2)))
    db.session.add(InboundNonce(key=hashlib.sha256(key.encode()).hexdigest()))
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise Refused(401, "replayed request") from error


@dataclass
class Answer:
    """Search results for a chat question, channel-neutral."""

    question: str
    card: Card
    complete: bool = True


class ChatViewer:
    """Whom a chat search runs as: an ordinary signed-in employee with no memberships (published items, open spaces)."""

    id = -1
    is_authenticated = True
    is_active = True
    is_anonymous = False
    is_curator = is_admin = is_champion = is_leader = False
    department_id = None

    def champions(self, _department_id: object) -> bool:
        return False

    def get_id(self) -> str:
        return "-1"


def answer(question: str) -> Answer:
    """The top results for `question` from the marketplace search, as a card."""
    from marketplace.search.services import SearchRequest, search

    question = " ".join(question.split())[:200]
    if not question:
        return Answer(question, Card("Type a question after the command, e.g. /learn expense claim rejected"))
    results = search(SearchRequest(text=question + " ", limit=TOP), ChatViewer(), thread_limit=0)
    hits = results.hits[:TOP]
    if not hits:
        more = absolute(f"/search?q={_quote(question)}")
        return Answer(question, Card(f"Nothing found for “{question}” yet.", ["Ask a community or request content:"], [("Search the marketplace", more)]))
    links = [(hit.item.title, absolute(f"/items/{hit.item.slug}")) for hit in hits]
    lines = [f"{hit.item.title} — {' · '.join(item_lines(hit.item))}" for hit in hits]
    return Answer(question, Card(f"Top results for “{question}”", lines, links))


def _quote(text: str) -> str:
    from urllib.parse import quote_plus

    return quote_plus(text)


def answer_within(app: Flask, question: str, seconds: float) -> Answer | None:
    """The answer if search finishes within `seconds`, else None (the full answer is sent later)."""
    future = _pool.submit(_answer_in_context, app, question)
    try:
        return future.result(timeout=max(seconds, 0))
    except FutureTimeout:
        return None


def _answer_in_context(app: Flask, question: str) -> Answer:
    with app.app_context():
        try:
            return answer(question)
        finally:
            db.session.remove()


def slack_reply(result: Answer) -> dict:
    """An ephemeral Slack reply (only the asker sees it)."""
    return {"response_type": "ephemeral", **slack_payload(result.card)}


def answer_later(response_url: str, question: str) -> None:
    """Queue the full answer to Slack's response_url (the search was too slow for three seconds)."""
    jobs.submit("integrations.slack_answer", {"response_url": response_url, "question": question}, max_attempts=3)


def allowed_response_url(url: str) -> bool:
    """Slack's response URLs live on hooks.slack.com (tests may allow a loopback receiver)."""
    prefixes = ("https://hooks.slack.com/", *current_app.config.get("SLACK_RESPONSE_URL_PREFIXES", ()))
    return any(url.startswith(p) for p in prefixes)


def strip_mention(text: str) -> str:
    """The question without the leading <at>bot</at> mention Teams puts in the text."""
    import re

    return re.sub(r"<at>.*?</at>", " ", text).strip()


def teams_reply(result: Answer) -> dict:
    """A Teams outgoing-webhook reply: a message with one Adaptive Card."""
    from marketplace.integrations.messages import teams_payload

    return {"type": "message", "text": result.card.heading, "attachments": teams_payload(result.card)["attachments"]}


def action_payload(raw: str) -> dict:
    """The JSON payload of a Slack interaction; refused when it is not an object."""
    import json

    try:
        payload = json.loads(raw)
    except ValueError as error:
        raise Refused(400, "payload is not JSON") from error
    if not isinstance(payload, dict):
        raise Refused(400, "payload is not an object")
    return payload
