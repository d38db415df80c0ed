#!/usr/bin/env python3
"""Validate the demo seed in seeds/demo/ (stdlib only).

Run: python3 seeds/demo/check_seed.py
Exits non-zero and lists every problem found; prints a summary when all is well.
"""
from __future__ import annotations

import datetime as dt
import struct
import sys
import tomllib
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ITEMS_DIR = HERE / "items"
MEDIA_DIR = HERE / "media"

MOMENTS = {"new", "more", "apply", "change", "solve"}
TYPES = {"job_aid", "checklist", "quick_learn"}
STATUSES = {"published", "draft", "retired"}
ROLES = {"curator", "leader", "admin"}
STALE_BEFORE = dt.date(2026, 11, 21)
REQUIRED_DEPARTMENTS = {"sales": "Sales", "support": "Customer Support",
                        "finance": "Finance", "operations": "Operations"}
REQUIRED_KPI_NAMES = {"Days to first sale", "First-contact resolution rate",
                      "Expense claims rejected", "Average handle time"}

errors: list[str] = []


def check(cond: bool, msg: str) -> None:
    if not cond:
        errors.append(msg)


def words(text: str) -> int:
    return len(text.split())


def load(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        errors.append(f"{path.relative_to(HERE)}: invalid TOML: {exc}")
        return {}


def png_size(path: Path) -> tuple[int, int] | None:
    data = path.read_bytes()[:24]
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", data[16:24])


# ------------------------------------------------------------- organisation
org = load(HERE / "organisation.toml")
departments = org.get("department", [])
kpis = org.get("kpi", [])
skills = org.get("skill", [])
users = org.get("user", [])

check(len(departments) == 4, f"expected exactly 4 departments, found {len(departments)}")
dept_slugs = {d.get("slug") for d in departments}
for slug, name in REQUIRED_DEPARTMENTS.items():
    check(any(d.get("slug") == slug and d.get("name") == name for d in departments),
          f"department {name!r} with slug {slug!r} missing")
for d in departments:
    check(bool(d.get("description")), f"department {d.get('slug')}: no description")

check(len(kpis) >= 7, f"need at least 7 KPIs, found {len(kpis)}")
kpi_slugs = [k.get("slug") for k in kpis]
check(len(set(kpi_slugs)) == len(kpi_slugs), "duplicate KPI slugs")
kpi_by_slug = {k["slug"]: k for k in kpis if "slug" in k}
for k in kpis:
    for key in ("name", "slug", "measures", "unit", "direction", "department"):
        check(bool(k.get(key)), f"KPI {k.get('slug')}: missing {key}")
    check(k.get("direction") in {"up", "down"}, f"KPI {k.get('slug')}: direction must be up/down")
    check(k.get("department") in dept_slugs, f"KPI {k.get('slug')}: unknown department {k.get('department')!r}")
kpi_names = {k.get("name") for k in kpis}
for name in REQUIRED_KPI_NAMES:
    check(name in kpi_names, f"required KPI {name!r} missing")
check({k.get("department") for k in kpis} == dept_slugs, "every department needs at least one KPI")

skill_names = [s.get("name") for s in skills]
check(15 <= len(skill_names) <= 20, f"need 15-20 skills, found {len(skill_names)}")
check(len(set(skill_names)) == len(skill_names), "duplicate skill names")
skill_set = set(skill_names)

emails = [u.get("email") for u in users]
check(len(users) >= 15, f"need at least 15 users (5 demo + 10), found {len(users)}")
check(len(set(emails)) == len(emails), "duplicate user emails")
names = [u.get("name") for u in users]
check(len(set(names)) == len(names), "duplicate user names")
user_by_email = {u["email"]: u for u in users if "email" in u}
for u in users:
    who = u.get("email")
    for key in ("email", "name", "department", "bio"):
        check(bool(u.get(key)), f"user {who}: missing {key}")
    check(str(who).endswith("@demo.test"), f"user {who}: email must end with @demo.test")
    check(u.get("department") in dept_slugs, f"user {who}: unknown department")
    check(isinstance(u.get("roles"), list) and set(u["roles"]) <= ROLES, f"user {who}: bad roles")
    check(isinstance(u.get("champion_of"), list) and set(u["champion_of"]) <= dept_slugs,
          f"user {who}: bad champion_of")
    check(isinstance(u.get("skills"), list) and set(u["skills"]) <= skill_set,
          f"user {who}: unknown skills {set(u.get('skills', [])) - skill_set}")


def user_is(email: str, **expect) -> None:
    u = user_by_email.get(email)
    if u is None:
        errors.append(f"required user {email} missing")
        return
    for key, value in expect.items():
        if key == "department_in":
            check(u.get("department") in value, f"{email}: department should be one of {value}")
        else:
            check(u.get(key) == value, f"{email}: {key} should be {value!r}, is {u.get(key)!r}")


user_is("employee@demo.test", department="sales", roles=[], champion_of=[])
user_is("champion@demo.test", department="sales", champion_of=["sales"])
user_is("curator@demo.test", roles=["curator"], department_in=("operations", "finance"))
user_is("leader@demo.test", roles=["leader"], department="support")
user_is("admin@demo.test", roles=["admin"])
champion_depts = {d for u in users for d in u.get("champion_of", [])}
check(len(champion_depts - {"sales"}) >= 2, "add champions for other departments too")

# -------------------------------------------------------------------- items
items: dict[str, dict] = {}
media_refs: set[str] = set()
for path in sorted(ITEMS_DIR.glob("*.toml")):
    it = load(path)
    if not it:
        continue
    slug = it.get("slug")
    where = f"items/{path.name}"
    check(slug == path.stem, f"{where}: slug {slug!r} does not match file name")
    check(slug not in items, f"{where}: duplicate slug")
    items[slug] = it
    for key in ("type", "title", "slug", "summary", "moment", "kpis", "skills",
                "department", "owner", "review_by", "status", "body"):
        check(key in it, f"{where}: missing {key}")
    typ = it.get("type")
    check(typ in TYPES, f"{where}: bad type {typ!r}")
    check(it.get("moment") in MOMENTS, f"{where}: bad moment {it.get('moment')!r}")
    check(it.get("status") in STATUSES, f"{where}: bad status {it.get('status')!r}")
    check(it.get("department") in dept_slugs, f"{where}: unknown department")
    check(it.get("owner") in user_by_email, f"{where}: unknown owner {it.get('owner')!r}")
    check(isinstance(it.get("review_by"), dt.date) and not isinstance(it.get("review_by"), dt.datetime),
          f"{where}: review_by must be a TOML date")
    ks = it.get("kpis", [])
    check(1 <= len(ks) <= 3 and set(ks) <= set(kpi_by_slug), f"{where}: kpis must be 1-3 known KPI slugs: {ks}")
    ss = it.get("skills", [])
    check(1 <= len(ss) <= 3 and set(ss) <= skill_set, f"{where}: skills must be 1-3 known skills: {ss}")
    n = words(it.get("summary", ""))
    check(15 <= n <= 40, f"{where}: summary has {n} words (want 15-40)")
    body = it.get("body", "")
    check(bool(body.strip()), f"{where}: empty body")
    if typ == "job_aid":
        n = words(body)
        check(80 <= n <= 400, f"{where}: job aid body has {n} words (want 80-400)")
        check("#" in body, f"{where}: job aid body should have markdown headings")
    steps = it.get("step", [])
    if typ == "checklist":
        check(4 <= len(steps) <= 9, f"{where}: checklist has {len(steps)} steps (want 4-9)")
        for i, st in enumerate(steps, 1):
            check(bool(st.get("text")), f"{where}: step {i} has no text")
            check(set(st) <= {"text", "detail"}, f"{where}: step {i} has unknown keys")
    else:
        check(not steps, f"{where}: only checklists have steps")
    media = it.get("media")
    if typ == "quick_learn":
        if not isinstance(media, dict):
            errors.append(f"{where}: quick learn needs a [media] table")
            continue
        kind = media.get("kind")
        check(kind in {"video", "image"}, f"{where}: media kind must be video or image")
        n = words(media.get("transcript", ""))
        check(60 <= n <= 250, f"{where}: transcript has {n} words (want 60-250)")
        sequence = media.get("image")  # a photo sequence: [[media.image]] tables instead of one file
        if sequence is not None:
            check(kind == "image" and "file" not in media, f"{where}: a photo sequence is kind image without a file")
            check(isinstance(sequence, list) and 2 <= len(sequence) <= 20, f"{where}: a photo sequence has 2-20 images")
            for i, picture in enumerate(sequence if isinstance(sequence, list) else [], 1):
                check(set(picture) <= {"file", "caption"}, f"{where}: image {i} has unknown keys")
                check(len(picture.get("caption", "")) <= 300, f"{where}: image {i} caption over 300 characters")
                p = picture.get("file", "")
                media_refs.add(p)
                ppath = MEDIA_DIR / p
                check(p.endswith(".png") and ppath.is_file(), f"{where}: image {i} {p!r} must be a PNG in media/")
                if ppath.is_file():
                    check(ppath.stat().st_size < 60_000 and png_size(ppath) == (640, 360),
                          f"{where}: {p} must be 640x360 and under 60 KB")
            continue
        f = media.get("file", "")
        media_refs.add(f)
        mpath = MEDIA_DIR / f
        check(mpath.is_file(), f"{where}: media file {f!r} not found in media/")
        if kind == "video":
            d = media.get("duration_seconds")
            check(isinstance(d, int) and 4 <= d <= 8, f"{where}: video duration_seconds must be int 4-8")
            check(f.endswith(".webm"), f"{where}: videos must be .webm")
            if mpath.is_file():
                check(mpath.stat().st_size < 150_000, f"{where}: {f} is over 150 KB")
        elif kind == "image":
            check("duration_seconds" not in media, f"{where}: images have no duration")
            check(f.endswith((".png", ".jpg", ".jpeg")), f"{where}: images must be PNG or JPEG")
            if mpath.is_file():
                check(mpath.stat().st_size < 60_000, f"{where}: {f} is over 60 KB")
                if f.endswith(".png"):
                    check(png_size(mpath) == (640, 360), f"{where}: {f} must be 640x360")
    else:
        check(media is None, f"{where}: only quick learns have media")

published = {s: it for s, it in items.items() if it.get("status") == "published"}
status_counts = Counter(it.get("status") for it in items.values())
moment_counts = Counter(it.get("moment") for it in published.values())
type_counts = Counter(it.get("type") for it in published.values())
kind_counts = Counter(it["media"].get("kind") for it in published.values()
                      if it.get("type") == "quick_learn" and isinstance(it.get("media"), dict))
dept_counts = Counter(it.get("department") for it in published.values())
stale = sorted(s for s, it in published.items()
               if isinstance(it.get("review_by"), dt.date) and it["review_by"] < STALE_BEFORE)

check(len(published) >= 45, f"need at least 45 published items, found {len(published)}")
check(status_counts["draft"] == 2, f"need exactly 2 draft items, found {status_counts['draft']}")
check(status_counts["retired"] == 1, f"need exactly 1 retired item, found {status_counts['retired']}")
for m in MOMENTS:
    check(moment_counts[m] >= 6, f"moment {m!r}: only {moment_counts[m]} published items (want 6+)")
check(type_counts["job_aid"] >= 15, f"only {type_counts['job_aid']} published job aids (want 15+)")
check(type_counts["checklist"] >= 15, f"only {type_counts['checklist']} published checklists (want 15+)")
check(type_counts["quick_learn"] >= 8, f"only {type_counts['quick_learn']} published quick learns (want 8+)")
check(kind_counts["video"] >= 6, f"only {kind_counts['video']} video quick learns (want 6+)")
check(kind_counts["image"] >= 2, f"only {kind_counts['image']} image quick learns (want 2+)")
check(set(dept_counts) == dept_slugs, f"published items must cover all departments: {dict(dept_counts)}")
check(3 <= len(stale) <= 4, f"want 3-4 published items past review_by, found {len(stale)}: {stale}")
ecr = items.get("expense-claim-rejected-what-now", {})
check(ecr.get("type") == "job_aid" and ecr.get("moment") == "solve" and ecr.get("department") == "finance"
      and ecr.get("status") == "published", "expense-claim-rejected-what-now must be a published finance solve job aid")
titles = [it.get("title") for it in items.values()]
check(len(set(titles)) == len(titles), "duplicate item titles")

# -------------------------------------------------------------------- media
media_files = {p.name for p in MEDIA_DIR.iterdir() if p.is_file() and p.name != "README.md"}
check((MEDIA_DIR / "README.md").is_file(), "media/README.md missing")
check((HERE / "make_media.sh").is_file(), "make_media.sh missing")
check(not (media_files - media_refs), f"media files not used by any item: {sorted(media_files - media_refs)}")
media_total = sum((MEDIA_DIR / n).stat().st_size for n in media_files)
check(media_total < 1_200_000, f"media folder is {media_total} bytes (limit 1.2 MB)")

# -------------------------------------------------------------- collections
cols = load(HERE / "collections.toml").get("collection", [])
check(len(cols) >= 5, f"need at least 5 collections, found {len(cols)}")
col_slugs = [c.get("slug") for c in cols]
check(len(set(col_slugs)) == len(col_slugs), "duplicate collection slugs")
check(sum(1 for c in cols if c.get("featured") is True) == 3, "exactly 3 collections must be featured")
check(sum(1 for c in cols if c.get("status") == "draft") == 1, "exactly 1 collection must be draft")
for c in cols:
    where = f"collection {c.get('slug')}"
    for key in ("title", "slug", "intent", "kpi", "featured", "status", "owner", "items"):
        check(key in c, f"{where}: missing {key}")
    check(c.get("status") in {"published", "draft"}, f"{where}: bad status")
    check(isinstance(c.get("featured"), bool), f"{where}: featured must be a bool")
    check(c.get("kpi") in kpi_by_slug, f"{where}: unknown KPI {c.get('kpi')!r}")
    check(c.get("owner") == "curator@demo.test", f"{where}: owner must be curator@demo.test")
    ci = c.get("items", [])
    check(4 <= len(ci) <= 8, f"{where}: has {len(ci)} items (want 4-8)")
    check(len(set(ci)) == len(ci), f"{where}: repeated item")
    for s in ci:
        check(s in published, f"{where}: item {s!r} does not exist or is not published")
    check(not (c.get("featured") and c.get("status") != "published"), f"{where}: featured collections must be published")

# ------------------------------------------------------------------- report
if errors:
    print(f"FAILED: {len(errors)} problem(s)")
    for e in errors:
        print(" -", e)
    sys.exit(1)

print("seed OK")
print(f"  departments {len(departments)}, KPIs {len(kpis)}, skills {len(skills)}, users {len(users)}")
print(f"  items {len(items)}: {dict(status_counts)}")
print("  published by moment: " + ", ".join(f"{m} {moment_counts[m]}" for m in ("new", "more", "apply", "change", "solve")))
print("  published by type:   " + ", ".join(f"{t} {type_counts[t]}" for t in ("job_aid", "checklist", "quick_learn"))
      + f" (video {kind_counts['video']}, image {kind_counts['image']})")
print("  published by dept:   " + ", ".join(f"{d} {dept_counts[d]}" for d in sorted(dept_counts)))
print(f"  stale (review_by < {STALE_BEFORE}): {', '.join(stale)}")
print(f"  collections {len(cols)} ({sum(bool(c.get('featured')) for c in cols)} featured), media {len(media_files)} files, {media_total} bytes")
