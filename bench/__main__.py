"""`python -m bench`: build, then replay keystrokes through the app's search service and through FTS5.

BENCH_SIZES=2000 python -m bench   # a quick run while developing (default: 10000,50000)
"""

from __future__ import annotations

import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "10000,50000").split(",") if s.strip()]
QUERIES = int(os.environ.get("BENCH_QUERIES", "70"))
PROCS = int(os.environ.get("BENCH_PROCS", "0"))
KNOWN_ITEMS = int(os.environ.get("BENCH_KNOWN", "100"))  # 0: as the app decides (one per core for a big catalog)


def _app(home: Path):
    from marketplace import create_app, migrate

    app = create_app({
        "TESTING": True, "ENV_NAME": "testing", "SECRET_KEY": "bench-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{home / 'bench.db'}", "SEARCH_INDEX_DIR": str(home / "index"),
        "UPLOAD_DIR": str(home / "uploads"), "INSTANCE_DIR": str(home), "SEED_DEMO": False,
        "SEARCH_RESULT_CACHE": 0,  # time the ranking of every keystroke, not answers remembered from an earlier one
        "SEARCH_HIT_TEXT_CACHE": 0,  # and mark every hit afresh
    })
    with app.app_context():
        migrate.upgrade()
    return app


def keystrokes(titles: list[str], count: int, seed: int = 7) -> list[tuple[str, int]]:
    """Every prefix of 1-3 word queries taken from titles: what someone types, letter by letter."""
    rng = random.Random(seed)
    strokes = []
    for _ in range(count):
        index = rng.randrange(len(titles))
        words = titles[index].lower().split()
        start = rng.randrange(max(1, len(words) - 2))
        query = " ".join(words[start:start + rng.randint(1, 3)])
        strokes += [(query[:n], index) for n in range(1, len(query) + 1)]
    return strokes


def question_strokes(titles: list[str], count: int, seed: int = 5) -> list[str]:
    """Questions typed letter by letter: fillers, two words of one title and one of another (so often no item holds all)."""
    rng = random.Random(seed)
    strokes = []
    for _ in range(count):
        first, other = titles[rng.randrange(len(titles))].lower().split(), titles[rng.randrange(len(titles))].lower().split()
        start = rng.randrange(max(1, len(first) - 1))
        lead = rng.choice(["how do i ", "what's the ", "my ", "where is the "])
        question = lead + " ".join(first[start:start + 2] + [rng.choice(other)])
        strokes += [question[:n] for n in range(len(lead) + 1, len(question) + 1)]
    return strokes


def run_questions(app, strokes: list[str]) -> dict:
    """Time the question keystrokes through the search service; count how many took the "most words" path (alone or after the AND matches)."""
    from marketplace.accounts.models import User
    from marketplace.extensions import db
    from marketplace.search import services

    timings, most = [], 0
    with app.test_request_context():
        user = db.session.scalar(select(User))
        for text in strokes:
            started = time.perf_counter()
            results = services.search(services.SearchRequest(text=text), user)
            timings.append(time.perf_counter() - started)
            most += results.mode in ("most", "widened")
            db.session.remove()
    return {"timings": timings, "most": most}


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99 in milliseconds."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000, cuts[98] * 1000


def _size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def run_whoosh(app, strokes, moments) -> dict:
    """Time the app's own search service per keystroke: hits, highlights, facet counts, suggestion."""
    from marketplace.accounts.models import User
    from marketplace.extensions import db
    from marketplace.search import services

    with app.test_request_context():
        user = db.session.scalar(select(User))
        for text, _ in strokes[:30]:  # warm the searcher, as any running worker is
            services.search(services.SearchRequest(text=text), user)
        timings = {"plain": [], "facet": []}
        zero = 0
        for text, index in strokes:
            for mode in ("plain", "facet"):
                filters = {"moment": moments[index % len(moments)]} if mode == "facet" else {}
                started = time.perf_counter()
                results = services.search(services.SearchRequest(text=text, filters=filters), user)
                timings[mode].append(time.perf_counter() - started)
                if mode == "plain" and not results.total:
                    zero += 1
                db.session.remove()
    return {**timings, "zero": zero}


def time_to_searchable(app, runs: int = 5) -> list[float]:
    """Seconds from the commit that publishes an item until search finds it (the app indexes after commit)."""
    from marketplace.accounts.models import User
    from marketplace.catalog.models import Item
    from marketplace.extensions import db
    from marketplace.search import services
    from marketplace.timeutil import utcnow

    seconds = []
    with app.test_request_context():
        for run in range(runs):
            user = db.session.scalar(select(User))
            template = db.session.get(Item, 1)
            word = f"zyxwv{run}q"
            item = Item(type="job_aid", title=f"Freshly approved {word}", slug=f"bench-fresh-{run}", summary="Just approved.",
                        body="Steps.", moment_id=template.moment_id, department_id=template.department_id,
                        owner_id=template.owner_id, status="pending")
            item.kpis = list(template.kpis)
            db.session.add(item)
            db.session.commit()
            item.status, item.published_at = "published", utcnow()  # what approval does
            started = time.perf_counter()
            db.session.commit()
            while not services.search(services.SearchRequest(text=word), user).total:
                if time.perf_counter() - started > 30:
                    break
            seconds.append(time.perf_counter() - started)
            db.session.remove()
    return seconds


def catch_up_seconds(app, count: int = 10_000) -> tuple[float, int]:
    """Seconds for the feed to bring the index over `count` missed changes (items really edited, index writes lost)."""
    from marketplace.changes.models import Change
    from marketplace.extensions import db
    from marketplace.search import feed, services
    from marketplace.timeutil import utcnow

    with app.app_context():
        ids = [i for (i,) in db.session.execute(db.text("SELECT id FROM items ORDER BY id"))]
        now = utcnow()
        touched = sorted({ids[n % len(ids)] for n in range(count)})
        # Raw SQL skips the flush hooks, so neither the feed nor the index hears of these edits:
        # the rows below are the changes whose index writes were lost.
        db.session.execute(db.text("UPDATE items SET title = title || ' zephyrcaught', updated_at = :now WHERE id = :id"),
                           [{"now": now, "id": i} for i in touched])
        rows = [{"topic": "search.item", "entity_id": str(ids[n % len(ids)]), "created_at": now} for n in range(count)]
        db.session.execute(Change.__table__.insert(), rows)
        db.session.commit()
        started = time.perf_counter()
        applied = feed.catch_up(app)
        seconds = time.perf_counter() - started
    with app.test_request_context():
        from marketplace.accounts.models import User

        found = services.search(services.SearchRequest(text="zephyrcaught"), db.session.scalar(select(User))).total
    if found != len(touched):
        print(f"catch-up: {found} of {len(touched)} edited items searchable", file=sys.stderr)
    return seconds, applied


def build_fts(app, path: Path) -> float:
    """Build the FTS5 peer from the same rows; returns seconds."""
    from marketplace.extensions import db

    started = time.perf_counter()
    fts = sqlite3.connect(path)
    fts.executescript("""
        CREATE VIRTUAL TABLE fts USING fts5(title, summary, tags, body, tokenize='porter unicode61', prefix='1 2 3 4');
        CREATE TABLE docs(id INTEGER PRIMARY KEY, moment TEXT, type TEXT, department TEXT);
        CREATE TABLE doc_kpis(id INTEGER, kpi TEXT); CREATE TABLE doc_skills(id INTEGER, skill TEXT);
    """)
    with app.app_context():
        source = db.engine.raw_connection()
        rows = source.execute("""
            SELECT i.id, i.title, i.summary, i.body || ' ' || i.transcript || ' ' || coalesce((SELECT group_concat(text, ' ') FROM checklist_steps s WHERE s.item_id = i.id), ''),
                   m.slug, i.type, coalesce(d.slug, ''), m.name || ' ' || coalesce(d.name, '')
            FROM items i JOIN moments m ON m.id = i.moment_id LEFT JOIN departments d ON d.id = i.department_id
            WHERE i.status = 'published'""")
        for row in rows:
            fts.execute("INSERT INTO fts(rowid, title, summary, tags, body) VALUES (?, ?, ?, ?, ?)", (row[0], row[1], row[2], row[7], row[3]))
            fts.execute("INSERT INTO docs VALUES (?, ?, ?, ?)", (row[0], row[4], row[5], row[6]))
        fts.executemany("INSERT INTO doc_kpis VALUES (?, ?)", source.execute("SELECT ik.item_id, k.slug FROM item_kpis ik JOIN kpis k ON k.id = ik.kpi_id"))
        fts.executemany("INSERT INTO doc_skills VALUES (?, ?)", source.execute("SELECT ik.item_id, k.slug FROM item_skills ik JOIN skills k ON k.id = ik.skill_id"))
        source.close()
    fts.execute("CREATE INDEX doc_kpis_id ON doc_kpis(id)")
    fts.execute("CREATE INDEX doc_skills_id ON doc_skills(id)")
    fts.execute("INSERT INTO fts(fts) VALUES ('optimize')")
    fts.commit()
    fts.close()
    return time.perf_counter() - started


def _fts_match(text: str) -> str | None:
    words = re.findall(r"\w+", text.lower())
    if not words:
        return None
    partial = text[-1:].isalnum()
    terms = [f'"{w}"' for w in (words[:-1] if partial else words)] + ([f'"{words[-1]}"*'] if partial else [])
    return " AND ".join(terms)


def run_fts(path: Path, strokes, moments) -> dict:
    """The same keystrokes on FTS5: top 10 by bm25 with snippets, plus the five facet counts."""
    fts = sqlite3.connect(path)
    timings = {"plain": [], "facet": []}
    for text, index in strokes:
        for mode in ("plain", "facet"):
            started = time.perf_counter()
            match = _fts_match(text)
            if match:
                moment = moments[index % len(moments)] if mode == "facet" else None
                fts.execute("DROP TABLE IF EXISTS temp.m")
                fts.execute(
                    "CREATE TEMP TABLE m AS SELECT f.rowid AS id FROM fts f JOIN docs d ON d.id = f.rowid WHERE fts MATCH ? AND (? IS NULL OR d.moment = ?)",
                    (match, moment, moment),
                )
                fts.execute(
                    "SELECT f.rowid, highlight(fts, 0, '<mark>', '</mark>'), snippet(fts, -1, '<mark>', '</mark>', '…', 24) FROM fts f "
                    "JOIN docs d ON d.id = f.rowid WHERE fts MATCH ? AND (? IS NULL OR d.moment = ?) ORDER BY bm25(fts, 4, 2, 2, 1) LIMIT 10",
                    (match, moment, moment),
                ).fetchall()
                for column in ("moment", "type", "department"):
                    fts.execute(f"SELECT d.{column}, count(*) FROM m JOIN docs d ON d.id = m.id GROUP BY 1").fetchall()
                fts.execute("SELECT k.kpi, count(*) FROM m JOIN doc_kpis k ON k.id = m.id GROUP BY 1").fetchall()
                fts.execute("SELECT s.skill, count(*) FROM m JOIN doc_skills s ON s.id = m.id GROUP BY 1").fetchall()
            timings[mode].append(time.perf_counter() - started)
    fts.close()
    return timings


def resident_memory(home: Path, strokes: list[tuple[str, int]]) -> str:
    """RSS of a fresh process (like one gunicorn worker) with the index open, after searching."""
    probe = Path(tempfile.mkstemp(suffix=".txt")[1])
    probe.write_text("\n".join(text for text, _ in strokes[:300]))
    command = [sys.executable, "-m", "bench.rss", str(home), str(probe)]
    output = subprocess.run(command, capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    probe.unlink()
    return output.stdout.strip() or output.stderr.strip()[-300:]


def main() -> None:
    """Run every size and print one table."""
    from bench import known_item
    from bench.corpus import populate
    from marketplace.extensions import db
    from marketplace.search import admin

    lines = []
    for size in SIZES:
        with tempfile.TemporaryDirectory(prefix=f"bench-{size}-") as tmp:
            home = Path(tmp)
            app = _app(home)
            started = time.perf_counter()
            with app.app_context():
                titles = populate(size)
                moments = [m for (m,) in db.session.execute(db.text("SELECT slug FROM moments ORDER BY position"))]
            print(f"[{size}] corpus written in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
            started = time.perf_counter()
            with app.app_context():
                admin.rebuild(procs=PROCS or None)
            whoosh_build = time.perf_counter() - started
            index_dir = home / "index"
            whoosh_size = _size_mb(index_dir / (index_dir / "current").read_text().strip())
            print(f"[{size}] whoosh built in {whoosh_build:.1f} s", file=sys.stderr, flush=True)
            fts_build = build_fts(app, home / "fts.db")
            fts_size = (home / "fts.db").stat().st_size / 2**20
            print(f"[{size}] fts5 built in {fts_build:.1f} s", file=sys.stderr, flush=True)
            strokes = keystrokes(titles, QUERIES)
            whoosh = run_whoosh(app, strokes, moments)
            fts = run_fts(home / "fts.db", strokes, moments)
            rss = resident_memory(home, strokes)
            fresh = time_to_searchable(app)
            questions = run_questions(app, question_strokes(titles, max(10, QUERIES // 2)))
            pairs = known_item.queries(app, home / "fts.db", KNOWN_ITEMS, size)
            known = known_item.run(app, home / "fts.db", pairs)
            extras = {"questions": questions, "known": known, "known_n": len(pairs), "catch_up": catch_up_seconds(app)}
            lines.append((size, len(strokes), whoosh_build, whoosh_size, fts_build, fts_size, whoosh, fts, rss, fresh, extras))
            print(f"[{size}] {len(strokes)} keystrokes replayed", file=sys.stderr, flush=True)
    if lines:
        _print(lines)
    if os.environ.get("BENCH_QUALITY", "1") != "0":
        from bench.quality import demo_quality

        print()
        print(demo_quality(_app))
    if os.environ.get("BENCH_IMPACT", "1") != "0":  # the impact pages at 1,000,000 events (bench/impact.py)
        from bench import impact

        impact.main()


def _print(lines) -> None:
    header = f"{'items':>6} {'keys':>5} {'engine':<7} {'build s':>8} {'size MB':>8} | {'p50':>6} {'p95':>6} {'p99':>6} ms | facet filter {'p50':>6} {'p95':>6} {'p99':>6} ms"
    print()
    print(header)
    print("-" * len(header))
    for size, keys, wb, ws, fb, fs, whoosh, fts, rss, fresh, extras in lines:
        rows = {}
        for name, build, mb, timings in (("whoosh", wb, ws, whoosh), ("fts5", fb, fs, fts)):
            plain, facet = percentiles(timings["plain"]), percentiles(timings["facet"])
            rows[name] = plain + facet
            print(f"{size:>6} {keys:>5} {name:<7} {build:>8.1f} {mb:>8.1f} | {plain[0]:>6.1f} {plain[1]:>6.1f} {plain[2]:>6.1f}    |              {facet[0]:>6.1f} {facet[1]:>6.1f} {facet[2]:>6.1f}")
        ratio = [w / f if f else float("nan") for w, f in zip(rows["whoosh"], rows["fts5"], strict=True)]
        print(f"{size:>6} {keys:>5} {'ratio':<7} {wb / fb:>8.2f} {ws / fs:>8.2f} | {ratio[0]:>6.2f} {ratio[1]:>6.2f} {ratio[2]:>6.2f}    |              {ratio[3]:>6.2f} {ratio[4]:>6.2f} {ratio[5]:>6.2f}")
        print(f"{size:>6} whoosh keystrokes with no result: {whoosh['zero']} of {keys}; worker {rss}")
        print(f"{size:>6} whoosh published item searchable after its commit in {max(fresh) * 1000:.0f} ms (worst of {len(fresh)})")
        questions = extras["questions"]
        q50, q95, q99 = percentiles(questions["timings"])
        print(f"{size:>6} whoosh question keystrokes ({len(questions['timings'])}, {questions['most']} on the most-words path): "
              f"p50 {q50:.1f} p95 {q95:.1f} p99 {q99:.1f} ms")
        seconds, applied = extras["catch_up"]
        print(f"{size:>6} whoosh caught up on {applied} missed changes ({min(applied, size)} distinct items at most) in {seconds:.1f} s")
        for engine, (first, top10, missed) in extras["known"].items():
            print(f"{size:>6} known item ({extras['known_n']} queries) {engine:<6}: first {first:.0%}, top 10 {top10:.0%}, not in top 50 {missed:.0%}")
    print("ratio = whoosh / fts5 (below 1: whoosh faster or smaller). Whoosh timings go through")
    print("marketplace.search.services.search: top 10 with highlights, exact total, five facet counts.")


if __name__ == "__main__":
    main()
