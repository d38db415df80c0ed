"""Regression: with more matches than fit on the first page, Whoosh's quality skipping kicks in."""

from __future__ import annotations

from marketplace.extensions import db
from marketplace.search import admin, services
from tests import factories
from tests.search_fixtures import indexed  # noqa: F401  (fixture)


def test_many_matching_items_rank_without_error(app, indexed):  # noqa: F811
    for n in range(60):
        factories.item(f"expense-tip-{n:02d}", "apply", title=f"Expense tip {n:02d}", summary=" ".join(["expense"] * (n % 7 + 1)), kpis=[indexed.kpi])
    db.session.commit()
    admin.rebuild()
    for text in ("expense", "expen", "expense tip", "tip"):
        results = services.search(services.SearchRequest(text=text), indexed.users["employee"])
        assert len(results.hits) == services.PAGE, text
        assert results.total >= 60, text
