"""`python -m bench.impact`: the impact pages at 1,000,000 learning events, 5,000 people, 50,000 items
and 50 KPIs with three years of weekly readings; prints p50/p95 per page and the event-write overhead.

BENCH_IMPACT_EVENTS=100000 python -m bench.impact   # a quicker run while developing
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

EVENTS = int(os.environ.get("BENCH_IMPACT_EVENTS", "1000000"))
PEOPLE = int(os.environ.get("BENCH_IMPACT_PEOPLE", "5000"))
ITEMS = int(os.environ.get("BENCH_IMPACT_ITEMS", "50000"))
KPIS, DEPARTMENTS, WEEKS = 50, 20, 156
REQUESTS = int(os.environ.get("BENCH_IMPACT_REQUESTS", "40"))
BATCH = 20_000
PASSWORD = "bench-password"
VERBS = [("opened", 60), ("completed", 10), ("played", 10), ("voted_helpful", 10), ("answered", 5), ("answer_accepted", 3), ("asked", 2)]


def _app(home: Path):
    from marketplace import create_app, migrate

    app = create_app({
        "TESTING": True, "ENV_NAME": "testing", "SECRET_KEY": "bench-secret-key-not-for-production", "WTF_CSRF_ENABLED": False,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{home / 'impact.db'}", "SEARCH_INDEX_DIR": str(home / "index"),
        "UPLOAD_DIR": str(home / "uploads"), "INSTANCE_DIR": str(home), "SEED_DEMO": False, "JOBS_IMMEDIATE": True,
    })
    with app.app_context():
        migrate.upgrade()
    return app


def _many(connection, sql: str, rows) -> None:  # noqa: ANN001
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            connection.executemany(sql, batch)
            batch = []
    if batch:
        connection.executemany(sql, batch)


def populate(app, rng: random.Random) -> dict:
    """Write the organisation, catalog, readings and events with executemany batches (no ORM per row)."""
    from werkzeug.security import generate_password_hash

    from marketplace.extensions import db

    now = datetime(2026, 11, 30, 12, 0)
    start = now - timedelta(weeks=WEEKS)
    with app.app_context():
        raw = db.engine.raw_connection()
        c = raw.cursor()
        stamp = now.isoformat(sep=" ")
        c.executemany("INSERT INTO departments (id, name, slug, description) VALUES (?, ?, ?, '')",
                      [(d, f"Department {d}", f"dept-{d}") for d in range(1, DEPARTMENTS + 1)])
        password = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        _many(c, "INSERT INTO users (id, email, name, password_hash, department_id, bio, is_curator, is_leader, is_admin, active, created_at) "
                 "VALUES (?, ?, ?, ?, ?, '', ?, 0, 0, 1, ?)",
              ((u, f"u{u}@bench.test", f"Person {u}", password, 1 + u % DEPARTMENTS, int(u == 1), stamp) for u in range(1, PEOPLE + 1)))
        c.executemany("INSERT INTO kpis (id, name, slug, measures, unit, direction, department_id) VALUES (?, ?, ?, '', '%', ?, ?)",
                      [(k, f"KPI {k}", f"kpi-{k}", "down" if k % 3 == 0 else "up", 1 + k % DEPARTMENTS) for k in range(1, KPIS + 1)])
        c.executemany("INSERT INTO skills (id, name, slug) VALUES (?, ?, ?)", [(s, f"Skill {s}", f"skill-{s}") for s in range(1, 41)])
        moments = [m for (m,) in c.execute("SELECT id FROM moments").fetchall()]
        review = (now - timedelta(days=10)).date().isoformat()
        _many(c, "INSERT INTO items (id, type, title, slug, summary, body, transcript, moment_id, department_id, owner_id, status, review_by, version, created_at, updated_at, published_at) "
                 "VALUES (?, 'job_aid', ?, ?, 'Summary.', 'Body.', '', ?, ?, 1, 'published', ?, 1, ?, ?, ?)",
              ((i, f"Item {i}", f"item-{i}", moments[i % len(moments)], 1 + i % DEPARTMENTS, review if i % 7 == 0 else "2030-01-01",
                stamp, stamp, (start + timedelta(hours=i)).isoformat(sep=" ")) for i in range(1, ITEMS + 1)))
        _many(c, "INSERT INTO item_kpis (item_id, kpi_id) VALUES (?, ?)", ((i, 1 + i % KPIS) for i in range(1, ITEMS + 1)))
        c.executemany("INSERT INTO collections (id, title, slug, intent, kpi_id, featured, status, owner_id, created_at, updated_at) VALUES (?, ?, ?, '', ?, 0, 'published', 1, ?, ?)",
                      [(k, f"Collection {k}", f"collection-{k}", k, (start + timedelta(weeks=78)).isoformat(sep=" "), stamp) for k in range(1, KPIS + 1)])
        readings = []
        for k in range(1, KPIS + 1):
            scopes = [("", None)] + ([(f"dept-{d}", d) for d in range(1, DEPARTMENTS + 1)] if k <= 10 else [])
            for scope, dept in scopes:
                for w in range(WEEKS):
                    week = (start + timedelta(weeks=w)).date()
                    week -= timedelta(days=week.weekday())
                    readings.append((k, scope, dept, "week", week.isoformat(), 50 + 10 * rng.random() + w * 0.02, "csv", stamp))
        _many(c, "INSERT INTO impact_kpi_readings (kpi_id, scope, department_id, period, period_start, value, source, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", readings)
        raw.commit()
        _events(raw, rng, start)
        raw.close()
    return {"readings": len(readings)}


def _events(raw, rng: random.Random, start: datetime) -> None:  # noqa: ANN001
    verbs = [v for v, weight in VERBS for _ in range(weight)]
    span = int(WEEKS * 7 * 86400)
    c = raw.cursor()
    first = (c.execute("SELECT coalesce(max(id), 0) FROM learning_events").fetchone()[0]) + 1
    contexts = {}
    for offset in range(0, EVENTS, BATCH):
        events, feed = [], []
        for n in range(offset, min(EVENTS, offset + BATCH)):
            verb = rng.choice(verbs)
            actor = rng.randint(1, PEOPLE)
            # Events arrive in time order, as they do in production (the feed is read oldest first).
            when = (start + timedelta(seconds=span * n // EVENTS + rng.randrange(60))).isoformat(sep=" ")
            if verb in {"answered", "answer_accepted", "asked"}:
                context = json.dumps({"space_id": 1, "thread_id": n, "question_author_id": rng.randint(1, PEOPLE), "chatham_house": rng.random() < 0.05,
                                      "kpis": [], "kpi_ids": [1 + n % KPIS], "skill_ids": [1 + n % 40]})
                object_type, object_id = ("thread", n) if verb == "asked" else ("post", n)
            else:
                item = rng.randint(1, ITEMS)
                if item not in contexts:
                    contexts[item] = json.dumps({"item_slug": f"item-{item}", "item_type": "job_aid", "moment": "solve", "kpis": [f"kpi-{1 + item % KPIS}"],
                                                 "kpi_ids": [1 + item % KPIS], "department_id": 1 + item % DEPARTMENTS})
                context = contexts[item]
                if verb == "voted_helpful":
                    context = context[:-1] + ', "helpful": ' + ("true" if rng.random() < 0.8 else "false") + "}"
                object_type, object_id = "item", item
            events.append((first + n, actor, verb, object_type, object_id, 1 + actor % DEPARTMENTS, context, when, None))
            feed.append(("learning_event", str(first + n), when))
        c.executemany("INSERT INTO learning_events (id, actor_id, verb, object_type, object_id, department_id, context, occurred_at, object_ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", events)
        c.executemany("INSERT INTO changes (topic, entity_id, created_at) VALUES (?, ?, ?)", feed)
        raw.commit()


def _percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=20, method="inclusive")
    return statistics.median(samples) * 1000, cuts[18] * 1000


def _time(client, path: str, method: str = "GET") -> list[float]:
    timings = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get(path) if method == "GET" else client.post(path)
        timings.append(time.perf_counter() - started)
        assert response.status_code < 400, (path, response.status_code)
    return timings


def _record_overhead(app) -> list[float]:
    """What an action's transaction pays for its learning event: record() + the flush of the event and its feed row."""
    from sqlalchemy import select

    from marketplace.accounts.models import User
    from marketplace.catalog.models import Item
    from marketplace.events.models import Verb
    from marketplace.extensions import db
    from marketplace.impact.recording import item_event

    timings = []
    with app.app_context():
        user = db.session.get(User, 2)
        items = list(db.session.scalars(select(Item).where(Item.id <= REQUESTS)))
        for item in items:
            item.kpis, item.moment  # noqa: B018  (loaded as a service has them)
            started = time.perf_counter()
            item_event(user, Verb.OPENED, item)
            db.session.flush()
            timings.append(time.perf_counter() - started)
        db.session.rollback()
    return timings


def run() -> list[str]:
    """Build, roll up, then time the pages; return the printed lines."""
    rng = random.Random(11)
    lines = []
    with tempfile.TemporaryDirectory(prefix="bench-impact-") as tmp:
        app = _app(Path(tmp))
        started = time.perf_counter()
        counts = populate(app, rng)
        print(f"[impact] {EVENTS:,} events, {PEOPLE:,} people, {ITEMS:,} items, {counts['readings']:,} readings written in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
        from marketplace.impact.tasks import refresh_everything

        started = time.perf_counter()
        with app.app_context():
            refresh_everything()
        rollup = time.perf_counter() - started
        print(f"[impact] rolled up in {rollup:.0f} s", file=sys.stderr, flush=True)
        client = app.test_client()
        assert client.post("/login", data={"email": "u1@bench.test", "password": PASSWORD}).status_code == 303
        pages = [("/impact", "/impact"), ("/impact/kpis/<slug>", "/impact/kpis/kpi-3"), ("/impact/kpis/<slug>?department=", "/impact/kpis/kpi-4?department=dept-5"),
                 ("/impact/network?period=365", "/impact/network?period=365"), ("/items/<slug> (page, GET)", "/items/item-77")]
        for name, path in pages:
            _time(client, path)[:3]  # noqa: B018  (warm-up)
            p50, p95 = _percentiles(_time(client, path))
            lines.append(f"{name:<36} {p50:>8.1f} {p95:>8.1f}")
        p50, p95 = _percentiles(_time(client, "/items/item-77/opened", "POST"))
        lines.append(f"{'POST /items/<slug>/opened (beacon)':<36} {p50:>8.1f} {p95:>8.1f}")
        p50, p95 = _percentiles(_record_overhead(app))
        lines.append(f"{'record() + flush in an action':<36} {p50:>8.2f} {p95:>8.2f}")
        lines.append(f"rollup of {EVENTS:,} events (change-feed consumer, once): {rollup:.0f} s = {EVENTS / max(rollup, 0.001):,.0f} events/s")
    return lines


def main() -> None:
    """Print the impact table."""
    lines = run()
    header = f"{'impact page':<36} {'p50 ms':>8} {'p95 ms':>8}"
    print()
    print(f"impact: {EVENTS:,} learning events, {PEOPLE:,} people, {ITEMS:,} items, {KPIS} KPIs x {WEEKS} weeks (SQLite, one process)")
    print(header)
    print("-" * len(header))
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
