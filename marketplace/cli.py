"""Command-line tools: `flask --app marketplace db upgrade`, `seed`, `create-user`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

db_cli = AppGroup("db", help="Database migrations.")


@db_cli.command("upgrade")
@click.argument("revision", default="heads")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: every head)."""
    from marketplace import migrate

    migrate.upgrade(revision)
    click.echo(f"Database migrated to {revision}.")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION."""
    from marketplace import migrate

    migrate.downgrade(revision)


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Autogenerate a migration from model changes."""
    from marketplace import migrate

    migrate.revision(message)


@click.command("seed")
@click.option("--demo/--no-demo", default=None, help="Load the demo content (default: SEED_DEMO).")
def seed_command(demo: bool | None) -> None:
    """Load the demo seed; idempotent, safe to run again."""
    from flask import current_app

    from marketplace import seed

    wanted = current_app.config["SEED_DEMO"] if demo is None else demo
    if not wanted:
        click.echo("Demo seed skipped (set SEED_DEMO=1 or pass --demo).")
        return
    report = seed.load_demo()
    click.echo(f"Demo seed: {report}")


@click.command("demo-logins")
def demo_logins_command() -> None:
    """Print the demo accounts."""
    from marketplace import seed

    click.echo(seed.demo_logins_text())


def init_app(app: Flask) -> None:
    """Register the command groups."""
    app.cli.add_command(db_cli)
    app.cli.add_command(seed_command)
    app.cli.add_command(demo_logins_command)
