"""The Whoosh backend: concepts to bitsets for counting and facets, exact BM25F top-k for ranking.

Matching works on cached per-segment bitsets (Python ints): an AND, an OR and a popcount are
microseconds, so totals and facet counts are exact however many documents match. Ranking
splits each scored term's documents into score classes (bitsets again, see topk.py) and
refines the candidates best first, so every result list is ranked by relevance, however
broad, without a Python call per matching document. A query past topk's work budget goes
through Whoosh's own scored top-k (block-max skipping over many candidates, or an And led
by a few), which gives the same answer more slowly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from math import ceil
from pathlib import Path

from whoosh import query as wq
from whoosh.idsets import DocIdSet
from whoosh.matching import ListMatcher, NullMatcher
from whoosh.scoring import BM25F, bm25
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from marketplace.search.backend import (
    BackendQuery,
    BackendResult,
    Documents,
    Key,
    ResultCache,
    Source,
    parse_key,
)
from marketplace.search.bitsets import bit_counter, exactly, highest
from marketplace.search.index import SearchIndex
from marketplace.search.query import Concept
from marketplace.search.schema import EDGE_MAX, PREFIX_FIELDS, TEXT_FIELDS, stem
from marketplace.search.topk import Leaf, score_classes, top_documents

# Ranking tiers by where every concept is found (None: any field): title, then title or
# summary or tags, then anywhere. A tier is ranked before the next is looked at.
TIERS = (("title", "title_prefix"), ("title", "title_prefix", "summary", "summary_prefix", "tags"), None)
HEADLINE = frozenset(TIERS[1])
# When Whoosh scores (see _rank): below this many candidates, an And led by them; above it,
# Whoosh's block-max collector skips what cannot reach the top instead.
LEAD_AT_MOST = 150
# Answers remembered per process, each under the index generation it came from (backend.ResultCache).
RESULT_CACHE = 512
# A question of three or more concepts that fewer items hold whole than fill the page goes on,
# below them, with the items holding most of its concepts: the one item that happens to hold every
# word of "my first day at the warehouse" is rarely the only one the person needs. (Two concepts are
# not widened: "most" would mean either word alone, and "drill 17" would list every drill.)
WIDEN_AT = 3


class LazyOr(wq.Or):
    """An OR that streams postings (binary union tree) instead of preloading every posting list."""

    # Whoosh's automatic choice preloads whole posting lists into arrays: fine for big
    # batch queries, far too slow for a ten-result query on every keystroke.
    matcher_type = wq.Or.DEFAULT_MATCHER


class DocnumSet(wq.Query):
    """Matches exactly the documents set in a bitset, with a constant score.

    It leads an And: the intersection then walks at most these few documents, and the
    word clauses only score them. (Whoosh's own `filter=` visits every match instead.)
    """

    def __init__(self, searcher, bits: int) -> None:  # noqa: ANN001 - a Whoosh Searcher
        self.size = bits.bit_count()
        self.local: dict[int, list[int]] = {}
        for leaf, offset in searcher.leaf_searchers():
            part = (bits >> offset) & ((1 << leaf.doc_count_all()) - 1)
            self.local[id(leaf)] = sorted(highest(part, self.size))

    def matcher(self, searcher, context=None):  # noqa: ANN001 - Whoosh's signature
        """A list matcher over this leaf's share of the documents."""
        ids = self.local.get(id(searcher))
        return ListMatcher(ids, all_weights=1.0) if ids else NullMatcher()

    def estimate_size(self, ixreader) -> int:  # noqa: ANN001
        return self.size

    def estimate_min_size(self, ixreader) -> int:  # noqa: ANN001
        return self.size

    def is_leaf(self) -> bool:
        return True

    def __eq__(self, other) -> bool:  # noqa: ANN001
        return self is other

    def __hash__(self) -> int:
        return id(self)


class Allowed(DocIdSet):
    """A bitset as a Whoosh filter: the collector keeps block-max skipping and drops the rest."""

    def __init__(self, bits: int) -> None:
        self.bits = bits

    def __contains__(self, docnum: int) -> bool:
        return bool(self.bits >> docnum & 1)

    def __len__(self) -> int:
        return self.bits.bit_count()

    def __iter__(self):
        return iter(sorted(highest(self.bits, self.bits.bit_count())))


def _fields(concept: Concept, word: str, fields) -> list[tuple[str, str]]:  # noqa: ANN001 - a tuple or None
    """(field, term) pairs that satisfy one word of a concept within a tier's fields."""
    pairs = [(name, stem(word)) for name in TEXT_FIELDS if len(word) > 1]
    if concept.partial:
        pairs += [(name, word[:EDGE_MAX]) for name in PREFIX_FIELDS]
    return [(name, term) for name, term in pairs if fields is None or name in fields]


class WhooshBackend:
    """The default engine: a local Whoosh index directory per process (see index.py)."""

    def __init__(self, root: str, result_cache: int = RESULT_CACHE) -> None:
        self.index = SearchIndex(root)
        self.results = ResultCache(result_cache)

    # -- writing and operations (delegated to the index directory) ----------------

    def apply(self, documents: Documents) -> bool:
        """Replace or delete these documents in the live generation."""
        return self.index.apply(documents)

    def rebuild(self, sources: list[Source], reload: Callable[[set[Key]], Documents],
                on_batch: Callable[[int], None] | None = None, prepare: Callable[[Path], None] | None = None) -> str:
        """Build a fresh generation and swap it in."""
        return self.index.rebuild(sources, reload, on_batch, prepare)

    def keys_with(self, fieldname: str, values: set[str]) -> set[Key]:
        return self.index.keys_with(fieldname, values)

    def indexed_stamps(self) -> dict[Key, str]:
        return self.index.indexed_stamps()

    def exists(self) -> bool:
        return self.index.exists()

    def schema_current(self) -> bool:
        return self.index.schema_current()

    # -- matching --------------------------------------------------------------------

    def _bits(self, searcher: Searcher, pairs: list[tuple[str, str]]) -> int:
        union = 0
        for name, term in pairs:
            union |= self.index.term_bits(searcher, name, term)
        return union

    def concept_bits(self, searcher: Searcher, concept: Concept, fields=None) -> int:  # noqa: ANN001
        """Documents satisfying a concept within `fields` (None: any field)."""
        found = 0
        for alternative in concept.alternatives:
            bits = -1
            for word in alternative:
                pairs = _fields(concept, word, fields)
                if not pairs:
                    bits = 0  # a word this tier's fields cannot hold (e.g. one letter)
                    break
                bits &= self._bits(searcher, pairs)
                if not bits:
                    break
            found |= max(bits, 0)
        return found

    def _narrow(self, searcher: Searcher, matched: int, concepts: list[Concept], fields=None) -> int:  # noqa: ANN001
        for concept in sorted(concepts, key=lambda c: c.partial):  # whole words first: cheaper, narrower
            if not matched:
                break
            matched &= self.concept_bits(searcher, concept, fields)
        return matched

    def _scope(self, searcher: Searcher, query: BackendQuery) -> int:
        scope = self.index.term_bits(searcher, "kind", query.kind)
        if query.spaces is not None:
            allowed = 0
            for space_id in query.spaces:
                allowed |= self.index.term_bits(searcher, "space_id", str(space_id))
            scope &= allowed
        for facet, slug in query.filters.items():
            scope &= self.index.term_bits(searcher, facet, slug)
        return scope

    # -- the interface's queries -----------------------------------------------------

    def search(self, query: BackendQuery) -> BackendResult:
        """Keys in rank order, the exact total, facet counts and whether every concept matched."""
        searcher = self.index.searcher()
        generation = self.index.generation(searcher)
        remembered = self.results.get(generation, query)
        if remembered is not None:
            return remembered
        result = self._search(searcher, query)
        self.results.put(generation, query, result)
        return result

    def _search(self, searcher: Searcher, query: BackendQuery) -> BackendResult:
        scope = self._scope(searcher, query)
        result = BackendResult()
        limit = max(1, query.limit)
        if not query.concepts:
            matched = scope
            docnums = highest(matched, limit)  # filters only: the most recently indexed first
        else:
            matched = self._narrow(searcher, scope, query.concepts)
            if matched:
                docnums = self._tiers(searcher, query.concepts, matched, limit)
                if query.most_words and len(query.concepts) >= WIDEN_AT and len(docnums) < limit:
                    more, extra = self._most_words(searcher, query.concepts, scope & ~matched, limit - len(docnums))
                    matched, docnums = matched | more, docnums + extra
                    if more:
                        result.mode = "widened"
            elif query.most_words and len(query.concepts) > 1:
                matched, docnums = self._most_words(searcher, query.concepts, scope, limit)
                result.mode = "most" if matched else "all"
            else:
                docnums = []
        result.total = matched.bit_count()
        result.facets = {
            facet: {slug: (matched & self.index.term_bits(searcher, facet, slug)).bit_count() for slug in slugs}
            for facet, slugs in query.facets.items()
        }
        result.keys = [parse_key(searcher.stored_fields(d)["id"]) for d in docnums]
        return result

    def count(self, concepts: list[Concept], filters: dict[str, str]) -> int:
        """Items holding every concept under these filters."""
        searcher = self.index.searcher()
        return self._narrow(searcher, self._scope(searcher, BackendQuery(concepts, filters=filters)), concepts).bit_count()

    def known(self, word: str, partial: bool = False) -> bool:
        """True when catalog text holds this word (or, while typed, a word starting with it)."""
        searcher = self.index.searcher()
        items = self.index.term_bits(searcher, "kind", "item")  # thread text must not make a private word "known"
        if self.index.term_bits(searcher, "spell", word):
            return True
        if any(self.index.term_bits(searcher, name, stem(word)) & items for name in TEXT_FIELDS):
            return True
        return partial and any(self.index.term_bits(searcher, name, word[:EDGE_MAX]) & items for name in PREFIX_FIELDS)

    def nearest(self, word: str) -> str | None:
        """The closest catalog word to a misspelled one (one edit for short words, two for longer)."""
        found = self.index.searcher().corrector("spell").suggest(word, limit=1, maxdist=1 if len(word) < 5 else 2)
        return found[0] if found and found[0] != word else None

    # -- ranking ---------------------------------------------------------------------

    def _tiers(self, searcher: Searcher, concepts: list[Concept], matched: int, limit: int) -> list[int]:
        """The best `limit` docnums: every concept in the title first, then in title or summary, then anywhere."""
        chosen: list[int] = []
        taken = 0
        for fields in TIERS:
            reach = matched if fields is None else self._narrow(searcher, matched, concepts, fields)
            fresh = reach & ~taken
            if fresh:
                chosen += self._rank(searcher, concepts, fresh, limit - len(chosen), fields)
                taken |= reach
            if len(chosen) >= limit:
                break
        return chosen[:limit]

    def scoring_query(self, concepts: list[Concept], fields=None, require_all: bool = True) -> wq.Query:  # noqa: ANN001
        """BM25F over the concepts' terms in `fields`: an And of concepts (Or of them when not all are required)."""
        clauses = []
        for concept in concepts:
            options = []
            for alternative in concept.alternatives:
                parts = [_fields(concept, word, fields) for word in alternative]
                if all(parts):
                    words = [LazyOr([wq.Term(name, term) for name, term in pairs]) for pairs in parts]
                    options.append(words[0] if len(words) == 1 else wq.And(words))
            if options:
                clauses.append(options[0] if len(options) == 1 else LazyOr(options))
        if not clauses:
            return wq.NullQuery
        if len(clauses) == 1:
            return clauses[0]
        return wq.And(clauses) if require_all else LazyOr(clauses)

    def _rank(self, searcher: Searcher, concepts: list[Concept], allowed: int, wanted: int, fields=None,  # noqa: ANN001
              require_all: bool = True) -> list[int]:
        """Up to `wanted` docnums of `allowed`, by BM25F."""
        if wanted <= 0:
            return []
        # Score classes over bitsets (topk.py) first; past its work budget, Whoosh scores: led by
        # the few candidates, or block-max over many.
        leaves = self.score_leaves(searcher, concepts, allowed, fields)
        ranked = None if leaves is None else top_documents(leaves, allowed, wanted)
        if ranked is None:
            scoring = self.scoring_query(concepts, fields, require_all)
            if allowed.bit_count() <= LEAD_AT_MOST:
                hits = searcher.search(wq.And([DocnumSet(searcher, allowed), scoring]), limit=wanted)
            else:
                hits = searcher.search(scoring, limit=wanted, filter=Allowed(allowed))
            ranked = [hit.docnum for hit in hits]
        if len(ranked) < min(wanted, allowed.bit_count()):
            # A document whose terms sit only in fields this query does not score (cannot
            # normally happen) still appears, after the scored ones.
            seen = set(ranked)
            ranked += [d for d in highest(allowed, wanted + len(seen)) if d not in seen][:wanted - len(ranked)]
        return ranked

    def score_leaves(self, searcher: Searcher, concepts: list[Concept], within: int, fields=None) -> list[Leaf] | None:  # noqa: ANN001
        """The scoring query's (field, term) leaves as score classes over `within` (None: not BM25F).

        Whoosh sums the scores of every matching clause, except that an alternative of several
        words scores only where all of them are present: its leaves are gated by those documents.
        """
        if type(searcher.weighting) is not BM25F:
            return None
        occurrences: Counter = Counter()
        for concept in concepts:
            for alternative in concept.alternatives:
                parts = [_fields(concept, word, fields) for word in alternative]
                if not all(parts):
                    continue
                gate = within
                for pairs in parts if len(parts) > 1 else ():
                    gate &= self._bits(searcher, pairs)
                occurrences.update((name, term, gate) for pairs in parts for name, term in pairs)
        leaves = []
        for (name, term, gate), times in occurrences.items():
            weights = self.index.weight_bits(searcher, name, term)
            if weights and gate:
                scorer = _bm25(searcher, name, term)
                leaves.append(score_classes(weights, self.index.length_bits(searcher, name), scorer, gate, times))
        return leaves

    def _most_words(self, searcher: Searcher, concepts: list[Concept], scope: int, limit: int) -> tuple[int, list[int]]:
        """No document holds every concept: those holding the most come first, headline matches ahead of body ones.

        Returns the documents holding at least half the concepts (or as many as any document
        holds, when fewer), and the best `limit` of them.
        """
        anywhere = [self.concept_bits(searcher, c) & scope for c in concepts]
        headline = [self.concept_bits(searcher, c, HEADLINE) & scope for c in concepts]
        counts, headline_counts = bit_counter(anywhere), bit_counter(headline)
        top = next((level for level in range(len(concepts), 0, -1) if exactly(counts, level, scope)), 0)
        need = max(1, min(ceil(len(concepts) / 2), top))  # half the concepts, or fewer if nothing holds half
        matched = 0
        for level in range(need, len(concepts) + 1):
            matched |= exactly(counts, level, scope)
        chosen: list[int] = []
        for level in range(len(concepts), need - 1, -1):
            at_level = exactly(counts, level, scope)
            for in_headline in range(level, -1, -1):
                group = at_level & exactly(headline_counts, in_headline, scope)
                if group:
                    chosen += self._rank(searcher, concepts, group, limit - len(chosen), require_all=False)
                if len(chosen) >= limit:
                    return matched, chosen[:limit]
        return matched, chosen


def _bm25(searcher: Searcher, fieldname: str, term: str):  # noqa: ANN202 - (weight, length byte) -> score
    """Whoosh's BM25F score of one term in one field, from the weight and the encoded field length."""
    weighting = searcher.weighting
    idf, average = searcher.idf(fieldname, term), searcher.avg_field_length(fieldname) or 1
    b = weighting._field_B.get(fieldname, weighting.B)
    return lambda weight, length: bm25(idf, weight, byte_to_length(length), average, b, weighting.K1)
