"""`flask followups send-due`: send the follow-ups that are due (also run hourly by the job worker)."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

followups_cli = AppGroup("followups", help="The 30-day follow-ups.")


@followups_cli.command("send-due")
@click.option("--on", "on", default=None, help="Pretend today is this date (YYYY-MM-DD).")
def send_due_command(on: str | None) -> None:
    """Send every follow-up due by today; safe to run again."""
    from marketplace.followups.services import send_due

    sent = send_due(date.fromisoformat(on) if on else None)
    click.echo(f"Follow-ups sent: {sent}.")
