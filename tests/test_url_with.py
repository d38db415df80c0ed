"""Links that change one query argument keep the rest, exactly as url_for would write them."""

from __future__ import annotations

import pytest
from flask import url_for

from marketplace.templating import route_link, slug_link, url_with

ARGS = [
    {"q": "expense claim", "moment": "apply"},
    {"q": "per diem & meals?/ 100% ✓", "kpi": "time-to-competence"},
    {"q": "a+b=c #1 'quoted' (x), y; z:@!$*"},
    {},
]


@pytest.mark.parametrize("args", ARGS)
def test_a_changed_argument_is_written_as_url_for_writes_it(app, args):
    with app.test_request_context("/search", query_string=args):
        expected = url_for("search.search", **{**args, "type": "checklist"})
        assert url_with(type="checklist") == expected


def test_removing_an_argument_and_the_page_resets(app):
    with app.test_request_context("/catalog", query_string={"q": "expense", "moment": "apply", "page": "3"}):
        assert url_with(moment=None) == url_for("catalog.catalog", q="expense")
        assert url_with(page=4) == url_for("catalog.catalog", q="expense", moment="apply", page=4)
        assert url_with(moment="") == url_for("catalog.catalog", q="expense")


def test_a_route_with_arguments_keeps_them(app):
    with app.test_request_context("/kpis/time-to-competence", query_string={"page": "2"}):
        assert url_with(page=1) == url_for("catalog.kpi", slug="time-to-competence", page=1)


@pytest.mark.parametrize("args", [*ARGS, {"tab": "people", "limit": 20, "q": None}, {"moment": ["apply", "solve"]}])
def test_route_link_writes_what_url_for_writes(app, args):
    with app.test_request_context("/"):
        assert route_link("search.search", **args) == url_for("search.search", **args)
        assert route_link("catalog.kpis") == url_for("catalog.kpis")


def test_route_link_follows_the_mount_point(app):
    for root in ("", "/learning", "/other"):
        with app.test_request_context("/", base_url=f"http://localhost{root}/"):
            assert route_link("catalog.catalog", q="x") == url_for("catalog.catalog", q="x") == f"{root}/catalog?q=x"


@pytest.mark.parametrize("slug", ["expense-claim", "déjà vu/ü?#&=+", "a%20b", "x y'z"])
def test_slug_link_writes_what_url_for_writes(app, slug):
    for root in ("", "/learning"):
        with app.test_request_context("/", base_url=f"http://localhost{root}/"):
            for endpoint in ("catalog.item", "catalog.kpi"):
                assert slug_link(endpoint, slug) == url_for(endpoint, slug=slug)
