"""Notify people in the app; count and list what they have not read."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import bindparam, func, select, update

from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.timeutil import utcnow

# Other channels (e-mail, chat) register here; each returns whether the person still wants it in-app.
_channels: list[Callable[[int, str, str, str], bool]] = []


def add_channel(route: Callable[[int, str, str, str], bool]) -> None:
    """Register `route(user_id, event, text, link) -> keep_in_app` for every notification."""
    if route not in _channels:
        _channels.append(route)


def notify(user_id: int, text: str, link: str = "", event: str = "general") -> Notification:
    """Add (not commit) a notification, so it lands in the same transaction as its cause.

    `event` names the kind ("mention", "review", ...) so people can route each kind to
    in-app, e-mail or chat (see marketplace.integrations.personal).
    """
    note = Notification(user_id=user_id, text=text[:500], link=link[:500])
    keep = all([route(user_id, event, text, link) for route in _channels])
    if keep:
        db.session.add(note)
    return note


def unread_count(user_id: int) -> int:
    """How many notifications the user has not read."""
    return db.session.scalar(UNREAD, {"user_id": user_id}) or 0


# Built once: every page's menu shows the count.
UNREAD = select(func.count(Notification.id)).where(Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None))


def recent(user_id: int, page: int = 1, per_page: int = 20):
    """The user's notifications, newest first, one page at a time."""
    query = select(Notification).where(Notification.user_id == user_id).order_by(Notification.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def mark_all_read(user_id: int) -> int:
    """Mark every unread notification of the user read; return how many changed."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    return result.rowcount or 0
