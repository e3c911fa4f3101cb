"""`xinfang risks` and `xinfang campaigns`: list and export the registers from the console.

The console operator holds the instance folder, keys included, so no risk or campaign target is
hidden from them; of each risk they are shown what the visibility rule shows the system actor:
the people involved masked (projections/disclosure.py OPERATOR). An export is recorded in the
access log with the console account that ran it, once the file is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from domain.access import EXPORT_RISK_REGISTER, READ_RISK_REGISTER
from domain.labels import MISSING_DUTY, label, label_of
from domain.values import RiskLevel, RiskStatus
from projections import disclosure
from projections.campaign_report import report_view
from projections.names import Names
from projections.risk_register import RiskQuery
from projections.workbooks import campaign_workbook, risk_workbook
from scripts.audit_commands import console_account
from scripts.cli import cannot_write, echo_table, opened

LEVELS = click.Choice([level.value for level in RiskLevel])
STATUSES = click.Choice([status.value for status in RiskStatus])


def _query(status: str | None, level: str | None, incomplete: bool | None) -> RiskQuery:
    return RiskQuery(
        status=RiskStatus(status) if status else None,
        level=RiskLevel(level) if level else None,
        incomplete=incomplete,
    )


def filters(command: Any) -> Any:
    """The register's filters as options."""
    command = click.option("--status", type=STATUSES, help="open, resolved or converted.")(command)
    command = click.option("--level", type=LEVELS, help="ordinary, serious or grave.")(command)
    return click.option(
        "--incomplete/--complete",
        default=None,
        help="Only risks lacking (or not lacking) a 包案领导, 责任单位 or 具体负责人.",
    )(command)


@click.group()
def risks() -> None:
    """The risk register (隐患排查台账): list it, export it as .xlsx."""


@risks.command("list")
@filters
def list_risks(status: str | None, level: str | None, incomplete: bool | None) -> None:
    """Print the register (people involved masked)."""
    with opened() as services:
        found = services.risks.console(_query(status, level, incomplete))
        account = console_account()
        rows = disclosure.register_rows(
            services.app, disclosure.OPERATOR, found, READ_RISK_REGISTER, operator=account
        )
        echo_table(
            (
                "编号",
                "发现日期",
                "等级",
                "乡镇",
                "事由",
                "包案领导",
                "责任单位",
                "状态",
                "责任落实",
            ),
            [
                (
                    r["number"],
                    r["found_on"],
                    label_of(RiskLevel, r["level"]),
                    r["township_name"],
                    r["subject"],
                    r["leader_name"],
                    r["unit_name"],
                    label_of(RiskStatus, r["status"]),
                    "未落实：" + "、".join(MISSING_DUTY[m] for m in r["missing"])
                    if r["missing"]
                    else "已落实",
                )
                for r in rows
            ],
        )
        click.echo(f"共 {len(rows)} 条")


@risks.command("export")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@filters
def export_risks(out: Path, status: str | None, level: str | None, incomplete: bool | None) -> None:
    """Write the register to OUT (.xlsx, people involved masked); the export is logged."""
    with opened() as services:
        found = services.risks.console(_query(status, level, incomplete))
        names = Names(services.app)
        items = [disclosure.register_row(disclosure.OPERATOR, item, names) for item in found]
        try:
            risk_workbook(items).save(out)
        except OSError as err:
            raise click.ClickException(cannot_write(out, err)) from None
        disclosure.register_rows(
            services.app,
            disclosure.OPERATOR,
            found,
            EXPORT_RISK_REGISTER,
            always=True,
            operator=console_account(),
        )
        click.echo(f"已将 {len(items)} 条风险写入 {out}")


@click.group()
def campaigns() -> None:
    """Campaigns (百日攻坚, 积案化解): list them, export their reports as .xlsx."""


def _reports(services: Any) -> list[dict[str, Any]]:
    names = Names(services.app)
    reports = []
    for campaign in services.campaigns.all(None):
        found, figures, weekly = services.campaigns.report(None, campaign.id)
        reports.append(report_view(found, figures, weekly, names))
    return reports


@campaigns.command("list")
def list_campaigns() -> None:
    """Print every campaign with its progress."""
    with opened() as services:
        reports = _reports(services)
        echo_table(
            ("专项行动", "类型", "开始", "结束", "目标", "已化解", "剩余", "未报送单位"),
            [
                (
                    r["name"],
                    label(r["kind"]),
                    r["first_day"].isoformat(),
                    r["last_day"].isoformat(),
                    r["targets"],
                    r["resolved_total"],
                    r["remaining"],
                    "、".join(r["not_reported_units"]),
                )
                for r in reports
            ],
        )


@campaigns.command("export")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def export_campaigns(out: Path) -> None:
    """Write every campaign's report to OUT (.xlsx: the campaigns, their units)."""
    with opened() as services:
        reports = _reports(services)
        try:
            campaign_workbook(reports).save(out)
        except OSError as err:
            raise click.ClickException(cannot_write(out, err)) from None
        click.echo(f"已将 {len(reports)} 项专项治理写入 {out}")
