"""Search's own route × role matrix (registered with the foundation's completeness check)."""

from __future__ import annotations

import pytest

from tests.test_route_matrix import (
    EXTRA_ROUTES,
    Route,
    _cases,
    _check,
    signed_in,
    staff_only,
)

# Access rules and service rules answer the same on both databases: this runs on SQLite only
# (`make test` runs the PostgreSQL suite with -m "not browser and not access_matrix").
pytestmark = pytest.mark.access_matrix

SEARCH_ROUTES: dict[str, Route] = {
    "search.search": Route(lambda b: "/search?q=expense&moment=solve", signed_in()),
    "search.log_demand": Route(lambda b: "/search/demand", signed_in(), method="POST", data=lambda b: {"q": "zebra"}),
    "search.request_content": Route(lambda b: "/search/request", signed_in(), method="POST", data=lambda b: {"q": "zebra"}),
    "search.demand_log": Route(lambda b: "/curate/demand", staff_only()),
    "search.create_request": Route(
        lambda b: "/curate/demand/requests", staff_only(), method="POST",
        data=lambda b: {"query": "zebra", "department_id": str(b.sales.id)},
    ),
    "search.content_requests": Route(lambda b: "/curate/requests", signed_in(employee=403, leader=403)),
    "search.resolve_request": Route(lambda b: "/curate/requests/999999/resolve", staff_only(), method="POST"),
}
SEARCH_ROUTES["search.resolve_request"].expect.update(curator=404, admin=404)  # no such request
SEARCH_ROUTES.update({
    "search.result_opened": Route(lambda b: "/search/opened", signed_in(), method="POST", data=lambda b: {"q": "zebra", "sid": "abc"}),
    "search.vocabulary_page": Route(lambda b: "/curate/vocabulary", staff_only()),
    "search.add_vocabulary": Route(lambda b: "/curate/vocabulary", staff_only(), method="POST",
                                   data=lambda b: {"phrases": "PO, purchase order"}),
    "search.edit_vocabulary": Route(lambda b: "/curate/vocabulary/999999", staff_only()),
    "search.delete_vocabulary": Route(lambda b: "/curate/vocabulary/999999/delete", staff_only(), method="POST"),
})
for _missing in ("search.edit_vocabulary", "search.delete_vocabulary"):
    SEARCH_ROUTES[_missing].expect.update(curator=404, admin=404)  # no such group
EXTRA_ROUTES.update(SEARCH_ROUTES)


@pytest.mark.parametrize(("endpoint", "roles"), list(_cases(SEARCH_ROUTES)))
def test_search_route_access(as_role, indexed, endpoint, roles):
    _check(as_role, indexed, SEARCH_ROUTES[endpoint], roles)
