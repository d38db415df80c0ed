"""Uploads stream to disk in chunks, next to the media store, never into memory."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import IO

from flask import Flask, Request, abort, current_app, request
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from marketplace.policy import require
from marketplace.submissions import services
from marketplace.submissions.services import Upload

SLACK_BYTES = 2 * 2**20  # room for the other form fields around the file
UPLOAD_ENDPOINTS = {"submissions.new", "submissions.edit"}


def incoming_dir() -> Path:
    """Where uploads are spooled and cleaned: inside UPLOAD_DIR, so finishing is a rename."""
    path = Path(current_app.config["UPLOAD_DIR"]) / "incoming"
    path.mkdir(parents=True, exist_ok=True)
    return path


class SpoolingRequest(Request):
    """Werkzeug's multipart parser writes each file part, chunk by chunk, to this stream.

    Used as a mixin over whatever request class the app already has (htmx-flask's).
    """

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None) -> IO[bytes]:
        # Deleted when the request closes, so refused and abandoned uploads leave nothing behind.
        spool = tempfile.NamedTemporaryFile(dir=incoming_dir(), prefix="upload-", suffix=".part")  # noqa: SIM115
        self.__dict__.setdefault("_spools", []).append(spool)
        return spool

    def close(self) -> None:
        """Close (so delete) every spool, also one whose part never finished (a full disk, a dropped client)."""
        try:
            super().close()
        finally:
            for spool in self.__dict__.get("_spools", []):
                spool.close()


def refuse_before_reading():
    """Refuse anonymous and unauthorised uploads before anything reads (and spools) the body.

    Runs ahead of CSRF protection, which parses the form and so would write the whole file first.
    """
    if request.method != "POST" or request.endpoint not in UPLOAD_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if request.endpoint == "submissions.new":
        require("submit")
    else:
        submission = services.get(request.view_args["submission_id"]) or abort(404)
        require("view_submission", submission)  # 404 first, so outsiders learn nothing
        require("edit_submission", submission)
    return None


def init_app(app: Flask) -> None:
    """Spool uploads to disk, refuse unauthorised uploads unread, cap bodies at the upload size."""
    if not issubclass(app.request_class, SpoolingRequest):
        app.request_class = type("SpoolingRequest", (SpoolingRequest, app.request_class), {})
    hooks = app.before_request_funcs.setdefault(None, [])
    if refuse_before_reading not in hooks:
        hooks.insert(0, refuse_before_reading)
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["SUBMISSION_MAX_UPLOAD_MB"]) * 2**20 + SLACK_BYTES


def uploads_from(storages: list[FileStorage] | None) -> list[Upload]:
    """The spooled files behind a form's (multiple) file field, in the order sent; empty when none was chosen."""
    chosen = (upload_from(storage) for storage in storages or [])
    return [upload for upload in chosen if upload is not None]


def upload_from(storage: FileStorage | None) -> Upload | None:
    """The spooled file behind one file part, or None when no file was chosen."""
    if storage is None or not isinstance(storage, FileStorage):
        return None
    stream = storage.stream
    name = getattr(stream, "name", None)
    if isinstance(name, str) and Path(name).is_file():
        stream.flush()
        return _chosen(Upload(Path(name), storage.filename))
    # Any other stream (another request class): copy it to disk in chunks.
    spool = tempfile.NamedTemporaryFile(dir=incoming_dir(), prefix="upload-", suffix=".part")  # noqa: SIM115  (lives as long as the request)
    shutil.copyfileobj(stream, spool, 1024 * 1024)
    spool.flush()
    storage.stream = spool  # closed, and so deleted, with the request
    return _chosen(Upload(Path(spool.name), storage.filename))


def _chosen(upload: Upload) -> Upload | None:
    # Browsers send an empty, nameless part when no file was chosen.
    if not upload.name and upload.path.stat().st_size == 0:
        return None
    return upload
