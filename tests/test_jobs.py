"""The job runner: durable runs enqueued after commit, retries, failure, a real worker, a killed worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from marketplace import jobs
from marketplace.extensions import db
from marketplace.jobs import services
from marketplace.jobs.models import JobRun, JobState
from marketplace.jobs.runner import bind, storage_for
from marketplace.timeutil import utcnow
from tests import job_fixtures

ROOT = Path(__file__).resolve().parent.parent


def test_a_run_executes_once_its_transaction_commits(base, tmp_path):
    marker = tmp_path / "m.txt"
    run = jobs.submit("test.write_marker", {"path": str(marker)}, subject="thing:1")
    assert not marker.exists(), "nothing runs before the commit"
    db.session.commit()
    assert marker.read_text().count("\n") == 1
    db.session.refresh(run)
    assert run.state == JobState.DONE and run.attempts == 1 and run.finished_at
    assert services.run_for("thing:1").id == run.id


def test_a_rolled_back_run_never_executes(base, tmp_path):
    marker = tmp_path / "m.txt"
    jobs.submit("test.write_marker", {"path": str(marker)})
    db.session.rollback()
    db.session.commit()
    assert not marker.exists()
    assert db.session.scalars(select(JobRun)).all() == []


def test_unknown_job_names_are_refused(base):
    with pytest.raises(KeyError):
        jobs.submit("no.such.job")


def test_a_failing_run_is_retried_with_backoff_then_marked_failed(base):
    job_fixtures.FAILURES.clear()
    run = jobs.submit("test.always_fails", {"reason": "receiver down"}, max_attempts=2)
    db.session.commit()
    db.session.refresh(run)
    assert run.state == JobState.PENDING and run.attempts == 1
    assert "receiver down" in run.last_error
    assert run.not_before > utcnow() + timedelta(seconds=5), "the next attempt waits"
    assert services.execute(run.id) is None, "not claimable before its time"
    run.not_before = utcnow() - timedelta(minutes=1)
    db.session.commit()
    services.sweep()
    db.session.expire_all()
    run = db.session.get(JobRun, run.id)
    assert run.state == JobState.FAILED and run.attempts == 2 and run.finished_at
    assert [run.id] == job_fixtures.FAILURES
    assert [r.id for r in jobs.failed_runs()] == [run.id]


def test_retry_later_waits_as_long_as_the_receiver_asks(base):
    run = jobs.submit("test.busy_receiver", {"seconds": 600})
    db.session.commit()
    db.session.refresh(run)
    assert run.state == JobState.PENDING and "429" in run.last_error
    wait = (run.not_before - utcnow()).total_seconds()
    assert 590 < wait <= 600


def test_a_failed_run_can_be_retried_by_an_admin(base, tmp_path):
    run = jobs.submit("test.always_fails", {"reason": "x"}, max_attempts=1)
    db.session.commit()
    db.session.refresh(run)
    assert run.state == JobState.FAILED
    jobs.retry_run(run)
    db.session.commit()
    db.session.refresh(run)
    assert run.state == JobState.FAILED and run.attempts == 1, "ran again and failed again"


def test_a_run_is_claimed_only_once(base, tmp_path):
    marker = tmp_path / "m.txt"
    run_id = _insert_run_without_wakeup({"path": str(marker)})
    assert services.execute(run_id) == JobState.DONE
    assert services.execute(run_id) is None
    assert marker.read_text().count("\n") == 1


def _insert_run_without_wakeup(payload: dict, **values) -> int:
    """A committed run whose huey message never went out (as if the process died after commit)."""
    now = utcnow()
    row = {"name": "test.write_marker", "payload": payload, "state": JobState.PENDING, "attempts": 0,
           "max_attempts": 3, "not_before": now, "created_at": now, **values}
    run_id = db.session.execute(insert(JobRun).values(**row).returning(JobRun.id)).scalar_one()
    db.session.commit()
    return run_id


def test_the_sweep_requeues_a_run_whose_message_was_lost(base, tmp_path):
    marker = tmp_path / "m.txt"
    _insert_run_without_wakeup({"path": str(marker)}, not_before=utcnow() - timedelta(minutes=5))
    assert not marker.exists()
    assert services.sweep()["requeued"] == 1
    assert marker.exists()


def _start_worker(app, jobs_url: str, instance: Path) -> subprocess.Popen:
    code = "import tests.job_fixtures as f; f.run_worker()"
    db_url = app.config["SQLALCHEMY_DATABASE_URI"]
    return subprocess.Popen(
        [sys.executable, "-c", code, db_url, jobs_url, str(instance)], cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )


def _wait_for(predicate, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture()
def redis_url(tmp_path):
    """A real redis-server on a free loopback port."""
    from tests.pgcluster import _free_port

    port = _free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)], stdout=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=port)
    assert _wait_for(lambda: _ping(client), 10), "redis-server did not start"
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(10)


def _ping(client) -> bool:
    try:
        return client.ping()
    except Exception:  # noqa: BLE001 - not up yet
        return False


@pytest.mark.parametrize("store", ["sqlite", "redis"])
def test_a_real_worker_runs_jobs_and_a_killed_one_is_recovered(app, base, tmp_path, store, request):
    jobs_url = request.getfixturevalue("redis_url") if store == "redis" else f"sqlite:///{tmp_path / 'jobs.db'}"
    app.extensions["jobs"] = (False, storage_for(jobs_url))
    try:
        bind(app)
        marker = tmp_path / "m.txt"
        jobs.submit("test.write_marker", {"path": str(marker), "sleep_first_time": 60})
        db.session.commit()
        worker = _start_worker(app, jobs_url, tmp_path / "instance")
        assert _wait_for(lambda: marker.with_suffix(".started").exists()), "the worker picked up the job"
        os.killpg(worker.pid, signal.SIGKILL)  # killed mid-job
        worker.wait(10)
        run = db.session.scalars(select(JobRun)).one()
        db.session.refresh(run)
        assert run.state == JobState.RUNNING and not marker.exists()
        run.lease_until = utcnow() - timedelta(seconds=1)  # the lease runs out
        db.session.commit()
        assert services.sweep()["recovered"] == 1
        db.session.refresh(run)
        assert run.state == JobState.PENDING and "worker stopped" in run.last_error
        run.not_before = utcnow() - timedelta(seconds=1)
        db.session.commit()
        services.sweep()  # the retry's wake-up call
        worker = _start_worker(app, jobs_url, tmp_path / "instance")
        try:
            assert _wait_for(lambda: marker.exists()), "a new worker finished the job"
            assert _wait_for(lambda: (db.session.expire_all(), db.session.get(JobRun, run.id).state)[1] == JobState.DONE)
        finally:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
    finally:
        app.extensions["jobs"] = (True, storage_for("memory://"))
        bind(app)
