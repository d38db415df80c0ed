"""`flask freshness remind`: the scheduled freshness job (hand over orphaned items, send reminders)."""

from __future__ import annotations

from datetime import date

import click
from flask import Blueprint, current_app


def register(bp: Blueprint) -> None:
    """Attach the freshness commands to the lifecycle blueprint's `freshness` CLI group."""

    @bp.cli.command("remind")
    @click.option("--on", "on", default=None, help="Pretend today is this date (YYYY-MM-DD); for catching up.")
    def remind(on: str | None) -> None:
        """Send due review reminders and hand items of deactivated owners to their champions (idempotent)."""
        from marketplace.lifecycle import services

        day = date.fromisoformat(on) if on else None
        moved, sent = services.run_freshness(day, int(current_app.config.get("FRESHNESS_REMIND_DAYS", 14)))
        click.echo(f"Freshness: {sent} reminder{'s' if sent != 1 else ''} sent, {moved} item{'s' if moved != 1 else ''} handed over.")
