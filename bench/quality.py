"""Search quality on the judged set (bench/judged.toml): MRR and nDCG@10 through the app's search service.

Used by `make bench` (printed next to the speed table) and by tests/test_search_quality.py (floors).
"""

from __future__ import annotations

import math
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

JUDGED = Path(__file__).resolve().parent / "judged.toml"
DEPTH = 10


@dataclass
class Judged:
    text: str
    kind: str
    best: list[str]
    also: list[str] = field(default_factory=list)

    def grade(self, slug: str) -> int:
        return 2 if slug in self.best else 1 if slug in self.also else 0


@dataclass
class Scores:
    mrr: float
    ndcg: float
    count: int
    by_kind: dict[str, tuple[float, float, int]]
    misses: list[tuple[str, list[str]]]  # queries whose best item is not in the top 3, with what came first


def judged() -> list[Judged]:
    """The judged queries."""
    data = tomllib.loads(JUDGED.read_text())
    return [Judged(q["text"], q.get("kind", ""), list(q["best"]), list(q.get("also", []))) for q in data["q"]]


def reciprocal_rank(query: Judged, ranked: list[str]) -> float:
    """1 / position of the first best item in the top DEPTH, else 0."""
    for position, slug in enumerate(ranked[:DEPTH], start=1):
        if slug in query.best:
            return 1 / position
    return 0.0


def ndcg(query: Judged, ranked: list[str]) -> float:
    """Normalised discounted cumulative gain at DEPTH with grades 2 (best) and 1 (also)."""
    gain = sum((2 ** query.grade(slug) - 1) / math.log2(position + 1) for position, slug in enumerate(ranked[:DEPTH], start=1))
    ideal_grades = sorted([2] * len(query.best) + [1] * len(query.also), reverse=True)[:DEPTH]
    ideal = sum((2 ** grade - 1) / math.log2(position + 1) for position, grade in enumerate(ideal_grades, start=1))
    return gain / ideal if ideal else 0.0


def evaluate(run) -> Scores:  # noqa: ANN001 - run(text) -> ranked slugs
    """Score a search function over the judged set."""
    queries = judged()
    per_kind: dict[str, list[tuple[float, float]]] = defaultdict(list)
    total_rr = total_ndcg = 0.0
    misses = []
    for query in queries:
        ranked = run(query.text)
        rr, gain = reciprocal_rank(query, ranked), ndcg(query, ranked)
        total_rr += rr
        total_ndcg += gain
        per_kind[query.kind].append((rr, gain))
        if rr < 1 / 3:
            misses.append((query.text, ranked[:3]))
    by_kind = {kind: (sum(r for r, _ in v) / len(v), sum(g for _, g in v) / len(v), len(v)) for kind, v in sorted(per_kind.items())}
    return Scores(total_rr / len(queries), total_ndcg / len(queries), len(queries), by_kind, misses)


def app_runner(user):  # noqa: ANN001, ANN201 - a User; returns run(text)
    """Run each judged query as a settled search (typed, then Enter) through marketplace.search.services."""
    from marketplace.extensions import db
    from marketplace.search import services

    def run(text: str) -> list[str]:
        results = services.search(services.SearchRequest(text=text, limit=DEPTH), db.session.merge(user))
        return [hit.item.slug for hit in results.hits]

    return run


def report(scores: Scores) -> str:
    """The quality table as printed by `make bench`."""
    lines = [f"judged queries on the demo seed: {scores.count}   MRR {scores.mrr:.3f}   nDCG@10 {scores.ndcg:.3f}"]
    lines += [f"  {kind:<9} {n:>3} queries   MRR {mrr:.3f}   nDCG@10 {gain:.3f}" for kind, (mrr, gain, n) in scores.by_kind.items()]
    if scores.misses:
        lines.append(f"  best item not in the top 3 for {len(scores.misses)}: " + "; ".join(f"“{t}”" for t, _ in scores.misses))
    return "\n".join(lines)


def demo_quality(make_app) -> str:  # noqa: ANN001 - make_app(home) -> Flask app
    """Load the demo seed into a fresh app, index it and score the judged set."""
    import tempfile

    from sqlalchemy import select

    from marketplace.accounts.models import User
    from marketplace.extensions import db
    from marketplace.search import admin
    from marketplace.seed import load_demo

    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        app = make_app(Path(tmp))
        with app.app_context():
            load_demo()
            admin.rebuild()
        with app.test_request_context():
            user = db.session.scalar(select(User).where(User.email == "employee@demo.test"))
            return report(evaluate(app_runner(user)))
