"""`xinfang registers`: list the registers of work (meetings, tasks, inspections, 问责) on the
console, or export each as an Excel workbook (--xlsx). The console reads as the all-seeing
reader (the operator holds the instance); the registers show no petitioner's identity."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import click
from openpyxl import Workbook
from openpyxl.styles import Font

from domain import labels
from domain.cases import local_date
from domain.register_values import TaskOrigin, TaskStatus
from projections.bootstrap import Services
from projections.inspection_register import InspectionQuery, InspectionRegister
from projections.meeting_register import SYSTEM_VIEWER, MeetingRegister, TaskQuery
from scripts.cli import echo_table, opened
from scripts.console_zh import Group
from scripts.register_commands import choices


def _registers(services: Services) -> tuple[MeetingRegister, date]:
    services.catch_up()
    register = MeetingRegister(
        services.app, services.views, services.accountability, services.risks
    )
    return register, local_date(services.app.clock())


def _out(title: str, headers: Sequence[str], rows: list[Sequence[Any]], xlsx: Path | None) -> None:
    """Print the rows, or write them as a one-sheet workbook (text stays text)."""
    if xlsx is None:
        echo_table(headers, rows)
        return
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(["" if v is None else v for v in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a text starting with "=" is text, never a formula
    sheet.freeze_panes = "A2"
    book.save(xlsx)
    click.echo(f"{title}：{len(rows)} 行，已写入 {xlsx}")


XLSX = click.option(
    "--xlsx",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="文件",
    help="写成 .xlsx 工作簿。",
)


@click.group(cls=Group)
def registers() -> None:
    """工作台账：联席会议、任务清单、督查、问责（列出，或加 --xlsx 导出）。"""


@registers.command()
@XLSX
def meetings(xlsx: Path | None) -> None:
    """联席会议台账：每次会议，最近的在前。"""
    with opened() as services:
        register, _ = _registers(services)
        rows: list[Sequence[Any]] = [
            (
                m["held_on"].isoformat(),
                m["title"],
                m["chair_name"],
                m["agenda_items"],
                m["decisions"],
            )
            for m in register.meetings()
        ]
    _out("联席会议", ("会议日期", "会议名称", "主持", "议题数", "决定事项数"), rows, xlsx)


TASK_HEADERS = (
    "来源",
    "序号",
    "问题",
    "任务",
    "完成时限",
    "包案领导",
    "责任单位",
    "具体负责人",
    "关联信访事项",
    "状态",
    "期限状态",
    "超期天数",
    "销号日期",
)


@registers.command()
@XLSX
@click.option(
    "--status",
    type=click.Choice([s.value for s in TaskStatus]),
    default=None,
    help=f"只列该状态的任务：{choices(TaskStatus)}。",
)
@click.option(
    "--overdue/--not-overdue", default=None, help="只列已过完成时限仍未办结（或并非如此）的任务。"
)
def tasks(xlsx: Path | None, status: str | None, overdue: bool | None) -> None:
    """任务清单及责任清单：每项任务，按完成时限排列，含其状态和超期天数。"""
    with opened() as services:
        register, today = _registers(services)
        query = TaskQuery(status=TaskStatus(status) if status else None, overdue=overdue)
        rows: list[Sequence[Any]] = [
            (
                labels.label_of(TaskOrigin, t["origin"]),
                t["n"],
                t["problem"],
                t["task"],
                t["due_date"].isoformat(),
                t["leader_name"],
                t["unit_name"],
                t["handler_name"],
                t["case_number"],
                t["status_label"],
                t["level_label"],
                t["days_over"],
                t["closed_on"].isoformat() if t["closed_on"] else "",
            )
            for t in register.tasks(SYSTEM_VIEWER, query, today)
        ]
    _out("任务清单", TASK_HEADERS, rows, xlsx)


@registers.command()
@XLSX
def inspections(xlsx: Path | None) -> None:
    """督查台账：每次督查，最近的月份在前。"""
    with opened() as services:
        register, _ = _registers(services)
        items = InspectionRegister(register).inspections(SYSTEM_VIEWER, InspectionQuery())
        rows: list[Sequence[Any]] = [
            (
                i["month"],
                i["unit_name"],
                i["held_on"].isoformat(),
                i["failed_items"],
                i["findings"],
                i["orders"],
                "是" if i["typical"] else "",
            )
            for i in items
        ]
    headers = ("月份", "被督查单位", "督查日期", "未达标项", "发现问题", "整改要求", "典型案例")
    _out("督查", headers, rows, xlsx)


@registers.command()
@XLSX
def accountability(xlsx: Path | None) -> None:
    """问责台账：每条问责记录，最近的决定在前。"""
    with opened() as services:
        register, _ = _registers(services)
        rows: list[Sequence[Any]] = [
            (
                r["decided_on"].isoformat(),
                r["unit_name"],
                r["person_name"],
                r["decision_label"],
                r["decided_by"],
                r["basis"],
            )
            for r in InspectionRegister(register).accountability_records()
        ]
    _out("问责", ("决定日期", "单位", "人员", "决定", "决定机关", "依据数"), rows, xlsx)
