"""Backup and restore drill: back up a running instance, restore onto a fresh one, check items, media and search."""

from __future__ import annotations

import tarfile
import uuid

import psycopg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from marketplace.catalog.models import Item, MediaFile
from marketplace.extensions import db
from marketplace.media.services import path_for
from tests import factories
from tests.conftest import make_app


def _fresh_database_url(database_url: str, tmp_path) -> str:
    """An empty database of the same backend as the suite's."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.db'}"
    name = f"restored_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(host=url.query["host"], port=int(url.query["port"]), user=url.username,
                         dbname="postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


def _item_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Item))


def test_backup_then_restore_onto_a_fresh_instance(app, base, tmp_path, database_url, tmp_path_factory):
    # Committed just before the backup: on SQLite it is still in the WAL, which a file copy would miss.
    factories.item("quokka-field-guide", "apply", title="Quokka field guide", kpis=[base.kpi])
    db.session.commit()
    media = base.quick_learn.images[0].media
    original_bytes, storage_name, items = path_for(media).read_bytes(), media.storage_name, _item_count()

    made = app.test_cli_runner().invoke(args=["backup", "create", "--to", str(tmp_path / "backups")])
    assert made.exit_code == 0, made.output
    [archive] = (tmp_path / "backups").glob("marketplace-backup-*.tar")
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "manifest.json" in names and f"media/{storage_name}" in names
    assert not any(name.startswith("media/incoming") or "index" in name for name in names)  # no spool, no index

    fresh = make_app(_fresh_database_url(database_url, tmp_path), tmp_path_factory)
    with fresh.app_context():
        factories.item("only-on-the-fresh-instance", "new")
        db.session.commit()
    with fresh.app_context():  # the CLI runs in the current app context: make it the fresh instance's
        restored = fresh.test_cli_runner().invoke(args=["backup", "restore", str(archive), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "search index rebuilt" in restored.output

    with fresh.app_context():
        assert _item_count() == items
        assert db.session.scalar(select(Item).where(Item.slug == "quokka-field-guide")) is not None
        assert db.session.scalar(select(Item).where(Item.slug == "only-on-the-fresh-instance")) is None
        copy = db.session.scalar(select(MediaFile).where(MediaFile.storage_name == storage_name))
        assert path_for(copy).read_bytes() == original_bytes
        media_id = copy.id
    client = fresh.test_client()
    assert client.login(base.users["employee"].email).status_code == 303
    found = client.get("/search?q=quokka")
    assert found.status_code == 200 and 'href="/items/quokka-field-guide"' in found.get_data(as_text=True)
    served = client.get(f"/media/{media_id}")
    assert served.status_code == 200 and served.data == original_bytes


def test_restore_refuses_a_missing_archive(app, base, tmp_path):
    result = app.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "nope.tar"), "--yes"])
    assert result.exit_code != 0 and "nope.tar" in result.output
