"""The demo, migrated, seeded and indexed once per test session; every server on the demo gets a copy.

A server's home is its SQLite database (app.db), media (uploads/) and search index (index/): what
`flask db upgrade`, `flask seed --demo` and `flask search reindex` leave behind. Building it takes
four app starts and the seed; copying it takes milliseconds, so each server still starts on its own
fresh demo, as before.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from marketplace.extensions import db
from marketplace.search import admin
from marketplace.seed import load_demo

DATABASE = "app.db"


def build(home: Path, tmp_path_factory) -> Path:
    """Migrate, seed and index the demo into `home` (in this process: the app is imported already)."""
    from tests.conftest import make_app

    app = make_app(f"sqlite:///{home / DATABASE}", tmp_path_factory, SEED_DEMO=True, INSTANCE_DIR=str(home),
                   UPLOAD_DIR=str(home / "uploads"), SEARCH_INDEX_DIR=str(home / "index"))
    with app.app_context():
        load_demo()
        admin.rebuild()
        db.session.remove()
        db.engine.dispose()  # nothing holds the file open when it is copied
    return home


def copy_to(source: Path, home: Path) -> Path:
    """A fresh copy of the demo home at `home` (which may exist, empty); returns its database file."""
    shutil.copytree(source, home, dirs_exist_ok=True)
    return home / DATABASE


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory) -> Path:
    """The pristine demo home: copy it (copy_to), never serve it."""
    return build(tmp_path_factory.mktemp("demo-home"), tmp_path_factory)
