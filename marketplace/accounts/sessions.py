"""Server-side sessions: one row per signed-in browser, revocable from anywhere.

The browser's signed cookie carries a random token and the time it was last seen; the
database holds the token's hash, the absolute expiry and whether it was revoked. Checking a
session is a read: nothing is written on a GET. Idle expiry lives in the cookie, so a copied
cookie ages like the original; revocation and absolute expiry live here, so they hold on
every app machine at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, event, inspect, or_, select, update
from sqlalchemy.orm import Session

from marketplace.accounts.models import RevokeReason, SignInMethod, User, UserSession
from marketplace.extensions import db
from marketplace.timeutil import utcnow

ROLE_ATTRIBUTES = ("is_curator", "is_leader", "is_admin", "champion_of")


@dataclass(frozen=True)
class Lifetimes:
    idle: timedelta
    absolute: timedelta


def hash_token(token: str) -> str:
    """The stored form of a session token (a leaked table holds no usable tokens)."""
    return hashlib.sha256(token.encode()).hexdigest()


def start(user: User, lifetimes: Lifetimes, method: SignInMethod = SignInMethod.PASSWORD,
          provider: str | None = None, device: str = "", id_token: str | None = None) -> str:
    """Record a new session for `user` and return the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(UserSession(
        user_id=user.id, token_hash=hash_token(token), method=method, provider=provider,
        device=device[:80], id_token=id_token, created_at=now, expires_at=now + lifetimes.absolute,
    ))
    db.session.commit()
    return token


# Built once: every signed-in request runs it, and constructing it cost more than running it.
BY_TOKEN = select(UserSession).where(UserSession.token_hash == bindparam("token_hash"))


def find_valid(token: str | None, user_id: int, seen_at: datetime | None, lifetimes: Lifetimes) -> UserSession | None:
    """The live session for this token and user, or None when revoked, expired or idle too long."""
    if not token or seen_at is None:
        return None
    now = utcnow()
    if seen_at + lifetimes.idle < now:
        return None
    row = db.session.scalar(BY_TOKEN, {"token_hash": hash_token(token)})
    if row is None or row.user_id != user_id or row.revoked_at is not None or row.expires_at <= now:
        return None
    return row


def revoke(token: str | None, reason: RevokeReason = RevokeReason.SIGNED_OUT) -> UserSession | None:
    """Revoke the session holding `token`; returns it (for the provider's end-session hint)."""
    if not token:
        return None
    row = db.session.scalar(select(UserSession).where(UserSession.token_hash == hash_token(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at, row.revoked_reason = utcnow(), reason
        db.session.commit()
    return row


def _revoke_statement(user_id: int, reason: RevokeReason):
    return (
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )


def revoke_all(user: User, reason: RevokeReason | str) -> int:
    """Sign `user` out everywhere: revoke every live session. Returns how many were live.

    Commits. Services that change a user and want the revocation in their own
    transaction need not call this: deactivation and role changes are caught at flush.
    """
    result = db.session.execute(_revoke_statement(user.id, RevokeReason(reason)))
    db.session.commit()
    return result.rowcount or 0


def end_other(user: User, session_id: int, current_token: str | None) -> bool:
    """End one of the user's own sessions (not the current one); False when there is none."""
    row = db.session.get(UserSession, session_id)
    if row is None or row.user_id != user.id or row.revoked_at is not None:
        return False
    if current_token and row.token_hash == hash_token(current_token):
        return False
    row.revoked_at, row.revoked_reason = utcnow(), RevokeReason.ENDED_ELSEWHERE
    db.session.commit()
    return True


def list_live(user: User) -> list[UserSession]:
    """The user's sessions that are neither revoked nor past their absolute expiry, newest first."""
    return list(db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None), UserSession.expires_at > utcnow())
        .order_by(UserSession.created_at.desc(), UserSession.id.desc())
        .limit(50)
    ))


def purge(older_than: timedelta = timedelta(days=30)) -> int:
    """Housekeeping: delete rows revoked or expired more than `older_than` ago."""
    cutoff = utcnow() - older_than
    result = db.session.execute(delete(UserSession).where(
        or_(UserSession.expires_at < cutoff, UserSession.revoked_at < cutoff)
    ))
    db.session.commit()
    return result.rowcount or 0


def _roles_or_activity_changed(user: User) -> RevokeReason | None:
    state = inspect(user)
    active = state.attrs.active.history
    if active.deleted and active.deleted[0] and not user.active:
        return RevokeReason.DEACTIVATED
    for name in ROLE_ATTRIBUTES:
        history = state.attrs[name].history
        if name == "champion_of":
            if {d.id for d in history.added} != {d.id for d in history.deleted}:
                return RevokeReason.ROLES_CHANGED
        elif history.deleted and history.added and bool(history.deleted[0]) != bool(history.added[0]):
            return RevokeReason.ROLES_CHANGED
    return None


@event.listens_for(Session, "before_flush")
def _revoke_on_deactivation_or_role_change(session: Session, _context, _instances) -> None:
    """Whatever path deactivates a user or changes their roles, their sessions end in the same transaction."""
    for obj in list(session.dirty):
        if isinstance(obj, User) and obj.id is not None:
            reason = _roles_or_activity_changed(obj)
            if reason is not None:
                session.connection().execute(_revoke_statement(obj.id, reason))
