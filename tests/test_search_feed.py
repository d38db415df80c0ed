"""The index follows the change feed: nothing published is lost, whatever fails between commit and index write."""

from __future__ import annotations

import errno
import multiprocessing
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from marketplace import changes
from marketplace.changes.models import Change, FeedCursor
from marketplace.extensions import db
from marketplace.search import admin, feed, follower, services, whoosh_backend
from marketplace.search.hooks import index_for
from marketplace.timeutil import utcnow
from tests import factories
from tests.conftest import make_app

HEAL_SECONDS = 10


def found(text: str, user) -> list[str]:  # noqa: ANN001
    return [hit.item.slug for hit in services.search(services.SearchRequest(text=text), user).hits]


def _config(app, **extra) -> dict:  # noqa: ANN001
    config = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "SEARCH_INDEX_DIR", "UPLOAD_DIR", "INSTANCE_DIR", "SECRET_KEY")}
    config.update(TESTING=True, ENV_NAME="testing", SEED_DEMO=False, JOBS_IMMEDIATE=True, **extra)
    return config


def _fail_index_writes(monkeypatch, times: int = 1) -> list[int]:  # noqa: ANN001
    """Make the next `times` index writes raise as a full disk would."""
    calls = [0]
    real = whoosh_backend.WhooshBackend.apply

    def failing(self, documents):  # noqa: ANN001, ANN202
        calls[0] += 1
        if calls[0] <= times:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, documents)

    monkeypatch.setattr(whoosh_backend.WhooshBackend, "apply", failing)
    return calls


def test_every_search_change_is_a_feed_row_in_the_same_transaction(indexed):
    before = changes.latest_position(db.session)
    factories.item("feed-row", "apply", title="Feed row item")
    db.session.flush()
    db.session.rollback()  # rolled back: no row, no index write
    assert changes.latest_position(db.session) == before
    item = factories.item("feed-row", "apply", title="Feed row item")
    db.session.commit()
    rows = db.session.execute(select(Change.topic, Change.entity_id).where(Change.id > before)).all()
    assert ("search.item", str(item.id)) in rows


def test_an_index_write_that_raises_heals_from_the_feed(app, indexed, monkeypatch):
    user = indexed.users["employee"]
    _fail_index_writes(monkeypatch, times=1)
    factories.item("disk-full", "apply", title="Quokka handling when the disk is full")
    db.session.commit()  # the commit stands; the write after it failed
    assert found("quokka", user) == []
    assert feed.lag(app)["changes_behind"] >= 1
    feed.catch_up(app)  # what the follower does every few seconds, with no command
    assert found("quokka", user) == ["disk-full"]
    assert feed.lag(app)["changes_behind"] == 0
    assert admin.check().clean


def test_applying_a_change_twice_is_harmless(app, indexed):
    user = indexed.users["employee"]
    item = factories.item("twice", "apply", title="Wombat twice applied")
    db.session.commit()
    pairs = {("search.item", str(item.id))}
    feed.apply_pairs(app, pairs)
    feed.apply_pairs(app, pairs)
    assert found("wombat", user) == ["twice"]
    assert index_for(app).searcher().doc_count() == 3 + 1


def test_a_publish_during_a_rebuild_is_never_missed(app, indexed, monkeypatch):
    user = indexed.users["employee"]
    published = []

    def publish_mid_build(_count: int) -> None:
        if not published:
            # The immediate write is lost too, so only the feed can bring it in.
            calls = _fail_index_writes(monkeypatch, times=1)
            factories.item("mid-rebuild", "apply", title="Narwhal published mid rebuild")
            db.session.commit()
            published.append(calls[0])

    admin.rebuild(procs=1, on_batch=publish_mid_build)
    assert published == [1]
    feed.catch_up(app)
    assert found("narwhal", user) == ["mid-rebuild"]
    assert admin.check().clean


def test_each_index_generation_remembers_the_last_change_it_applied(app, indexed):
    index = index_for(app)
    factories.item("remembered", "apply", title="Remembered")
    db.session.commit()
    feed.catch_up(app)
    state = feed.read_state(index.root / index.current_name())
    assert state.position == changes.latest_position(db.session)
    cursor = db.session.get(FeedCursor, feed.consumer_name(index.root))
    assert cursor is not None and cursor.position == state.safe_position


def test_change_rows_are_pruned_only_once_every_index_applied_them(app, indexed, tmp_path_factory):
    other = make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path_factory)  # a second machine: its own index
    with other.app_context():
        feed.catch_up(other)  # builds its empty index, then follows: now a known consumer
    feed.catch_up(app)
    factories.item("prune-me", "apply", title="Pruned later")
    db.session.commit()
    newest = changes.latest_position(db.session)
    feed.catch_up(app)
    changes.prune(db.session, keep_after=timedelta(0))
    db.session.commit()
    assert db.session.get(Change, newest) is not None  # the other index has not applied it yet
    with other.app_context():
        feed.catch_up(other)
    changes.prune(db.session, keep_after=timedelta(0))
    db.session.commit()
    assert db.session.scalar(select(func.count(Change.id)).where(Change.id <= newest)) == 0


def test_feed_ids_restarting_after_a_full_prune_are_still_applied(app, indexed):
    user = indexed.users["employee"]
    factories.item("before-prune", "apply", title="Before prune")
    db.session.commit()
    feed.catch_up(app)
    db.session.execute(Change.__table__.delete())  # every row pruned: SQLite may now reuse ids
    db.session.commit()
    monkey = factories.item("after-prune", "apply", title="Axolotl after a full prune")
    db.session.flush()
    db.session.info.pop(feed.PENDING, None)  # the immediate write is lost
    db.session.commit()
    assert found("axolotl", user) == []
    feed.catch_up(app)
    assert found("axolotl", user) == [monkey.slug]


def test_healthz_reports_lag_and_turns_503_past_the_limit(app, client, indexed, monkeypatch):
    monkeypatch.setitem(app.config, "SEARCH_LAG_LIMIT", 30)
    feed.catch_up(app)
    healthy = client.get("/healthz")
    assert healthy.status_code == 200 and healthy.json["search"]["changes_behind"] == 0
    db.session.add(Change(topic="search.item", entity_id=str(indexed.job_aid.id), created_at=utcnow() - timedelta(seconds=90)))
    db.session.commit()
    lagging = client.get("/healthz")
    assert lagging.status_code == 503
    assert lagging.json["search"]["changes_behind"] == 1 and lagging.json["search"]["seconds_behind"] >= 89
    assert lagging.json["status"] == "degraded"
    feed.catch_up(app)
    assert client.get("/healthz").status_code == 200


KILLED_WORKER = textwrap.dedent("""
    import os, signal, sys
    from marketplace import create_app
    from marketplace.extensions import db
    from marketplace.search import feed
    from tests import factories

    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)  # after the commit, before the index write

    app = create_app(eval(sys.argv[1]))
    with app.app_context():
        feed.apply_pairs = die
        factories.item("killed-worker", "apply", title="Pangolin published by a killed worker")
        db.session.commit()
    print("not killed")
""")


def test_a_worker_killed_between_commit_and_index_write_heals_with_no_command(app, indexed):
    user = indexed.users["employee"]
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", KILLED_WORKER, repr(_config(app))], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == -9, done.stderr[-2000:]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(Change.topic == "search.item")) >= 1
    assert found("pangolin", user) == []
    running = follower.Follower(app, 0.5)  # what every app process runs, started by its first request
    running.thread.start()
    try:
        started = time.monotonic()
        while not found("pangolin", user) and time.monotonic() - started < HEAL_SECONDS:
            time.sleep(0.1)
            db.session.remove()
        assert found("pangolin", user) == ["killed-worker"], f"not healed within {HEAL_SECONDS} s"
    finally:
        running.stop()


def _machine(config: dict, inbox, outbox) -> None:  # noqa: ANN001 - multiprocessing queues
    """An app process with its own index directory, following the feed, publishing or searching on request."""
    from marketplace import create_app
    from marketplace.accounts.models import User
    from marketplace.extensions import db
    from marketplace.search import follower, services
    from tests import factories

    app = create_app(config)
    follower.start(app)
    while True:
        command, argument = inbox.get(timeout=120)
        if command == "stop":
            return
        with app.app_context():
            if command == "publish":
                factories.item(argument, "apply", title=f"Okapi {argument}")
                db.session.commit()
                outbox.put("published")
            elif command == "find":
                user = db.session.scalar(select(User).where(User.email == "employee@test.example"))
                started = time.monotonic()
                while time.monotonic() - started < 20:
                    with app.test_request_context():
                        hits = services.search(services.SearchRequest(text=f"okapi {argument}"), db.session.merge(user)).hits
                    if any(h.item.slug == argument for h in hits):
                        break
                    db.session.remove()
                    time.sleep(0.1)
                outbox.put(time.monotonic() - started)


def test_two_app_machines_with_their_own_index_find_each_others_publishes(app, indexed, tmp_path_factory):
    assert db.session.scalar(select(func.count()).select_from(factories.User).where(factories.User.email == "employee@test.example"))
    context = multiprocessing.get_context("spawn")
    machines = []
    for name in ("a", "b"):
        index_dir = tmp_path_factory.mktemp(f"machine-{name}") / "index"  # empty: each builds its own
        config = _config(app, SEARCH_INDEX_DIR=str(index_dir), SEARCH_FOLLOW_SECONDS=1)
        inbox, outbox = context.Queue(), context.Queue()
        process = context.Process(target=_machine, args=(config, inbox, outbox))
        process.start()
        machines.append((process, inbox, outbox, index_dir))
    try:
        (_, inbox_a, outbox_a, dir_a), (_, inbox_b, outbox_b, dir_b) = machines
        inbox_a.put(("publish", "published-on-a"))
        assert outbox_a.get(timeout=120) == "published"
        inbox_b.put(("find", "published-on-a"))
        seconds = outbox_b.get(timeout=120)
        assert seconds < HEAL_SECONDS, f"machine b found a's publish only after {seconds:.1f} s"
        inbox_b.put(("publish", "published-on-b"))
        assert outbox_b.get(timeout=120) == "published"
        inbox_a.put(("find", "published-on-b"))
        assert outbox_a.get(timeout=120) < HEAL_SECONDS
        assert (dir_a / "current").exists() and (dir_b / "current").exists()
    finally:
        for process, inbox, *_ in machines:
            inbox.put(("stop", None))
            process.join(30)
            if process.is_alive():
                process.kill()

