"""Bad days: the database goes away and comes back, the disk fills up, and the logs tell the story."""

from __future__ import annotations

import gc
import io
import json
import os
import subprocess
import uuid

import pytest
from PIL import Image
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.jobs import JobRun
from marketplace.submissions.models import Submission
from tests import factories
from tests import submission_helpers as h
from tests.conftest import make_app
from tests.pgcluster import Cluster, _pg_bin


class PausableCluster(Cluster):
    """A private PostgreSQL that can be stopped and started again on the same port and data."""

    def options(self) -> str:
        return f"-p {self.port} -k {self.root} -c listen_addresses='' -c fsync=off"

    def pause(self) -> None:
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-o", self.options(), "-l", str(self.root / "log"), "-w", "start")


@pytest.fixture()
def postgres_app(tmp_path_factory):
    cluster = PausableCluster().start()
    try:
        url = cluster.create_database(f"bad_days_{uuid.uuid4().hex[:8]}")
        app = make_app(url, tmp_path_factory)
        with app.app_context():
            factories.build_base()
        yield app, cluster
    finally:
        cluster.stop()


def test_database_down_gives_our_503_page_fragment_and_health_then_recovers(postgres_app):
    app, cluster = postgres_app
    client = app.test_client()
    assert client.login("employee@test.example").status_code == 303
    assert client.get("/catalog").status_code == 200

    cluster.pause()
    page = client.get("/catalog")
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    html = page.get_data(as_text=True)
    assert "<html" in html and "We&#39;ll be right back" in html and "Nothing you saved is lost" in html
    assert "Internal Server Error" not in html and "Traceback" not in html
    fragment = client.get("/catalog?moment=solve", headers={"HX-Request": "true"})
    assert fragment.status_code == 503 and fragment.headers["HX-Retarget"] == "#messages"
    assert "<html" not in fragment.get_data(as_text=True)
    assert client.get("/items/no-such-item").status_code == 503  # even a page that would be 404
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["status"] == "degraded"

    cluster.resume()  # the same app, no restart: the pool replaces dead connections
    assert client.get("/catalog").status_code == 200
    assert client.get("/healthz").status_code == 200


@pytest.fixture()
def tiny_disk(tmp_path):
    """A 1 MB tmpfs: a real full disk (ENOSPC), not a simulated one."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture()
def full_disk_app(database_url, tmp_path_factory, tiny_disk, base):
    return make_app(database_url, tmp_path_factory, UPLOAD_DIR=str(tiny_disk / "uploads"))


def _submit(client, base, content: bytes, name: str, htmx: bool = False):
    data = h.form(base)
    data["file"] = (io.BytesIO(content), name)
    return client.send("/submit", data, htmx=htmx, content_type="multipart/form-data")


def _submissions() -> int:
    return db.session.scalar(select(func.count()).select_from(Submission))


def test_upload_onto_a_full_disk_says_so_and_saves_nothing(full_disk_app, base, tiny_disk):
    client = full_disk_app.test_client()
    client.login(base.users["employee"].email)
    response = _submit(client, base, b"\0" * (2 * 2**20), "walkthrough.mp4")  # bigger than the disk
    assert response.status_code == 507
    html = response.get_data(as_text=True)
    assert "The server is out of space; nothing was saved" in html and "your file was not the problem" in html
    assert "damaged" not in html and "Traceback" not in html
    assert _submissions() == 0
    gc.collect()  # the spool is a NamedTemporaryFile: deleted once the failed parse lets go of it
    assert not [p for p in (tiny_disk / "uploads").rglob("*") if p.is_file()]  # the partial spool is gone


def test_failed_media_check_on_a_nearly_full_disk_blames_the_disk_not_the_file(full_disk_app, base):
    client = full_disk_app.test_client()
    client.login(base.users["employee"].email)
    response = _submit(client, base, b"not really a video" * 100, "clip.mp4", htmx=True)
    assert response.status_code == 507 and response.headers["HX-Retarget"] == "#messages"
    assert "out of space" in response.get_data(as_text=True)
    assert _submissions() == 0


def test_every_request_is_one_json_line_with_id_user_route_status_and_time(as_role, base, capsys):
    client = as_role("employee")
    capsys.readouterr()
    response = client.get("/catalog?moment=solve", headers={"X-Request-ID": "trace-42"})
    assert response.headers["X-Request-ID"] == "trace-42"
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    [access] = [line for line in lines if line.get("logger") == "marketplace.access"]
    assert access["request_id"] == "trace-42" and access["user_id"] == base.users["employee"].id
    assert access["route"] == "/catalog" and access["status"] == 200 and access["ms"] >= 0
    assert "moment=solve" not in json.dumps(access)  # query strings (searches) stay out of the log
    other = client.get("/kpis", headers={"X-Request-ID": "bad id with spaces"})
    assert other.headers["X-Request-ID"] != "bad id with spaces" and len(other.headers["X-Request-ID"]) == 32


def test_errors_keep_their_traceback_in_the_log_only(database_url, tmp_path_factory, base, capsys):
    app = make_app(database_url, tmp_path_factory)

    def explode():
        raise RuntimeError("kaboom-detail-for-the-log")

    app.add_url_rule("/explode", "explode", explode)
    client = app.test_client()
    client.login(base.users["employee"].email)
    capsys.readouterr()
    response = client.get("/explode")
    assert response.status_code == 500
    assert "kaboom" not in response.get_data(as_text=True) and "Something went wrong" in response.get_data(as_text=True)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    [error] = [line for line in lines if line["level"] == "error"]
    assert "Traceback" in error["traceback"] and "kaboom-detail-for-the-log" in error["traceback"]
    assert error["request_id"] == response.headers["X-Request-ID"]


def test_json_lines_survive_a_path_with_quotes(as_role, base, capsys):
    client = as_role("employee")
    capsys.readouterr()
    client.get('/items/"quoted"\\slug')
    for line in capsys.readouterr().err.splitlines():
        if line.startswith("{"):
            assert json.loads(line)["path"]  # every line parses, whatever the path held


def test_media_store_filling_up_while_queueing_an_upload_says_so_and_leaves_nothing(database_url, tmp_path_factory, tmp_path, tiny_disk, base):
    """The media store on its own mount (as several machines share one) fills while the checked
    upload is stored for the media job: 507, no row, no job, no partial file."""
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "pending").symlink_to(tiny_disk, target_is_directory=True)  # the spool stays on the big disk
    app = make_app(database_url, tmp_path_factory, UPLOAD_DIR=str(uploads))
    client = app.test_client()
    client.login(base.users["employee"].email)
    photo = io.BytesIO()
    Image.frombytes("RGB", (1000, 1000), os.urandom(3_000_000)).save(photo, "JPEG", quality=95)  # ~2 MB: more than the disk
    assert len(photo.getvalue()) > 2**20
    response = _submit(client, base, photo.getvalue(), "printer.jpg")
    assert response.status_code == 507
    html = response.get_data(as_text=True)
    assert "The server is out of space; nothing was saved" in html and "your file was not the problem" in html
    assert _submissions() == 0 and db.session.scalar(select(func.count()).select_from(JobRun)) == 0
    gc.collect()
    left = [p for disk in (uploads, tiny_disk) for p in disk.rglob("*") if p.is_file()]  # rglob does not enter the link
    assert not left, "no partial file in the store, no spool left"
