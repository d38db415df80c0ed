"""A deterministic synthetic catalog shaped like the real one, written straight into the database."""

from __future__ import annotations

import math
import random
import re
import tomllib
from collections.abc import Iterator
from itertools import accumulate
from pathlib import Path

from sqlalchemy import insert, select

from marketplace.accounts.models import Department, User
from marketplace.catalog.models import (
    KPI,
    ChecklistStep,
    Item,
    Moment,
    Skill,
    item_kpis,
    item_skills,
)
from marketplace.extensions import db
from marketplace.timeutil import utcnow

SEEDS = Path(__file__).resolve().parent.parent / "seeds" / "demo" / "items"
SYLLABLES = ["ba", "be", "bi", "bo", "cal", "con", "de", "di", "dra", "en", "fa", "fi", "ga", "gen", "ha", "in", "ka", "lo", "ma", "me", "mi", "na", "ne", "no", "pa", "per", "po", "pro", "ra", "re", "ri", "sa", "se", "si", "ta", "te", "ti", "to", "tra", "un", "va", "ve", "vi"]
CHUNK = 1000


def _vocabulary(rng: random.Random) -> list[str]:
    # Real workplace words from the demo seed first (they are the frequent ones), then a long tail.
    words: dict[str, None] = {}
    for path in sorted(SEEDS.glob("*.toml")):
        text = " ".join(str(v) for v in tomllib.loads(path.read_text()).values() if isinstance(v, str))
        for word in re.findall(r"[a-z]{3,}", text.lower()):
            words.setdefault(word)
    common = list(words)
    rng.shuffle(common)
    tail = {"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(30_000)}
    return common + sorted(tail - words.keys())


class Corpus:
    """Draws titles, summaries, bodies and tags with Zipf-like word and tag frequencies."""

    def __init__(self, seed: int = 20261121) -> None:
        self.rng = random.Random(seed)
        self.vocab = _vocabulary(self.rng)
        self.cum = list(accumulate(1 / (rank + 1) ** 1.05 for rank in range(len(self.vocab))))

    def words(self, n: int) -> str:
        return " ".join(self.rng.choices(self.vocab, cum_weights=self.cum, k=n))

    def body_length(self) -> int:
        # Log-normal: median about 350 words, a long tail cut at 2,000.
        return max(60, min(2000, int(math.exp(self.rng.gauss(math.log(350), 0.6)))))

    def zipf_pick(self, options: list, k: int) -> list:
        weights = [1 / (i + 1) for i in range(len(options))]
        return list(dict.fromkeys(self.rng.choices(options, weights=weights, k=k)))


def _taxonomy(corpus: Corpus) -> dict:
    departments = [Department(name=f"Department {n}", slug=f"dept-{n}") for n in range(8)]
    kpis = [KPI(name=f"{corpus.words(2).title()} rate {n}", slug=f"kpi-{n}", department=departments[n % 8]) for n in range(40)]
    skills = [Skill(name=f"{corpus.words(2).title()} {n}", slug=f"skill-{n}") for n in range(80)]
    owner = User(email="bench@bench.test", name="Bench Owner", password_hash="x", is_curator=True)
    db.session.add_all([*departments, *kpis, *skills, owner])
    db.session.commit()
    return {
        "departments": [d.id for d in departments], "kpis": [k.id for k in kpis], "skills": [s.id for s in skills],
        "moments": list(db.session.scalars(select(Moment.id).order_by(Moment.position))), "owner": owner.id,
    }


def _items(corpus: Corpus, tax: dict, count: int) -> Iterator[tuple[dict, list, list, list]]:
    rng = corpus.rng
    for n in range(count):
        roll = rng.random()
        kind = "quick_learn" if roll < 0.2 else "checklist" if roll < 0.45 else "job_aid"
        title = corpus.words(rng.randint(3, 8)).capitalize()
        row = {
            "type": kind, "title": title, "slug": f"bench-{n}", "summary": corpus.words(rng.randint(30, 60)),
            "body": corpus.words(corpus.body_length()),
            "transcript": corpus.words(rng.randint(300, 3000)) if kind == "quick_learn" else "",
            "moment_id": rng.choices(tax["moments"], weights=[3, 2, 5, 2, 4])[0],
            "department_id": corpus.zipf_pick(tax["departments"], 1)[0], "owner_id": tax["owner"],
            "status": "published", "version": 1, "created_at": utcnow(), "updated_at": utcnow(), "published_at": utcnow(),
        }
        steps = [corpus.words(rng.randint(4, 10)) for _ in range(rng.randint(5, 12))] if kind == "checklist" else []
        yield row, corpus.zipf_pick(tax["kpis"], rng.randint(1, 3)), corpus.zipf_pick(tax["skills"], rng.randint(0, 3)), steps


def populate(count: int, seed: int = 20261121) -> list[str]:
    """Write `count` published items (plus taxonomy) to the app's database; returns the titles."""
    corpus = Corpus(seed)
    tax = _taxonomy(corpus)
    titles, batch = [], []
    for entry in _items(corpus, tax, count):
        batch.append(entry)
        titles.append(entry[0]["title"])
        if len(batch) == CHUNK:
            _flush(batch)
            batch = []
    if batch:
        _flush(batch)
    return titles


def _flush(batch: list) -> None:
    # Core inserts: no ORM events, so the index is built only by the timed rebuild.
    first_id = (db.session.scalar(select(db.func.max(Item.id))) or 0) + 1
    db.session.execute(insert(Item.__table__), [row for row, *_ in batch])
    ids = range(first_id, first_id + len(batch))
    kpis = [{"item_id": i, "kpi_id": k} for i, (_, ks, _, _) in zip(ids, batch, strict=True) for k in ks]
    skills = [{"item_id": i, "skill_id": s} for i, (_, _, ss, _) in zip(ids, batch, strict=True) for s in ss]
    steps = [{"item_id": i, "position": p, "text": t, "detail": ""} for i, (*_, st) in zip(ids, batch, strict=True) for p, t in enumerate(st)]
    for table, rows in ((item_kpis, kpis), (item_skills, skills), (ChecklistStep.__table__, steps)):
        if rows:
            db.session.execute(insert(table), rows)
    db.session.commit()
