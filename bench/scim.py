"""`python -m bench.scim`: SCIM provisioning at scale — create N users, look one up, page, filter.

BENCH_SCIM_USERS=2000 python -m bench.scim   (default 5000)
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

from bench.__main__ import _app, percentiles

USERS = int(os.environ.get("BENCH_SCIM_USERS", "5000"))
SCHEMAS = ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]


def _statements(app, call) -> int:  # noqa: ANN001
    from marketplace.extensions import db

    with app.app_context():
        engine = db.engine
    count = [0]

    def seen(*_args) -> None:
        count[0] += 1

    event.listen(engine, "before_cursor_execute", seen)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    return count[0]


def main() -> None:
    from marketplace.accounts.models import User
    from marketplace.extensions import db
    from marketplace.identity import services

    with tempfile.TemporaryDirectory() as home:
        app = _app(Path(home))
        with app.app_context():
            admin = User(email="bench-admin@example.com", name="Admin", password_hash="x", is_admin=True)
            db.session.add(admin)
            db.session.flush()
            _token, plain = services.create_token("bench", admin)
            db.session.commit()
        client = app.test_client()
        headers = {"Authorization": f"Bearer {plain}", "Content-Type": "application/scim+json"}
        started, creates = time.perf_counter(), []
        for n in range(USERS):
            body = {"schemas": SCHEMAS, "userName": f"person{n}@example.com", "displayName": f"Person {n}",
                    "emails": [{"value": f"person{n}@example.com", "primary": True}],
                    SCHEMAS[1]: {"department": f"Department {n % 40}"}}
            t0 = time.perf_counter()
            assert client.post("/scim/v2/Users", json=body, headers=headers).status_code == 201
            creates.append(time.perf_counter() - t0)
        total = time.perf_counter() - started
        lookups = []
        for n in range(0, USERS, max(1, USERS // 200)):
            t0 = time.perf_counter()
            found = client.get(f'/scim/v2/Users?filter=userName eq "person{n}@example.com"', headers=headers).get_json()
            lookups.append(time.perf_counter() - t0)
            assert found["totalResults"] == 1
        page_statements = _statements(app, lambda: client.get("/scim/v2/Users?startIndex=1001&count=100", headers=headers))
        t0 = time.perf_counter()
        client.get('/scim/v2/Users?filter=displayName co "Person 12"', headers=headers)
        scan = time.perf_counter() - t0
        p50, p95, _ = percentiles(creates)
        l50, l95, _ = percentiles(lookups)
        print(f"SCIM, {USERS} users on SQLite")
        print(f"  create: {total:.1f} s in all, p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        print(f"  lookup userName eq: p50 {l50:.1f} ms, p95 {l95:.1f} ms ({len(lookups)} lookups)")
        print(f"  page of 100 at offset 1000: {page_statements} SQL statements")
        print(f"  filter displayName co (reads every user): {scan * 1000:.0f} ms")
        print(f"  mean create {statistics.mean(creates) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
