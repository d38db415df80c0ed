"""The demo seed: idempotent, loaded from seeds/demo/*.toml in development or on request."""

from __future__ import annotations

import mimetypes
import tomllib
from collections import Counter
from datetime import date
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from marketplace.accounts.models import Department, User
from marketplace.accounts.services import hash_password
from marketplace.catalog.models import KPI, ChecklistStep, Item, ItemImage, MediaFile, Moment, Skill
from marketplace.config import ROOT
from marketplace.curation.models import Collection, CollectionEntry
from marketplace.curation.services import slugify
from marketplace.extensions import db
from marketplace.media.services import register_file
from marketplace.timeutil import utcnow

DEMO_DIR = ROOT / "seeds" / "demo"
DEMO_PASSWORD = "demo-password"
DEMO_LOGINS = [
    ("employee@demo.test", "Employee (Sales)"),
    ("champion@demo.test", "Learning champion of Sales"),
    ("curator@demo.test", "L&D curator"),
    ("leader@demo.test", "Leader"),
    ("admin@demo.test", "Admin"),
]


def demo_logins_text() -> str:
    """The demo accounts as printable lines."""
    lines = [f"  {email:<22} {role}" for email, role in DEMO_LOGINS]
    return "Demo logins (password: demo-password):\n" + "\n".join(lines)


def _load(path: Path) -> dict:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def _get_or_create(model, lookup: dict, created: Counter, **values):
    row = db.session.scalar(select(model).filter_by(**lookup))
    if row is None:
        row = model(**lookup, **values)
        db.session.add(row)
        created[model.__tablename__] += 1
    return row


def _organisation(data: dict, created: Counter) -> None:
    for d in data.get("department", []):
        _get_or_create(Department, {"slug": d["slug"]}, created, name=d["name"], description=d.get("description", ""))
    db.session.flush()
    departments = {d.slug: d for d in db.session.scalars(select(Department))}
    for k in data.get("kpi", []):
        _get_or_create(
            KPI, {"slug": k["slug"]}, created, name=k["name"], measures=k.get("measures", ""),
            unit=k.get("unit", ""), direction=k.get("direction", "up"),
            department=departments.get(k.get("department")),
        )
    for s in data.get("skill", []):
        _get_or_create(Skill, {"slug": slugify(s["name"])}, created, name=s["name"])
    db.session.flush()
    # Every demo account shares one password, so one (slow, salted) hash serves them all.
    password_hash = hash_password(DEMO_PASSWORD)
    for u in data.get("user", []):
        _user(u, departments, created, password_hash)


def _user(u: dict, departments: dict, created: Counter, password_hash: str) -> None:
    if db.session.scalar(select(User).where(User.email == u["email"])) is not None:
        return
    roles = set(u.get("roles", []))
    skills = {s.slug: s for s in db.session.scalars(select(Skill))}
    user = User(
        email=u["email"], name=u["name"], password_hash=password_hash,
        skills=[skills[slugify(name)] for name in u.get("skills", []) if slugify(name) in skills],
        department=departments.get(u.get("department")), bio=u.get("bio", ""),
        is_curator="curator" in roles, is_leader="leader" in roles, is_admin="admin" in roles,
        champion_of=[departments[s] for s in u.get("champion_of", [])],
    )
    db.session.add(user)
    created["users"] += 1


def _file(name: str, kind: str, owner: User | None, **fields) -> MediaFile:
    path = DEMO_DIR / "media" / name
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if kind == "image":
        with Image.open(path) as image:  # our own generated files; the size lets pages reserve space
            fields["width"], fields["height"] = image.size
    return register_file(
        path.read_bytes(), kind=kind, content_type=content_type, extension=path.suffix.lstrip(".").lower(),
        original_name=path.name, owner_id=owner.id if owner else None, **fields,
    )


def _media(item: Item, spec: dict, owner: User | None) -> None:
    """A video (`file`), one image (`file`) or a photo sequence (`[[media.image]]` with captions)."""
    if spec.get("kind") == "image":
        pictures = spec.get("image") or [{"file": spec["file"]}]
        item.images = [ItemImage(position=i, media=_file(p["file"], "image", owner), caption=p.get("caption", ""))
                       for i, p in enumerate(pictures)]
    else:
        item.media = _file(spec["file"], spec.get("kind", "video"), owner, duration_seconds=spec.get("duration_seconds"))
    item.transcript = spec.get("transcript", "")


def _demo_files(spec: dict) -> list[tuple[str, str]]:
    """(field, file name) pairs of one item's demo media: ("media", f) or ("image:<n>", f)."""
    media = spec.get("media") or {}
    if media.get("kind") == "image":
        pictures = media.get("image") or [{"file": media["file"]}]
        return [(f"image:{i}", p["file"]) for i, p in enumerate(pictures)]
    return [("media", media["file"])] if media.get("file") else []


def restore_demo_media(directory: Path = DEMO_DIR) -> int:
    """Put any demo file missing from media storage back (a new machine, a fresh bucket); return how many."""
    from marketplace.media.storage import storage

    store, restored = storage(), 0
    for path in sorted((directory / "items").glob("*.toml")):
        spec = _load(path)
        item = db.session.scalar(select(Item).where(Item.slug == spec["slug"])) if "media" in spec else None
        for field, name in _demo_files(spec) if item is not None else []:
            if field == "media":
                row = item.media
            else:
                position = int(field.split(":")[1])
                row = item.images[position].media if position < len(item.images) else None
            if row is not None and row.original_name == name and not store.exists(row.storage_name):
                store.save_bytes((directory / "media" / name).read_bytes(), row.storage_name)
                restored += 1
    return restored


def _item(spec: dict, lookups: dict, created: Counter) -> None:
    if db.session.scalar(select(Item.id).where(Item.slug == spec["slug"])) is not None:
        return
    owner = lookups["users"].get(spec.get("owner"))
    status = spec.get("status", "published")
    review_by = spec.get("review_by")
    item = Item(
        type=spec["type"], title=spec["title"], slug=spec["slug"], summary=spec.get("summary", ""),
        body=spec.get("body", ""), moment=lookups["moments"][spec["moment"]],
        department=lookups["departments"].get(spec.get("department")), owner=owner, status=status,
        review_by=review_by if isinstance(review_by, date) else None,
        kpis=[lookups["kpis"][k] for k in spec.get("kpis", [])],
        skills=[lookups["skills"][slugify(s)] for s in spec.get("skills", [])],
        published_at=utcnow() if status == "published" else None,
        steps=[ChecklistStep(position=i, text=s["text"], detail=s.get("detail", "")) for i, s in enumerate(spec.get("step", []))],
    )
    if "media" in spec:
        _media(item, spec["media"], owner)
    db.session.add(item)
    created["items"] += 1


def _lookups() -> dict:
    def by(model, key):
        return {getattr(row, key): row for row in db.session.scalars(select(model))}

    return {
        "users": by(User, "email"), "moments": by(Moment, "slug"), "departments": by(Department, "slug"),
        "kpis": by(KPI, "slug"), "skills": by(Skill, "slug"),
    }


def _collections(data: dict, created: Counter) -> None:
    users = {u.email: u for u in db.session.scalars(select(User))}
    kpis = {k.slug: k for k in db.session.scalars(select(KPI))}
    for c in data.get("collection", []):
        if db.session.scalar(select(Collection.id).where(Collection.slug == c["slug"])) is not None:
            continue
        items = {i.slug: i for i in db.session.scalars(select(Item).where(Item.slug.in_(c.get("items", []))))}
        collection = Collection(
            slug=c["slug"], title=c["title"], intent=c.get("intent", ""), kpi=kpis.get(c.get("kpi")),
            featured=c.get("featured", False), status=c.get("status", "published"), owner=users.get(c.get("owner")),
            entries=[CollectionEntry(item=items[s], position=i) for i, s in enumerate(c.get("items", [])) if s in items],
        )
        db.session.add(collection)
        created["collections"] += 1


def load_demo(directory: Path = DEMO_DIR) -> str:
    """Load the demo content; rows that already exist are left untouched."""
    created: Counter = Counter()
    _organisation(_load(directory / "organisation.toml"), created)
    db.session.flush()
    lookups = _lookups()
    for path in sorted((directory / "items").glob("*.toml")):
        _item(_load(path), lookups, created)
    db.session.flush()
    if (directory / "collections.toml").exists():
        _collections(_load(directory / "collections.toml"), created)
    db.session.commit()
    from marketplace.spaces.seed import load_spaces

    load_spaces(created)
    from marketplace.submissions.seed import seed_submissions

    created += Counter(submissions=seed_submissions())  # += drops a zero count
    from marketplace.lifecycle.seed import seed_lifecycle
    from marketplace.requests.seed import seed_requests

    created += Counter(requests=seed_requests(), lifecycle_updates=seed_lifecycle())
    from marketplace.search.seed import load_vocabulary

    load_vocabulary(directory, created)
    created += Counter(restored_media_files=restore_demo_media())
    from marketplace.impact.seed import load as load_impact

    load_impact(created)  # readings, usage, follow-up answers and the Q&A network (issue 9)
    return ", ".join(f"{n} {name}" for name, n in sorted(created.items())) or "nothing new (already loaded)"
