"""Similar content before it is made: existing items that look like what someone is about to write.

Uses the public search function only (another team owns the index internals). The search ANDs
every word, so a whole sentence would rarely match: each significant word is searched on its
own and items are ranked by how many of the words they matched.
"""

from __future__ import annotations

from typing import Any

from whoosh.analysis import STOP_WORDS

from marketplace.catalog.models import Item
from marketplace.search.services import SearchRequest, search, split_terms

MAX_WORDS = 6  # searches per call: bounded, whatever was typed
MIN_WORD = 4


def significant_words(text: str) -> list[str]:
    """The longest distinct words of the text (stop words and short words dropped), longest first."""
    words = [w for w in split_terms(f"{text or ''} ").all if len(w) >= MIN_WORD and w not in STOP_WORDS]
    return sorted(dict.fromkeys(words), key=len, reverse=True)[:MAX_WORDS]


def for_text(text: str, user: Any, exclude: list[int | None] | tuple = (), limit: int = 5) -> list[Item]:
    """Published items the user may see that share the most significant words with `text`."""
    words = significant_words(text)
    if len(words) < 1 or not getattr(user, "is_authenticated", False):
        return []
    skip = {i for i in exclude if i}
    scores: dict[int, tuple[int, int]] = {}
    items: dict[int, Item] = {}
    for word in words:
        results = search(SearchRequest(text=word + " ", limit=limit * 2), user)
        if results.unavailable:
            return []
        for rank, hit in enumerate(results.hits):
            if hit.item.id in skip:
                continue
            matched, best = scores.get(hit.item.id, (0, rank))
            scores[hit.item.id] = (matched + 1, min(best, rank))
            items[hit.item.id] = hit.item
    need = 2 if len(words) >= 3 else 1  # one shared word in a long text is a coincidence
    ranked = sorted((i for i in scores if scores[i][0] >= need), key=lambda i: (-scores[i][0], scores[i][1]))
    return [items[i] for i in ranked[:limit]]
