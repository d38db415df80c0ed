"""Durable jobs used by the job-runner tests, and a worker entry point for a subprocess."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from marketplace import jobs

FAILURES: list[int] = []


@jobs.durable("test.write_marker")
def write_marker(path: str, sleep_first_time: float = 0) -> None:
    """Append a line to `path`; on the first attempt, optionally hang (a worker to kill)."""
    marker = Path(path)
    started = marker.with_suffix(".started")
    first = not started.exists()
    started.write_text("x")
    if first and sleep_first_time:
        time.sleep(sleep_first_time)
    with marker.open("a") as out:
        out.write(f"{os.getpid()}\n")


@jobs.durable("test.always_fails")
def always_fails(reason: str) -> None:
    """Raise every time."""
    raise RuntimeError(reason)


@jobs.durable("test.busy_receiver")
def busy_receiver(seconds: float) -> None:
    """Answer like a receiver sending 429 with Retry-After."""
    raise jobs.RetryLater(seconds, "receiver answered 429")


@jobs.on_failure("test.always_fails")
def remember_failure(run: jobs.JobRun) -> None:
    """Note the run that gave up."""
    FAILURES.append(run.id)


def run_worker() -> None:
    """`python -c 'import tests.job_fixtures as f; f.run_worker()' DB_URL JOBS_URL INSTANCE_DIR`."""
    from marketplace import create_app
    from marketplace.jobs.runner import huey

    db_url, jobs_url, instance = sys.argv[1:4]
    create_app({
        "SQLALCHEMY_DATABASE_URI": db_url, "JOBS_URL": jobs_url, "INSTANCE_DIR": instance,
        "SECRET_KEY": "test-secret-key-not-for-production", "ENV_NAME": "testing", "TESTING": True,
    })
    huey.create_consumer(workers=1, worker_type="thread", periodic=False).run()
