"""Exact top-k BM25 over bitsets, for result lists with many matches.

A term's BM25 score in a document depends only on the term's weight there (frequency
times field boost) and the field's length, which Whoosh stores as one byte. So each
(field, term) leaf splits the documents into a few score classes, each a bitset, and a
document's score is the sum of its classes' scores over the query's leaves.

`top_documents` refines the candidate bitset leaf by leaf, best first: a part's bound is
what it has collected so far plus the best each remaining leaf could add. A part that has
passed every leaf holds documents of exactly one score. Parts come off the heap in bound
order, so once k documents are out and no bound can reach the k-th score, the answer is
exact: the same documents, in the same order (ties by lower docnum), as Whoosh's
collector scoring every match, at the cost of a few hundred bitset operations instead of
a Python call chain per matching document. It gives up (returns None) past a work budget;
the caller then scores with Whoosh, which is slower but exact too.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from itertools import count

from marketplace.search.postings import lowest

MAX_STEPS = 4000  # refinements before giving up (each is a few bitset operations per class)
SLACK = 1e-9  # float sums of the same scores in another order may differ in the last bits


@dataclass
class Leaf:
    """One (field, term) of the query: its score classes, best first, and every document it holds."""

    classes: list[tuple[float, int]]
    holders: int = field(init=False)

    def __post_init__(self) -> None:
        self.classes.sort(key=lambda pair: -pair[0])
        self.holders = 0
        for _, bits in self.classes:
            self.holders |= bits

    @property
    def best(self) -> float:
        return self.classes[0][0] if self.classes else 0.0


def score_classes(weights: dict[float, int], lengths: dict[int, int], score, within: int, times: int = 1) -> Leaf:  # noqa: ANN001
    """A leaf over the documents `within`, from its weight bitsets and the field's length bitsets.

    score(weight, length byte) -> float; `times`: how often the leaf occurs in the query.
    """
    classes = []
    for weight, held in weights.items():
        holders = held & within
        for length, bits in lengths.items() if holders else ():
            found = holders & bits
            if found:
                classes.append((score(weight, length) * times, found))
                holders ^= found
                if not holders:
                    break
    return Leaf(classes)


def top_documents(leaves: list[Leaf], allowed: int, limit: int, max_steps: int = MAX_STEPS) -> list[int] | None:
    """The `limit` best-scoring docnums of `allowed` (score > 0), best first; None past the work budget."""
    leaves = sorted((leaf for leaf in leaves if leaf.classes), key=lambda leaf: -leaf.best)
    remaining = [0.0] * (len(leaves) + 1)
    for depth in range(len(leaves) - 1, -1, -1):
        remaining[depth] = remaining[depth + 1] + leaves[depth].best
    order = count()
    heap = [(-remaining[0], next(order), 0, 0.0, allowed)]
    found: list[tuple[float, int]] = []
    kth = None
    steps = 0
    while heap:
        bound, _, depth, score, part = heapq.heappop(heap)
        if kth is not None and -bound + SLACK * max(1.0, -bound) < kth:
            break
        if depth == len(leaves):
            if score > 0:
                found += [(score, docnum) for docnum in lowest(part, limit)]
                found.sort(key=lambda pair: (-pair[0], pair[1]))
                del found[limit:]
                kth = found[-1][0] if len(found) == limit else None
            continue
        steps += 1
        if steps > max_steps:
            return None
        leaf = leaves[depth]
        inside = part & leaf.holders
        if part ^ inside:
            heapq.heappush(heap, (-(score + remaining[depth + 1]), next(order), depth + 1, score, part ^ inside))
        for gain, bits in leaf.classes:
            if not inside:
                break
            share = inside & bits
            if share:
                inside ^= share
                heapq.heappush(heap, (-(score + gain + remaining[depth + 1]), next(order), depth + 1, score + gain, share))
    return [docnum for _, docnum in found]
