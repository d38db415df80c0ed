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


backup_cli = AppGroup("backup", help="Back up and restore the database and media.")


@backup_cli.command("create")
@click.option("--to", "target", default="backups", show_default=True, type=click.Path(file_okay=False),
              help="Directory for the backup archive.")
def backup_create(target: str) -> None:
    """Write one archive: the database (online, consistent) and the media files."""
    from pathlib import Path

    from marketplace import backup

    try:
        path = backup.create(Path(target))
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backup written: {path}")


@backup_cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database and media.")
def backup_restore(archive: str, yes: bool) -> None:
    """Replace the database and media with a backup, migrate, and rebuild the search index."""
    from pathlib import Path

    from marketplace import backup

    if not yes:
        click.confirm("This replaces the configured database and adds the backup's media. Continue?", abort=True)
    try:
        result = backup.restore(Path(archive))
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    counts = result["counts"]
    click.echo(f"Restored {counts['items']} items and {counts['media_files']} media files; search index rebuilt.")


def init_app(app: Flask) -> None:
    """Register the command groups."""
    app.cli.add_command(db_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(seed_command)
    app.cli.add_command(demo_logins_command)
