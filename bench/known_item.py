"""The "known item" check: a query made of one document's most distinctive words should put it first.

For N documents of the bench corpus, the query is the two words of each with the highest tf·idf
among words that are not near-unique (document frequency at least MIN_DF_SHARE of the corpus, so
the words alone do not single the document out). Printed: how often it came first, in the top 10
and outside the top 50, for the app's search and for FTS5 (bm25) on the same documents and queries.
"""

from __future__ import annotations

import math
import random
import re
import sqlite3
from collections import Counter
from pathlib import Path

from sqlalchemy import select

WORDS = re.compile(r"[a-z]{3,}")
MIN_DF_SHARE = 0.002


def _frequencies(fts_path: Path) -> dict[str, int]:
    """Document frequency per porter stem, from FTS5's own vocabulary."""
    fts = sqlite3.connect(fts_path)
    fts.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocab USING fts5vocab(main, fts, 'row')")
    found = dict(fts.execute("SELECT term, doc FROM temp.vocab"))
    fts.close()
    return found


def queries(app, fts_path: Path, count: int, size: int, seed: int = 11) -> list[tuple[int, str]]:
    """(item id, query) for `count` documents drawn at random."""
    from whoosh.lang.porter import stem

    from marketplace.catalog.models import Item
    from marketplace.extensions import db

    df = _frequencies(fts_path)
    floor = max(2, int(size * MIN_DF_SHARE))
    rng = random.Random(seed)
    chosen = []
    with app.app_context():
        ids = list(db.session.scalars(select(Item.id).where(Item.status == "published")))
        for item_id in rng.sample(ids, min(count, len(ids))):
            item = db.session.get(Item, item_id)
            tf = Counter(WORDS.findall(f"{item.title} {item.summary} {item.body}".lower()))
            scored = []
            for word, n in tf.items():
                frequency = df.get(stem(word), 0)
                if frequency >= floor:
                    scored.append((n * math.log(size / frequency), word))
            scored.sort(reverse=True)
            if len(scored) >= 2:
                chosen.append((item_id, f"{scored[0][1]} {scored[1][1]} "))
            db.session.expunge_all()
    return chosen


def _rates(ranks: list[int | None]) -> tuple[float, float, float]:
    n = len(ranks) or 1
    first = sum(1 for r in ranks if r == 1) / n
    top10 = sum(1 for r in ranks if r is not None and r <= 10) / n
    missed = sum(1 for r in ranks if r is None) / n
    return first, top10, missed


def run(app, fts_path: Path, pairs: list[tuple[int, str]]) -> dict[str, tuple[float, float, float]]:
    """Rank-1, top-10 and not-in-top-50 rates for the app's search and for FTS5."""
    from marketplace.accounts.models import User
    from marketplace.extensions import db
    from marketplace.search import services

    ours: list[int | None] = []
    with app.test_request_context():
        user = db.session.scalar(select(User))
        for item_id, text in pairs:
            hits = services.search(services.SearchRequest(text=text, limit=50), user).hits
            ids = [hit.item.id for hit in hits]
            ours.append(ids.index(item_id) + 1 if item_id in ids else None)
            db.session.remove()
    fts = sqlite3.connect(fts_path)
    theirs: list[int | None] = []
    for item_id, text in pairs:
        match = " AND ".join(f'"{w}"' for w in text.split())
        ids = [row[0] for row in fts.execute("SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY bm25(fts, 4, 2, 2, 1) LIMIT 50", (match,))]
        theirs.append(ids.index(item_id) + 1 if item_id in ids else None)
    fts.close()
    return {"whoosh": _rates(ours), "fts5": _rates(theirs)}
