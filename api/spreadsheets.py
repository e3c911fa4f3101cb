"""Excel workbooks (.xlsx) as county offices keep and print them (docs/documents.md, "台账")."""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from flask import Response
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from api.paper import disposition

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def workbook_response(workbook: Workbook, filename: str) -> Response:
    """Send a workbook as a download."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = Response(buffer.getvalue(), mimetype=XLSX)
    response.headers["Content-Disposition"] = disposition(filename)
    return response


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
