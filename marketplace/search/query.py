"""Understand what was typed: words that carry meaning, the word still being typed, and the vocabulary's equivalents.

Nothing here knows the search engine: the result is a list of concepts that any backend can match.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from marketplace.search.schema import UNINDEXED, WORD, fold, stem

MAX_CHARS = 200
MAX_WORDS = 12

# Words that shape a question but do not say what it is about ("how do I ...", "what's the ...",
# "my ... was ..."). Whoosh's stop words (never indexed) are a subset of these.
FUNCTION_WORDS = frozenset(["a", "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "been", "before", "being", "but", "by", "can", "could", "d", "did", "didn", "do", "does", "doesn", "doing", "don", "for", "from", "get", "gets", "getting", "got", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how", "i", "if", "im", "in", "into", "is", "isn", "it", "its", "just", "let", "ll", "m", "may", "me", "might", "must", "my", "need", "needs", "no", "not", "now", "of", "off", "on", "once", "only", "or", "our", "ours", "please", "re", "s", "shall", "she", "should", "so", "some", "such", "t", "tbd", "than", "that", "the", "their", "theirs", "them", "then", "there", "these", "they", "this", "those", "to", "too", "us", "ve", "was", "wasn", "way", "we", "were", "weren", "what", "whats", "when", "where", "whether", "which", "while", "who", "whom", "whose", "why", "will", "with", "won", "would", "yet", "you", "your", "yours"])


@dataclass(frozen=True)
class Concept:
    """One thing asked for: alternative word sequences, any of which satisfies it.

    A plain word has one alternative of one word; a vocabulary entry adds its equivalents
    ("per diem" -> ("per", "diem") or ("meal", "allowance")). `partial` marks the word still
    being typed, which also matches as a prefix.
    """

    alternatives: tuple[tuple[str, ...], ...]
    partial: bool = False
    typed: str = ""  # the words as typed (folded), for messages and spelling

    @property
    def words(self) -> set[str]:
        """Every word of every alternative (what results may highlight)."""
        return {word for alternative in self.alternatives for word in alternative}


@dataclass
class Understood:
    """A query as concepts, plus the function words that were set aside."""

    concepts: list[Concept] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)  # every folded word typed, in order
    partial: str | None = None  # the last word when it is still being typed

    @property
    def empty(self) -> bool:
        return not self.concepts

    def highlight_words(self) -> set[str]:
        """Words to mark in titles and snippets: those typed and their equivalents."""
        return {word for concept in self.concepts for word in concept.words}


def typed_words(text: str) -> tuple[list[str], str | None]:
    """Folded words, and the last one when it is still being typed (no space or punctuation after it)."""
    text = (text or "")[:MAX_CHARS]
    found = WORD.findall(fold(text))[:MAX_WORDS]
    if not found:
        return [], None
    still_typing = text[-1:].isalnum() or text[-1:] == "_"
    return found, (found[-1] if still_typing else None)


def _key(words: Iterable[str]) -> tuple[str, ...]:
    return tuple(stem(word) for word in words)


def understand(text: str, vocabulary: Mapping[tuple[str, ...], tuple[tuple[str, ...], ...]] | None = None) -> Understood:
    """Split `text` into concepts: vocabulary phrases first (longest match), then meaningful words."""
    words, partial = typed_words(text)
    result = Understood(words=words, partial=partial)
    vocabulary = vocabulary or {}
    longest = max((len(phrase) for phrase in vocabulary), default=0)
    position, last = 0, len(words) - 1
    raw: list[tuple[Concept, bool]] = []  # (concept, is a function word)
    while position < len(words):
        matched = None
        for size in range(min(longest, len(words) - position), 0, -1):
            phrase = _key(words[position:position + size])
            if phrase in vocabulary:
                matched = size, vocabulary[phrase]
                break
        if matched:
            size, alternatives = matched
            typed = " ".join(words[position:position + size])
            raw.append((Concept(alternatives, typed=typed), False))
            position += size
            continue
        word = words[position]
        is_partial = partial is not None and position == last
        function = word in FUNCTION_WORDS or (len(word) < 2 and not is_partial)  # a letter being typed is a prefix
        raw.append((Concept(((word,),), partial=is_partial, typed=word), function))
        position += 1
    meaningful = [concept for concept, function in raw if not function]
    if meaningful:
        result.concepts = _dedupe(meaningful)
        result.ignored = [concept.typed for concept, function in raw if function]
    else:
        # Only function words ("how we"): search for them rather than for nothing.
        result.concepts = _dedupe([c for c, _ in raw if c.partial or (len(c.typed) > 1 and c.typed not in UNINDEXED)])
    return result


def _dedupe(concepts: list[Concept]) -> list[Concept]:
    seen, kept = set(), []
    for concept in concepts:
        key = (concept.alternatives, concept.partial)
        if key not in seen:
            seen.add(key)
            kept.append(concept)
    return kept


def vocabulary_map(entries: Iterable[Iterable[str]]) -> dict[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """From groups of equivalent phrases to a lookup: each phrase's stems -> every phrase of its group as words."""
    lookup: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = {}
    for group in entries:
        phrases = []
        for phrase in group:
            words = tuple(WORD.findall(fold(phrase)))
            if words and words not in phrases:
                phrases.append(words)
        if len(phrases) < 2:
            continue
        for words in phrases:
            key = _key(words)
            merged = list(lookup.get(key, ()))
            merged += [p for p in phrases if p not in merged]
            lookup[key] = tuple(merged)
    return lookup
