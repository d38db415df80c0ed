"""Exactly one index writer at a time, across processes: four workers commit at once."""

from __future__ import annotations

import multiprocessing

from marketplace.search import admin
from marketplace.search.hooks import index_for

WORKERS = 4
ITEMS_EACH = 12


def _worker(config: dict, number: int, start, errors) -> None:  # noqa: ANN001 - multiprocessing objects
    from marketplace import create_app
    from marketplace.extensions import db
    from tests import factories

    try:
        app = create_app(config)
        with app.app_context():
            start.wait(30)
            for n in range(ITEMS_EACH):
                factories.item(f"proc-{number}-item-{n}", "apply", title=f"Concurrent lemur {number} {n}")
                db.session.commit()  # each commit writes the index from this process
    except BaseException as error:  # noqa: BLE001 - reported to the parent, which fails the test
        errors.put(f"worker {number}: {error!r}")


def test_four_processes_write_at_once_and_nothing_is_lost(app, indexed, caplog):
    config = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "SEARCH_INDEX_DIR", "UPLOAD_DIR", "INSTANCE_DIR", "SECRET_KEY")}
    config.update(TESTING=True, ENV_NAME="testing", SEED_DEMO=False)
    context = multiprocessing.get_context("spawn")  # fresh interpreters, like gunicorn workers
    start, errors = context.Event(), context.Queue()
    processes = [context.Process(target=_worker, args=(config, n, start, errors)) for n in range(WORKERS)]
    for process in processes:
        process.start()
    start.set()
    for process in processes:
        process.join(120)
    problems = []
    while not errors.empty():
        problems.append(errors.get())
    assert not problems, problems
    assert all(process.exitcode == 0 for process in processes)
    searcher = index_for(app).searcher()
    from marketplace.extensions import db
    from marketplace.search.documents import published_count

    assert published_count(db.session) == 3 + WORKERS * ITEMS_EACH
    assert searcher.doc_count() == published_count(db.session)
    drift = admin.check()
    assert drift.clean, drift
