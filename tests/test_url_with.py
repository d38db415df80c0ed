"""Links that change one query argument keep the rest, exactly as url_for would write them."""

from __future__ import annotations

import pytest
from flask import url_for

from marketplace.templating import url_with

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
