"""axe-core on the key pages: no serious or critical violations."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import login

pytestmark = pytest.mark.browser

PAGES = ["/", "/catalog", "/catalog?moment=solve&type=job_aid", "/items/expense-claim-rejected-what-now", "/items/stretch-wrapping-a-pallet",
         "/items/new-crm-first-login-checklist", "/collections", "/login"]


@pytest.mark.parametrize("path", PAGES)
def test_no_serious_or_critical_violations(page, path):
    if path != "/login":
        login(page, "employee@demo.test")
    page.goto(path)
    results = Axe().run(page)
    serious = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
    assert serious == [], serious


def test_axe_really_reports_violations(page):
    """Guard: the check above must be able to fail (an image without alt text is critical)."""
    page.set_content('<html lang="en"><title>t</title><main><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></html>')
    ids = {v["id"] for v in Axe().run(page).response["violations"]}
    assert "image-alt" in ids
