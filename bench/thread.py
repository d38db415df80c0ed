"""`python -m bench.thread`: page time of a thread with 200 replies (full page and htmx fragment)."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

REPLIES = 200
RUNS = 20


def main() -> None:
    """Build a space whose thread has 200 replies (a third nested, some voted), then time GETs."""
    from marketplace import create_app, migrate
    from marketplace.extensions import db
    from marketplace.spaces import services
    from tests import factories
    from tests.conftest import Client
    from tests.spaces_fixtures import build_world

    home = Path(tempfile.mkdtemp(prefix="bench-thread-"))
    app = create_app({
        "TESTING": True, "ENV_NAME": "testing", "SECRET_KEY": "bench-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{home / 'bench.db'}", "SEED_DEMO": False,
        "UPLOAD_DIR": str(home / "uploads"), "SEARCH_INDEX_DIR": str(home / "index"), "INSTANCE_DIR": str(home),
    })
    app.test_client_class = Client
    with app.app_context():
        migrate.upgrade()
        base = factories.build_base()
        world = build_world(base)
        people = [base.users[r] for r in ("employee", "leader")]
        parents = []
        for n in range(REPLIES - 1):
            parent = parents[n % len(parents)].id if parents and n % 3 == 2 else None
            post = services.reply(world.thread, people[n % 2], f"Reply {n} with **markdown** and a [link](https://example.com/{n}).", parent)
            if parent is None:
                parents.append(post)
            if n % 4 == 0:
                services.toggle_vote(post, people[(n + 1) % 2])
        url = f"/spaces/{world.space.slug}/threads/{world.thread.id}"
        count = len(world.thread.posts) - 1
        db.session.remove()
    client = app.test_client()
    client.login("employee@test.example")
    for label, headers in (("full page", {}), ("htmx fragment", {"HX-Request": "true"})):
        client.get(url, headers=headers)  # warm templates and caches
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            response = client.get(url, headers=headers)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        times.sort()
        print(f"thread with {count} replies, {label}: median {statistics.median(times):.0f} ms, "
              f"p95 {times[int(0.95 * len(times)) - 1]:.0f} ms, {len(response.data) // 1024} KiB ({RUNS} runs, SQLite)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
