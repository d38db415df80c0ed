"""Search rules: read what was typed, ask the backend, apply visibility, count facets, suggest spellings.

The engine sits behind `backend.SearchBackend`; nothing here knows how documents are matched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from markupsafe import Markup
from sqlalchemy import bindparam, case, func, or_, select
from sqlalchemy.orm import defer, joinedload, selectinload

from marketplace.catalog.labels import reference_labels
from marketplace.catalog.models import ITEM_TYPES, HelpfulVote, Item
from marketplace.curation.models import Collection
from marketplace.extensions import db
from marketplace.policy import can
from marketplace.search import discussions, vocabulary
from marketplace.search.backend import BackendQuery, BackendUnavailable
from marketplace.search.highlight import Highlighter, marked_texts
from marketplace.search.hooks import backend_for
from marketplace.search.query import (  # noqa: F401 - MAX_* re-exported
    FUNCTION_WORDS,
    MAX_CHARS,
    MAX_WORDS,
    Understood,
    typed_words,
    understand,
)
from marketplace.search.schema import FACETS, WORD, fold, stem
from marketplace.spaces.models import Space, Thread
from marketplace.spaces.services import visible_spaces_clause

PAGE = 10
MAX_LIMIT = 50
LOW_RESULTS = 2  # this many results or fewer counts as "looked for, not found"
THREAD_PREVIEW = 3  # discussions shown beside the catalog results; the Discussions tab shows more
FACET_SHOWN = 8
FACET_TITLES = {"moment": "Moment of need", "type": "Type", "kpi": "KPI", "skill": "Skill", "department": "Department"}


@dataclass
class SearchRequest:
    """What someone asked for: the typed text and the facet filters (slugs)."""

    text: str = ""
    filters: dict[str, str] = field(default_factory=dict)
    limit: int = PAGE


@dataclass
class Terms:
    """The typed text split into whole words and the word still being typed."""

    words: list[str]
    partial: str | None

    @property
    def all(self) -> list[str]:
        return self.words + ([self.partial] if self.partial else [])


@dataclass
class FacetValue:
    slug: str
    label: str
    count: int
    selected: bool


@dataclass
class Hit:
    item: Item
    title: Markup
    snippet: Markup
    helpful_yes: int
    helpful_total: int

    @property
    def helpful_percent(self) -> int | None:
        return round(100 * self.helpful_yes / self.helpful_total) if self.helpful_total else None


@dataclass
class ThreadHit:
    """A discussion in a space the viewer may read; `author` is None in Chatham House spaces."""

    thread: Thread
    title: Markup
    snippet: Markup
    author: str | None

    @property
    def link(self) -> str:
        return f"/spaces/{self.thread.space.slug}/threads/{self.thread.id}"


@dataclass
class SearchResults:
    request: SearchRequest
    hits: list[Hit] = field(default_factory=list)
    total: int = 0  # catalog items only: the facets count items, so discussions never distort them
    threads: list[ThreadHit] = field(default_factory=list)
    thread_total: int = 0
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    suggestion: str | None = None
    unavailable: bool = False
    mode: str = "all"  # "most": no item held every word, those holding the most are shown; "widened": those follow the ones that did
    corrected: str | None = None  # nothing matched what was typed; these are the results for this spelling
    ignored: list[str] = field(default_factory=list)  # function words set aside ("how", "do", "i")

    @property
    def searched(self) -> bool:
        """True when there was something to search for (words or filters)."""
        return bool(split_terms(self.request.text).all or self.request.filters)

    @property
    def more(self) -> bool:
        return self.total > len(self.hits) and self.request.limit < MAX_LIMIT

    @property
    def more_threads(self) -> bool:
        return self.thread_total > len(self.threads) and self.request.limit < MAX_LIMIT


def split_terms(text: str) -> Terms:
    """Whole words, plus the last word as a prefix unless the text ends in a space or punctuation."""
    found, partial = typed_words(text)
    return Terms(found[:-1], partial) if partial else Terms(found, None)


def read_query(text: str) -> Understood:
    """The typed text as concepts, with the curators' vocabulary applied (see query.py)."""
    return understand(text, vocabulary.current())


def facet_labels() -> dict[str, dict[str, str]]:
    """Display names for every facet value, by facet."""
    labels = reference_labels()
    return {"moment": dict(labels["moment"]), "type": dict(ITEM_TYPES), "kpi": dict(labels["kpi"]),
            "skill": dict(labels["skill"]), "department": dict(labels["department"])}


def clean_filters(raw: dict[str, str], labels: dict[str, dict[str, str]]) -> tuple[dict[str, str], list[str]]:
    """Keep known facet values; explain each one left out."""
    kept, problems = {}, []
    for facet in FACETS:
        value = (raw.get(facet) or "").strip()[:120]
        if not value:
            continue
        if value in labels[facet]:
            kept[facet] = value
        else:
            problems.append(f"No {FACET_TITLES[facet].lower()} called “{value}”; that filter was left out.")
    return kept, problems

def search(
    request: SearchRequest, user: Any, labels: dict[str, dict[str, str]] | None = None, thread_limit: int = THREAD_PREVIEW,
    correct: bool = True,
) -> SearchResults:
    """Run a search for `user`: ranked hits, exact total, facet counts, readable discussions and a spelling suggestion.

    When nothing matches and a spelling correction finds items, the corrected search answers instead.
    """
    labels = labels if labels is not None else facet_labels()
    results = SearchResults(request)
    backend = backend_for(current_app)
    understood = read_query(request.text)
    results.ignored = understood.ignored
    asked = _asked(request, understood, labels)
    try:
        found = backend.search(asked)
        if not (understood.concepts or request.filters):
            # Nothing asked: show the facets as a way in, not the whole catalog.
            results.facets = _facet_values(found.facets, request.filters, labels)
            return results
        results.total, results.mode = found.total, found.mode
        results.facets = _facet_values(found.facets, request.filters, labels)
        results.hits = _hits(found.keys, understood, user)
        if understood.concepts and not request.filters:  # the facets describe catalog items; a filtered search is a catalog search
            results.thread_total, results.threads = _threads(backend, understood, user, thread_limit)
        if (results.total <= LOW_RESULTS or results.mode == "most") and understood.words:
            results.suggestion = suggest(backend, request.text, understood, request.filters)
    except BackendUnavailable:
        return SearchResults(request, unavailable=True)
    if correct and results.suggestion and not results.total and not results.threads:
        fixed = search(SearchRequest(results.suggestion, request.filters, request.limit), user, labels, thread_limit, correct=False)
        fixed.request, fixed.corrected, fixed.suggestion = request, results.suggestion, None
        return fixed
    return results


def settled_total(request: SearchRequest, user: Any, labels: dict[str, dict[str, str]]) -> int | None:
    """How many items the results page for `request` showed (what the demand log keeps); None during an outage.

    Asks the backend exactly what the page asked, so the answer is usually remembered
    (ResultCache) and no hit is loaded or marked again. Only a page that found nothing may
    have answered a corrected spelling instead, which the full search decides.
    """
    understood = read_query(request.text)
    if understood.concepts or request.filters:
        try:
            total = backend_for(current_app).search(_asked(request, understood, labels)).total
        except BackendUnavailable:
            return None
        if total:
            return total
    results = search(request, user, labels)
    return None if results.unavailable else results.total


def _asked(request: SearchRequest, understood: Understood, labels: dict[str, dict[str, str]]) -> BackendQuery:
    limit = max(1, min(request.limit, MAX_LIMIT))
    return BackendQuery(understood.concepts, filters=dict(request.filters), limit=limit,
                        facets={facet: list(labels[facet]) for facet in FACETS})


def search_keys(text: str, filters: dict[str, str], limit: int) -> tuple[list[int], int]:
    """Item ids for `text` under catalog filters, best first, and how many match (the catalog's free-text box)."""
    understood = read_query(text)
    found = backend_for(current_app).search(BackendQuery(understood.concepts, filters=filters, limit=limit))
    return [k for k in found.keys if isinstance(k, int)], found.total


def visible_space_ids(user: Any) -> list[int]:
    """Spaces whose discussions `user` may read, read fresh on every search so membership changes apply at once."""
    return list(db.session.scalars(select(Space.id).where(visible_spaces_clause(user))))


def _threads(backend, understood: Understood, user: Any, limit: int) -> tuple[int, list[ThreadHit]]:  # noqa: ANN001
    # Everything the viewer may not read is removed in the backend, before any title, snippet or count exists.
    limit = max(1, min(limit, MAX_LIMIT))
    found = backend.search(BackendQuery(understood.concepts, kind="thread", spaces=visible_space_ids(user), limit=limit, most_words=False))
    return found.total, _thread_hits(found.keys, understood, user)


def _thread_hits(keys: list, understood: Understood, user: Any) -> list[ThreadHit]:
    ids = [discussions.thread_id_of(str(k)) for k in keys]
    query = select(Thread).where(Thread.id.in_([i for i in ids if i])).options(selectinload(Thread.space), selectinload(Thread.author))
    rows = {thread.id: thread for thread in db.session.scalars(query)}
    bodies = discussions.snippet_sources(list(rows))
    marker = Highlighter.for_query(understood)
    hits = []
    for thread_id in ids:
        thread = rows.get(thread_id)
        # The index can trail the database by a moment; the row and the policy decide.
        if thread is None or not can(user, "view_space", thread.space):
            continue
        space = thread.space
        # Chatham House: nothing that leaves the space names anyone, so results never carry an author.
        author = None if space.chatham_house or thread.author is None else thread.author.name
        hits.append(ThreadHit(thread, marker.mark(thread.title), marker.thread_snippet(thread, bodies.get(thread.id, [])), author))
    return hits


def _facet_values(counts: dict[str, dict[str, int]], filters: dict[str, str], labels) -> dict[str, list[FacetValue]]:
    facets = {}
    for facet in FACETS:
        values = []
        for slug, label in labels[facet].items():
            count = counts.get(facet, {}).get(slug, 0)
            if count or filters.get(facet) == slug:
                values.append(FacetValue(slug, label, count, filters.get(facet) == slug))
        values.sort(key=lambda v: (not v.selected, -v.count, v.label.lower()))
        facets[facet] = values[:FACET_SHOWN]
    return facets


# A hit shows its card and a snippet: bodies and transcripts are read only where the snippet needs them.
HIT_OPTIONS = (defer(Item.body), defer(Item.transcript), selectinload(Item.kpis), joinedload(Item.moment))

# Built once (constructing it cost four times more than running it): helpful counts for a page of hits.
VOTES = (
    select(HelpfulVote.item_id, func.sum(case((HelpfulVote.helpful.is_(True), 1), else_=0)), func.count())
    .where(HelpfulVote.item_id.in_(bindparam("ids", expanding=True))).group_by(HelpfulVote.item_id)
)


def _hits(keys: list, understood: Understood, user: Any) -> list[Hit]:
    ids = [k for k in keys if isinstance(k, int)]
    if not ids:
        return []
    query = select(Item).where(Item.id.in_(ids)).options(*HIT_OPTIONS)
    rows = {item.id: item for item in db.session.scalars(query)}
    # The index can trail the database by a moment; the row and the policy decide.
    shown = [rows[i] for i in ids if i in rows and can(user, "view_item", rows[i]) and rows[i].is_published]
    votes = {item_id: (int(yes), int(total)) for item_id, yes, total in db.session.execute(VOTES, {"ids": ids})}
    texts = marked_texts(shown, Highlighter.for_query(understood), current_app.config.get("SEARCH_HIT_TEXT_CACHE", 1024))
    return [Hit(item, *texts[item.id], *votes.get(item.id, (0, 0))) for item in shown]


def suggest(backend, text: str, understood: Understood, filters: dict[str, str]) -> str | None:  # noqa: ANN001 - a SearchBackend
    """ "Did you mean": the typed text with only its misspelled words corrected, offered only when it finds something."""
    corrections: dict[str, str] = {}
    vocabulary_words = {w for c in understood.concepts if len(c.alternatives) > 1 for w in c.typed.split()}
    for position, word in enumerate(understood.words):
        is_partial = understood.partial is not None and position == len(understood.words) - 1
        if word in corrections or word in FUNCTION_WORDS or word in vocabulary_words or len(word) < 3 or word.isdigit():
            continue
        if backend.known(word, partial=is_partial):
            continue
        nearest = backend.nearest(word)
        if nearest:
            corrections[word] = nearest
    if not corrections:
        return None
    corrected = WORD.sub(lambda m: corrections.get(fold(m.group()), m.group()), text[:MAX_CHARS]).strip()
    if backend.count(read_query(corrected + " ").concepts, filters) == 0:
        return None  # never offer a phrase that finds nothing
    return corrected


def related_collections(text: str, limit: int = 3) -> list[Collection]:
    """Published collections whose title or intent shares a word with the query; else featured ones."""
    wanted = [w for w in split_terms(text).all if len(w) > 2 and w not in FUNCTION_WORDS][:5]
    query = select(Collection).where(Collection.status == "published")
    found: list[Collection] = []
    if wanted:
        likes = [func.lower(Collection.title).like(f"%{stem(w)}%") for w in wanted]
        likes += [func.lower(Collection.intent).like(f"%{stem(w)}%") for w in wanted]
        found = list(db.session.scalars(query.where(or_(*likes)).limit(limit)))
    if not found:
        found = list(db.session.scalars(query.where(Collection.featured.is_(True)).limit(limit)))
    return found
