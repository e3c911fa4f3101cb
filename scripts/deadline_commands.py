"""`xinfang deadlines refresh`: correct provisional deadlines after a calendar update."""

from __future__ import annotations

from importlib.metadata import version

import click

from domain.directory import SYSTEM_ACTOR
from scripts.cli import opened
from scripts.console_zh import Group


@click.group(cls=Group)
def deadlines() -> None:
    """按国家法定节假日安排计算的期限。"""


@deadlines.command("refresh")
def refresh() -> None:
    """节假日安排更新后，为日期因此改变的每个暂定期限记录一次更正。"""
    calendar = version("chinesecalendar")
    with opened() as services:
        corrected = services.app.refresh_deadlines(
            SYSTEM_ACTOR, reason=f"holiday calendar chinesecalendar {calendar}"
        )
    for number in corrected:
        click.echo(f"已更正 {number}")
    click.echo(f"共更正 {len(corrected)} 件事项的暂定期限")
