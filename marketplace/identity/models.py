"""SCIM bearer tokens, provisioned resources and the group-to-role mapping admins edit."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Department
from marketplace.extensions import db
from marketplace.timeutil import utcnow


def _values(enum_type: type[enum.Enum]) -> list[str]:
    return [member.value for member in enum_type]


class ScimToken(db.Model):
    """A bearer token an identity provider presents; only its SHA-256 is kept."""

    __tablename__ = "scim_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ResourceKind(enum.StrEnum):
    """The SCIM resource types we serve."""

    USER = "User"
    GROUP = "Group"


class ScimResource(db.Model):
    """One provisioned User or Group: the SCIM document as stored, and the user it drives."""

    __tablename__ = "scim_resources"
    __table_args__ = (
        Index("ix_scim_resources_kind_key", "kind", "key", unique=True),
        Index("ix_scim_resources_kind_external", "kind", "external_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[ResourceKind] = mapped_column(Enum(ResourceKind, native_enum=False, length=10, values_callable=_values))
    # userName (Users) or displayName (Groups), case-folded: unique, and what IdPs filter on.
    key: Mapped[str] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    document: Mapped[dict] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MappedRole(enum.StrEnum):
    """What membership of a mapped identity-provider group grants."""

    CHAMPION = "champion"
    CURATOR = "curator"
    LEADER = "leader"
    ADMIN = "admin"


class GroupMapping(db.Model):
    """Members of the IdP group `group_name` get `role` (champions: of `department`)."""

    __tablename__ = "scim_group_mappings"
    __table_args__ = (Index("ix_scim_group_mappings_group", "group_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_name: Mapped[str] = mapped_column(String(255))  # case-folded displayName
    role: Mapped[MappedRole] = mapped_column(Enum(MappedRole, native_enum=False, length=16, values_callable=_values))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    department: Mapped[Department | None] = relationship()
