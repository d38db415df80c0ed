"""Marking the searched words in titles and picking snippets, for items and discussions.

A page of hits loads its cards without bodies or transcripts; `marked_texts` reads those only for
the items whose snippet needs them, and remembers each item's marked title and snippet under the
row's last change and the query's words (the same popular questions are asked all day).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from markupsafe import Markup, escape
from sqlalchemy import select

from marketplace.catalog.models import Item
from marketplace.extensions import db
from marketplace.search.schema import WORD, fold, stem

if TYPE_CHECKING:
    from marketplace.search.query import Understood
    from marketplace.spaces.models import Thread

MARKDOWN_NOISE = re.compile(r"\]\([^)]*\)|[*_#>`|\[\]]+")
# Marked (title, snippet) pairs kept per process (SEARCH_HIT_TEXT_CACHE, about 1 KB each); the lot starts over past it.
_remembered: dict[tuple, tuple[Markup, Markup]] = {}


class Highlighter:
    """Marks the searched words (and their vocabulary equivalents) in titles and picks a snippet around the first match."""

    def __init__(self, words: set[str], partial: str | None = None) -> None:
        self.stems = {stem(w) for w in words if len(w) > 1}
        self.partial = partial
        self._seen: dict[str, bool] = {}
        self.key = (frozenset(self.stems), partial)  # everything the marking depends on, besides the text
        if partial and len(partial) > 1:
            self.stems.add(stem(partial))
        alternatives = sorted({re.escape(s) for s in self.stems} | ({re.escape(partial)} if partial else set()))
        self.finder = re.compile(r"\b(?:" + "|".join(alternatives) + r")", re.IGNORECASE) if alternatives else None

    @classmethod
    def for_query(cls, understood: Understood) -> Highlighter:
        """A highlighter for the meaningful words of a query and their vocabulary equivalents."""
        partial = next((c.typed for c in understood.concepts if c.partial), None)
        return cls(understood.highlight_words() - ({partial} if partial else set()), partial)

    def _hit(self, word: str) -> bool:
        found = self._seen.get(word)
        if found is None:  # titles and snippets repeat their words: each is folded and stemmed once
            folded = fold(word)
            found = self._seen[word] = stem(folded) in self.stems or bool(self.partial and folded.startswith(self.partial))
        return found

    def mark(self, text: str) -> Markup:
        """Escape `text` and wrap the matching words in <mark>."""
        out, last = [], 0
        for match in WORD.finditer(text):
            if self._hit(match.group()):
                out += [escape(text[last:match.start()]), Markup("<mark>"), escape(match.group()), Markup("</mark>")]
                last = match.end()
        out.append(escape(text[last:]))
        return Markup("").join(out)

    def summary_matches(self, summary: str) -> bool:
        """Whether the snippet is the summary (no body or transcript needed)."""
        return self.finder is None or bool(self.finder.search(summary))

    def snippet(self, summary: str, body: str | None, transcript: str | None, words: int = 30) -> Markup:
        """The summary when it matches, else a window of the body, steps or transcript."""
        if self.summary_matches(summary):
            return self.mark(summary)
        for source in (body, transcript):
            window = self.window(source, words)
            if window is not None:
                return window
        return self.mark(summary)

    def window(self, source: str | None, words: int = 30) -> Markup | None:
        """About `words` words of `source` around its first match, or None when it has none."""
        text = MARKDOWN_NOISE.sub(" ", source or "")
        found = self.finder.search(text) if self.finder else None
        if not found:
            return None
        start = max(0, text.rfind(" ", 0, max(0, found.start() - 80)))
        end = text.find(" ", found.end() + 160)
        window = " ".join(text[start:end if end > 0 else None].split()[:words])
        return Markup("…") + self.mark(window) + Markup("…")

    def thread_snippet(self, thread: Thread, bodies: list[str], words: int = 30) -> Markup:
        """Post text only (never author names): the first of `bodies` (readable posts, opening first) that matches, else the opening."""
        sources = [*bodies, thread.retro_what, thread.retro_so_what, thread.retro_now_what]
        for source in sources:
            window = self.window(source, words)
            if window is not None:
                return window
        opening = next((source for source in sources if source), "")
        first = MARKDOWN_NOISE.sub(" ", opening).split()
        return self.mark(" ".join(first[:words])) + (Markup("…") if len(first) > words else Markup(""))


def marked_texts(items: list[Item], marker: Highlighter, remember: int) -> dict[int, tuple[Markup, Markup]]:
    """Each item's marked title and snippet, by id: remembered (up to `remember`), or computed reading bodies only where needed."""
    texts, missing = {}, []
    keys = {item.id: (item.id, item.version, item.updated_at, marker.key) for item in items}
    for item in items:
        found = _remembered.get(keys[item.id]) if remember > 0 else None
        if found is None:
            missing.append(item)
        else:
            texts[item.id] = found
    needing = [item.id for item in missing if not marker.summary_matches(item.summary)]
    sources = {row.id: row for row in db.session.execute(
        select(Item.id, Item.body, Item.transcript).where(Item.id.in_(needing)))} if needing else {}
    if len(_remembered) + len(missing) > remember:
        _remembered.clear()
    for item in missing:
        source = sources.get(item.id)
        texts[item.id] = (marker.mark(item.title), marker.snippet(item.summary, source and source.body, source and source.transcript))
        if remember > 0:
            _remembered[keys[item.id]] = texts[item.id]
    return texts
