"""Search answers are remembered per index generation: repeated searches skip ranking, writes are never hidden."""

from __future__ import annotations

import pytest

from marketplace.extensions import db
from marketplace.search import services
from marketplace.search.backend import BackendQuery, ResultCache
from marketplace.search.hooks import backend_for
from marketplace.search.services import read_query
from tests import factories


def found(text: str, user) -> list[str]:
    return [hit.item.slug for hit in services.search(services.SearchRequest(text=text), user).hits]


def _query(text: str) -> BackendQuery:
    return BackendQuery(read_query(text).concepts, limit=10)


@pytest.fixture(autouse=True)
def own_cache(app):
    """Each test gets a fresh cache; the session's backend gets its own back afterwards."""
    backend = backend_for(app)
    kept = backend.results
    yield
    backend.results = kept


def test_a_repeated_search_is_answered_from_memory(app, indexed):
    backend = backend_for(app)
    backend.results = ResultCache(16)
    first = backend.search(_query("expense claim"))
    again = backend.search(_query("expense claim"))
    assert again.keys == first.keys and again.total == first.total and again.facets == first.facets
    assert len(backend.results._answers) == 1  # the second answer was not computed again
    backend.search(_query("expense"))
    assert len(backend.results._answers) == 2


def test_every_write_starts_a_new_generation_so_no_answer_is_stale(app, indexed):
    backend_for(app).results = ResultCache(16)
    user = indexed.users["employee"]
    assert found("pallet", user) == []
    item = factories.item("pallet-wrap", "apply", title="Pallet wrapping", body="Wrap it.", summary="Tight.")
    db.session.commit()
    assert found("pallet", user) == ["pallet-wrap"]
    item.title = "Stretch film technique"
    db.session.commit()
    assert found("pallet", user) == []
    assert found("stretch film", user) == ["pallet-wrap"]
    item.status = "retired"
    db.session.commit()
    assert found("stretch film", user) == []


def test_changing_an_answer_does_not_change_what_is_remembered(app, indexed):
    backend = backend_for(app)
    backend.results = ResultCache(16)
    first = backend.search(_query("expense claim"))
    keys = list(first.keys)
    first.keys.clear()
    first.facets["changed"] = {}
    again = backend.search(_query("expense claim"))
    assert again.keys == keys and "changed" not in again.facets


def test_the_least_recently_used_answer_goes_first_and_zero_turns_it_off(app, indexed):
    backend = backend_for(app)
    backend.results = ResultCache(2)
    for text in ("expense", "claim", "expense", "checklist"):
        backend.search(_query(text))
    remembered = {key[1][0][0].typed for key in backend.results._answers}
    assert remembered == {"expense", "checklist"}
    backend.results = ResultCache(0)
    backend.search(_query("expense"))
    assert not backend.results._answers
