"""Route × role matrix for issue 10: requests, item lifecycle, freshness, withdraw and redaction."""

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

STEWARDS = {"employee": 403, "leader": 403}  # the job aid belongs to the Sales champion
HIDDEN_REQUEST = {"employee": 404, "champion": 404}  # the new request is the leader's, for Support

LIFECYCLE_ROUTES: dict[str, Route] = {
    "lifecycle.edit": Route(lambda b: f"/items/{b.job_aid.slug}/edit", signed_in(**STEWARDS)),
    "lifecycle.retire": Route(lambda b: f"/items/{b.job_aid.slug}/retire", signed_in(**STEWARDS)),
    "lifecycle.unretire": Route(lambda b: f"/items/{b.retired.slug}/unretire", signed_in(**STEWARDS), method="POST"),
    "lifecycle.verify": Route(lambda b: f"/items/{b.job_aid.slug}/verify", signed_in(**STEWARDS), method="POST"),
    "lifecycle.transfer": Route(lambda b: f"/items/{b.job_aid.slug}/owner", signed_in(**STEWARDS), method="POST",
                                data=lambda b: {"owner_id": str(b.users["curator"].id)}),
    "lifecycle.freshness": Route(lambda b: "/review/freshness?window=all&group=department", signed_in()),
    "lifecycle.similar_fragment": Route(lambda b: "/similar?title=expense+claim", signed_in()),
    "requests.board": Route(lambda b: "/requests?tab=all", signed_in()),
    "requests.new": Route(lambda b: "/requests/new", signed_in()),
    "requests.detail": Route(lambda b: f"/requests/{b.new_request.id}", signed_in(**HIDDEN_REQUEST)),
    "requests.accept": Route(lambda b: f"/requests/{b.new_request.id}/accept", signed_in(leader=403, **HIDDEN_REQUEST),
                             method="POST", data=lambda b: {"owner_id": str(b.users["champion"].id)}),
    "requests.assign": Route(lambda b: f"/requests/{b.accepted_request.id}/assign",
                             signed_in(employee=403, champion=403, leader=404), method="POST",
                             data=lambda b: {"owner_id": str(b.users["curator"].id)}),
    "requests.decline": Route(lambda b: f"/requests/{b.new_request.id}/decline", signed_in(leader=403, **HIDDEN_REQUEST),
                              method="POST", data=lambda b: {"reason": "A process problem."}),
    "requests.merge": Route(lambda b: f"/requests/{b.new_request.id}/merge", signed_in(leader=403, **HIDDEN_REQUEST),
                            method="POST", data=lambda b: {"into_id": str(b.accepted_request.id)}),
    "requests.link": Route(lambda b: f"/requests/{b.accepted_request.id}/link", signed_in(employee=403, leader=404),
                           method="POST", data=lambda b: {"kind": "item", "reference": f"/items/{b.checklist.slug}"}),
    "requests.deliver": Route(lambda b: f"/requests/{b.accepted_request.id}/deliver", signed_in(employee=403, leader=404),
                              method="POST"),
    "requests.from_gap": Route(lambda b: "/requests/gap", staff_only(), method="POST", data=lambda b: {"query": "mileage"}),
    "submissions.withdraw": Route(lambda b: f"/submissions/{b.pending.id}/withdraw",
                                  signed_in(champion=403, curator=403, admin=403, leader=404), method="POST"),
    "review.redact": Route(lambda b: f"/review/{b.pending.id}/redact", signed_in(employee=404, leader=404), method="POST",
                           data=lambda b: {"text": "Pull the roll"}),
    "review.edit_text": Route(lambda b: f"/review/{b.pending.id}/text", signed_in(employee=404, leader=404, curator=403, admin=403),
                              method="POST", data=lambda b: {"title": "Unjamming the printer", "summary": "One minute."}),
}
EXTRA_ROUTES.update(LIFECYCLE_ROUTES)

# Hidden things: an edit's working copy and someone else's request answer 404.
HIDDEN: dict[str, Route] = {
    "accepted request (employee's, Sales)": Route(lambda b: f"/requests/{b.accepted_request.id}", signed_in(leader=404)),
}


@pytest.mark.parametrize(("endpoint", "roles"), list(_cases(LIFECYCLE_ROUTES)))
def test_lifecycle_route_access(as_role, lifecycle_base, endpoint, roles):
    _check(as_role, lifecycle_base, LIFECYCLE_ROUTES[endpoint], roles)


@pytest.mark.parametrize(("thing", "roles"), list(_cases(HIDDEN)))
def test_lifecycle_hidden_things_are_404(as_role, lifecycle_base, thing, roles):
    _check(as_role, lifecycle_base, HIDDEN[thing], roles)
