"""The Whoosh schema and the fast text analysis shared by indexing and querying."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from whoosh import fields, formats
from whoosh.analysis import STOP_WORDS, StemmingAnalyzer
from whoosh.lang.porter import stem as porter_stem
from whoosh.system import pack_uint

WORD = re.compile(r"\w+")
COMBINING = re.compile(r"[\u0300-\u036f]")
EDGE_MAX = 15  # a prefix longer than this matches on its first 15 letters
UNINDEXED = STOP_WORDS  # words the text fields never hold
_STEMS: dict[str, str] = {}


def fold(text: str) -> str:
    """Lower-case and strip accents so "Café" and "cafe" meet."""
    text = text.lower()
    if not text.isascii():
        text = COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return text


def stem(word: str) -> str:
    """Porter stem of one folded word, cached: the same few thousand words recur."""
    found = _STEMS.get(word)
    if found is None:
        if len(_STEMS) > 200_000:
            _STEMS.clear()
        found = _STEMS[word] = porter_stem(word)
    return found


def words(text: str) -> list[str]:
    """Folded words of at least two characters (what the spell field holds)."""
    return [w for w in WORD.findall(fold(text)) if len(w) > 1 and len(w) < 40]


def stems(text: str) -> list[str]:
    """Stemmed, stop-word-free terms: the vocabulary of the scored text fields."""
    return [stem(w) for w in words(text) if w not in STOP_WORDS]


def edges(text: str) -> list[str]:
    """Every leading prefix (1..EDGE_MAX letters) of every distinct word, for as-you-type."""
    grams: set[str] = set()
    for word in set(WORD.findall(fold(text))):
        grams.update(word[:n] for n in range(1, min(len(word), EDGE_MAX) + 1))
    return list(grams)


ANALYSES = {"stems": stems, "edges": edges, "words": words}


class CountedTerms(formats.Frequency):
    """Frequency postings built with one C-speed Counter per field value.

    Whoosh's analyzer chain creates a Token object per word, which made a 50,000-item
    build take many minutes; the term lists here are the same words, counted at once.
    """

    def __init__(self, field_boost: float = 1.0, analysis: str = "stems", **options) -> None:
        super().__init__(field_boost=field_boost, **options)
        self.analysis = analysis

    def term_counts(self, value: str):
        """(term, frequency) for each distinct term in `value` (what the bulk writer reads)."""
        return Counter(ANALYSES[self.analysis](value)).items()

    def word_values(self, value, analyzer, **kwargs):  # noqa: ANN001 - Whoosh's signature
        """Yield (term, frequency, weight, encoded) for each distinct term in `value`."""
        boost = self.field_boost
        for term, freq in self.term_counts(value):
            yield term, freq, freq * boost, pack_uint(freq)


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
        id=fields.ID(stored=True, unique=True),
        stamp=fields.STORED(),
        kind=fields.ID(),  # "item" or "thread"; thread ids are "thread:<id>" so the id spaces never meet
        space_id=fields.ID(),  # threads only: the query-time visibility filter selects by space
        visibility=fields.ID(),
        moment=fields.ID(),
        type=fields.ID(),
        department=fields.ID(),
        kpi=fields.KEYWORD(commas=True),
        skill=fields.KEYWORD(commas=True),
        spell=_text(1.0, "words"),
        **{name: _text(boost) for name, boost in TEXT_FIELDS.items()},
        **{name: _text(boost, "edges") for name, boost in PREFIX_FIELDS.items()},
    )
    return schema
