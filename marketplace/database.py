"""Engine set-up: SQLite pragmas for the embedded default, plain settings elsewhere."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from marketplace.extensions import db


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def set_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
        cursor = dbapi_connection.cursor()
        # WAL lets readers and the single writer work at once across gunicorn workers.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def init_app(app: Flask) -> None:
    """Bind Flask-SQLAlchemy and apply backend-specific connection settings."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 5}})
    else:
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    db.init_app(app)
    if uri.startswith("sqlite"):
        with app.app_context():
            _configure_sqlite(db.engine)


def database_status() -> str:
    """Return "ok" when a trivial query succeeds, else a short error name."""
    from sqlalchemy import text

    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as error:  # noqa: BLE001 - reported, not raised: this is a health probe
        db.session.rollback()
        return f"error: {type(error).__name__}"
