"""The search page: full page and fragment, prefix and stemming, facets, spelling, empty results."""

from __future__ import annotations

import re

from marketplace.extensions import db
from marketplace.search.hooks import index_for
from tests import factories


def slugs(response) -> list[str]:
    return re.findall(r'href="/items/([^"]+)"', response.get_data(as_text=True))


def test_search_needs_sign_in(client):
    assert "/login" in client.get("/search?q=expense").headers["Location"]


def test_direct_get_renders_full_page_and_htmx_gets_fragment(as_role, indexed):
    client = as_role("employee")
    page = client.get("/search?q=expense")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<html" in text and 'id="search-form"' in text and 'hx-sync="this:replace"' in text
    assert 'hx-push-url="true"' in text
    assert "HX-Request" in page.headers["Vary"]
    fragment = client.get("/search?q=expense", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "expense-claim-rejected" in body
    assert "HX-Request" in fragment.headers["Vary"]


def test_header_box_searches_search_page(as_role, indexed):
    text = as_role("employee").get("/kpis").get_data(as_text=True)
    assert 'action="/search"' in text


def test_prefix_of_word_being_typed_matches(as_role, indexed):
    client = as_role("employee")
    assert slugs(client.get("/search?q=expe")) == ["expense-claim-rejected"]
    assert slugs(client.get("/search?q=expense%20cla")) == ["expense-claim-rejected"]
    # A finished word (trailing space) is matched whole, not as a prefix.
    assert slugs(client.get("/search?q=expe%20")) == []


def test_whole_words_match_with_stemming(as_role, indexed):
    client = as_role("employee")
    assert slugs(client.get("/search?q=rejecting+expenses+")) == ["expense-claim-rejected"]
    # Body, checklist steps and transcript text are searchable too.
    assert "demo-quick-learn" in slugs(client.get("/search?q=how+"))


def test_results_show_type_moment_kpis_highlight_and_helpfulness(as_role, indexed):
    client = as_role("employee")
    client.send(f"/items/{indexed.job_aid.slug}/helpful", {"answer": "yes"})
    text = client.get("/search?q=rejected").get_data(as_text=True)
    assert "Job aid" in text and "Days to first sale" in text
    assert "<mark>rejected</mark>" in text
    assert "100% found it helpful" in text


def test_drafts_are_never_found(as_role, indexed):
    for role in ("employee", "curator", "admin"):
        text = as_role(role).get("/search?q=unreleased+pricing").get_data(as_text=True)
        assert "secret-draft" not in text


def test_facets_count_and_narrow(as_role, indexed):
    client = as_role("employee")
    text = client.get("/search?q=s").get_data(as_text=True)
    facet = re.search(r'moment=solve[^>]*>\s*(.*?)<span class="count">(\d+)</span>', text, re.S)
    assert facet and facet.group(2) == "1"
    narrowed = client.get("/search?q=s&type=checklist")
    assert slugs(narrowed) == ["first-week-checklist"]
    # Typing keeps the chosen facet: it is a hidden input that belongs to the search form.
    assert 'form="search-form" name="type" value="checklist"' in narrowed.get_data(as_text=True)
    assert slugs(client.get("/search?kpi=first-contact-resolution")) == ["demo-quick-learn"]


def test_unknown_facet_value_is_explained_not_an_error(as_role, indexed):
    response = as_role("employee").get("/search?q=expense&moment=nope")
    assert response.status_code == 200
    assert "No moment of need called “nope”" in response.get_data(as_text=True)


def test_a_misspelling_that_finds_nothing_answers_with_the_corrected_search(as_role, indexed):
    text = as_role("employee").get("/search?q=expnese").get_data(as_text=True)
    assert "Nothing matches “expnese”, so these are the results for <strong>expense</strong>" in text
    assert "<mark>Expense</mark> claim rejected" in text


def test_empty_result_offers_collections_community_and_request(as_role, indexed):
    text = as_role("employee").get("/search?q=zebra+sellers").get_data(as_text=True)
    assert "Nothing matches" in text
    assert "Ramp up new sellers" in text  # a related collection
    assert 'href="/spaces/ask?q=zebra+sellers"' in text
    assert "Request this content" in text


def test_people_tab_ranks_owners_of_items_with_the_skill(as_role, indexed):
    text = as_role("employee").get("/search?q=expense&tab=people").get_data(as_text=True)
    assert "Chris Champion" in text and "/people?skill=expense-policy" in text


def test_new_item_is_searchable_right_after_commit(as_role, indexed):
    client = as_role("employee")
    assert slugs(client.get("/search?q=forklift")) == []
    factories.item("forklift-checks", "apply", title="Forklift checks")
    db.session.commit()
    assert slugs(client.get("/search?q=forklift")) == ["forklift-checks"]


def test_missing_index_shows_rebuilding_and_site_stays_up(as_role, search_index):
    client = as_role("employee")
    (search_index.root / "current").unlink()
    response = client.get("/search?q=expense")
    assert response.status_code == 503
    assert "Search is being rebuilt" in response.get_data(as_text=True)
    for path in ("/", "/catalog", "/kpis", "/collections"):
        assert client.get(path).status_code == 200
    # Writes carry on while the index is gone (the commit must not fail).
    factories.item("while-missing", "apply")
    db.session.commit()


def test_corrupt_index_shows_rebuilding(as_role, search_index):
    client = as_role("employee")
    generation = search_index.root / search_index.current_name()
    for path in generation.iterdir():
        if path.suffix in {".toc", ".seg"}:
            path.write_bytes(b"\x00garbage")
    index_for(client.application).release()  # as a freshly started worker would find it
    response = client.get("/search?q=expense")
    assert response.status_code == 503
    assert "Search is being rebuilt" in response.get_data(as_text=True)
    assert client.get("/catalog").status_code == 200
