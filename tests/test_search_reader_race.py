"""No spurious "being rebuilt": searches on many threads while the index is written and rebuilt."""

from __future__ import annotations

import threading

from marketplace.extensions import db
from marketplace.search import admin, services
from marketplace.search.hooks import index_for
from tests import factories

READERS = 6
WRITES = 25


def test_concurrent_reads_during_writes_and_a_rebuild_always_answer(app, indexed):
    user_id = indexed.users["employee"].id
    failures: list[str] = []
    answered = [0]
    stop = threading.Event()

    def read() -> None:
        with app.test_request_context():
            user = db.session.get(type(indexed.users["employee"]), user_id)
            while not stop.is_set():
                try:
                    results = services.search(services.SearchRequest(text="expense claim"), user)
                except Exception as error:  # noqa: BLE001 - any exception is the race under test
                    failures.append(repr(error))
                    continue
                if results.unavailable:
                    failures.append("answered 'being rebuilt' while a generation existed")
                answered[0] += 1
                db.session.remove()

    threads = [threading.Thread(target=read) for _ in range(READERS)]
    for thread in threads:
        thread.start()
    try:
        for n in range(WRITES):
            factories.item(f"race-{n}", "apply", title=f"Expense claim race {n}")
            db.session.commit()  # each commit writes a new Whoosh generation of segments
            if n == WRITES // 2:
                admin.rebuild()  # and a generation swap in the middle
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert not failures, failures[:5]
    assert answered[0] > READERS
    index_for(app)  # still usable afterwards
    with app.test_request_context():
        found = services.search(services.SearchRequest(text="expense claim race"), db.session.get(type(indexed.users["employee"]), user_id))
        assert found.total >= WRITES
