"""Account housekeeping commands: `flask --app marketplace accounts purge-sessions`."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

accounts_cli = AppGroup("accounts", help="Accounts and sessions.")


@accounts_cli.command("purge-sessions")
@click.option("--days", default=30, show_default=True, help="Keep rows revoked or expired within this many days.")
def purge_sessions(days: int) -> None:
    """Delete session rows revoked or expired more than DAYS ago (run daily)."""
    from marketplace.accounts import sessions

    click.echo(f"Deleted {sessions.purge(timedelta(days=days))} old session rows.")
