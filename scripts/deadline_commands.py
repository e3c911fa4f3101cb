"""`xinfang deadlines refresh`: correct provisional deadlines after a calendar update."""

from __future__ import annotations

from importlib.metadata import version

import click

from domain.directory import SYSTEM_ACTOR
from scripts.cli import opened


@click.group()
def deadlines() -> None:
    """Deadlines computed on the official holiday calendar."""


@deadlines.command("refresh")
def refresh() -> None:
    """Record a correction for each provisional deadline whose date the calendar now changes."""
    calendar = version("chinesecalendar")
    with opened() as services:
        corrected = services.app.refresh_deadlines(
            SYSTEM_ACTOR, reason=f"holiday calendar chinesecalendar {calendar}"
        )
    for number in corrected:
        click.echo(f"已更正 {number}")
    click.echo(f"共更正 {len(corrected)} 件事项的暂定期限")
