"""People, departments and roles."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table, Text
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
