"""The catalog's prebuilt listing statements list exactly what the filters ask for, in the asked order."""

from __future__ import annotations

from itertools import combinations

from marketplace.catalog import services
from marketplace.catalog.listing import FACETS, ORDERS, filtered_query, page_query
from marketplace.extensions import db
from tests import factories


def _world(base):
    """Published items spread over every facet, plus drafts that must never show."""
    moments, kinds = ["new", "more", "apply", "change", "solve"], ["job_aid", "checklist", "quick_learn"]
    for n in range(24):
        kpis = [base.kpi] if n % 2 else [base.kpi2]
        department = base.sales if n % 3 else base.support
        skills = [base.skill] if n % 4 == 0 else []
        factories.item(f"listed-{n:02d}", moments[n % 5], kind=kinds[n % 3], title=f"{'ABCDEFGHIJ'[n % 10]} listed {n:02d}",
                       kpis=kpis, department=department, skills=skills, status="draft" if n % 7 == 6 else "published")
    db.session.commit()


def _values(base) -> dict[str, str]:
    return {"moment": "apply", "department": base.sales.slug, "kpi": base.kpi.slug, "skill": base.skill.slug, "type": "checklist"}


def test_every_filter_shape_and_sort_lists_what_the_built_query_lists(base):
    _world(base)
    chosen = _values(base)
    for size in range(len(FACETS) + 1):
        for shape in combinations(FACETS, size):
            for sort in ORDERS:
                for page in (1, 2):
                    filters = services.CatalogFilters(sort=sort, page=page, **{name: chosen[name] for name in shape})
                    expected = [i.slug for i in db.session.scalars(filtered_query(filters).limit(5).offset((page - 1) * 5))]
                    statement, values = page_query(filters, 5)
                    assert [i.slug for i in db.session.scalars(statement, values)] == expected, (shape, sort, page)


def test_a_shaped_listing_never_shows_drafts_and_pages_in_order(base):
    _world(base)
    filters = services.CatalogFilters(moment="apply", sort="title")
    listed = services.list_items(filters, 3)
    assert listed.total == len([n for n in range(24) if n % 5 == 2 and n % 7 != 6]) + 1  # + the base quick learn
    assert [i.status for i in listed.items] == ["published"] * 3
    titles = [i.title.lower() for i in listed.items]
    assert titles == sorted(titles)
