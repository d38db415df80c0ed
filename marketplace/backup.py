"""Backup and restore: the database (SQLite's online backup API, or pg_dump/pg_restore) plus media.

A backup is one tar file: manifest.json, the database (database.sqlite3 or database.pgdump) and
media/ (UPLOAD_DIR without the upload spool). The search index is derived data: restore rebuilds it.
The database is copied first and media second; stored media are only ever added or removed, never
changed in place, so every file the copied database refers to is in the archive.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.engine import URL, make_url

from marketplace.extensions import db

FORMAT = 1
SKIP_MEDIA = {"incoming"}  # the upload spool: half-received files, never worth restoring


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message says why and what to do."""


def _url() -> URL:
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _backend(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return "sqlite"
    if url.get_backend_name() == "postgresql":
        return "postgresql"
    raise BackupError(f"Backups support SQLite and PostgreSQL, not {url.get_backend_name()}.")


def _pg_tool(name: str) -> str:
    # The newest installed client, so it can dump any server version we run against.
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True) or [shutil.which(name)]
    if not found[0]:
        raise BackupError(f"{name} is missing: install PostgreSQL's client tools (apt-get install postgresql-client).")
    return found[0]


def _pg_args(url: URL) -> tuple[list[str], dict[str, str]]:
    """libpq command-line options and environment for a SQLAlchemy PostgreSQL URL."""
    args = ["--dbname", url.database or "postgres", "--no-password"]
    host = url.query.get("host") or url.host
    if host:
        args += ["--host", host if isinstance(host, str) else host[0]]
    port = url.query.get("port") or url.port
    if port:
        args += ["--port", str(port if not isinstance(port, tuple) else port[0])]
    if url.username:
        args += ["--username", url.username]
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    return args, env


def _counts() -> dict[str, int]:
    from marketplace.catalog.models import Item, MediaFile

    return {name: db.session.scalar(select(func.count()).select_from(model)) or 0
            for name, model in (("items", Item), ("media_files", MediaFile))}


def create(target_dir: Path) -> Path:
    """Write a backup archive into `target_dir`; returns its path."""
    url = _url()
    backend = _backend(url)
    target_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    final = target_dir / f"marketplace-backup-{stamp}.tar"
    with tempfile.TemporaryDirectory(prefix="backup-", dir=target_dir) as work:
        work_dir = Path(work)
        database = work_dir / ("database.sqlite3" if backend == "sqlite" else "database.pgdump")
        _dump_sqlite(url, database) if backend == "sqlite" else _dump_postgres(url, database)
        manifest = {"format": FORMAT, "created_at": datetime.now(UTC).isoformat(), "backend": backend,
                    "database": database.name, "counts": _counts(), "media_files": 0}
        partial = target_dir / f".{final.name}.partial"
        with tarfile.open(partial, "w") as archive:
            archive.add(database, arcname=database.name)
            manifest["media_files"] = _add_media(archive, Path(current_app.config["UPLOAD_DIR"]))
            _add_json(archive, "manifest.json", manifest, work_dir)
        partial.replace(final)  # a backup either exists whole or not at all
    return final


def _dump_sqlite(url: URL, destination: Path) -> None:
    # The online backup API copies a consistent snapshot, including commits still in the WAL.
    source = sqlite3.connect(url.database)
    target = sqlite3.connect(destination)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _dump_postgres(url: URL, destination: Path) -> None:
    args, env = _pg_args(url)
    done = subprocess.run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(destination), *args],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()[-500:]}")


def _add_media(archive: tarfile.TarFile, root: Path) -> int:
    count = 0
    if not root.exists():
        return 0
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[0] in SKIP_MEDIA or not path.is_file():
            continue
        archive.add(path, arcname=f"media/{relative.as_posix()}")
        count += 1
    return count


def _add_json(archive: tarfile.TarFile, name: str, data: dict, work_dir: Path) -> None:
    path = work_dir / name
    path.write_text(json.dumps(data, indent=2))
    archive.add(path, arcname=name)


def restore(archive_path: Path, rebuild_index: bool = True) -> dict:
    """Restore a backup into the configured database and UPLOAD_DIR, migrate, rebuild the index."""
    url = _url()
    backend = _backend(url)
    if not archive_path.is_file():
        raise BackupError(f"No backup at {archive_path}.")
    with tempfile.TemporaryDirectory(prefix="restore-") as work, tarfile.open(archive_path) as archive:
        work_dir = Path(work)
        archive.extractall(work_dir, filter="data")  # the data filter refuses absolute paths and links out
        manifest = json.loads((work_dir / "manifest.json").read_text())
        if manifest.get("backend") != backend:
            raise BackupError(f"This is a {manifest.get('backend')} backup; the configured database is {backend}.")
        db.session.remove()
        db.engine.dispose()  # no pooled connection may hold the old database open
        database = work_dir / manifest["database"]
        _load_sqlite(database, url) if backend == "sqlite" else _load_postgres(database, url)
        _restore_media(work_dir / "media", Path(current_app.config["UPLOAD_DIR"]))
    from marketplace import migrate

    migrate.upgrade()  # a backup from an older release gets this release's schema
    if rebuild_index:
        from marketplace.search import admin

        admin.rebuild()
    return {"manifest": manifest, "counts": _counts()}


def _load_sqlite(source_file: Path, url: URL) -> None:
    # Restore is offline (app servers stopped): swap in a whole new file and drop the old WAL, so no
    # page or log frame of the replaced database can come back.
    live = Path(url.database)
    live.parent.mkdir(parents=True, exist_ok=True)
    staged = live.with_name(f".{live.name}.restoring")
    staged.unlink(missing_ok=True)
    source, target = sqlite3.connect(source_file), sqlite3.connect(staged)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
        source.close()
    for leftover in (live.with_name(live.name + "-wal"), live.with_name(live.name + "-shm")):
        leftover.unlink(missing_ok=True)
    os.replace(staged, live)


def _load_postgres(dump: Path, url: URL) -> None:
    args, env = _pg_args(url)
    done = subprocess.run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                           "--exit-on-error", *args, str(dump)], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()[-500:]}")


def _restore_media(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    if not source.exists():
        return
    for path in source.rglob("*"):
        if path.is_file():
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
