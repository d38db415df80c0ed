"""Where media bytes live: a local directory (a shared mount works) or an S3-compatible bucket.

Everything that stores, reads, serves or deletes media goes through `storage()`, so several
app machines see the same files. Names are flat, server-generated keys ("3f9c….mp4"); raw
uploads waiting for the media job live under "pending/".
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from flask import Response, current_app, request, send_file
from werkzeug.exceptions import NotFound, RequestedRangeNotSatisfiable

CHUNK = 1024 * 1024


class Storage(Protocol):
    """What media code needs from a store of files."""

    def save_file(self, source: Path, name: str, move: bool = True) -> None:
        """Store a local file under `name`; with move=True the source is consumed (moved or removed)."""

    def save_bytes(self, data: bytes, name: str) -> None:
        """Store bytes under `name`."""

    def exists(self, name: str) -> bool:
        """True when `name` is stored."""

    def delete(self, name: str) -> None:
        """Remove `name`; missing names are fine."""

    def local_copy(self, name: str, workdir: Path) -> contextlib.AbstractContextManager[Path]:
        """A local path holding `name`'s bytes while the block runs (for ffmpeg, Pillow...)."""

    def response(self, name: str, content_type: str) -> Response:
        """An HTTP response sending `name` (with Range support) once the caller has checked access."""


def _write_whole(target: Path, write) -> None:  # noqa: ANN001 - write(partial_path)
    """Write beside `target` and rename into place; a failed write (a full disk) leaves no partial file."""
    partial = target.with_name(f".{target.name}.part")
    try:
        write(partial)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


class LocalStorage:
    """A directory: the default, and what several machines share over NFS or similar."""

    def __init__(self, root: Path, accel_prefix: str = "") -> None:
        self.root = Path(root)
        self.accel_prefix = accel_prefix.rstrip("/")

    def path(self, name: str) -> Path:
        """The file behind `name` (names never contain '..': they are generated here)."""
        if ".." in name or name.startswith("/"):
            raise ValueError(f"bad storage name {name!r}")
        return self.root / name

    def save_file(self, source: Path, name: str, move: bool = True) -> None:
        target = self.path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            # Same file system: a rename (or a second link, keeping the source), never read into memory.
            os.replace(source, target) if move else os.link(source, target)
        except OSError:
            # Another file system (a mount): copy beside the target, then rename, so readers never see half a file.
            _write_whole(target, lambda partial: shutil.copyfile(source, partial))
            if move:
                Path(source).unlink(missing_ok=True)

    def save_bytes(self, data: bytes, name: str) -> None:
        target = self.path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_whole(target, lambda partial: partial.write_bytes(data))

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def delete(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)

    @contextlib.contextmanager
    def local_copy(self, name: str, workdir: Path) -> Iterator[Path]:
        path = self.path(name)
        if not path.is_file():
            raise FileNotFoundError(name)
        yield path

    def response(self, name: str, content_type: str) -> Response:
        path = self.path(name)
        if not path.is_file():
            raise NotFound()
        if self.accel_prefix:
            # The reverse proxy (nginx) sends the bytes; the app has already checked access.
            response = Response(status=200, content_type=content_type)
            response.headers["X-Accel-Redirect"] = f"{self.accel_prefix}/{name}"
            return response
        # conditional=True gives ETag, Last-Modified and HTTP Range, so videos can seek.
        return send_file(path, mimetype=content_type, conditional=True, max_age=3600)


class S3Storage:
    """An S3-compatible bucket through boto3 (AWS, MinIO, Ceph; moto's server in the tests)."""

    def __init__(self, bucket: str, prefix: str = "", **client_options) -> None:
        import boto3

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = boto3.client("s3", **{k: v for k, v in client_options.items() if v})

    def key(self, name: str) -> str:
        """The object key for `name`."""
        return self.prefix + name

    def save_file(self, source: Path, name: str, move: bool = True) -> None:
        self.client.upload_file(str(source), self.bucket, self.key(name))  # multipart for big files
        if move:
            Path(source).unlink(missing_ok=True)

    def save_bytes(self, data: bytes, name: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.key(name), Body=data)

    def exists(self, name: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(name))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(name))

    @contextlib.contextmanager
    def local_copy(self, name: str, workdir: Path) -> Iterator[Path]:
        workdir.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=workdir, prefix="fetched-", suffix=Path(name).suffix)
        os.close(handle)
        try:
            self.client.download_file(self.bucket, self.key(name), temp)
            yield Path(temp)
        finally:
            Path(temp).unlink(missing_ok=True)

    def response(self, name: str, content_type: str) -> Response:
        from botocore.exceptions import ClientError

        options = {"Bucket": self.bucket, "Key": self.key(name)}
        if request.headers.get("Range"):
            options["Range"] = request.headers["Range"]  # videos seek: pass the byte range through
        try:
            found = self.client.get_object(**options)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == "InvalidRange":
                raise RequestedRangeNotSatisfiable() from None
            if code in {"404", "NoSuchKey", "NotFound"}:
                raise NotFound() from None
            raise
        body = found["Body"]
        response = Response(body.iter_chunks(CHUNK), status=206 if found.get("ContentRange") else 200,
                            content_type=content_type, direct_passthrough=True)
        response.headers["Content-Length"] = str(found["ContentLength"])
        response.headers["Accept-Ranges"] = "bytes"
        if found.get("ContentRange"):
            response.headers["Content-Range"] = found["ContentRange"]
        if found.get("ETag"):
            response.headers["ETag"] = found["ETag"]
        response.call_on_close(body.close)
        return response


def build(config) -> Storage:
    """The storage the configuration asks for (MEDIA_STORAGE=local or s3)."""
    kind = (config.get("MEDIA_STORAGE") or "local").lower()
    if kind == "s3":
        if not config.get("MEDIA_S3_BUCKET"):
            raise RuntimeError("MEDIA_STORAGE=s3 needs MEDIA_S3_BUCKET (and usually MEDIA_S3_ENDPOINT_URL).")
        return S3Storage(
            config["MEDIA_S3_BUCKET"], config.get("MEDIA_S3_PREFIX", ""),
            endpoint_url=config.get("MEDIA_S3_ENDPOINT_URL") or None,
            region_name=config.get("MEDIA_S3_REGION") or None,
        )
    if kind != "local":
        raise RuntimeError(f"MEDIA_STORAGE must be local or s3, not {kind!r}.")
    return LocalStorage(Path(config["UPLOAD_DIR"]), config.get("MEDIA_X_ACCEL_PREFIX", ""))


def storage() -> Storage:
    """The current app's media storage, built from its configuration on first use."""
    found = current_app.extensions.get("media_storage")
    if found is None:
        found = current_app.extensions["media_storage"] = build(current_app.config)
    return found
