"""Regression: with more matches than fit on the first page, Whoosh's quality skipping kicks in."""

from __future__ import annotations

from marketplace.extensions import db
from marketplace.search import admin, services, whoosh_backend
from tests import factories
from tests.search_fixtures import indexed, search_index  # noqa: F401  (fixtures)


def test_many_matching_items_rank_without_error(app, indexed):  # noqa: F811
    for n in range(60):
        factories.item(f"expense-tip-{n:02d}", "apply", title=f"Expense tip {n:02d}", summary=" ".join(["expense"] * (n % 7 + 1)), kpis=[indexed.kpi])
    db.session.commit()
    admin.rebuild()
    for text in ("expense", "expen", "expense tip", "tip"):
        results = services.search(services.SearchRequest(text=text), indexed.users["employee"])
        assert len(results.hits) == services.PAGE, text
        assert results.total >= 60, text


def _slugs(text: str, user, limit: int = services.PAGE) -> list[str]:
    return [hit.item.slug for hit in services.search(services.SearchRequest(text=text, limit=limit), user).hits]


def test_every_word_in_the_title_ranks_above_words_found_only_in_the_body(app, indexed):  # noqa: F811
    factories.item("body-heavy", "solve", title="Month-end close", summary="Closing the books.",
                   body="Forklift battery swap. " * 40, kpis=[indexed.kpi])
    factories.item("summary-match", "solve", title="Warehouse corner", summary="When a forklift battery needs a swap.", kpis=[indexed.kpi])
    factories.item("title-match", "solve", title="Forklift battery swap", summary="Park, isolate, lift.", kpis=[indexed.kpi])
    db.session.commit()
    user = indexed.users["employee"]
    assert _slugs("forklift battery swap", user) == ["title-match", "summary-match", "body-heavy"]
    # The word still being typed matches titles and summaries by prefix, bodies only once whole:
    # the body match holds two of the three words, so it follows the items holding all three.
    assert _slugs("forklift battery sw", user) == ["title-match", "summary-match", "body-heavy"]
    assert services.search(services.SearchRequest(text="forklift battery sw"), user).mode == "widened"


def test_a_broad_tier_is_scored_and_still_comes_before_the_next_tier(app, indexed, monkeypatch):  # noqa: F811
    titled = {f"wrap-{n}" for n in range(8)}
    for slug in sorted(titled):
        factories.item(slug, "apply", title=f"Pallet wrap {slug}", summary="Wrap.", body="pallet " * 3, kpis=[indexed.kpi])
    for n in range(2):
        factories.item(f"aside-{n}", "apply", title=f"Aside {n}", summary="Other.", body="Pallet mention.", kpis=[indexed.kpi])
    db.session.commit()
    user = indexed.users["employee"]
    monkeypatch.setattr(whoosh_backend, "LEAD_AT_MOST", 3)  # the title tier (8 items) now goes through block-max top-k
    results = services.search(services.SearchRequest(text="pallet", limit=10), user)
    slugs = [hit.item.slug for hit in results.hits]
    assert results.total == 10 and len(set(slugs)) == 10
    assert set(slugs[:8]) == titled and set(slugs[8:]) == {"aside-0", "aside-1"}


def test_docnum_set_clause_limits_a_search_to_its_documents_across_segments(app, indexed, search_index):  # noqa: F811
    from whoosh import query as wq

    for n in range(6):
        factories.item(f"crate-{n}", "apply", title=f"Crate lashing {n}", summary="Lash.", kpis=[indexed.kpi])
        db.session.commit()  # one segment per commit, so the set spans leaves
    searcher = search_index.searcher()
    everything = [hit.docnum for hit in searcher.search(wq.Term("title", "crate"), limit=None)]
    chosen = sorted(everything)[1::2]
    bits = sum(1 << docnum for docnum in chosen)
    query = wq.And([whoosh_backend.DocnumSet(searcher, bits), wq.Term("title", "crate")])
    assert sorted(hit.docnum for hit in searcher.search(query, limit=None)) == chosen
    assert list(searcher.search(wq.And([whoosh_backend.DocnumSet(searcher, 0), wq.Term("title", "crate")]), limit=None)) == []


def test_a_question_few_items_hold_whole_goes_on_with_those_holding_most_of_it(app, indexed, as_role):  # noqa: F811
    factories.item("all-words-in-passing", "solve", title="Coaching pickers", summary="Tips for team leads.",
                   body="On their first day in the warehouse, pair them with a buddy.")
    factories.item("first-shift", "new", title="First shift in the warehouse", summary="Where to go and what to bring.")
    factories.item("one-word-only", "new", title="Warehouse layout", summary="Aisles and zones.")
    db.session.commit()
    user = indexed.users["employee"]
    results = services.search(services.SearchRequest(text="my first day at the warehouse "), user)
    found = [hit.item.slug for hit in results.hits]
    assert found[0] == "all-words-in-passing" and results.mode == "widened"  # the item holding every word comes first
    assert "first-shift" in found  # then those holding two of the three words
    assert "one-word-only" not in found and results.total == len(found)  # one word of three is not "most"
    page = as_role("employee").get("/search?q=my+first+day+at+the+warehouse").get_data(as_text=True)
    assert "Items holding every word you typed come first; after them, those holding most of them." in page
    # Two words are not widened: "most" would be either word alone.
    assert _slugs("warehouse day", user) == ["all-words-in-passing"]
