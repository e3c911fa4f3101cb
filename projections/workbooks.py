"""Excel workbooks (.xlsx) as county offices keep them, for the API and the console alike.

`write_sheet` fills a sheet (Chinese headers, frozen header row); the registers' workbooks (the
risk register, a campaign's report) are built here once, so the download and `xinfang risks
export` write the same columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from domain.labels import MISSING_DUTY, label_of, percent_text
from domain.values import RiskKind, RiskLevel, RiskSource, RiskStatus

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def write_sheet(
    sheet: Worksheet, headers: Sequence[tuple[str, int]], rows: Sequence[Sequence[Any]]
) -> None:
    """Fill a sheet: bold frozen header row, given widths, every text stored as text."""
    for column, (title, width) in enumerate(headers, start=1):
        cell = sheet.cell(row=1, column=column, value=title)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        sheet.column_dimensions[get_column_letter(column)].width = width
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            target: Any = sheet.cell(row=r, column=c)
            if isinstance(value, str):
                # Control characters that XML cannot carry would make the whole export fail.
                target.value = ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", value)
                # A petitioner's text that starts with "=" is text, never a formula.
                target.data_type = "s"
            else:
                target.value = value
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions


# -- the risk register -------------------------------------------------------------------------
RISK_HEADERS = (
    ("隐患编号", 16),
    ("发现日期", 12),
    ("隐患类型", 12),
    ("来源", 12),
    ("风险等级", 8),
    ("乡镇", 14),
    ("村（社区）", 14),
    ("涉及人员", 18),
    ("事由", 36),
    ("包案领导", 10),
    ("责任单位", 16),
    ("具体负责人", 10),
    ("责任落实", 20),
    ("化解措施（次）", 10),
    ("状态", 12),
    ("销号日期", 12),
    ("销号审批人", 10),
    ("转信访事项编号", 17),
)


def risk_cells(item: dict[str, Any]) -> list[Any]:
    """One register row (as projections.disclosure.register_row shows it) as Excel columns."""
    missing = "、".join(MISSING_DUTY[m] for m in item["missing"])
    return [
        item["number"],
        item["found_on"],
        label_of(RiskKind, item["kind"]),
        label_of(RiskSource, item["source"]),
        label_of(RiskLevel, item["level"]),
        item["township_name"] or "",
        item["village"] or "",
        "、".join(p["name"] for p in item["people"]),
        item["subject"],
        item["leader_name"] or "",
        item["unit_name"] or "",
        item["handler_name"] or "",
        f"未落实：{missing}" if missing else "已落实",
        item["steps"],
        label_of(RiskStatus, item["status"]),
        item["resolved_on"] or "",
        item["approved_by"] or "",
        item["case_number"] or "",
    ]


def risk_workbook(items: Sequence[dict[str, Any]]) -> Workbook:
    """The risk register as a workbook."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "隐患排查台账"
    write_sheet(sheet, RISK_HEADERS, [risk_cells(i) for i in items])
    return workbook


# -- campaigns ---------------------------------------------------------------------------------
CAMPAIGN_HEADERS = (
    ("专项行动", 28),
    ("类型", 10),
    ("开始日期", 12),
    ("结束日期", 12),
    ("目标总数", 10),
    ("已化解", 10),
    ("未化解", 10),
    ("化解率", 10),
    ("未报送单位", 30),
)
UNIT_HEADERS = (
    ("专项行动", 28),
    ("责任单位", 18),
    ("期内化解", 10),
    ("剩余", 8),
    ("本期未报送", 40),
)


def campaign_workbook(reports: Sequence[dict[str, Any]]) -> Workbook:
    """Campaigns' final reports (projections.campaign_report.report_view): a sheet of the
    campaigns, a sheet of their units."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "专项行动"
    write_sheet(
        sheet,
        CAMPAIGN_HEADERS,
        [
            [
                r["name"],
                r["kind_label"],
                r["first_day"].isoformat(),
                r["last_day"].isoformat(),
                r["targets"],
                r["resolved_total"],
                r["remaining"],
                percent_text(r["resolution_rate"]),
                "、".join(r["not_reported_units"]),
            ]
            for r in reports
        ],
    )
    units = workbook.create_sheet("责任单位")
    write_sheet(
        units,
        UNIT_HEADERS,
        [
            [r["name"], u["unit_name"], u["resolved"], u["remaining"], "、".join(u["not_reported"])]
            for r in reports
            for u in r["by_unit"]
        ],
    )
    return workbook
