"""The Whoosh schema and the fast text analysis shared by indexing and querying."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from itertools import chain

from whoosh import fields, formats
from whoosh.analysis import STOP_WORDS, StemmingAnalyzer
from whoosh.lang.porter import stem as porter_stem
from whoosh.system import pack_uint

WORD = re.compile(r"\w+")
COMBINING = re.compile(r"[\u0300-\u036f]")
EDGE_MAX = 15  # a prefix longer than this matches on its first 15 letters
UNINDEXED = STOP_WORDS  # words the text fields never hold


def fold(text: str) -> str:
    """Lower-case and strip accents so "Café" and "cafe" meet."""
    text = text.lower()
    if not text.isascii():
        text = COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return text


class _BoundedCache(dict):
    """A word -> derived value cache that starts over past a size, computing misses with `derive`."""

    def __init__(self, derive) -> None:  # noqa: ANN001 - a callable of one word
        super().__init__()
        self.derive = derive

    def __missing__(self, word: str):  # noqa: ANN204 - whatever derive returns
        if len(self) > 200_000:
            self.clear()
        found = self[word] = self.derive(word)
        return found


_STEMS = _BoundedCache(porter_stem)


def stem(word: str) -> str:
    """Porter stem of one folded word, cached: the same few thousand words recur."""
    return _STEMS[word]


# Every ASCII character that is not a word character (what \w+ would split on) becomes a space.
_ASCII_SPACES = str.maketrans({chr(n): " " for n in range(128) if not (chr(n).isalnum() or chr(n) == "_")})


def _runs(text: str) -> list[str]:
    """The folded runs of word characters, as WORD.findall would give them; ASCII text takes a faster C path."""
    folded = fold(text)
    if folded.isascii():
        return folded.translate(_ASCII_SPACES).split()
    return WORD.findall(folded)


def _is_word(word: str) -> bool:
    return 1 < len(word) < 40


# Lookups through map() keep the per-word work of a long body at C speed; "" marks what is left out.
_WORDS = _BoundedCache(lambda word: word if _is_word(word) else "")
_TERMS = _BoundedCache(lambda word: stem(word) if _is_word(word) and word not in STOP_WORDS else "")
_EDGES = _BoundedCache(lambda word: [word[:n] for n in range(1, min(len(word), EDGE_MAX) + 1)])


def words(text: str) -> list[str]:
    """Folded words of two to 39 characters (what the spell field holds); a longer run of letters is no word."""
    return list(filter(None, map(_WORDS.__getitem__, _runs(text))))


def stems(text: str) -> list[str]:
    """Stemmed, stop-word-free terms: the vocabulary of the scored text fields."""
    return list(filter(None, map(_TERMS.__getitem__, _runs(text))))


def edges(text: str) -> list[str]:
    """Every leading prefix (1..EDGE_MAX letters) of every distinct word, for as-you-type."""
    return list(set(chain.from_iterable(map(_EDGES.__getitem__, set(_runs(text))))))


ANALYSES = {"stems": stems, "edges": edges, "words": words}


class CountedTerms(formats.Frequency):
    """Frequency postings built with one C-speed Counter per field value.

    Whoosh's analyzer chain creates a Token object per word, which made a 50,000-item
    build take many minutes; the term lists here are the same words, counted at once.
    """

    def __init__(self, field_boost: float = 1.0, analysis: str = "stems", **options) -> None:
        super().__init__(field_boost=field_boost, **options)
        self.analysis = analysis

    def term_counts(self, value: str) -> Counter:
        """Each distinct term in `value` with its frequency (what the bulk writer reads)."""
        return Counter(ANALYSES[self.analysis](value))

    def word_values(self, value, analyzer, **kwargs):  # noqa: ANN001 - Whoosh's signature
        """Yield (term, frequency, weight, encoded) for each distinct term in `value`."""
        boost = self.field_boost
        for term, freq in self.term_counts(value).items():
            yield term, freq, freq * boost, pack_uint(freq)


class CountedIds(formats.Existence):
    """Existence postings of a whole-value ID field, with the bulk writer's shortcut past Whoosh's analyzer chain."""

    def term_counts(self, value: str) -> dict[str, int]:
        """The value itself is the one term (what Whoosh's IDTokenizer gives)."""
        return {value: 1}


class CountedKeywords(formats.Frequency):
    """Frequency postings of a comma-separated KEYWORD field, with the bulk writer's shortcut."""

    def term_counts(self, value: str) -> Counter:
        """Each comma-separated part, stripped (empty parts between spaces count, as in Whoosh's analyzer)."""
        return Counter(part.strip() for part in value.split(",") if part)


def _id(**options) -> fields.ID:
    field = fields.ID(**options)
    field.format = CountedIds()
    return field


def _keywords() -> fields.KEYWORD:
    field = fields.KEYWORD(commas=True)
    field.format = CountedKeywords()
    return field


def _text(boost: float, analysis: str = "stems") -> fields.TEXT:
    field = fields.TEXT(analyzer=StemmingAnalyzer(), phrase=False, field_boost=boost)
    field.format = CountedTerms(field_boost=boost, analysis=analysis)
    return field


# Facet fields hold slugs; the text fields hold stems; only the id is stored because
# results are drawn from the database rows, which are authoritative and fresh.
FACETS = ("moment", "type", "department", "kpi", "skill")
TEXT_FIELDS = {"title": 4.0, "summary": 2.0, "tags": 2.0, "body": 1.0}
PREFIX_FIELDS = {"title_prefix": 3.0, "summary_prefix": 1.0}


def build_schema() -> fields.Schema:
    """The index schema: lean postings without positions, facets as keywords."""
    schema = fields.Schema(
        id=_id(stored=True, unique=True),
        stamp=fields.STORED(),
        kind=_id(),  # "item" or "thread"; thread ids are "thread:<id>" so the id spaces never meet
        space_id=_id(),  # threads only: the query-time visibility filter selects by space
        visibility=_id(),
        moment=_id(),
        type=_id(),
        department=_id(),
        kpi=_keywords(),
        skill=_keywords(),
        spell=_text(1.0, "words"),
        **{name: _text(boost) for name, boost in TEXT_FIELDS.items()},
        **{name: _text(boost, "edges") for name, boost in PREFIX_FIELDS.items()},
    )
    return schema
