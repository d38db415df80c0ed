"""Search rules: parse what was typed, match, rank, count facets, suggest, and log unmet demand."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import selectinload
from whoosh import query as wq
from whoosh.analysis import STOP_WORDS
from whoosh.matching import ListMatcher, NullMatcher

from marketplace.accounts.models import Department
from marketplace.catalog.models import ITEM_TYPES, KPI, HelpfulVote, Item, Moment, Skill
from marketplace.curation.models import Collection
from marketplace.extensions import db
from marketplace.policy import can
from marketplace.search import discussions
from marketplace.search.hooks import index_for
from marketplace.search.index import IndexUnavailable
from marketplace.search.schema import EDGE_MAX, FACETS, PREFIX_FIELDS, TEXT_FIELDS, WORD, fold, stem
from marketplace.spaces.models import Post, Space, Thread
from marketplace.spaces.services import visible_spaces_clause

MAX_CHARS = 200
MAX_WORDS = 12
PAGE = 10
MAX_LIMIT = 50
LOW_RESULTS = 2  # this many results or fewer counts as "looked for, not found"
THREAD_PREVIEW = 3  # discussions shown beside the catalog results; the Discussions tab shows more
FACET_SHOWN = 8
# Ranking tiers by where every typed word is found (None: any field), and how many
# matches a tier may have for Whoosh to score them (each costs a skip into every word's
# posting lists: at 20,000 items, 300 took up to 110 ms, 100 under 55 ms).
TIERS = (("title", "title_prefix"), ("title", "title_prefix", "summary", "summary_prefix", "tags"), None)
SCORE_AT_MOST = 150
FACET_TITLES = {"moment": "Moment of need", "type": "Type", "kpi": "KPI", "skill": "Skill", "department": "Department"}
MARKDOWN_NOISE = re.compile(r"\]\([^)]*\)|[*_#>`|\[\]]+")


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
            self.local[id(leaf)] = sorted(_last_indexed(part, self.size))

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
    text = (text or "")[:MAX_CHARS]
    found = WORD.findall(fold(text))[:MAX_WORDS]
    if not found:
        return Terms([], None)
    still_typing = text[-1:].isalnum() or text[-1:] == "_"
    return Terms(found[:-1], found[-1]) if still_typing else Terms(found, None)


def _word_terms(word: str) -> list[tuple[str, str]]:
    if len(word) < 2 or word in STOP_WORDS:
        return []  # never indexed, so requiring it would find nothing
    return [(name, stem(word)) for name in TEXT_FIELDS]


def _partial_terms(partial: str) -> list[tuple[str, str]]:
    # The prefix matches the edge n-grams of titles and summaries (one posting list, not an
    # expansion over every word), and a finished-looking word also matches stemmed bodies.
    return [(name, partial[:EDGE_MAX]) for name in PREFIX_FIELDS] + _word_terms(partial)


def term_groups(terms: Terms) -> list[list[tuple[str, str]]]:
    """One OR-group of (field, term) per word; every group must match."""
    groups = [_word_terms(w) for w in terms.words]
    if terms.partial:
        groups.append(_partial_terms(terms.partial))
    return [g for g in groups if g]


def facet_labels() -> dict[str, dict[str, str]]:
    """Display names for every facet value, by facet."""
    def names(model, attribute="name"):
        return {slug: name for slug, name in db.session.execute(select(model.slug, getattr(model, attribute)))}

    return {
        "moment": names(Moment, "shelf_title"), "type": dict(ITEM_TYPES), "kpi": names(KPI),
        "skill": names(Skill), "department": names(Department),
    }


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
) -> SearchResults:
    """Run a search for `user`: ranked hits, exact total, facet counts, readable discussions and a spelling suggestion."""
    labels = labels if labels is not None else facet_labels()
    results = SearchResults(request)
    index = index_for(current_app)
    try:
        searcher = index.searcher()
    except IndexUnavailable:
        results.unavailable = True
        return results
    terms = split_terms(request.text)
    groups = term_groups(terms)
    if terms.all and not groups:
        groups = []  # only stop words: behave like an empty box rather than match nothing
    matched = _narrow(index, searcher, index.term_bits(searcher, "kind", "item"), groups)
    for facet, slug in request.filters.items():
        matched &= index.term_bits(searcher, facet, slug)
    results.total = matched.bit_count()
    results.facets = _facet_counts(index, searcher, matched, request.filters, labels)
    if not (groups or request.filters):
        results.total = 0  # nothing asked: show the facets as a way in, not the whole catalog
        return results
    docnums = _top(index, searcher, groups, request, matched)
    results.hits = _hits(searcher, docnums, terms, user)
    if groups and not request.filters:  # the facets describe catalog items; a filtered search is a catalog search
        results.thread_total, results.threads = _threads(index, searcher, groups, terms, user, thread_limit)
    if results.total <= LOW_RESULTS and terms.all:
        results.suggestion = suggest(index, searcher, terms)
    return results


def visible_space_ids(user: Any) -> list[int]:
    """Spaces whose discussions `user` may read, read fresh on every search so membership changes apply at once."""
    return list(db.session.scalars(select(Space.id).where(visible_spaces_clause(user))))


def _threads(index, searcher, groups, terms: Terms, user: Any, limit: int) -> tuple[int, list[ThreadHit]]:
    # Everything the viewer may not read is removed here, before any title, snippet or count exists.
    allowed = 0
    for space_id in visible_space_ids(user):
        allowed |= index.term_bits(searcher, "space_id", str(space_id))
    matched = _narrow(index, searcher, allowed & index.term_bits(searcher, "kind", "thread"), groups)
    if not matched:
        return 0, []  # also guards Whoosh, which treats an empty filter as no filter at all
    limit = max(1, min(limit, MAX_LIMIT))
    if matched.bit_count() > SCORE_AT_MOST:
        docnums = _last_indexed(matched, limit)
    else:
        clauses = [LazyOr([wq.Term(name, text) for name, text in group]) for group in groups]
        docnums = [hit.docnum for hit in searcher.search(wq.And([DocnumSet(searcher, matched), *clauses]), limit=limit)]
    return matched.bit_count(), _thread_hits(searcher, docnums, terms, user)


def _thread_hits(searcher, docnums: list[int], terms: Terms, user: Any) -> list[ThreadHit]:
    ids = [discussions.thread_id_of(searcher.stored_fields(d)["id"]) for d in docnums]
    query = select(Thread).where(Thread.id.in_([i for i in ids if i])).options(
        selectinload(Thread.space), selectinload(Thread.author), selectinload(Thread.posts)
    )
    rows = {thread.id: thread for thread in db.session.scalars(query)}
    marker = Highlighter(terms)
    hits = []
    for thread_id in ids:
        thread = rows.get(thread_id)
        # The index can trail the database by a moment; the row and the policy decide.
        if thread is None or not can(user, "view_space", thread.space):
            continue
        space = thread.space
        # Chatham House: nothing that leaves the space names anyone, so results never carry an author.
        author = None if space.chatham_house or thread.author is None else thread.author.name
        hits.append(ThreadHit(thread, marker.mark(thread.title), marker.thread_snippet(thread), author))
    return hits


def _narrow(index, searcher, matched: int, groups) -> int:
    """Keep the documents in `matched` that match every OR-group of terms."""
    for group in groups:
        union = 0
        for name, text in group:
            union |= index.term_bits(searcher, name, text)
        matched &= union
    return matched


def _facet_counts(index, searcher, matched: int, filters: dict[str, str], labels) -> dict[str, list[FacetValue]]:
    # Counting is an AND and a popcount per value on cached bitsets: microseconds, not a scan.
    facets = {}
    for facet in FACETS:
        values = []
        for slug, label in labels[facet].items():
            count = (matched & index.term_bits(searcher, facet, slug)).bit_count()
            if count or filters.get(facet) == slug:
                values.append(FacetValue(slug, label, count, filters.get(facet) == slug))
        values.sort(key=lambda v: (not v.selected, -v.count, v.label.lower()))
        facets[facet] = values[:FACET_SHOWN]
    return facets


def _top(index, searcher, groups, request: SearchRequest, matched: int) -> list[int]:
    """The best `limit` docnums: every word in the title first, then in title or summary, then anywhere."""
    limit = max(1, min(request.limit, MAX_LIMIT))
    if not groups:
        return _last_indexed(matched, limit)  # filters only: the most recently indexed first
    chosen: list[int] = []
    taken = 0
    for fields in TIERS:
        tier_groups = [[(name, text) for name, text in group if fields is None or name in fields] for group in groups]
        if not all(tier_groups):
            continue  # a word this tier's fields cannot hold (e.g. one letter in the body)
        reach = _narrow(index, searcher, matched, tier_groups)
        if reach & ~taken:
            chosen += _rank(index, searcher, tier_groups, reach, taken, limit - len(chosen))
            taken |= reach
        if len(chosen) >= limit:
            break
    return chosen[:limit]


def _rank(index, searcher, groups, reach: int, taken: int, wanted: int) -> list[int]:
    """Up to `wanted` docnums of `reach` not yet taken: by BM25F when few enough to score, else the last indexed."""
    fresh = reach & ~taken
    if reach.bit_count() > SCORE_AT_MOST:
        # Scoring decodes every posting of every term in Python; a broad tier (common words
        # in a big catalog) would cost seconds, so it is read from the end instead, those
        # holding every word whole (not only as a prefix) first.
        whole = _narrow(index, searcher, fresh, [[(n, t) for n, t in g if n not in PREFIX_FIELDS] for g in groups])
        first = _last_indexed(whole, wanted)
        return first + _last_indexed(fresh & ~whole, wanted - len(first))
    # `reach` already holds the facet filters and "items only"; leading with it keeps
    # Whoosh from decoding the long posting lists of those clauses.
    clauses = [LazyOr([wq.Term(name, text) for name, text in group]) for group in groups]
    query = wq.And([DocnumSet(searcher, reach), *clauses])
    hits = searcher.search(query, limit=wanted + (reach & taken).bit_count())
    return [hit.docnum for hit in hits if fresh >> hit.docnum & 1][:wanted]


def _last_indexed(bits: int, limit: int) -> list[int]:
    """The highest docnums set in `bits`: mostly the newest items (a merge of small segments can reorder a few)."""
    docnums = []
    while bits and len(docnums) < limit:
        top = bits.bit_length() - 1
        docnums.append(top)
        bits ^= 1 << top
    return docnums


def _hits(searcher, docnums: list[int], terms: Terms, user: Any) -> list[Hit]:
    ids = [int(searcher.stored_fields(d)["id"]) for d in docnums]
    if not ids:
        return []
    query = select(Item).where(Item.id.in_(ids)).options(selectinload(Item.kpis), selectinload(Item.moment))
    rows = {item.id: item for item in db.session.scalars(query)}
    votes = dict(
        (item_id, (int(yes), int(total)))
        for item_id, yes, total in db.session.execute(
            select(HelpfulVote.item_id, func.sum(case((HelpfulVote.helpful.is_(True), 1), else_=0)), func.count())
            .where(HelpfulVote.item_id.in_(ids)).group_by(HelpfulVote.item_id)
        )
    )
    marker = Highlighter(terms)
    hits = []
    for item_id in ids:
        item = rows.get(item_id)
        # The index can trail the database by a moment; the row and the policy decide.
        if item is None or not can(user, "view_item", item) or not item.is_published:
            continue
        yes, total = votes.get(item_id, (0, 0))
        hits.append(Hit(item, marker.mark(item.title), marker.snippet(item), yes, total))
    return hits


class Highlighter:
    """Marks the typed words in titles and picks a snippet around the first match."""

    def __init__(self, terms: Terms) -> None:
        self.stems = {stem(w) for w in terms.words if len(w) > 1}
        self.partial = terms.partial
        if self.partial and len(self.partial) > 1:
            self.stems.add(stem(self.partial))
        alternatives = sorted({re.escape(s) for s in self.stems} | ({re.escape(self.partial)} if self.partial else set()))
        self.finder = re.compile(r"\b(?:" + "|".join(alternatives) + r")", re.IGNORECASE) if alternatives else None

    def _hit(self, word: str) -> bool:
        folded = fold(word)
        return stem(folded) in self.stems or bool(self.partial and folded.startswith(self.partial))

    def mark(self, text: str) -> Markup:
        """Escape `text` and wrap the matching words in <mark>."""
        out, last = [], 0
        for match in WORD.finditer(text):
            if self._hit(match.group()):
                out += [escape(text[last:match.start()]), Markup("<mark>"), escape(match.group()), Markup("</mark>")]
                last = match.end()
        out.append(escape(text[last:]))
        return Markup("").join(out)

    def snippet(self, item: Item, words: int = 30) -> Markup:
        """The summary when it matches, else a window of the body, steps or transcript."""
        if self.finder is None or self.finder.search(item.summary):
            return self.mark(item.summary)
        for source in (item.body, item.transcript):
            window = self.window(source, words)
            if window is not None:
                return window
        return self.mark(item.summary)

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

    def thread_snippet(self, thread: Thread, words: int = 30) -> Markup:
        """Post text only (never author names): the first readable post that matches, else the opening."""
        posts: list[Post] = sorted(discussions.readable_posts(thread), key=lambda p: (not p.is_opening, p.id))
        sources = [p.body for p in posts] + [thread.retro_what, thread.retro_so_what, thread.retro_now_what]
        for source in sources:
            window = self.window(source, words)
            if window is not None:
                return window
        opening = next((source for source in sources if source), "")
        first = MARKDOWN_NOISE.sub(" ", opening).split()
        return self.mark(" ".join(first[:words])) + (Markup("…") if len(first) > words else Markup(""))


def suggest(index, searcher, terms: Terms) -> str | None:
    """ "Did you mean": replace each word the index has never seen with its nearest known word."""
    corrector = searcher.corrector("spell")  # the spell field holds catalog words only, never discussions'
    items = index.term_bits(searcher, "kind", "item")  # thread titles must not make a private word "known"
    changed, words = False, []
    for position, word in enumerate(terms.all):
        is_partial = terms.partial is not None and position == len(terms.all) - 1
        known = (
            index.term_bits(searcher, "spell", word)
            or (is_partial and index.term_bits(searcher, "title_prefix", word[:EDGE_MAX]) & items)
            or (is_partial and index.term_bits(searcher, "summary_prefix", word[:EDGE_MAX]))
            or len(word) < 3
        )
        if not known:
            found = corrector.suggest(word, limit=1, maxdist=1 if len(word) < 5 else 2)
            if found and found[0] != word:
                word, changed = found[0], True
        words.append(word)
    return " ".join(words) if changed else None


def related_collections(text: str, limit: int = 3) -> list[Collection]:
    """Published collections whose title or intent shares a word with the query; else featured ones."""
    wanted = [w for w in split_terms(text).all if len(w) > 2 and w not in STOP_WORDS][:5]
    query = select(Collection).where(Collection.status == "published")
    found: list[Collection] = []
    if wanted:
        likes = [func.lower(Collection.title).like(f"%{stem(w)}%") for w in wanted]
        likes += [func.lower(Collection.intent).like(f"%{stem(w)}%") for w in wanted]
        found = list(db.session.scalars(query.where(or_(*likes)).limit(limit)))
    if not found:
        found = list(db.session.scalars(query.where(Collection.featured.is_(True)).limit(limit)))
    return found
