"""Questions in plain language on the demo seed: function words, most words first, vocabulary, did-you-mean, one search."""

from __future__ import annotations

import re

from marketplace.search.query import understand, vocabulary_map
from tests.search_fixtures import demo  # noqa: F401  (fixture)

HIT = re.compile(r'<li class="card hit">.*?<a href="/items/([^"?]+)', re.S)


def slugs(response) -> list[str]:  # noqa: ANN001
    return HIT.findall(response.get_data(as_text=True))


def test_question_phrasing_and_function_words_are_set_aside():
    understood = understand("How do I log a deal in the new CRM")
    assert [c.typed for c in understood.concepts] == ["log", "deal", "new", "crm"]
    assert understood.concepts[-1].partial  # still being typed: also a prefix
    assert understand("what's the meal allowance ").ignored == ["what", "s", "the"]
    assert [c.typed for c in understand("how we ").concepts] == ["how"]  # only fillers: search for them, not for nothing


def test_vocabulary_phrases_expand_to_their_equivalents():
    lookup = vocabulary_map([["per diem", "meal allowance"], ["PO", "purchase order"]])
    concept = understand("per diems for Paris ", lookup).concepts[0]
    assert concept.alternatives == (("per", "diem"), ("meal", "allowance"))
    assert understand("raise a PO ", lookup).concepts[1].alternatives == (("po",), ("purchase", "order"))


def test_the_questions_from_the_issue_find_the_item(demo):  # noqa: F811
    client = demo()
    assert slugs(client.get("/search?q=how do I log a deal in the new crm"))[0] == "logging-an-opportunity-in-the-new-crm"
    assert set(slugs(client.get("/search?q=new CRM rollout"))[:3]) >= {"new-crm-what-changed", "new-crm-first-login-checklist"}
    assert slugs(client.get("/search?q=per diem"))[0] == "per-diem-rates-changed"
    assert slugs(client.get("/search?q=first sales call next week"))


def test_when_no_item_holds_every_word_the_most_words_come_first(demo):  # noqa: F811
    response = demo().get("/search?q=customer wants refund after 45 days")
    text = response.get_data(as_text=True)
    assert "those holding the most of them come first" in text
    assert {"new-refund-policy-2026", "refund-or-credit-decision-guide"} <= set(slugs(response)[:3])
    assert "Did you mean" not in text  # no "customer want refund"


def test_did_you_mean_corrects_only_the_misspelled_word_and_keeps_the_rest_as_typed(demo):  # noqa: F811
    client = demo()
    text = client.get("/search?q=Refund polcy Changed").get_data(as_text=True)
    assert "results for <strong>Refund policy Changed</strong>" in text or ">Refund policy Changed</a>" in text


def test_did_you_mean_never_offers_a_phrase_that_finds_nothing(demo):  # noqa: F811
    text = demo().get("/search?q=zebra polcy").get_data(as_text=True)
    assert "Did you mean" not in text and "results for <strong>" not in text
    assert "Nothing matches" in text


def test_curator_vocabulary_applies_to_the_next_search_without_a_rebuild(demo, app):  # noqa: F811
    from marketplace.search.hooks import index_for

    generation = index_for(app).current_name()
    employee, curator = demo(), demo("curator@demo.test")
    assert "stretch-wrapping-a-pallet" not in slugs(employee.get("/search?q=shrink hood"))
    response = curator.send("/curate/vocabulary", {"phrases": "shrink hood, stretch wrap", "note": "Old name"})
    assert response.status_code == 303
    assert slugs(employee.get("/search?q=shrink hood"))[0] == "stretch-wrapping-a-pallet"
    assert index_for(app).current_name() == generation  # nothing rebuilt
    page = curator.get("/curate/vocabulary").get_data(as_text=True)
    entry_id = re.search(r'/curate/vocabulary/(\d+)/delete"[^>]*>\s*<input[^>]*>\s*<button type="submit">Remove<span class="visually-hidden"> “shrink hood', page)
    assert entry_id, "the new group is listed with a remove button"
    assert curator.send(f"/curate/vocabulary/{entry_id.group(1)}/delete").status_code == 303
    assert "stretch-wrapping-a-pallet" not in slugs(employee.get("/search?q=shrink hood"))


def test_vocabulary_form_lists_every_problem_at_once(demo):  # noqa: F811
    response = demo("curator@demo.test").send("/curate/vocabulary", {"phrases": "PO, " + "a b c d e f", "note": ""})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "longer than 5 words" in text and "at least two phrases" in text


def test_home_box_and_catalog_free_text_are_the_one_search(demo):  # noqa: F811
    client = demo()
    home = client.get("/").get_data(as_text=True)
    assert re.search(r'<form class="hero-search" role="search" method="get" action="/search">', home)
    catalog = client.get("/catalog?q=how do I log a deal in the new crm").get_data(as_text=True)
    listed = re.findall(r'href="/items/([^"?]+)"', catalog)
    assert listed and listed[0] == "logging-an-opportunity-in-the-new-crm"
    assert "/items/per-diem-rates-changed" in client.get("/catalog?q=per+diem&moment=change").get_data(as_text=True)
    assert "/items/per-diem-rates-changed" not in client.get("/catalog?q=per+diem&moment=new").get_data(as_text=True)
