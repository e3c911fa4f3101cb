"""Excel workbooks (.xlsx) as county offices keep them: Chinese headers, frozen header row."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from flask import Response
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
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


def workbook_response(workbook: Workbook, filename: str) -> Response:
    """Send a workbook as a download."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = Response(buffer.getvalue(), mimetype=XLSX)
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    return response
