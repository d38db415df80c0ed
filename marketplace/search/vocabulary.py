"""The search vocabulary: groups of phrases curators declare equivalent, applied when a query is read.

Nothing is indexed differently, so an edit works on the next search, in every process, with
no rebuild: each search reads a one-row fingerprint of the table and re-parses only when it changed.
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.search.models import VocabularyEntry
from marketplace.search.query import vocabulary_map
from marketplace.search.schema import WORD, fold

MAX_PHRASES = 12
MAX_PHRASE_WORDS = 5
_cache: dict[str, tuple[tuple, dict]] = {}
_cache_guard = threading.Lock()


def entries() -> list[VocabularyEntry]:
    """Every vocabulary group, alphabetically by its first phrase."""
    rows = list(db.session.scalars(select(VocabularyEntry)))
    return sorted(rows, key=lambda e: e.phrases.lower())


def entry_by_id(entry_id: int) -> VocabularyEntry | None:
    """Load one vocabulary group."""
    return db.session.get(VocabularyEntry, entry_id)


def parse_phrases(text: str) -> tuple[list[str], list[str]]:
    """Comma- or line-separated phrases, tidied; and every problem with them at once."""
    phrases, problems = [], []
    for raw in (text or "").replace("\n", ",").split(","):
        phrase = " ".join(raw.split())
        if not phrase:
            continue
        words = WORD.findall(fold(phrase))
        if not words:
            problems.append(f"“{phrase[:40]}” has no letters or digits.")
        elif len(words) > MAX_PHRASE_WORDS:
            problems.append(f"“{phrase[:40]}” is longer than {MAX_PHRASE_WORDS} words.")
        elif fold(phrase) not in {fold(p) for p in phrases}:
            phrases.append(phrase)
    if len(phrases) < 2:
        problems.append("Give at least two phrases that mean the same, separated by commas (e.g. “PO, purchase order”).")
    if len(phrases) > MAX_PHRASES:
        problems.append(f"At most {MAX_PHRASES} phrases in one group.")
    return phrases, problems


def save(entry: VocabularyEntry | None, phrases: list[str], note: str, user: User) -> VocabularyEntry:
    """Create or update a group; effective on the next search."""
    entry = entry or VocabularyEntry()
    entry.phrases = ", ".join(phrases)[:500]
    entry.note = (note or "").strip()[:200]
    entry.updated_by = user
    db.session.add(entry)
    db.session.commit()
    return entry


def delete(entry: VocabularyEntry) -> None:
    """Remove a group; effective on the next search."""
    db.session.delete(entry)
    db.session.commit()


def current() -> dict[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """The lookup the query reader uses, re-read only when the table changed."""
    count, latest, ids = db.session.execute(
        select(func.count(VocabularyEntry.id), func.max(VocabularyEntry.updated_at), func.sum(VocabularyEntry.id))
    ).one()
    fingerprint = (count, latest, ids)
    key = str(db.engine.url)
    with _cache_guard:
        cached = _cache.get(key)
    if cached and cached[0] == fingerprint:
        return cached[1]
    lookup = vocabulary_map(e.phrase_list for e in db.session.scalars(select(VocabularyEntry))) if count else {}
    with _cache_guard:
        _cache[key] = (fingerprint, lookup)
    return lookup
