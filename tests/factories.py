"""A small, explicit base data set for functional tests (the demo seed is for browser tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from werkzeug.security import generate_password_hash

from marketplace.extensions import db
from marketplace.media.services import register_file
from marketplace.models import (
    KPI,
    ChecklistStep,
    Collection,
    CollectionEntry,
    Department,
    Item,
    ItemImage,
    Moment,
    Skill,
    User,
)
from marketplace.timeutil import utcnow

PASSWORD = "correct horse battery"
_HASH: dict[str, str] = {}

# A 1x1 PNG, enough for a seeded image Quick Learn.
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201"
    "e2b2ba3f0000000049454e44ae426082"
)


def password_hash() -> str:
    """One scrypt hash per test session: hashing per user would dominate test time."""
    if "hash" not in _HASH:
        # A cheap PBKDF2 setting for test users only: the KDF is not under test here.
        _HASH["hash"] = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    return _HASH["hash"]


@dataclass
class Base:
    sales: Department
    support: Department
    kpi: KPI
    kpi2: KPI
    skill: Skill
    users: dict[str, User]
    job_aid: Item
    checklist: Item
    quick_learn: Item
    draft: Item
    collection: Collection
    draft_collection: Collection


def user(email: str, name: str, department: Department | None, **roles) -> User:
    """Create a user with the shared test password."""
    champion_of = roles.pop("champion_of", [])
    row = User(email=email, name=name, department=department, password_hash=password_hash(), champion_of=champion_of, **roles)
    db.session.add(row)
    return row


def item(slug: str, moment: str, kind: str = "job_aid", status: str = "published", **fields) -> Item:
    """Create a catalog item with sensible defaults."""
    moment_row = db.session.query(Moment).filter_by(slug=moment).one()
    defaults = {
        "title": slug.replace("-", " ").capitalize(), "summary": f"Summary of {slug}.", "body": f"Body of **{slug}**.",
        "published_at": utcnow() if status == "published" else None, "review_by": date(2030, 1, 1),
    }
    row = Item(slug=slug, type=kind, status=status, moment=moment_row, **{**defaults, **fields})
    db.session.add(row)
    return row


def build_base() -> Base:
    """Departments, KPIs, one user per role, a few items and two collections."""
    sales = Department(name="Sales", slug="sales")
    support = Department(name="Customer Support", slug="support")
    kpi = KPI(name="Days to first sale", slug="days-to-first-sale", measures="Days from start to first closed deal.", unit="days", direction="down", department=sales)
    kpi2 = KPI(name="First-contact resolution", slug="first-contact-resolution", measures="Share solved in one contact.", unit="%", direction="up", department=support)
    skill = Skill(name="Expense policy", slug="expense-policy")
    db.session.add_all([sales, support, kpi, kpi2, skill])
    users = {
        "employee": user("employee@test.example", "Erin Employee", sales),
        "champion": user("champion@test.example", "Chris Champion", sales, champion_of=[sales]),
        "curator": user("curator@test.example", "Cora Curator", support, is_curator=True),
        "leader": user("leader@test.example", "Lee Leader", support, is_leader=True),
        "admin": user("admin@test.example", "Ada Admin", None, is_admin=True),
    }
    db.session.flush()
    owner = users["champion"]
    job_aid = item("expense-claim-rejected", "solve", title="Expense claim rejected: what now?", summary="Fix and resubmit a rejected expense claim.", kpis=[kpi], skills=[skill], department=sales, owner=owner)
    checklist = item("first-week-checklist", "new", kind="checklist", title="Your first week in sales", kpis=[kpi], department=sales, owner=owner,
                     steps=[ChecklistStep(position=i, text=f"Step {i + 1}", detail="Detail") for i in range(4)])
    media = register_file(PNG_1PX, kind="image", content_type="image/png", extension="png", original_name="tiny.png")
    quick_learn = item("demo-quick-learn", "apply", kind="quick_learn", title="Logging a call in two minutes", kpis=[kpi2], department=support, owner=users["leader"], images=[ItemImage(media=media)], transcript="Hello.\n\nThis is how.")
    draft = item("secret-draft", "change", status="draft", title="Unreleased pricing change", kpis=[kpi], department=sales, owner=users["employee"])
    collection = Collection(title="Ramp up new sellers", slug="ramp-up", intent="New sellers take too long to close.", kpi=kpi, featured=True, status="published", owner=users["curator"],
                            entries=[CollectionEntry(item=job_aid, position=0), CollectionEntry(item=checklist, position=1), CollectionEntry(item=quick_learn, position=2)])
    draft_collection = Collection(title="Hidden draft", slug="hidden-draft", intent="Not yet.", kpi=kpi2, status="draft", owner=users["curator"])
    db.session.add_all([collection, draft_collection])
    db.session.commit()
    return Base(sales, support, kpi, kpi2, skill, users, job_aid, checklist, quick_learn, draft, collection, draft_collection)
