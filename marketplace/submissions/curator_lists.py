"""Curators' lists: trusted contributors (their clean submissions publish without review) and
the confidential terms screening looks for."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.submissions.models import ConfidentialTerm, TrustedContributor


def is_trusted(user: User, department_id: int) -> bool:
    """True when the user is trusted in that department."""
    return db.session.get(TrustedContributor, (user.id, department_id)) is not None


def trusted() -> list[TrustedContributor]:
    """Every trusted contributor, by department."""
    query = select(TrustedContributor).options(selectinload(TrustedContributor.user),
                                               selectinload(TrustedContributor.department))
    return sorted(db.session.scalars(query), key=lambda t: (t.department.name, t.user.name))


def trust(user_id: int, department_id: int, by: User) -> None:
    """Mark a person trusted in a department (idempotent)."""
    if db.session.get(TrustedContributor, (user_id, department_id)) is None:
        db.session.add(TrustedContributor(user_id=user_id, department_id=department_id, granted_by_id=by.id))
    db.session.commit()


def untrust(user_id: int, department_id: int) -> None:
    """Remove a trusted mark."""
    db.session.execute(delete(TrustedContributor).where(
        TrustedContributor.user_id == user_id, TrustedContributor.department_id == department_id))
    db.session.commit()


def people() -> list[tuple[int, str]]:
    """Every active person, for the trusted-contributor form."""
    return [(u.id, f"{u.name} ({u.email})") for u in db.session.scalars(select(User).where(User.active).order_by(User.name))]


def confidential_terms() -> list[str]:
    """The terms curators maintain."""
    return list(db.session.scalars(select(ConfidentialTerm.term).order_by(ConfidentialTerm.term)))


def terms() -> list[ConfidentialTerm]:
    """Every confidential term."""
    return list(db.session.scalars(select(ConfidentialTerm).order_by(ConfidentialTerm.term)))


def add_term(term: str, by: User) -> None:
    """Add a confidential term (idempotent, case-insensitive)."""
    term = term.strip()
    exists = db.session.scalar(select(ConfidentialTerm.id).where(func.lower(ConfidentialTerm.term) == term.lower()))
    if exists is None:
        db.session.add(ConfidentialTerm(term=term, created_by_id=by.id))
    db.session.commit()


def remove_term(term_id: int) -> None:
    """Delete a confidential term."""
    db.session.execute(delete(ConfidentialTerm).where(ConfidentialTerm.id == term_id))
    db.session.commit()
