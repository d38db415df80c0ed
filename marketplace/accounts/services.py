"""Account rules: authentication, user creation and role changes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace.accounts import sessions
from marketplace.accounts.models import Department, RevokeReason, User
from marketplace.extensions import db

# A real hash to compare against when the email is unknown, so timing does not
# reveal which addresses have accounts.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(ValueError):
    """A rule about accounts was broken; the message is shown to the user."""


@dataclass
class UserData:
    name: str
    email: str
    department_id: int | None
    is_curator: bool
    is_leader: bool
    is_admin: bool
    champion_of: list[int]
    active: bool = True


def normalise_email(email: str) -> str:
    """Lower-case and trim an email address."""
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    """Hash with Werkzeug's default KDF (scrypt)."""
    return generate_password_hash(password)


# Accounts created by single sign-on hold this instead of a hash: no password matches it.
NO_PASSWORD = "!sso"


def has_password(user: User) -> bool:
    """True when the user can sign in with a password (SSO-only accounts cannot)."""
    return bool(user.password_hash) and user.password_hash != NO_PASSWORD


def may_use_password(user: User | None, enabled: bool, break_glass: str) -> bool:
    """Password sign-in is for everyone when enabled, else only for the named break-glass admins."""
    if enabled or user is None:
        return enabled
    named = {normalise_email(e) for e in break_glass.split(",") if e.strip()}
    return user.is_admin and user.email in named


def authenticate(email: str, password: str) -> User | None:
    """Return the active user with these credentials, or None."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not has_password(user) or not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def get_user(user_id: int) -> User | None:
    """Load a user by id."""
    return db.session.get(User, user_id)


def signed_in_user(user_id: int) -> User | None:
    """The user behind a session, with the champion departments every page's menu asks about, in one query."""
    return db.session.get(User, user_id, options=[joinedload(User.champion_of)])


def list_users() -> list[User]:
    """All users, by name."""
    return list(db.session.scalars(select(User).order_by(func.lower(User.name))))


def departments() -> list[Department]:
    """All departments, by name."""
    return list(db.session.scalars(select(Department).order_by(Department.name)))


def _apply(user: User, data: UserData) -> None:
    email = normalise_email(data.email)
    clash = db.session.scalar(select(User).where(User.email == email))
    if clash is not None and clash is not user:
        raise AccountError(f"{email} already has an account.")
    user.name = data.name.strip()
    user.email = email
    user.department_id = data.department_id or None
    user.is_curator, user.is_leader, user.is_admin = data.is_curator, data.is_leader, data.is_admin
    user.active = data.active
    wanted = set(data.champion_of or [])
    user.champion_of = [d for d in departments() if d.id in wanted]


def create_user(data: UserData, password: str) -> User:
    """Create a user with the given roles."""
    user = User(password_hash=hash_password(password))
    _apply(user, data)
    db.session.add(user)
    db.session.commit()
    return user


def update_user(user: User, data: UserData, acting: User) -> User:
    """Change a user's details and roles; admins cannot lock themselves out."""
    if user.id == acting.id and (not data.is_admin or not data.active):
        raise AccountError("You can't remove your own admin role or deactivate yourself.")
    leaving = user.active and not data.active
    _apply(user, data)
    if leaving:
        from marketplace.lifecycle.services import hand_over_items

        hand_over_items(user)  # as SCIM deprovisioning does, in the same transaction
    db.session.commit()
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password after checking the current one; every earlier session ends."""
    if not has_password(user):
        raise AccountError("Your password is managed by your organisation's sign-in; change it there.")
    if not check_password_hash(user.password_hash, current):
        raise AccountError("That is not your current password.")
    if new == current:
        raise AccountError("Choose a password different from the current one.")
    user.password_hash = hash_password(new)
    db.session.commit()
    sessions.revoke_all(user, RevokeReason.PASSWORD_CHANGED)


def deactivate_user(user: User, reason: RevokeReason = RevokeReason.DEACTIVATED) -> None:
    """Deactivate an account and sign it out everywhere (SCIM and admins both come here)."""
    from marketplace.lifecycle.services import hand_over_items

    user.active = False
    hand_over_items(user)  # their items go to a champion now, not at the next hourly run
    db.session.commit()
    sessions.revoke_all(user, reason)
