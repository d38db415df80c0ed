"""A page of hits reads bodies only where a snippet needs them, and remembered marking never goes stale."""

from __future__ import annotations

from marketplace.extensions import db
from marketplace.search import highlight, services
from tests import factories
from tests.sql_counter import statements


def hits(text: str, user) -> list[services.Hit]:
    return services.search(services.SearchRequest(text=text), user).hits


def test_bodies_are_read_only_for_hits_whose_summary_does_not_match(app, indexed):
    user = indexed.users["employee"]
    factories.item("crate-summary", "apply", title="Crate handling", summary="Lift a crate with two people.", body="Bend the knees.")
    factories.item("crate-body", "apply", title="Warehouse lifting", summary="Safe lifting at work.",
                   body="Intro text. " * 40 + "Never lift a heavy crate alone. " + "More text. " * 40)
    db.session.commit()
    highlight._remembered.clear()
    with statements(app) as seen:
        found = {hit.item.slug: hit for hit in hits("crate", user)}
    assert set(found) == {"crate-summary", "crate-body"}
    assert "<mark>crate</mark>" in str(found["crate-summary"].snippet)
    assert str(found["crate-body"].snippet).startswith("…") and "heavy <mark>crate</mark> alone" in str(found["crate-body"].snippet)
    with_bodies = [s for s in seen if "body" in s.lower() and "items" in s.lower()]
    assert len(with_bodies) == 1, with_bodies  # one statement, for the one item whose summary does not match
    assert str(found["crate-summary"].title) == "<mark>Crate</mark> handling"


def test_an_edited_item_is_marked_afresh(app, indexed):
    user = indexed.users["employee"]
    item = factories.item("forklift-check", "apply", title="Forklift check", summary="Before each shift.",
                          body="Check the forklift brakes and the horn.")
    db.session.commit()
    first = hits("forklift brakes", user)[0]
    assert "<mark>brakes</mark>" in str(first.snippet)
    again = hits("forklift brakes", user)[0]  # remembered: the same texts
    assert (again.title, again.snippet) == (first.title, first.snippet)
    item.body = "Check the forklift brakes, the horn and the mast chains."
    item.title = "Forklift daily check"
    db.session.commit()
    edited = hits("forklift brakes", user)[0]
    assert str(edited.title) == "<mark>Forklift</mark> daily check"
    assert "mast chains" in str(edited.snippet)


def test_the_same_item_is_marked_for_each_query_on_its_own(app, indexed):
    user = indexed.users["employee"]
    factories.item("pallet-jack", "apply", title="Pallet jack basics", summary="Moving pallets safely.", body="Pump the handle.")
    db.session.commit()
    assert str(hits("pallet", user)[0].title) == "<mark>Pallet</mark> jack basics"
    assert str(hits("jack", user)[0].title) == "Pallet <mark>jack</mark> basics"
    assert str(hits("pallet", user)[0].title) == "<mark>Pallet</mark> jack basics"


def test_what_is_remembered_stays_bounded_and_zero_turns_it_off(app, indexed, monkeypatch):
    user = indexed.users["employee"]
    for number in range(6):
        factories.item(f"ladder-{number}", "apply", title=f"Ladder safety {number}", summary="Three points of contact.", body="x")
    db.session.commit()
    monkeypatch.setitem(app.config, "SEARCH_HIT_TEXT_CACHE", 8)
    highlight._remembered.clear()
    for text in ("ladder", "ladder safety", "safety ladder", "ladders"):
        assert len(hits(text, user)) == 6
        assert 0 < len(highlight._remembered) <= 8
    monkeypatch.setitem(app.config, "SEARCH_HIT_TEXT_CACHE", 0)
    highlight._remembered.clear()
    assert len(hits("ladder", user)) == 6
    assert not highlight._remembered
