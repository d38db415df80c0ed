"""The media storage interface on both backends: a local directory and S3 (moto's server on loopback)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.media.storage import LocalStorage, S3Storage, storage
from marketplace.submissions.models import Submission
from tests import factories
from tests import media_fixtures as fx
from tests.conftest import clear_data, make_app
from tests.pgcluster import _free_port
from tests.server_fixtures import wait_for_port
from tests.test_submissions_routes import post_form

BUCKET = "marketplace-media"
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory):
    """moto's S3-compatible server on a free loopback port, with one bucket."""
    saved = {key: os.environ.get(key) for key in AWS_ENV}
    os.environ.update(AWS_ENV)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, 60, server)
        endpoint = f"http://127.0.0.1:{port}"
        import boto3

        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.terminate()
        server.wait(10)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "media")
    endpoint = request.getfixturevalue("s3_endpoint")
    return S3Storage(BUCKET, prefix=f"t-{tmp_path.name}", endpoint_url=endpoint)


def test_store_read_and_delete_on_both_backends(store, tmp_path):
    store.save_bytes(b"poster bytes", "a.jpg")
    assert store.exists("a.jpg") and not store.exists("b.jpg")
    kept = tmp_path / "upload.part"
    kept.write_bytes(b"raw upload")
    store.save_file(kept, "pending/raw.mp4", move=False)
    assert kept.exists()  # the request's spool file is still the request's to delete
    moved = tmp_path / "out.mp4"
    moved.write_bytes(b"finished video")
    store.save_file(moved, "v.mp4")
    assert not moved.exists()
    with store.local_copy("pending/raw.mp4", tmp_path / "work") as local:
        assert Path(local).read_bytes() == b"raw upload"
    with store.local_copy("v.mp4", tmp_path / "work") as local:
        assert Path(local).read_bytes() == b"finished video"
    assert not any((tmp_path / "work").glob("fetched-*"))  # downloaded copies are removed after use
    store.delete("v.mp4")
    store.delete("v.mp4")  # twice is fine
    assert not store.exists("v.mp4")
    with pytest.raises(FileNotFoundError if isinstance(store, LocalStorage) else Exception), \
            store.local_copy("v.mp4", tmp_path / "work"):
        pass


@pytest.fixture()
def s3_app(database_url, tmp_path_factory, s3_endpoint) -> Flask:
    return make_app(database_url, tmp_path_factory, MEDIA_STORAGE="s3", MEDIA_S3_BUCKET=BUCKET,
                    MEDIA_S3_ENDPOINT_URL=s3_endpoint, MEDIA_S3_PREFIX="app")


def test_uploads_and_playback_through_s3(s3_app, tmp_path):
    with s3_app.app_context():
        clear_data()
        base = factories.build_base()
        client = s3_app.test_client()
        assert client.login(base.users["employee"].email).status_code == 303
        video = fx.video(tmp_path / "clip.webm").read_bytes()
        assert post_form(client, base, (video, "clip.webm")).status_code == 303
        submission = db.session.scalar(select(Submission))
        media = submission.item.media
        assert media.kind == "video" and isinstance(storage(), S3Storage) and storage().exists(media.storage_name)
        local_files = [p for p in Path(s3_app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()]
        assert local_files == []  # nothing of it stays on this machine's disk
        whole = client.get(f"/media/{media.id}")
        assert whole.status_code == 200 and whole.headers["Content-Type"] == "video/webm"
        assert whole.headers["X-Content-Type-Options"] == "nosniff" and len(whole.data) == media.size_bytes
        part = client.get(f"/media/{media.id}", headers={"Range": "bytes=0-99"})
        assert part.status_code == 206 and part.data == whole.data[:100]
        assert part.headers["Content-Range"] == f"bytes 0-99/{media.size_bytes}"
        poster = client.get(f"/media/{submission.item.poster_id}")
        assert poster.status_code == 200 and poster.data[:3] == b"\xff\xd8\xff"
        outsider = s3_app.test_client()
        outsider.login(base.users["leader"].email)
        assert outsider.get(f"/media/{media.id}").status_code == 404  # pending: the permission check comes first
        db.session.rollback()
