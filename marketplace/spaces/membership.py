"""Who belongs to which space: the lookups both the policy and the spaces services need.

This module sits below both: it imports only models and the database session, so a permission
check never climbs back up into a feature's services (policy -> services -> policy was a cycle).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, event, or_, select

from marketplace.extensions import db
from marketplace.spaces.models import Membership, Space

MEMO = "space_memberships"


def signed_in(user: Any) -> bool:
    """True for a real, signed-in person (not the anonymous user or None)."""
    return user is not None and getattr(user, "is_authenticated", False)


def _memo() -> dict[tuple[int, int], Membership | None]:
    return db.session.info.setdefault(MEMO, {})


def membership_of(user: Any, space: Space) -> Membership | None:
    """The user's membership row in the space; remembered only until the session's next commit or rollback."""
    if not signed_in(user):
        return None
    # A thread page asks the policy several times per post; one query per page is enough, and
    # forgetting on every commit keeps membership changes effective at once.
    memo = _memo()
    key = (user.id, space.id)
    if key not in memo:
        memo[key] = db.session.scalar(
            select(Membership).where(Membership.space_id == space.id, Membership.user_id == user.id)
        )
    return memo[key]


def remember_memberships(user: Any, spaces: Iterable[Space]) -> None:
    """Load the user's memberships of many spaces in one query, so a listing's policy checks ask nothing more."""
    if not signed_in(user):
        return
    ids = [space.id for space in spaces]
    if not ids:
        return
    rows = db.session.scalars(select(Membership).where(Membership.user_id == user.id, Membership.space_id.in_(ids)))
    found = {row.space_id: row for row in rows}
    memo = _memo()
    for space_id in ids:
        memo[(user.id, space_id)] = found.get(space_id)


def active_space_ids(user: Any) -> Select:
    """SQL: the ids of spaces the user is an active member of."""
    return select(Membership.space_id).where(Membership.user_id == user.id, Membership.state == "active")


def visible_spaces_clause(viewer: Any) -> ColumnElement[bool]:
    """SQL condition: spaces whose content the viewer may read (open, or one they belong to)."""
    if not signed_in(viewer):
        return Space.visibility == "open"
    return or_(Space.visibility == "open", Space.id.in_(active_space_ids(viewer)))


def listed_spaces_clause(viewer: Any) -> ColumnElement[bool]:
    """SQL condition: spaces the viewer may see listed (private ones only when a member)."""
    return or_(Space.visibility != "private", Space.id.in_(active_space_ids(viewer)))


def attributable_spaces_clause(viewer: Any) -> ColumnElement[bool]:
    """SQL condition: spaces where the viewer may see who wrote what (Chatham House names stay inside)."""
    open_and_named = and_(Space.visibility == "open", Space.chatham_house.is_(False))
    if not signed_in(viewer):
        return open_and_named
    return or_(open_and_named, Space.id.in_(active_space_ids(viewer)))


def _forget_memberships(session, *_args) -> None:  # noqa: ANN001 - SQLAlchemy's signature
    session.info.pop(MEMO, None)


for _moment in ("after_commit", "after_rollback", "after_soft_rollback"):
    event.listen(db.session, _moment, _forget_memberships)
