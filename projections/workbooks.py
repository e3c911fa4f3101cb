"""Excel workbooks (.xlsx) as county offices keep and print them, for the API and the console
alike (docs/documents.md, "台账").

`print_sheet` lays a sheet out for paper (title rows, a header repeated on every page, borders,
wrapped text, fitted widths, real dates, A4 one page wide, page numbers); `write_sheet` is the
same without title rows. The registers' workbooks (the risk register, a campaign's report) are
built here once, so the download and `xinfang risks export` write the same columns.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from domain.labels import MISSING_DUTY, label_of, percent_text
from domain.values import RiskKind, RiskLevel, RiskSource, RiskStatus

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
OVERDUE_FILL = PatternFill("solid", fgColor="F8CBAD")
DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0.0%"
MAX_WIDTH = 16
"""The widest a column gets (CJK characters count two): longer texts wrap, so that the 21
columns of the ledger print one page wide at a legible size."""
HEADER_MIN = 8
"""A header wider than its content wraps instead of widening its column beyond this."""
CJK_DRAWN = 0.85
"""How much of its counted width (two per CJK character) a text takes when drawn."""
LINE_HEIGHT = 15
"""Points per line of a wrapped cell (11 pt text)."""
PAGE_NUMBERS = "第 &P 页 共 &N 页"
"""The footer of every printed page (Excel and LibreOffice fill in the numbers)."""


def text_width(value: Any) -> int:
    """Columns a value takes in a spreadsheet cell (CJK characters take two)."""
    if isinstance(value, date | datetime):
        return 10
    text = str(value) if value is not None else ""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def print_sheet(
    sheet: Worksheet,
    titles: Sequence[str],
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    highlight: Iterable[int] = (),
    formats: Mapping[int, str] | None = None,
    landscape: bool = True,
) -> None:
    """A sheet that prints: title rows, a header repeated on every page, borders, wrapped text,
    widths fitted to the content, real dates, A4 fitted to one page wide, 第 N 页 共 M 页.

    `highlight` names the rows (0-based, of `rows`) to fill as overdue; `formats` gives a
    number format per column (0-based), e.g. PERCENT_FORMAT.
    """
    width = len(headers)
    for index, title in enumerate(titles, start=1):
        cell = sheet.cell(row=index, column=1, value=title)
        cell.font = Font(bold=index == 1, size=16 if index == 1 else 11)
        cell.alignment = Alignment(horizontal="center" if index == 1 else "left", wrap_text=True)
        if width > 1:
            sheet.merge_cells(start_row=index, start_column=1, end_row=index, end_column=width)
        sheet.row_dimensions[index].height = 28 if index == 1 else 18
    header_row = len(titles) + 1
    for column, title in enumerate(headers, start=1):
        cell = sheet.cell(row=header_row, column=column, value=title)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    marked = set(highlight)
    widths = [min(text_width(h), HEADER_MIN) for h in headers]
    for offset, values in enumerate(rows):
        r = header_row + 1 + offset
        for c, value in enumerate(values, start=1):
            target: Any = sheet.cell(row=r, column=c)
            if isinstance(value, str):
                target.value = ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", value)
                target.data_type = "s"  # text stays text, never a formula
            else:
                target.value = value
            if isinstance(value, date):
                target.number_format = DATE_FORMAT
            elif formats and c - 1 in formats and value is not None:
                target.number_format = formats[c - 1]
            target.border = BORDER
            target.alignment = Alignment(vertical="top", wrap_text=True)
            if offset in marked:
                target.fill = OVERDUE_FILL
            widths[c - 1] = max(widths[c - 1], text_width(value))
    final = [min(needed + 1, MAX_WIDTH) for needed in widths]
    for column, width_ in enumerate(final, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width_
    # Wrapped rows are given their height (LibreOffice keeps the default one otherwise).
    for offset, values in enumerate(rows):
        lines = max(
            (
                math.ceil(text_width(v) * CJK_DRAWN / max(final[c] - 1, 1))
                for c, v in enumerate(values)
            ),
            default=1,
        )
        if lines > 1:
            sheet.row_dimensions[header_row + 1 + offset].height = LINE_HEIGHT * lines
    header_lines = max(
        math.ceil(text_width(h) * CJK_DRAWN / max(w - 1, 1))
        for h, w in zip(headers, final, strict=True)
    )
    sheet.row_dimensions[header_row].height = LINE_HEIGHT * max(header_lines, 1)
    last = header_row + len(rows)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1).coordinate
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(width)}{max(last, header_row)}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.3
    sheet.page_margins.top = sheet.page_margins.bottom = 0.5
    footer: Any = sheet.oddFooter
    footer.center.text = PAGE_NUMBERS
    footer.center.size = 9
    even: Any = sheet.evenFooter
    even.center.text = PAGE_NUMBERS
    header: Any = sheet.oddHeader
    header.right.text = titles[0] if titles else ""
    header.right.size = 8


def write_sheet(
    sheet: Worksheet, headers: Sequence[tuple[str, int]], rows: Sequence[Sequence[Any]]
) -> None:
    """Fill a sheet as `print_sheet` does, without title rows (the headers' widths are the
    least each column gets)."""
    print_sheet(sheet, (), [title for title, _ in headers], rows)
    for column, (_, width) in enumerate(headers, start=1):
        dimension = sheet.column_dimensions[get_column_letter(column)]
        dimension.width = max(dimension.width or 0, min(width, MAX_WIDTH))


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
