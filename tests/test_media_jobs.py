"""Media processing as a durable job: processing state, failures, admin retry, kills, sweeps, memory."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from flask import current_app
from PIL import Image
from sqlalchemy import select

from marketplace import jobs
from marketplace.extensions import db
from marketplace.submissions import processing, services
from marketplace.submissions.tasks import sweep_incoming_now
from marketplace.submissions.uploads import incoming_dir
from marketplace.timeutil import utcnow
from tests import media_fixtures as fx
from tests import submission_helpers as h
from tests.test_submissions_routes import post_form


def _running_media_run(submission_id: int) -> jobs.JobRun:
    # A worker elsewhere holds the lease: the run is claimed, so nothing here executes it.
    run = jobs.JobRun(name=processing.MEDIA_JOB, subject=processing.subject(submission_id), state=jobs.JobState.RUNNING,
                      payload={"token": "elsewhere", "files": [{"stored": "pending/elsewhere-0.jpg", "name": "a.jpg"}]},
                      attempts=1, lease_until=utcnow() + timedelta(minutes=10))
    db.session.add(run)
    db.session.commit()
    return run


def test_the_submission_shows_processing_until_the_job_is_done(as_role, base, tmp_path):
    client = as_role("employee")
    draft = h.make(base, tmp_path, state="draft")
    run = _running_media_run(draft.id)
    page = client.get(f"/submissions/{draft.id}").get_data(as_text=True)
    assert "Processing…" in page and f'hx-get="/submissions/{draft.id}/processing"' in page
    polled = client.get(f"/submissions/{draft.id}/processing", headers={"HX-Request": "true"})
    assert "Processing…" in polled.get_data(as_text=True) and "HX-Refresh" not in polled.headers
    refused = client.send(f"/submissions/{draft.id}/submit")  # not submitted without its file
    assert refused.status_code == 409
    run.state = jobs.JobState.DONE
    db.session.commit()
    done = client.get(f"/submissions/{draft.id}/processing", headers={"HX-Request": "true"})
    assert done.headers["HX-Refresh"] == "true" and "Processing…" not in done.get_data(as_text=True)


def test_a_refused_file_fails_at_once_and_an_admin_sees_it(as_role, base):
    client = as_role("employee")
    post_form(client, base, (fx.truncated_jpeg(), "half.jpg"))
    [run] = jobs.failed_runs()
    assert run.attempts == 1  # a damaged file is not tried three times
    assert processing.failure_message(run).startswith("This image is damaged or incomplete")
    admin = as_role("admin")
    listing = admin.get("/admin/jobs").get_data(as_text=True)
    assert "media.process" in listing and f"submission:{run.payload['submission_id']}" in listing and "damaged" in listing
    assert as_role("employee").get("/admin/jobs").status_code == 403


def test_an_admin_retries_a_run_that_failed_for_server_trouble(as_role, base, tmp_path, monkeypatch):
    client = as_role("employee")
    from marketplace.submissions import video_pdf

    monkeypatch.setattr(video_pdf, "FFPROBE", "/nonexistent/ffprobe")  # the server is missing a tool
    video = fx.video(tmp_path / "clip.webm").read_bytes()
    post_form(client, base, (video, "clip.webm"))
    run = processing.latest_run(db.session.scalar(select(h.Submission.id)))
    for _ in range(3):  # each attempt fails; back-off waits are skipped by moving not_before
        run.not_before = utcnow() - timedelta(minutes=1)
        db.session.commit()
        jobs.services.sweep()
        db.session.refresh(run)
    assert run.state == jobs.JobState.FAILED and processing.failure_message(run) == processing.SERVER_TROUBLE
    page = client.get(f"/submissions/{run.payload['submission_id']}").get_data(as_text=True)
    assert "could not be used" in page
    monkeypatch.undo()
    response = as_role("admin").send(f"/admin/jobs/{run.id}/retry")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(jobs.JobRun, run.id).state == jobs.JobState.DONE
    submission = db.session.get(h.Submission, run.payload["submission_id"])
    assert submission.item.media.kind == "video" and submission.state == "pending"  # submitted once ready


def test_the_sweep_removes_what_dead_requests_and_killed_jobs_left(base, tmp_path):
    incoming = incoming_dir()
    dead_spool, live_spool = incoming / "upload-dead.part", incoming / "upload-live.part"
    dead_spool.write_bytes(b"x" * 1000)
    live_spool.write_bytes(b"x" * 1000)
    an_hour_ago = time.time() - 3600
    os.utime(dead_spool, (an_hour_ago, an_hour_ago))
    orphan_work = incoming / "work-killedjob"
    (orphan_work).mkdir()
    (orphan_work / "out-1.mp4").write_bytes(b"half a video")
    draft = h.make(base, tmp_path, state="draft")
    run = _running_media_run(draft.id)
    live_work = processing.work_dir(run.payload["token"])
    live_work.mkdir(parents=True)
    assert sweep_incoming_now() == 2
    assert not dead_spool.exists() and not orphan_work.exists()
    assert live_spool.exists() and live_work.exists()
    live_spool.unlink()  # the upload dir is shared by the session's tests
    live_work.rmdir()


def test_a_killed_worker_takes_its_media_tool_with_it(tmp_path):
    # The worker runs ffmpeg/pdftoppm through run_tool; kill the worker with SIGKILL and the tool dies too.
    pid_file = tmp_path / "tool.pid"
    script = ("from marketplace.submissions import pipeline\n"
              f"pipeline.run_tool(['sh', '-c', 'echo $$ > {pid_file}; exec sleep 300'], timeout=600)\n")
    worker = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 20
    while not (pid_file.exists() and pid_file.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    tool = int(pid_file.read_text())
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(10)
    deadline = time.monotonic() + 10
    while _alive(tool) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(tool), "the media tool outlived its worker"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


MEMORY_PROBE = """
import resource, sys
from pathlib import Path
from marketplace.submissions import pipeline
limits = pipeline.Limits(max_bytes=250 * 2**20, max_video_seconds=1200, max_image_pixels=40_000_000)
result = pipeline.process(Path(sys.argv[1]), "huge.png", Path(sys.argv[2]), limits)
# VmHWM: this process's own peak (ru_maxrss would include the forking parent's size, kept across exec).
own = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")) // 1024
child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
print(result.main.width, result.main.height, own, child)
"""


def test_decoding_a_huge_png_keeps_the_worker_small(tmp_path):
    # 6300 x 6300 (39.7 megapixels, under the 40 MP limit) in about 100 KB: decoded in-process it took a worker to 831 MB.
    png = tmp_path / "huge.png"
    Image.new("RGB", (6300, 6300), "white").save(png, "PNG", optimize=True)
    assert png.stat().st_size < 200_000
    probe = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(png), str(tmp_path / "work")],
                           capture_output=True, text=True, timeout=300, check=True)
    width, height, own_mb, child_mb = (int(x) for x in probe.stdout.split())
    assert (width, height) == (6300, 6300)
    assert own_mb < 120, f"the worker itself peaked at {own_mb} MB: {probe.stdout} {probe.stderr}"
    from marketplace.media.isolated import DECODE_MEMORY_MB

    assert child_mb < DECODE_MEMORY_MB, f"the decoder peaked at {child_mb} MB"


def test_a_decoder_over_its_memory_limit_is_a_clear_refusal(tmp_path, monkeypatch):
    from marketplace.media import isolated
    from marketplace.submissions import pipeline

    monkeypatch.setattr(isolated, "DECODE_MEMORY_MB", 150)
    png = tmp_path / "huge.png"
    Image.new("RGBA", (6300, 6300), "white").save(png, "PNG")
    limits = pipeline.Limits(max_bytes=250 * 2**20, max_video_seconds=1200, max_image_pixels=40_000_000)
    try:
        pipeline.process(png, "huge.png", tmp_path / "work", limits)
    except pipeline.MediaRejected as refusal:
        assert "more memory to decode than the server allows (150 MB)" in refusal.message
    else:
        raise AssertionError("a decoder past its memory limit must refuse the image")
    assert list((tmp_path / "work").glob("*")) == []


def test_a_newer_upload_supersedes_one_still_waiting(base, tmp_path):
    draft = h.make(base, tmp_path, state="draft")
    stale = _running_media_run(draft.id)
    assert not processing.is_current(draft.id, "another-token")
    assert processing.is_current(draft.id, stale.payload["token"])
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(buffer, "PNG")
    upload = h.upload(tmp_path, buffer.getvalue(), "red.png")
    services.save(base.users["employee"], h.data(base), [upload], current_app.config, incoming_dir(), submission=draft)
    assert processing.latest_run(draft.id).state == jobs.JobState.DONE
