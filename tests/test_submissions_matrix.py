"""Submissions' own route × role matrix (registered with the foundation's completeness check).

The base employee has a pending submission (claimed by the Sales champion) and a draft.
"""

from __future__ import annotations

import pytest

from marketplace.submissions import review
from tests import submission_helpers as h
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

HIDDEN_FROM_OUTSIDERS = {"leader": 404}  # the leader is neither submitter, Sales champion nor staff

SUBMISSION_ROUTES: dict[str, Route] = {
    "submissions.new": Route(lambda b: "/submit", signed_in()),
    "submissions.mine": Route(lambda b: "/submissions", signed_in()),
    "submissions.preview": Route(lambda b: "/submit/preview", signed_in(), method="POST", data=lambda b: {"body": "# Hi"}),
    "submissions.detail": Route(lambda b: f"/submissions/{b.pending.id}", signed_in(**HIDDEN_FROM_OUTSIDERS)),
    "submissions.media_status": Route(lambda b: f"/submissions/{b.pending.id}/processing", signed_in(**HIDDEN_FROM_OUTSIDERS)),
    "submissions.edit": Route(
        lambda b: f"/submissions/{b.draft_submission.id}/edit",
        signed_in(champion=403, curator=403, admin=403, **HIDDEN_FROM_OUTSIDERS),
    ),
    "submissions.submit": Route(
        lambda b: f"/submissions/{b.draft_submission.id}/submit",
        signed_in(champion=403, curator=403, admin=403, **HIDDEN_FROM_OUTSIDERS), method="POST",
    ),
    "submissions.comment": Route(
        lambda b: f"/submissions/{b.pending.id}/comment", signed_in(**HIDDEN_FROM_OUTSIDERS), method="POST",
        data=lambda b: {"text": "Looks good"},
    ),
    "review.queue": Route(lambda b: "/review", signed_in(employee=403, leader=403)),
    "review.count": Route(lambda b: "/review/count", signed_in(employee=403, leader=403)),
    "review.escalations": Route(lambda b: "/review/escalations", staff_only()),
    "review.detail": Route(lambda b: f"/review/{b.pending.id}", signed_in(employee=404, leader=404)),
    "review.claim": Route(lambda b: f"/review/{b.pending.id}/claim", signed_in(employee=404, leader=404), method="POST"),
    "review.release": Route(lambda b: f"/review/{b.pending.id}/release", signed_in(employee=404, leader=404), method="POST"),
    "review.decide": Route(
        lambda b: f"/review/{b.pending.id}/decide", signed_in(employee=404, leader=404, curator=403, admin=403),
        method="POST", data=lambda b: {"decision": "changes", "note": "Shorter, please."},
    ),
    "review.trusted": Route(lambda b: "/review/trusted", staff_only()),
    "review.untrust": Route(lambda b: f"/review/trusted/{b.users['employee'].id}/{b.sales.id}/remove", staff_only(), method="POST"),
    "review.terms": Route(lambda b: "/review/terms", staff_only()),
    "review.remove_term": Route(lambda b: "/review/terms/999999/remove", staff_only(), method="POST"),
}
EXTRA_ROUTES.update(SUBMISSION_ROUTES)


@pytest.fixture()
def with_submissions(base, tmp_path):
    """The base data plus a claimed pending submission and a draft, both by the employee."""
    base.pending = h.make(base, tmp_path)
    review.claim(base.pending, base.users["champion"])
    base.draft_submission = h.make(base, tmp_path, state="draft", title="Half done")
    return base


@pytest.mark.parametrize(("endpoint", "roles"), list(_cases(SUBMISSION_ROUTES)))
def test_submission_route_access(as_role, with_submissions, endpoint, roles):
    _check(as_role, with_submissions, SUBMISSION_ROUTES[endpoint], roles)
