"""Set-up for the issue-10 tests: a retired item, requests in two states, a claimed pending submission."""

from __future__ import annotations

import pytest

from marketplace.extensions import db
from marketplace.requests import services as requests
from marketplace.submissions import review
from marketplace.timeutil import utcnow
from tests import factories
from tests import submission_helpers as h


def request_data(base, **changes) -> requests.RequestData:
    """A valid action-mapping request for the Support team."""
    values = {
        "title": "Fewer reopened refund tickets", "department_id": base.support.id, "kpi_id": base.kpi2.id,
        "kpi_current": "71%", "kpi_target": "80%", "target_date": None,
        "behaviour": "Agents close refund tickets before the credit shows.", "who": "Tier-1 agents",
        "frequency": "Daily", "leader_modelling": "", "cause": "knowledge", "solution": "checklist",
    }
    return requests.RequestData(**{**values, **changes})


@pytest.fixture()
def lifecycle_base(base, tmp_path):
    """Base data plus: a retired item, a new request (leader, Support), an accepted one (employee, Sales,
    owned by the Sales champion), and a pending submission claimed by the Sales champion."""
    base.retired = factories.item("old-way", "solve", title="The old way", department=base.sales,
                                  owner=base.users["champion"], kpis=[base.kpi], status="retired")
    base.retired.retired_at, base.retired.retired_reason = utcnow(), "Superseded."
    db.session.commit()
    base.new_request = requests.file(base.users["leader"], request_data(base))
    base.accepted_request = requests.file(base.users["employee"], request_data(
        base, title="Faster first deals", department_id=base.sales.id, kpi_id=base.kpi.id))
    requests.accept(base.accepted_request, base.users["curator"], base.users["champion"].id, None)
    base.pending = h.make(base, tmp_path)
    review.claim(base.pending, base.users["champion"])
    return base
