"""Save a valuable chat thread into a space: the person picks the space and confirms consent.

Slack's message action only tells us which message was chosen; the thread's messages are
read with the bot (when one is connected) and held in a ChatCapture until the person who
asked opens our link, chooses a space they may post in and confirms the participants agreed.
In a Chatham House space, no author is stored or shown.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

import httpx
from flask import current_app
from sqlalchemy import select

from marketplace import jobs
from marketplace.extensions import db
from marketplace.integrations.delivery import TIMEOUT, check_response, personal_connection
from marketplace.integrations.messages import absolute
from marketplace.integrations.models import ChatCapture
from marketplace.policy import can
from marketplace.spaces.models import Space, Thread

MAX_MESSAGES = 100
SLACK_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


@dataclass
class CaptureProblem(Exception):
    problems: list[str]


def start_from_slack(payload: dict) -> ChatCapture:
    """Hold the chosen message's thread from a Slack message action, and queue the link to the person."""
    message, channel = payload.get("message") or {}, (payload.get("channel") or {}).get("id", "")
    root = message.get("thread_ts") or message.get("ts", "")
    messages = _thread_messages(channel, root) or [_message(message)]
    team = (payload.get("team") or {}).get("domain", "")
    permalink = f"https://{team}.slack.com/archives/{channel}/p{root.replace('.', '')}" if team and channel and root else ""
    capture = ChatCapture(token=secrets.token_urlsafe(24), source="slack", permalink=permalink, messages=messages[:MAX_MESSAGES])
    db.session.add(capture)
    response_url = payload.get("response_url", "")
    from marketplace.integrations.inbound import allowed_response_url

    if allowed_response_url(response_url):
        jobs.submit("integrations.capture_link", {"response_url": response_url, "token": capture.token}, max_attempts=3)
    db.session.commit()
    return capture


def _thread_messages(channel: str, root: str) -> list[dict]:
    connection = personal_connection()
    if connection is None or not channel or not root:
        return []
    url = current_app.config["SLACK_API_BASE"].rstrip("/") + "/conversations.replies"
    response = httpx.get(url, params={"channel": channel, "ts": root, "limit": MAX_MESSAGES},
                         headers={"Authorization": f"Bearer {connection.token}"}, timeout=TIMEOUT)
    check_response(response)
    body = response.json()
    return [_message(m) for m in body.get("messages", [])] if body.get("ok") else []


def _message(raw: dict) -> dict:
    profile = raw.get("user_profile") or {}
    author = profile.get("real_name") or profile.get("display_name") or raw.get("username") or "a colleague"
    return {"author": str(author)[:80], "text": SLACK_MENTION.sub("a colleague", str(raw.get("text", "")))[:4000]}


def link(capture: ChatCapture) -> str:
    """Where the person reviews the capture and chooses a space."""
    return absolute(f"/integrations/captures/{capture.token}")


def by_token(token: str) -> ChatCapture | None:
    """A capture not yet saved, by its secret token."""
    capture = db.session.scalar(select(ChatCapture).where(ChatCapture.token == token[:64]))
    return capture if capture is not None and capture.thread_id is None else None


def spaces_for(user) -> list[Space]:  # noqa: ANN001 - a User
    """Active spaces the person may post in."""
    spaces = db.session.scalars(select(Space).where(Space.status == "active").order_by(Space.name)).all()
    return [s for s in spaces if can(user, "post_in_space", s)]


def save(capture: ChatCapture, user, space_id: int | None, title: str, consent: bool) -> Thread:  # noqa: ANN001
    """Turn the capture into a discussion thread in the chosen space; raise CaptureProblem listing every problem."""
    from marketplace.spaces.discussions import ThreadData, create_thread

    space = next((s for s in spaces_for(user) if s.id == space_id), None)
    problems = [p for p, bad in (
        ("Choose a space you can post in.", space is None),
        ("Give the discussion a title.", not title.strip()),
        ("Confirm that the people in the chat agreed to it being saved.", not consent),
    ) if bad]
    if problems:
        raise CaptureProblem(problems)
    thread = create_thread(space, user, ThreadData("discussion", title.strip()[:200], body(capture, space.chatham_house)))
    capture.thread_id, capture.requested_by_id = thread.id, user.id
    capture.messages = []  # the thread holds them now; keep no second copy of people's words
    db.session.commit()
    return thread


def body(capture: ChatCapture, chatham_house: bool) -> str:
    """The opening post: each message quoted, with its author unless the space keeps authors unnamed."""
    parts = []
    for message in capture.messages:
        quoted = "\n".join(f"> {line}" for line in message["text"].splitlines() or [""])
        parts.append(quoted if chatham_house else f"**{message['author']}** wrote:\n\n{quoted}")
    source = f"\n\n[Original {capture.source.title()} thread]({capture.permalink})" if capture.permalink else ""
    return "\n\n".join(parts) + source
