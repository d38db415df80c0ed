"""Provisioning rules: SCIM tokens, people from the identity provider, leavers, groups to roles."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select

from marketplace.accounts.models import Department, User
from marketplace.accounts.services import normalise_email
from marketplace.curation.services import unique_slug
from marketplace.extensions import db
from marketplace.identity.models import (
    GroupMapping,
    MappedRole,
    ResourceKind,
    ScimResource,
    ScimToken,
)
from marketplace.lifecycle.services import hand_over_items
from marketplace.timeutil import utcnow

TOKEN_PREFIX = "scim_"


class ProvisioningError(ValueError):
    """A provisioning rule was broken; the message is shown to the admin or the IdP."""


# --- bearer tokens -------------------------------------------------------------------------------

def _digest(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def create_token(label: str, admin: User) -> tuple[ScimToken, str]:
    """A new token; the plain value is returned once and only its hash is stored."""
    label = (label or "").strip()
    if not label:
        raise ProvisioningError("Give the token a label, e.g. the identity provider's name.")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ScimToken(label=label[:120], token_hash=_digest(plain), created_by_id=admin.id)
    db.session.add(token)
    return token, plain


def token_for(plain: str | None) -> ScimToken | None:
    """The active token with this plain value, or None."""
    if not plain or not plain.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(select(ScimToken).where(ScimToken.token_hash == _digest(plain)))
    return token if token is not None and token.is_active else None


def revoke_token(token: ScimToken) -> None:
    """Refuse the token from now on."""
    token.revoked_at = token.revoked_at or utcnow()


def tokens() -> list[ScimToken]:
    """Every token, newest first."""
    return list(db.session.scalars(select(ScimToken).order_by(ScimToken.id.desc())))


# --- people ---------------------------------------------------------------------------------------

@dataclass
class Person:
    """What a SCIM User resource tells us about a person."""

    email: str
    name: str
    department: str | None
    active: bool


def unusable_password() -> str:
    """A password hash nothing matches ("!" locks it, as in /etc/shadow): provisioned people sign in via the IdP.

    Not a hash of a random secret: scrypt costs half a second per provisioned person.
    """
    return "!" + secrets.token_hex(16)


def department_named(name: str | None) -> Department | None:
    """The department with this name (any case), created when the IdP names a new one."""
    name = (name or "").strip()[:120]
    if not name:
        return None
    found = db.session.scalar(select(Department).where(func.lower(Department.name) == name.lower()))
    if found is None:
        found = Department(name=name, slug=unique_slug(Department, name))
        db.session.add(found)
        db.session.flush()
    return found


def provision(person: Person, user: User | None = None) -> User:
    """Create or update the account a SCIM User drives; an existing account with the address is adopted."""
    email = normalise_email(person.email)
    clash = db.session.scalar(select(User).where(User.email == email))
    if user is None and clash is not None and not _provisioned(clash):
        user = clash  # an account made by hand before provisioning started
    elif clash is not None and clash is not user:
        raise ProvisioningError(f"{email} already belongs to another provisioned user.")
    if user is None:
        user = User(email=email, name="", password_hash=unusable_password())
        db.session.add(user)
    user.email, user.name = email, (person.name or email).strip()[:120]
    department = department_named(person.department)
    user.department_id = department.id if department else user.department_id
    db.session.flush()
    if person.active and not user.active:
        user.active = True
    elif not person.active and user.active:
        deprovision(user)
    return user


def _provisioned(user: User) -> bool:
    return db.session.scalar(select(ScimResource.id).where(ScimResource.user_id == user.id)) is not None


def deprovision(user: User) -> int:
    """A leaver: no more sign-in, sessions ended, their items handed to the department's champions.

    Returns how many items changed hands.
    """
    user.active = False
    end_sessions(user)
    return hand_over_items(user)  # the same hand-over as an admin's deactivation and the hourly run


def end_sessions(user: User) -> None:
    """Sign the user out everywhere.

    Turning `active` off is enough: the session store's flush hook (accounts/sessions.py) revokes
    every server-side session in this same transaction, so SCIM's savepoints stay intact.
    """
    user.active = False


# --- groups to roles -----------------------------------------------------------------------------

ROLE_FLAGS = {MappedRole.CURATOR: "is_curator", MappedRole.LEADER: "is_leader", MappedRole.ADMIN: "is_admin"}

def group_key(name: str | None) -> str:
    """How group names are compared: trimmed, case-folded."""
    return (name or "").strip().casefold()


def mappings() -> list[GroupMapping]:
    """The group mappings, by group name."""
    return list(db.session.scalars(select(GroupMapping).order_by(GroupMapping.group_name, GroupMapping.id)))


def add_mapping(group_name: str, role: MappedRole, department_id: int | None) -> GroupMapping:
    """Members of `group_name` get `role` from now on (champions need a department)."""
    key = group_key(group_name)
    if not key:
        raise ProvisioningError("Name the identity provider's group.")
    if role == MappedRole.CHAMPION and not department_id:
        raise ProvisioningError("Champions champion a department: choose one.")
    mapping = GroupMapping(group_name=key, role=role, department_id=department_id if role == MappedRole.CHAMPION else None)
    db.session.add(mapping)
    db.session.flush()
    sync_roles(members_of_groups([key]))
    return mapping


def remove_mapping(mapping: GroupMapping) -> None:
    """Stop granting a role through a group; its members lose it unless another group grants it."""
    members = members_of_groups([mapping.group_name])
    for user in db.session.scalars(select(User).where(User.id.in_(members))):
        if mapping.role == MappedRole.CHAMPION:
            user.champion_of = [d for d in user.champion_of if d.id != mapping.department_id]
        else:
            setattr(user, ROLE_FLAGS[mapping.role], False)
    db.session.delete(mapping)
    db.session.flush()
    sync_roles(members)  # another group may still grant it


def _memberships() -> dict[int, set[str]]:
    """User id -> keys of the provisioned groups they belong to."""
    groups = db.session.scalars(select(ScimResource).where(ScimResource.kind == ResourceKind.GROUP)).all()
    scim_ids = {member.get("value") for group in groups for member in group.document.get("members") or []}
    users = dict(db.session.execute(
        select(ScimResource.id, ScimResource.user_id).where(ScimResource.id.in_(scim_ids - {None}))
    ).all())
    held: dict[int, set[str]] = {}
    for group in groups:
        for member in group.document.get("members") or []:
            user_id = users.get(member.get("value"))
            if user_id is not None:
                held.setdefault(user_id, set()).add(group.key)
    return held


def members_of_groups(keys: Iterable[str]) -> set[int]:
    """Ids of the users in any of these provisioned groups."""
    wanted = set(keys)
    return {user_id for user_id, held in _memberships().items() if held & wanted}


def sync_roles(user_ids: Iterable[int]) -> None:
    """Set the roles that mappings manage from each user's group memberships; others stay as set by hand."""
    user_ids = set(user_ids)
    every = mappings()
    if not user_ids or not every:
        return
    held = _memberships()
    managed = {m.role for m in every}
    managed_departments = {m.department_id for m in every if m.role == MappedRole.CHAMPION}
    for user in db.session.scalars(select(User).where(User.id.in_(user_ids))):
        granted = [m for m in every if m.group_name in held.get(user.id, set())]
        roles = {m.role for m in granted}
        for role, attribute in ROLE_FLAGS.items():
            if role in managed:
                setattr(user, attribute, role in roles)
        if MappedRole.CHAMPION in managed:
            keep = [d for d in user.champion_of if d.id not in managed_departments]
            wanted = {m.department_id for m in granted if m.role == MappedRole.CHAMPION}
            user.champion_of = keep + list(db.session.scalars(select(Department).where(Department.id.in_(wanted))))
