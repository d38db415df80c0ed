"""Single sign-on with OpenID Connect: provider settings and who a verified ID token is.

Providers come from the environment (see config.oidc_providers_from_environment and the
README). Users are matched by (issuer, subject) only; the e-mail claim links an existing
account only when the provider vouches for it. Roles follow a groups claim when one is set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from marketplace.accounts.models import Department, User, UserIdentity
from marketplace.accounts.services import NO_PASSWORD, AccountError, normalise_email
from marketplace.extensions import db

ROLE_FLAGS = {"curator": "is_curator", "leader": "is_leader", "admin": "is_admin"}


class SignInRefused(AccountError):
    """The provider's answer was valid but may not sign anyone in here; the message says why."""


@dataclass(frozen=True)
class Provider:
    name: str
    issuer: str
    client_id: str
    client_secret: str = ""
    label: str = ""
    scopes: str = "openid email profile"
    name_claim: str = "name"
    email_claim: str = "email"
    department_claim: str = ""
    groups_claim: str = ""
    group_roles: dict[str, list[str]] = field(default_factory=dict)
    link_by_email: bool = False

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    @property
    def button_label(self) -> str:
        return self.label or f"Sign in with {self.name.title()}"


def parse_group_roles(text: str) -> dict[str, list[str]]:
    """'grp-a=admin;grp-b=curator,leader;grp-c=champion:sales' -> {group: [role, ...]}."""
    mapping: dict[str, list[str]] = {}
    for pair in filter(None, (p.strip() for p in text.split(";"))):
        group, _, roles = pair.partition("=")
        mapping[group.strip()] = [r.strip() for r in roles.split(",") if r.strip()]
    return mapping


def providers_from_config(raw: list[dict]) -> dict[str, Provider]:
    """Build Provider objects from OIDC_* settings; a provider missing issuer or client id is an error."""
    providers = {}
    for entry in raw:
        missing = [key for key in ("issuer", "client_id") if not entry.get(key)]
        if missing:
            raise RuntimeError(f"OIDC provider {entry['name']!r} needs {', '.join(k.upper() for k in missing)}")
        providers[entry["name"]] = Provider(
            name=entry["name"], issuer=entry["issuer"], client_id=entry["client_id"],
            client_secret=entry.get("client_secret", ""), label=entry.get("label", ""),
            scopes=entry.get("scopes", "openid email profile"),
            name_claim=entry.get("name_claim", "name"), email_claim=entry.get("email_claim", "email"),
            department_claim=entry.get("department_claim", ""), groups_claim=entry.get("groups_claim", ""),
            group_roles=parse_group_roles(entry.get("group_roles", "")),
            link_by_email=entry.get("link_by_email", "").strip().lower() in {"1", "true", "yes", "on"},
        )
    return providers


def _claim(claims: dict, name: str) -> str:
    value = claims.get(name) if name else None
    return value.strip() if isinstance(value, str) else ""


def _department(name: str) -> Department | None:
    if not name:
        return None
    return db.session.scalar(select(Department).where((Department.name == name) | (Department.slug == name.lower())))


def _apply_groups(user: User, provider: Provider, groups: object) -> None:
    """Set roles and champion departments from the groups claim (all mapped roles, nothing else)."""
    held = set(groups) if isinstance(groups, list) else set()
    roles = {role for group, mapped in provider.group_roles.items() if group in held for role in mapped}
    for role, flag in ROLE_FLAGS.items():
        setattr(user, flag, role in roles)
    slugs = {role.removeprefix("champion:") for role in roles if role.startswith("champion:")}
    user.champion_of = list(db.session.scalars(select(Department).where(Department.slug.in_(slugs)))) if slugs else []


def _linkable(provider: Provider, claims: dict, email: str) -> User | None:
    vouched = provider.link_by_email or claims.get("email_verified") is True
    if not email or not vouched:
        return None
    return db.session.scalar(select(User).where(User.email == email))


def user_for_claims(provider: Provider, claims: dict) -> User:
    """The user for a verified ID token: found by (issuer, subject), else linked or created; roles synced."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise SignInRefused("Your organisation's sign-in did not say who you are.")
    identity = db.session.scalar(select(UserIdentity).where(
        UserIdentity.issuer == provider.issuer, UserIdentity.subject == subject))
    email = normalise_email(_claim(claims, provider.email_claim))
    user = db.session.get(User, identity.user_id) if identity else _linkable(provider, claims, email)
    if user is None:
        user = _create(provider, claims, email)
    if identity is None:
        db.session.add(UserIdentity(user_id=user.id, issuer=provider.issuer, subject=subject))
    if not user.active:
        db.session.rollback()
        raise SignInRefused("Your account is deactivated. Ask an admin if you think it should not be.")
    if provider.groups_claim:
        _apply_groups(user, provider, claims.get(provider.groups_claim))
    db.session.commit()
    return user


def _create(provider: Provider, claims: dict, email: str) -> User:
    if not email:
        raise SignInRefused("Your organisation's sign-in did not share an e-mail address, which an account needs.")
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise SignInRefused(f"{email} already has an account here. Ask an admin to link it to your organisation's sign-in.")
    name = _claim(claims, provider.name_claim) or email.split("@")[0]
    department = _department(_claim(claims, provider.department_claim))
    user = User(email=email, name=name[:120], password_hash=NO_PASSWORD, department=department)
    db.session.add(user)
    db.session.flush()
    return user
