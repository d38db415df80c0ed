"""The production layout from the README: Debian's nginx buffering requests in front of gunicorn,
media sent by nginx (X-Accel-Redirect) after the app's permission check."""

from __future__ import annotations

import os
import shutil

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.submissions.models import Submission
from tests import factories
from tests import media_fixtures as fx
from tests import server_fixtures as srv
from tests.pgcluster import _free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@pytest.fixture()
def layout(app, base, tmp_path):
    """(nginx port, gunicorn port): gunicorn with MEDIA_X_ACCEL_PREFIX, nginx from deploy/nginx.conf."""
    env = srv.app_env(app.config, MEDIA_X_ACCEL_PREFIX="/_protected_media")
    with srv.gunicorn(env, log=tmp_path / "gunicorn.log") as app_port:
        port, run = _free_port(), tmp_path / "nginx"
        run.mkdir()
        conf = (srv.ROOT / "deploy" / "nginx.conf").read_text()
        for key, value in {"RUN_DIR": run, "APP_PORT": app_port, "PORT": port, "UPLOAD_DIR": app.config["UPLOAD_DIR"]}.items():
            conf = conf.replace(f"@{key}@", str(value))
        if os.geteuid() == 0:
            conf = "user root;\n" + conf  # the test's temp dirs are private to root
        (run / "nginx.conf").write_text(conf)
        command = [NGINX, "-c", str(run / "nginx.conf"), "-e", str(run / "error.log"), "-g", "daemon off;"]
        with srv.process(command, dict(os.environ), port):
            yield port, app_port


def test_upload_and_media_through_nginx(app, base, layout, tmp_path):
    port, app_port = layout
    employee = srv.sign_in(port, base.users["employee"].email, factories.PASSWORD)
    video = fx.video(tmp_path / "clip.webm").read_bytes()
    status, headers = srv.upload(employee, base, "clip.webm", video)
    assert status == 303 and "/submissions/" in headers["Location"]
    db.session.expire_all()
    media = db.session.scalar(select(Submission)).item.media
    stored = (srv.Path(app.config["UPLOAD_DIR"]) / media.storage_name).read_bytes()

    status, headers, body = srv.fetch(port, f"/media/{media.id}", employee)
    assert status == 200 and body == stored and "x-accel-redirect" not in headers
    assert headers["x-content-type-options"] == "nosniff" and headers["content-type"] == "video/webm"
    status, headers, body = srv.fetch(port, f"/media/{media.id}", employee, {"Range": "bytes=0-9"})
    assert status == 206 and body == stored[:10]

    # The app itself only checks and points: no bytes come from gunicorn.
    status, headers, body = srv.fetch(app_port, f"/media/{media.id}", employee)
    assert headers["x-accel-redirect"] == f"/_protected_media/{media.storage_name}" and body == b""
    # Nobody reaches the files around the app's check.
    assert srv.fetch(port, f"/_protected_media/{media.storage_name}")[0] == 404
    status, headers, _ = srv.fetch(port, f"/media/{media.id}")
    assert status in (302, 303) and "/login" in headers["location"]
    leader = srv.sign_in(port, base.users["leader"].email, factories.PASSWORD)
    assert srv.fetch(port, f"/media/{media.id}", leader)[0] == 404  # pending: not the leader's to see
