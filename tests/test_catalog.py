"""Browsing the pull catalog: filters, sort, pagination, items, checklists, helpfulness, KPIs."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import ChecklistTick, HelpfulVote
from tests import factories


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_home_has_search_featured_collections_and_five_shelves(as_role, base):
    html = _text(as_role("employee").get("/"))
    for shelf in ("I&#39;m new to this", "I want to go deeper", "I need to do it now", "Something changed", "Something&#39;s broken"):
        assert shelf in html
    assert 'role="search"' in html and base.collection.title in html
    assert base.draft.title not in html


def test_catalog_filters_by_each_facet(as_role, base):
    client = as_role("employee")
    cases = {
        "moment=solve": base.job_aid, "type=checklist": base.checklist, f"kpi={base.kpi2.slug}": base.quick_learn,
        f"skill={base.skill.slug}": base.job_aid, "department=support": base.quick_learn,
    }
    for query, expected in cases.items():
        html = _text(client.get(f"/catalog?{query}"))
        assert expected.title in html, query
        assert "1 item " in html or "1 item\n" in html, query


def test_catalog_never_lists_drafts(as_role, base):
    html = _text(as_role("curator").get("/catalog"))
    assert base.draft.title not in html and "3 items" in html


def test_unknown_filter_values_are_dropped_with_a_message(as_role, base):
    response = as_role("employee").get("/catalog?moment=bogus&type=<script>&page=abc&sort=evil")
    assert response.status_code == 200
    html = _text(response)
    assert "No moment called “bogus”" in html and "<script>" not in html and "3 items" in html


def test_htmx_gets_the_results_fragment_and_a_direct_get_the_full_page(as_role, base):
    client = as_role("employee")
    fragment = client.get("/catalog?type=checklist", headers={"HX-Request": "true"})
    assert "<html" not in _text(fragment) and base.checklist.title in _text(fragment)
    assert "HX-Request" in fragment.headers["Vary"]
    boosted = client.get("/catalog?type=checklist", headers={"HX-Request": "true", "HX-Boosted": "true"})
    restore = client.get("/catalog?type=checklist", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    for response in (client.get("/catalog?type=checklist"), boosted, restore):
        assert "<html" in _text(response) and "HX-Request" in response.headers["Vary"]


def test_pagination_and_sort(app, as_role, base):
    for n in range(14):
        factories.item(f"extra-{n:02d}", "more", title=f"Zeta extra {n:02d}", kpis=[base.kpi])
    db.session.commit()
    client = as_role("employee")
    first = _text(client.get("/catalog?sort=title"))
    assert "Page 1 of 2" in first and "Expense claim rejected" in first
    second = _text(client.get("/catalog?sort=title&page=2"))
    assert "Zeta extra 13" in second and "Expense claim rejected" not in second
    beyond = client.get("/catalog?page=9")
    assert beyond.status_code == 200 and "There is no page 9" in _text(beyond)


def test_most_helpful_sort_puts_voted_item_first(as_role, base):
    client = as_role("employee")
    client.send(f"/items/{base.checklist.slug}/helpful", {"answer": "yes"})
    html = _text(client.get("/catalog?sort=helpful"))
    assert html.index(base.checklist.title) < html.index(base.job_aid.title)


def test_item_page_shows_kpis_moment_skills_as_links(as_role, base):
    html = _text(as_role("employee").get(f"/items/{base.job_aid.slug}"))
    assert f'href="/kpis/{base.kpi.slug}"' in html and 'href="/catalog?moment=solve"' in html
    assert f'href="/catalog?skill={base.skill.slug}"' in html
    assert '<div class="prose" hx-disable><p>Body of <strong>' in html


def test_quick_learn_media_is_served_with_range_support(as_role, base):
    client = as_role("employee")
    media_id = base.quick_learn.images[0].media_id  # an image Quick Learn: a one-picture sequence
    html = _text(client.get(f"/items/{base.quick_learn.slug}"))
    assert f'src="/media/{media_id}"' in html and "Transcript" in html
    full = client.get(f"/media/{media_id}")
    assert full.status_code == 200 and full.mimetype == "image/png" and full.headers["X-Content-Type-Options"] == "nosniff"
    assert full.headers["Content-Disposition"].startswith("inline")
    partial = client.get(f"/media/{media_id}", headers={"Range": "bytes=0-3"})
    assert partial.status_code == 206 and partial.data == factories.PNG_1PX[:4]
    assert client.get("/media/424242").status_code == 404


def test_a_file_no_item_shows_is_for_staff_only(as_role, base):
    from marketplace.extensions import db
    from marketplace.media.services import register_file

    orphan = register_file(factories.PNG_1PX, kind="image", content_type="image/png", extension="png")
    db.session.commit()
    for role, status in (("employee", 404), ("champion", 404), ("curator", 200), ("admin", 200)):
        assert as_role(role).get(f"/media/{orphan.id}").status_code == status, role


def test_checklist_ticks_are_saved_per_user_and_can_be_reset(as_role, base):
    steps = base.checklist.steps
    erin, chris = as_role("employee"), as_role("champion")
    url = f"/items/{base.checklist.slug}/steps"
    fragment = erin.send(f"{url}/{steps[0].id}", {"checked": "1"}, htmx=True)
    assert fragment.status_code == 200 and "1 of 4 done" in _text(fragment) and "<html" not in _text(fragment)
    plain = erin.send(f"{url}/{steps[2].id}", {"checked": "1"})
    assert plain.status_code == 303 and plain.headers["Location"].endswith("#checklist")
    assert "2 of 4 done" in _text(erin.get(f"/items/{base.checklist.slug}"))
    assert "0 of 4 done" in _text(chris.get(f"/items/{base.checklist.slug}"))
    erin.send(f"{url}/{steps[0].id}", {"checked": "0"}, htmx=True)
    assert "1 of 4 done" in _text(erin.get(f"/items/{base.checklist.slug}"))
    erin.send(f"/items/{base.checklist.slug}/checklist/reset", htmx=True)
    assert db.session.scalar(select(func.count()).select_from(ChecklistTick)) == 0


def test_ticking_a_step_of_another_checklist_is_refused(as_role, base):
    client = as_role("employee")
    response = client.send(f"/items/{base.job_aid.slug}/steps/{base.checklist.steps[0].id}", {"checked": "1"})
    assert response.status_code == 400
    assert client.send(f"/items/{base.checklist.slug}/steps/{base.checklist.steps[0].id}", {"checked": "maybe"}).status_code == 400


def test_helpful_vote_is_once_per_user_and_changeable(as_role, base):
    erin = as_role("employee")
    url = f"/items/{base.job_aid.slug}/helpful"
    assert "100% of 1 person" in _text(erin.send(url, {"answer": "yes"}, htmx=True))
    html = _text(erin.send(url, {"answer": "no"}, htmx=True))
    assert "0% of 1 person" in html and "you said no" in html
    as_role("champion").send(url, {"answer": "yes"})
    assert db.session.scalar(select(func.count()).select_from(HelpfulVote)) == 2
    assert erin.send(url, {"answer": "perhaps"}).status_code == 400


def test_kpi_page_lists_what_serves_it(as_role, base):
    client = as_role("employee")
    html = _text(client.get(f"/kpis/{base.kpi.slug}"))
    assert base.job_aid.title in html and base.checklist.title in html and base.quick_learn.title not in html
    assert base.draft.title not in html
    assert client.get("/kpis/no-such-kpi").status_code == 404
    overview = _text(client.get("/kpis"))
    assert base.kpi.name in overview and base.kpi2.name in overview
