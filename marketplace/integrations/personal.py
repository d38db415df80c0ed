"""Each person chooses, per kind of notification, in-app, e-mail, chat or several."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.integrations.models import ChannelPreference

# The kinds of personal notification people can route; "general" covers everything not named.
EVENTS: dict[str, str] = {
    "mention": "Someone mentions me or replies to me",
    "review": "Reviews: decisions on my submissions, and items waiting for me as a champion",
    "followup": "Follow-ups: “what are you doing differently?”",
    "reminder": "Reminders: content I own is due for review",
    "space": "Spaces: invitations and activity in spaces I belong to",
    "general": "Everything else",
}


@dataclass(frozen=True)
class Channels:
    in_app: bool = True
    email: bool = False
    chat: bool = False


def channels_for(user_id: int, event: str) -> Channels:
    """Where `user_id` wants notifications of kind `event` (in-app only until they choose)."""
    row = db.session.scalar(select(ChannelPreference).where(
        ChannelPreference.user_id == user_id, ChannelPreference.event == _known(event)))
    return Channels(row.in_app, row.email, row.chat) if row else Channels()


def preferences(user_id: int) -> dict[str, Channels]:
    """Every kind with the person's current choice."""
    rows = {r.event: r for r in db.session.scalars(select(ChannelPreference).where(ChannelPreference.user_id == user_id))}
    return {event: Channels(r.in_app, r.email, r.chat) if (r := rows.get(event)) else Channels() for event in EVENTS}


def save_preferences(user_id: int, chosen: dict[str, Channels]) -> list[str]:
    """Store the person's choices; a kind with no channel at all is refused (they would miss it)."""
    problems = [f"“{EVENTS[e]}” needs at least one channel." for e, c in chosen.items()
                if e in EVENTS and not (c.in_app or c.email or c.chat)]
    if problems:
        return problems
    existing = {r.event: r for r in db.session.scalars(select(ChannelPreference).where(ChannelPreference.user_id == user_id))}
    for event, channels in chosen.items():
        if event not in EVENTS:
            continue
        row = existing.get(event) or ChannelPreference(user_id=user_id, event=event)
        row.in_app, row.email, row.chat = channels.in_app, channels.email, channels.chat
        db.session.add(row)
    db.session.commit()
    return []


def _known(event: str) -> str:
    return event if event in EVENTS else "general"


def fan_out(user, event: str, text: str, link: str) -> Channels:  # noqa: ANN001 - a User
    """Send a personal notification's e-mail and chat copies as the person chose; returns the choice."""
    from marketplace.integrations import delivery
    from marketplace.integrations.messages import Card, absolute
    from marketplace.mail.services import send_mail

    channels = channels_for(user.id, event)
    url = absolute(link) if link.startswith("/") else link
    if channels.email and user.email:
        send_mail(user.email, text[:120], f"{text}\n\n{url}", user_id=user.id)
    if channels.chat and (connection := delivery.personal_connection()):
        card = Card(text[:300], [], [("Open", url)] if url else [])
        delivery.queue_personal(connection, user, card)
    return channels


def chat_available() -> bool:
    """True when a Slack bot is connected, so chat can be offered as a personal channel."""
    from marketplace.integrations import delivery

    return current_app is not None and delivery.personal_connection() is not None


def route_notification(user_id: int, event: str, text: str, link: str) -> bool:
    """The notifications hook: send e-mail/chat copies; True when the person also wants it in-app."""
    from marketplace.accounts.models import User

    if not any_preferences(user_id):
        return True  # the default: in-app only, with no extra query for people who chose nothing
    user = db.session.get(User, user_id)
    return fan_out(user, event, text, link).in_app if user is not None else True


def any_preferences(user_id: int) -> bool:
    """True when the person has chosen channels for any kind."""
    return db.session.scalar(select(ChannelPreference.id).where(ChannelPreference.user_id == user_id).limit(1)) is not None
