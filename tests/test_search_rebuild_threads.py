"""A rebuild in a process whose other threads use SQLite (a web worker, the job worker) never hangs."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from marketplace.extensions import db
from marketplace.search import admin, bulk, services
from marketplace.search import index as search_index_module
from tests import factories


@pytest.fixture()
def busy_sqlite(tmp_path):
    """Two threads opening, reading and closing SQLite connections without pause, as request threads and huey do."""
    path = tmp_path / "busy.db"
    with sqlite3.connect(path) as setup:
        setup.execute("CREATE TABLE t (x)")
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            connection = sqlite3.connect(path)
            connection.execute("SELECT count(*) FROM t").fetchone()
            connection.close()

    threads = [threading.Thread(target=hammer, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    yield
    stop.set()
    for thread in threads:
        thread.join()


def rebuild_a_few_times(indexed) -> None:
    for _ in range(4):
        admin.rebuild(procs=2)
        found = services.search(services.SearchRequest(text="okapi"), indexed.users["employee"]).hits
        assert [hit.item.slug for hit in found] == ["okapi-drill"]


def test_a_rebuild_beside_busy_sqlite_threads_finishes(app, indexed, busy_sqlite, monkeypatch):
    factories.item("okapi-drill", "apply", title="Okapi drill")
    db.session.commit()
    monkeypatch.setattr(bulk, "SILENCE_LIMIT", 15.0)  # a hung build process fails the rebuild instead of stalling it
    rebuild_a_few_times(indexed)


def test_database_sources_build_in_fresh_processes_and_read_documents_in_forked_ones(app, indexed, monkeypatch):
    """Why the rebuild above cannot hang: only processes that never touch SQLite are forked.

    (A child forked while another thread of the process is inside SQLite inherits SQLite's locks
    held and hangs on its first read: 10 of 50 forks in a two-thread drill, 36 of 50 when the
    threads use the same file.)
    """
    asked = []
    real = bulk.multiprocessing.get_context
    monkeypatch.setattr(bulk.multiprocessing, "get_context", lambda method: asked.append(method) or real(method))
    factories.item("okapi-drill", "apply", title="Okapi drill")
    db.session.commit()
    admin.rebuild(procs=2)
    assert asked == ["forkserver"]
    asked.clear()
    monkeypatch.setattr(search_index_module, "BULK_WRITE_AT", 1)  # as a big catch-up: read here, written by a fork
    item = factories.item("okapi-walk", "apply", title="Okapi walk")
    db.session.commit()
    assert "fork" in asked and "forkserver" not in asked
    found = services.search(services.SearchRequest(text="okapi"), indexed.users["employee"]).hits
    assert {hit.item.slug for hit in found} == {"okapi-drill", item.slug}
