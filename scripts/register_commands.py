"""`xinfang risks` and `xinfang campaigns`: list and export the registers from the console.

The console operator holds the instance folder, keys included, so no risk or campaign target is
hidden from them; of each risk they are shown what the visibility rule shows the system actor:
the people involved masked (projections/disclosure.py OPERATOR). An export is recorded in the
access log with the console account that ran it, once the file is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
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
from scripts.console_zh import Group

LEVELS = click.Choice([level.value for level in RiskLevel])
STATUSES = click.Choice([status.value for status in RiskStatus])


def choices(codes: Iterable[Enum]) -> str:
    """The codes an option takes, each with its Chinese name: "open（化解中）、..."."""
    return "、".join(f"{code.value}（{label(code)}）" for code in codes)


def _query(status: str | None, level: str | None, incomplete: bool | None) -> RiskQuery:
    return RiskQuery(
        status=RiskStatus(status) if status else None,
        level=RiskLevel(level) if level else None,
        incomplete=incomplete,
    )


def filters(command: Any) -> Any:
    """The register's filters as options."""
    command = click.option(
        "--status",
        type=STATUSES,
        help=f"只列该状态的风险：{choices(RiskStatus)}。",
    )(command)
    command = click.option(
        "--level", type=LEVELS, help=f"只列该等级的风险：{choices(RiskLevel)}。"
    )(command)
    return click.option(
        "--incomplete/--complete",
        default=None,
        help="只列缺（或不缺）包案领导、责任单位或具体负责人的风险。",
    )(command)


@click.group(cls=Group)
def risks() -> None:
    """矛盾风险台账（隐患排查台账）：列出，或导出为 .xlsx。"""


@risks.command("list")
@filters
def list_risks(status: str | None, level: str | None, incomplete: bool | None) -> None:
    """打印台账（涉及人员信息遮蔽）。"""
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
@click.argument("out", metavar="文件", type=click.Path(dir_okay=False, path_type=Path))
@filters
def export_risks(out: Path, status: str | None, level: str | None, incomplete: bool | None) -> None:
    """把台账写入文件（.xlsx，涉及人员信息遮蔽）；导出记入访问日志。"""
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


@click.group(cls=Group)
def campaigns() -> None:
    """专项治理（百日攻坚、积案化解）：列出，或把其报表导出为 .xlsx。"""


def _reports(services: Any) -> list[dict[str, Any]]:
    names = Names(services.app)
    reports = []
    for campaign in services.campaigns.all(None):
        found, figures, weekly = services.campaigns.report(None, campaign.id)
        reports.append(report_view(found, figures, weekly, names))
    return reports


@campaigns.command("list")
def list_campaigns() -> None:
    """打印每项专项治理及其进度。"""
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
@click.argument("out", metavar="文件", type=click.Path(dir_okay=False, path_type=Path))
def export_campaigns(out: Path) -> None:
    """把每项专项治理的报表写入文件（.xlsx：各项专项治理及其各单位）。"""
    with opened() as services:
        reports = _reports(services)
        try:
            campaign_workbook(reports).save(out)
        except OSError as err:
            raise click.ClickException(cannot_write(out, err)) from None
        click.echo(f"已将 {len(reports)} 项专项治理写入 {out}")
