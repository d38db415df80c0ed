"""`python -m bench.freshness`: the freshness job and the two new list pages at catalog scale.

BENCH_ITEMS=20000 BENCH_REQUESTS=5000 python -m bench.freshness

Prints how long the reminder job takes (first run, then an idempotent re-run), and how many SQL
statements and milliseconds /review/freshness and /requests need (they must not grow with rows).
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event, insert, select
from werkzeug.security import generate_password_hash

ITEMS = int(os.environ.get("BENCH_ITEMS", "20000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "5000"))
PASSWORD = "bench-password"


def _fill(app) -> None:
    from marketplace.extensions import db
    from marketplace.models import Department, Item, Moment, User
    from marketplace.requests.models import ActionRequest
    from marketplace.timeutil import today, utcnow

    with app.app_context():
        sales = Department(name="Sales", slug="sales")
        db.session.add(sales)
        db.session.flush()
        owners = [User(email=f"owner{i}@bench.test", name=f"Owner {i}", password_hash="x", department=sales,
                       champion_of=[sales] if i == 0 else []) for i in range(50)]
        curator = User(email="curator@bench.test", name="Curator", is_curator=True,
                       password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"))
        db.session.add_all([*owners, curator])
        db.session.commit()
        moment = db.session.scalar(select(Moment.id))
        now, start = utcnow(), today() - timedelta(days=30)
        rows = [{"type": "job_aid", "title": f"Item {i}", "slug": f"item-{i}", "summary": "", "body": "", "transcript": "",
                 "moment_id": moment, "department_id": sales.id, "owner_id": owners[i % 50].id, "status": "published",
                 "review_by": start + timedelta(days=i % 400), "version": 1, "created_at": now, "updated_at": now,
                 "published_at": now, "ai_use": "none", "retired_reason": ""} for i in range(ITEMS)]
        db.session.execute(insert(Item), rows)
        requests = [{"title": f"Request {i}", "source": "intake", "source_query": "", "requester_id": owners[i % 50].id,
                     "department_id": sales.id, "kpi_current": "", "kpi_target": "", "behaviour": "", "who": "",
                     "frequency": "", "leader_modelling": "", "cause": "knowledge", "solution": "job_aid",
                     "state": ("new", "accepted", "delivered")[i % 3], "decline_reason": "", "created_at": now,
                     "updated_at": now} for i in range(REQUESTS)]
        db.session.execute(insert(ActionRequest), requests)
        db.session.commit()


def _statements(app, client, path: str) -> tuple[int, float, int]:
    from marketplace.extensions import db

    with app.app_context():
        engine = db.engine
    count = [0]

    def tick(*_args) -> None:
        count[0] += 1

    event.listen(engine, "before_cursor_execute", tick)
    started = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    event.remove(engine, "before_cursor_execute", tick)
    return count[0], elapsed, response.status_code


def main() -> None:
    """Build the data set, run the job twice, load the pages; print the figures."""
    from bench.__main__ import _app
    from marketplace.lifecycle import services

    with tempfile.TemporaryDirectory() as home:
        app = _app(Path(home))
        _fill(app)
        with app.app_context():
            started = time.perf_counter()
            first = services.remind_owners()
            first_s = time.perf_counter() - started
            started = time.perf_counter()
            again = services.remind_owners()
            again_s = time.perf_counter() - started
        print(f"freshness remind, {ITEMS} items: first run {first} reminders in {first_s:.2f} s; re-run {again} in {again_s:.2f} s")
        from tests.conftest import Client  # signs in through the real form, with its CSRF token

        app.test_client_class = Client
        client = app.test_client()
        assert client.login("curator@bench.test", PASSWORD).status_code == 303
        for path in ("/review/freshness", "/review/freshness?window=overdue&group=department", "/requests", "/requests?tab=all&page=3"):
            statements, ms, status = _statements(app, client, path)
            print(f"GET {path} as curator: {status}, {statements} SQL statements, {ms:.0f} ms")


if __name__ == "__main__":
    main()
