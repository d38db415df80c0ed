"""People, departments and roles."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Column, Enum, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db

if TYPE_CHECKING:
    from marketplace.catalog.models import Skill
from marketplace.timeutil import utcnow

ROLE_NAMES = ("employee", "champion", "curator", "leader", "admin")

champion_departments = Table(
    "champion_departments",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True),
)

user_skills = Table(
    "user_skills",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("skill_id", ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True),
)


class Department(db.Model):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"<Department {self.slug}>"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    bio: Mapped[str] = mapped_column(Text, default="")
    is_curator: Mapped[bool] = mapped_column(default=False)
    is_leader: Mapped[bool] = mapped_column(default=False)
    is_admin: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    department: Mapped[Department | None] = relationship()
    champion_of: Mapped[list[Department]] = relationship(
        secondary=champion_departments, order_by="Department.name"
    )
    skills: Mapped[list[Skill]] = relationship(secondary=user_skills, order_by="Skill.name")

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users
        return self.active

    @property
    def is_champion(self) -> bool:
        """True when the user champions at least one department."""
        return bool(self.champion_of)

    @property
    def roles(self) -> list[str]:
        """Role names held by this user, employee always first."""
        held = {
            "champion": self.is_champion,
            "curator": self.is_curator,
            "leader": self.is_leader,
            "admin": self.is_admin,
        }
        return ["employee"] + [name for name, on in held.items() if on]

    def champions(self, department_id: int | None) -> bool:
        """True when the user is a champion of the given department."""
        return any(d.id == department_id for d in self.champion_of)

    def __repr__(self) -> str:
        return f"<User {self.email}>"


def _enum(kind: type[StrEnum], length: int) -> Enum:
    # Stored as the lower-case value in a plain string column on every backend.
    return Enum(kind, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class SignInMethod(StrEnum):
    PASSWORD = "password"
    SSO = "sso"


class RevokeReason(StrEnum):
    SIGNED_OUT = "signed_out"
    ENDED_ELSEWHERE = "ended_elsewhere"
    SIGNED_OUT_EVERYWHERE = "signed_out_everywhere"
    PASSWORD_CHANGED = "password_changed"
    DEACTIVATED = "deactivated"
    ROLES_CHANGED = "roles_changed"
    ERASED = "erased"


class UserSession(db.Model):
    """One signed-in browser. The cookie holds a random token; only its hash is stored here."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    method: Mapped[SignInMethod] = mapped_column(_enum(SignInMethod, 20))
    provider: Mapped[str | None] = mapped_column(String(40))
    device: Mapped[str] = mapped_column(String(80), default="")
    # Kept so sign-out can ask the provider to end its session too (id_token_hint).
    id_token: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(index=True)
    revoked_reason: Mapped[RevokeReason | None] = mapped_column(_enum(RevokeReason, 30))

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class UserIdentity(db.Model):
    """A link between a user and an OpenID Connect subject at one issuer."""

    __tablename__ = "user_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
