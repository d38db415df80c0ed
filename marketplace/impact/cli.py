"""`flask impact refresh`: roll up new learning events and refresh the scorecards now."""

from __future__ import annotations

import click
from flask.cli import AppGroup

impact_cli = AppGroup("impact", help="Impact rollups and scorecards.")


@impact_cli.command("refresh")
def refresh_command() -> None:
    """Apply new learning events to the rollups; refresh scorecard rows and network snapshots."""
    from marketplace.impact.tasks import refresh_everything

    click.echo(f"Learning events rolled up: {refresh_everything()}.")
