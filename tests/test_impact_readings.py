"""KPI readings in: the CSV import page (hostile files, encodings, 100,000 rows) and the token-protected API."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.impact import tokens
from marketplace.impact.models import ApiToken, KpiReading

HEADER = "kpi,department,period,start,value,target\n"


def _upload(client, text: str | bytes, name: str = "readings.csv"):
    raw = text.encode() if isinstance(text, str) else text
    return client.send("/impact/readings/import", {"file": (io.BytesIO(raw), name)}, content_type="multipart/form-data")


def _readings() -> list[tuple]:
    rows = db.session.execute(select(KpiReading.scope, KpiReading.period_start, KpiReading.value).order_by(KpiReading.period_start, KpiReading.scope))
    return [(s, d.isoformat(), v) for s, d, v in rows]


def _confirm(client, page) -> object:
    action = re.search(r'action="(/impact/readings/import/\d+/confirm)"', page.get_data(as_text=True)).group(1)
    return client.send(action)


def test_preview_then_confirm_stores_all_rows_and_reimport_updates(as_role, base):
    client = as_role("curator")
    csv_text = HEADER + "days-to-first-sale,,week,2026-01-07,40,30\ndays-to-first-sale,sales,week,2026-01-05,42,\n"
    page = _upload(client, csv_text)
    assert page.status_code == 200 and "2 readings" in page.get_data(as_text=True)
    assert _readings() == [], "nothing is stored before confirmation"
    assert _confirm(client, page).status_code == 303
    assert _readings() == [("", "2026-01-05", 40.0), ("sales", "2026-01-05", 42.0)]  # a week is stored from its Monday
    page = _upload(client, HEADER + "days-to-first-sale,,week,2026-01-05,38,30\n")
    _confirm(client, page)
    assert _readings() == [("", "2026-01-05", 38.0), ("sales", "2026-01-05", 42.0)], "same key updates, no duplicate"


def test_every_problem_is_listed_by_row_and_column_and_nothing_is_stored(as_role, base):
    csv_text = HEADER + "\n".join([
        "days-to-first-sale,,week,2026-02-30,40,",       # impossible date
        "days-to-first-sale,,fortnight,2026-01-05,40,",  # bad period
        "days-to-first-sale,marketing,week,2026-01-05,40,",  # unknown department
        "days-to-first-sale,,week,2026-01-12,=1+2,",      # a formula is not a number
        "no-such-kpi,,week,2026-01-05,1,",
        "days-to-first-sale,,week,2026-01-19,12 days,",
        "days-to-first-sale,,week,2026-01-26,10,",
        "days-to-first-sale,,week,2026-01-28,11,",        # same week as the row before
    ]) + "\n"
    page = _upload(as_role("curator"), csv_text)
    body = page.get_data(as_text=True)
    assert page.status_code == 422
    for expected in ("Row 2, column “start”", "Row 3, column “period”", "Row 4, column “department”: there is no department “marketing”",
                     "Row 5, column “value”", "Row 6, column “kpi”", "Row 7, column “value”", "Row 9, column “start”: the same KPI"):
        assert expected in body, expected
    assert "Nothing was stored" in body and _readings() == []


def test_wrong_unit_is_refused(as_role, base):
    page = _upload(as_role("curator"), "kpi,period,start,value,unit\ndays-to-first-sale,week,2026-01-05,4,hours\n")
    assert page.status_code == 422 and "is not this KPI's unit" in page.get_data(as_text=True).replace("&#39;", "'")


@pytest.mark.parametrize(("raw", "message"), [
    ("kpi,period,start,value\ndays-to-first-sale,week,2026-01-05,4\n".encode("utf-16"), "not a text CSV"),
    ("kpi,department,period,start,value\ndays-to-first-sale,Vertrieb Süd,week,2026-01-05,4\n".encode("cp1252"), "not UTF-8"),
    (b"", "empty"),
    (b"name,amount\nx,1\n", "missing columns: kpi, period, start, value"),
    (b'kpi,period,start,value\n"unterminated,week,2026-01-05,4\n', "there is no KPI"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text CSV"),
])
def test_hostile_and_misencoded_files_get_a_clear_error(as_role, base, raw, message):
    page = _upload(as_role("curator"), raw)
    assert page.status_code == 422
    assert message in page.get_data(as_text=True)
    assert _readings() == []


def test_utf8_with_bom_is_fine(as_role, base):
    page = _upload(as_role("curator"), "\ufeff" + HEADER + "days-to-first-sale,,month,2026-01,40,\n")
    assert page.status_code == 200


def test_hundred_thousand_rows_import_in_one_go(as_role, base):
    from datetime import date, timedelta

    start = date(1800, 1, 1)
    lines = [f"first-contact-resolution,,day,{(start + timedelta(days=i)).isoformat()},{i % 100}.5," for i in range(100_000)]
    client = as_role("curator")
    page = _upload(client, HEADER + "\n".join(lines) + "\n")
    assert page.status_code == 200 and "100000 readings" in page.get_data(as_text=True)
    assert _confirm(client, page).status_code == 303
    assert db.session.scalar(select(func.count(KpiReading.id))) == 100_000


# ------------------------------------------------------------------- the API


def _post(client, slug: str, body, secret: str | None):
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    return client.post(f"/api/v1/kpis/{slug}/readings", json=body, headers=headers)


def test_token_is_stored_hashed_and_writes_only_its_kpis(app, base):
    token, secret = tokens.create("Power BI", [base.kpi], base.users["admin"].id)
    assert secret.startswith("mkt_") and secret not in {token.token_hash, token.prefix}
    assert db.session.scalar(select(func.count(ApiToken.id)).where(ApiToken.token_hash == secret)) == 0
    client = app.test_client()
    body = {"readings": [{"period": "week", "start": "2026-03-02", "value": 31, "department": "sales"}]}
    response = _post(client, base.kpi.slug, body, secret)
    assert response.status_code == 201 and response.get_json() == {"stored": 1, "created": 1, "updated": 0}
    assert _post(client, base.kpi.slug, body, secret).get_json()["updated"] == 1
    assert _post(client, base.kpi2.slug, body, secret).status_code == 403
    assert _readings() == [("sales", "2026-03-02", 31.0)]


def test_missing_wrong_and_revoked_tokens_are_refused(app, base):
    token, secret = tokens.create("BI", [base.kpi], None)
    client = app.test_client()
    body = {"period": "week", "start": "2026-03-02", "value": 1}
    assert _post(client, base.kpi.slug, body, None).status_code == 401
    assert _post(client, base.kpi.slug, body, secret[:-2] + "xx").status_code == 401
    assert _post(client, base.kpi.slug, body, secret).status_code == 201
    tokens.revoke(token)
    response = _post(client, base.kpi.slug, body, secret)
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")


def test_api_reports_every_problem_and_stores_nothing(app, base):
    _token, secret = tokens.create("BI", [base.kpi], None)
    body = {"readings": [{"period": "week", "start": "2026-03-02", "value": 1},
                         {"period": "week", "start": "03/09/2026", "value": "lots", "department": "nowhere"}]}
    response = _post(app.test_client(), base.kpi.slug, body, secret)
    assert response.status_code == 422
    problems = {(p["row"], p["column"]) for p in response.get_json()["problems"]}
    assert problems == {(2, "start"), (2, "value"), (2, "department")}
    assert _readings() == []
    assert _post(app.test_client(), base.kpi.slug, "not json", secret).status_code == 400


def test_admin_sees_the_secret_once(as_role, base):
    client = as_role("admin")
    page = client.send("/impact/tokens", {"name": "Tableau", "kpi_ids": [str(base.kpi.id)]})
    secret = re.search(r'id="new-token">(mkt_[^<]+)<', page.get_data(as_text=True)).group(1)
    assert page.headers["Cache-Control"] == "no-store"
    assert secret not in client.get("/impact/tokens").get_data(as_text=True)
    assert _post(client, base.kpi.slug, {"period": "day", "start": "2026-01-01", "value": 3}, secret).status_code == 201
    missing = client.send("/impact/tokens", {"name": ""})
    assert missing.status_code == 422
