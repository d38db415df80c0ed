"""Curated collections: curators create, edit and order them; everyone browses published ones."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Collection, Item
from tests.factories import item


def _order(slug: str) -> list[str]:
    db.session.expire_all()
    collection = db.session.scalar(select(Collection).where(Collection.slug == slug))
    return [entry.item.slug for entry in collection.entries]


def test_curator_creates_a_collection(as_role, base):
    client = as_role("curator")
    data = {"title": "Close the quarter cleanly", "intent": "Late accruals delay the close.", "kpi_id": str(base.kpi.id), "status": "published", "featured": "y"}
    response = client.send("/collections/new", data)
    assert response.status_code == 303 and response.headers["Location"] == "/collections/close-the-quarter-cleanly/edit"
    again = client.send("/collections/new", data)
    assert again.headers["Location"] == "/collections/close-the-quarter-cleanly-2/edit"


def test_invalid_collection_form_re_renders_with_422(as_role, base):
    client = as_role("curator")
    response = client.send("/collections/new", {"title": "", "intent": "", "kpi_id": "999999"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "This field is required" in html and 'aria-invalid="true"' in html
    assert db.session.scalar(select(Collection).where(Collection.title == "")) is None


def test_move_up_and_down_with_htmx_and_without(as_role, base):
    client = as_role("curator")
    slug = base.collection.slug
    entries = base.collection.entries
    fragment = client.send(f"/collections/{slug}/items/{entries[0].id}/move", {"direction": "down"}, htmx=True)
    assert fragment.status_code == 200 and 'id="entries"' in fragment.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True)
    assert _order(slug) == ["first-week-checklist", "expense-claim-rejected", "demo-quick-learn"]
    plain = client.send(f"/collections/{slug}/items/{entries[2].id}/move", {"direction": "up"})
    assert plain.status_code == 303
    assert _order(slug) == ["first-week-checklist", "demo-quick-learn", "expense-claim-rejected"]
    client.send(f"/collections/{slug}/items/{entries[1].id}/move", {"direction": "up"}, htmx=True)
    assert _order(slug)[0] == "first-week-checklist"  # already first: nothing moves


def test_add_and_remove_items(as_role, base):
    client = as_role("curator")
    slug = base.draft_collection.slug
    client.send(f"/collections/{slug}/items", {"item_id": str(base.job_aid.id)}, htmx=True)
    client.send(f"/collections/{slug}/items", {"item_id": str(base.checklist.id)}, htmx=True)
    assert _order(slug) == ["expense-claim-rejected", "first-week-checklist"]
    duplicate = client.send(f"/collections/{slug}/items", {"item_id": str(base.job_aid.id)}, htmx=True)
    assert duplicate.status_code == 422
    draft = client.send(f"/collections/{slug}/items", {"item_id": str(base.draft.id)}, htmx=True)
    assert draft.status_code == 422
    collection = db.session.scalar(select(Collection).where(Collection.slug == slug))
    client.send(f"/collections/{slug}/items/{collection.entries[0].id}/remove", htmx=True)
    assert _order(slug) == ["first-week-checklist"]
    gone = client.send(f"/collections/{slug}/items/999999/remove", htmx=True)
    assert gone.status_code == 422 and "no longer in this collection" in gone.get_data(as_text=True)


def test_edit_details_and_publish(as_role, base):
    client = as_role("admin")
    slug = base.draft_collection.slug
    data = {"title": "Now public", "intent": "Why", "kpi_id": str(base.kpi2.id), "status": "published"}
    assert client.send(f"/collections/{slug}/edit", data).status_code == 303
    assert "Now public" in as_role("employee").get("/collections").get_data(as_text=True)


def test_employees_browse_published_only(as_role, base):
    html = as_role("employee").get("/collections").get_data(as_text=True)
    assert base.collection.title in html and base.draft_collection.title not in html
    assert "New collection" not in html
    assert "Hidden draft" in as_role("curator").get("/collections").get_data(as_text=True)


def test_item_picker_searches_as_you_type_and_without_javascript(as_role, base):
    for n in range(48):  # a catalog bigger than any dropdown should hold
        item(f"filler-{n}", "apply", title=f"Filler item {n:02d}", kpis=[base.kpi], department=base.sales, owner=base.users["champion"])
    db.session.commit()
    curator = as_role("curator")
    fragment = curator.get(f"/collections/{base.collection.slug}/items/candidates?q=filler+07", headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert text.lstrip().startswith('<fieldset id="item-candidates"') and "Filler item 07" in text
    assert text.count('type="radio"') == 1
    page = curator.get(f"/collections/{base.collection.slug}/edit").get_data(as_text=True)
    assert page.count('name="item_id"') <= 10, "the edit page lists a handful, not all 48"
    assert "Expense claim rejected" not in page.split('id="item-candidates"')[1].split("</fieldset>")[0], "items already in it are not offered"
    found = curator.get(f"/collections/{base.collection.slug}/edit?q=filler+41").get_data(as_text=True)
    assert "Filler item 41" in found  # the Find button works without JavaScript
    target = db.session.scalar(select(Item.id).where(Item.slug == "filler-41"))
    assert curator.send(f"/collections/{base.collection.slug}/items", {"item_id": str(target)}).status_code == 303
    assert "Filler item 41" in curator.get(f"/collections/{base.collection.slug}").get_data(as_text=True)
