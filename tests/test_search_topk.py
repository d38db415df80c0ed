"""Ranking by score classes (search/topk.py) gives Whoosh's own BM25F top-k, however many documents match."""

from __future__ import annotations

import random

import pytest

from marketplace.search import whoosh_backend
from marketplace.search.index import SearchIndex
from marketplace.search.query import Concept
from marketplace.search.topk import Leaf, top_documents
from marketplace.search.whoosh_backend import TIERS, Allowed, WhooshBackend
from tests.test_search_bulk import WORDS, _documents

TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    """An index of 900 documents over a small vocabulary (broad terms, many ties) in several segments, some deleted."""
    root = tmp_path_factory.mktemp("topk")
    index = SearchIndex(root)
    index.rebuild([lambda: iter([[(n, d) for n, d in enumerate(_documents(600), start=1)]])], lambda keys: {})
    extra = _documents(300, seed=11)
    for start in range(0, 300, 100):  # Whoosh's writer below BULK_WRITE_AT: one small segment each
        index.apply({600 + start + n + 1: {**d, "id": str(600 + start + n + 1)} for n, d in enumerate(extra[start:start + 100])})
    index.apply({key: None for key in range(5, 600, 7)})  # deletions inside the big segment
    engine = WhooshBackend(str(root), result_cache=0)
    assert len(engine.index.searcher().reader().leaf_readers()) > 1
    yield engine
    engine.index.release()


def _concepts(rng: random.Random) -> list[Concept]:
    concepts = []
    for _ in range(rng.randint(1, 3)):
        word = rng.choice(WORDS)
        if rng.random() < 0.25:  # a vocabulary entry: the word or a two-word equivalent
            concepts.append(Concept(((word,), (rng.choice(WORDS), rng.choice(WORDS)))))
        else:
            concepts.append(Concept(((word,),)))
    if rng.random() < 0.5:  # the word being typed matches as a prefix too
        word = rng.choice(WORDS)
        concepts.append(Concept(((word[:rng.randint(1, len(word))],),), partial=True))
    return concepts


def _whoosh_scores(engine: WhooshBackend, searcher, concepts, allowed: int, fields, require_all: bool) -> dict[int, float]:
    query = engine.scoring_query(concepts, fields, require_all)
    return {hit.docnum: hit.score for hit in searcher.search(query, limit=None, filter=Allowed(allowed))}


def _assert_same_top(ranked: list[int], scores: dict[int, float], limit: int) -> None:
    expected = sorted(scores, key=lambda d: (-scores[d], d))[:limit]
    assert len(ranked) == len(expected)
    assert [scores[d] for d in ranked] == pytest.approx([scores[d] for d in expected], rel=TOLERANCE)
    if len({round(scores[d], 6) for d in expected}) == len(expected):  # no near-ties: the very same documents
        assert ranked == expected


@pytest.mark.parametrize("require_all", [True, False])
def test_score_classes_give_whooshs_top_k_for_random_queries(backend, require_all):
    searcher = backend.index.searcher()
    rng = random.Random(17 if require_all else 23)
    checked = gave_up = 0
    for _ in range(120):
        concepts = _concepts(rng)
        fields = rng.choice(TIERS)
        live = backend.index.term_bits(searcher, "kind", "item")
        allowed = backend._narrow(searcher, live, concepts, fields) if require_all else live
        if rng.random() < 0.3:
            allowed &= backend.index.term_bits(searcher, "moment", "solve")
        if not allowed:
            continue
        limit = rng.choice([1, 10, 50])
        leaves = backend.score_leaves(searcher, concepts, allowed, fields)
        ranked = top_documents(leaves, allowed, limit)
        if ranked is None:  # past the work budget: the backend asks Whoosh instead
            gave_up += 1
            continue
        _assert_same_top(ranked, _whoosh_scores(backend, searcher, concepts, allowed, fields, require_all), limit)
        checked += 1
    print(f"checked {checked}, gave up {gave_up}")
    assert checked > 60 and gave_up <= checked // 10


def test_backend_ranks_a_broad_query_like_whoosh(backend):
    """Through the backend's own ranking (tiers aside): one broad word held by most documents."""
    searcher = backend.index.searcher()
    concepts = [Concept(((WORDS[0],),)), Concept(((WORDS[1][:3],),), partial=True)]
    allowed = backend._narrow(searcher, backend.index.term_bits(searcher, "kind", "item"), concepts)
    assert allowed.bit_count() > 150
    ranked = backend._rank(searcher, concepts, allowed, 10)
    _assert_same_top(ranked, _whoosh_scores(backend, searcher, concepts, allowed, None, True), 10)


def test_past_the_work_budget_it_gives_up_and_whoosh_answers(backend, monkeypatch):
    searcher = backend.index.searcher()
    concepts = [Concept(((word,),)) for word in WORDS[:3]]
    allowed = backend.index.term_bits(searcher, "kind", "item")
    leaves = backend.score_leaves(searcher, concepts, allowed)
    assert top_documents(leaves, allowed, 10, max_steps=1) is None
    monkeypatch.setattr(whoosh_backend, "top_documents", lambda *args, **kwargs: None)
    ranked = backend._rank(searcher, concepts, allowed, 10, require_all=False)
    _assert_same_top(ranked, _whoosh_scores(backend, searcher, concepts, allowed, None, False), 10)


def test_ties_come_lowest_docnum_first_and_unscored_documents_are_left_out():
    a, b = 0b1011_0110, 0b0100_1000
    ranked = top_documents([Leaf([(2.0, a), (3.0, b)])], allowed=a | b | 1 << 20, limit=10)
    assert ranked == [3, 6, 1, 2, 4, 5, 7]


def test_the_weight_groups_match_whooshs_matcher(backend):
    searcher = backend.index.searcher()
    for name, term in [("body", "expens"), ("title", "claim"), ("title_prefix", "c"), ("summary", "wrap")]:
        expected: dict[float, set[int]] = {}
        matcher = searcher.postings(name, term) if (name, term) in searcher.reader() else None
        while matcher is not None and matcher.is_active():
            expected.setdefault(matcher.weight(), set()).add(matcher.id())
            matcher.next()
        live = backend.index.term_bits(searcher, "kind", "item")
        got = {w: {d for d in range(bits.bit_length()) if bits >> d & 1 and live >> d & 1}
               for w, bits in backend.index.weight_bits(searcher, name, term).items()}
        assert {w: ids for w, ids in got.items() if ids} == expected
