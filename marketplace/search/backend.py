"""The search seam: what a search engine must do for the marketplace, and nothing about how.

Product rules (who may see what, facets and their labels, demand logging, highlighting,
query understanding and the vocabulary) live in `services.py` and `query.py` above this
interface. A backend stores documents (dicts made by `documents.py`, keyed by item id or
"thread:<id>") and answers queries made of concepts (see `query.Concept`).

To add an engine: implement `SearchBackend` (constructed as `Engine(root, result_cache=n)`),
register it in `BACKENDS` below, and set SEARCH_BACKEND in the config. `ResultCache` lets an
engine remember answers per index generation (SEARCH_RESULT_CACHE answers; 0 turns it off).
Whoosh (`whoosh_backend.py`) is the default and the only module that imports Whoosh, together
with `index.py`, `bulk.py` and `schema.py`.

Contract, by method:
- apply(documents): replace (dict) or delete (None) each key; idempotent; raise on failure.
  Returns False when there is no index yet to write to (the caller rebuilds).
- rebuild(sources, reload, on_batch, prepare): build a complete new index from `sources`
  (callables yielding batches of (key, document)); documents written meanwhile are re-read
  through `reload(keys)`; `prepare(location)` runs just before the new index goes live (the
  change feed stores the position the rebuild started from there); the old index answers
  until the new one is swapped in.
- search(query): `BackendQuery` -> `BackendResult`: matching keys in rank order (at most
  query.limit), the exact total, counts per requested facet value, and the mode ("all"
  when every concept matched, "most" when no document held every concept and those
  holding the most concepts were returned, "widened" when a query of three or more
  concepts that few documents held whole went on with those holding the most).
- count(concepts, filters): how many items hold every concept (did-you-mean checks that
  a correction finds something).
- known(word, partial) / nearest(word): spelling support from catalog text only.
- keys_with(field, values), indexed_stamps(), exists(), schema_current(): operations.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from marketplace.search.query import Concept

Key = int | str
Documents = dict[Key, dict | None]
Source = Callable[[], Iterable[list[tuple[Key, dict | None]]]]


@dataclass
class BackendQuery:
    """Concepts to match, restricted to one kind of document and to facet values."""

    concepts: list[Concept]
    kind: str = "item"  # "item" or "thread"
    filters: dict[str, str] = field(default_factory=dict)  # facet -> slug, all required
    spaces: list[int] | None = None  # threads only: the spaces the viewer may read
    facets: dict[str, list[str]] = field(default_factory=dict)  # facet -> slugs to count
    limit: int = 10
    most_words: bool = True  # when nothing holds every concept, return those holding the most


@dataclass
class BackendResult:
    keys: list[Key] = field(default_factory=list)
    total: int = 0
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    mode: str = "all"  # "all", "most" or "widened"

    def copy(self) -> BackendResult:
        """An independent copy (keys are ints and strings, so one level down is deep enough)."""
        return BackendResult(list(self.keys), self.total, {facet: dict(counts) for facet, counts in self.facets.items()}, self.mode)


class SearchBackend(Protocol):
    """What the product layer needs from a search engine."""

    def apply(self, documents: Documents) -> bool: ...

    def rebuild(self, sources: list[Source], reload: Callable[[set[Key]], Documents],
                on_batch: Callable[[int], None] | None = None, prepare: Callable[[Path], None] | None = None) -> str: ...

    def search(self, query: BackendQuery) -> BackendResult: ...

    def count(self, concepts: list[Concept], filters: dict[str, str]) -> int: ...

    def known(self, word: str, partial: bool = False) -> bool: ...

    def nearest(self, word: str) -> str | None: ...

    def keys_with(self, fieldname: str, values: set[str]) -> set[Key]: ...

    def indexed_stamps(self) -> dict[Key, str]: ...

    def exists(self) -> bool: ...

    def schema_current(self) -> bool: ...


@dataclass
class Drift:
    """How the index differs from the database."""

    # Keys are item ids, or "thread:<id>" for space threads.
    missing: list[int | str] = field(default_factory=list)  # findable in the DB, absent from the index
    extra: list[int | str] = field(default_factory=list)  # in the index, not findable in the DB
    stale: list[int | str] = field(default_factory=list)  # indexed from an older version of the row

    @property
    def clean(self) -> bool:
        return not (self.missing or self.extra or self.stale)


class ResultCache:
    """The last answers of one process, each under the index state it was computed from.

    Like Solr's query result cache: an answer is remembered with the generation of the index
    that produced it (for Whoosh, its segments and their deletions), so a write never serves a
    stale answer, it only starts a new generation whose answers are computed afresh. Popular
    searches ("expense claim", the same prefix typed by many) then skip ranking entirely.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._guard = threading.Lock()
        self._answers: OrderedDict[tuple, BackendResult] = OrderedDict()

    def get(self, generation: tuple, query: BackendQuery) -> BackendResult | None:
        """A copy of the remembered answer, or None."""
        if self.size <= 0:
            return None
        key = (generation, query_key(query))
        with self._guard:
            found = self._answers.get(key)
            if found is None:
                return None
            self._answers.move_to_end(key)
        return found.copy()  # callers may change what they get

    def put(self, generation: tuple, query: BackendQuery, result: BackendResult) -> None:
        """Remember an answer; the least recently used goes when full."""
        if self.size <= 0:
            return
        with self._guard:
            self._answers[(generation, query_key(query))] = result.copy()
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)


def query_key(query: BackendQuery) -> tuple:
    """Everything a query's answer depends on, hashable."""
    return (tuple(query.concepts), query.kind, tuple(sorted(query.filters.items())),
            None if query.spaces is None else tuple(sorted(query.spaces)),
            tuple(sorted((facet, tuple(slugs)) for facet, slugs in query.facets.items())), query.limit, query.most_words)


def parse_key(text: str) -> int | str:
    """An index key as stored: item ids come back as ints, other kinds ("thread:7") as text."""
    return int(text) if text.isdigit() else text


def key_order(key: int | str) -> tuple[str, int]:
    """Sort items before threads, each by number."""
    kind, _, number = str(key).rpartition(":")
    return kind, int(number) if number.isdigit() else 0


class BackendUnavailable(Exception):
    """No usable index: search says it is being rebuilt (HTTP 503), never a 500."""


# Engines by SEARCH_BACKEND name: "module:Class", imported on first use.
BACKENDS = {"whoosh": "marketplace.search.whoosh_backend:WhooshBackend"}


def make_backend(name: str, root: str, result_cache: int = 512) -> SearchBackend:
    """An instance of the configured engine over the index directory `root`, remembering `result_cache` answers."""
    import importlib

    if name not in BACKENDS:
        raise ValueError(f"unknown SEARCH_BACKEND {name!r}; known: {', '.join(sorted(BACKENDS))}")
    module, _, attribute = BACKENDS[name].partition(":")
    return getattr(importlib.import_module(module), attribute)(root, result_cache=result_cache)
