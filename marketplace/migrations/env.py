"""Alembic environment: runs inside the Flask app so it uses the app's database URL."""

from __future__ import annotations

from alembic import context
from flask import current_app

from marketplace import models  # noqa: F401 - registers every table on the metadata
from marketplace.extensions import db

config = context.config
target_metadata = db.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=current_app.config["SQLALCHEMY_DATABASE_URI"],
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    with db.engine.connect() as connection:
        # Batch mode lets ALTER TABLE migrations work on SQLite as well as PostgreSQL.
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
