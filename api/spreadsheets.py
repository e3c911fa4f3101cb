"""Excel workbooks (.xlsx) sent as downloads; the sheets are laid out by projections/workbooks.py
(docs/documents.md, "台账")."""

from __future__ import annotations

import io

from flask import Response
from openpyxl import Workbook

from api.paper import disposition
from projections.workbooks import PERCENT_FORMAT, print_sheet, text_width, write_sheet

__all__ = [
    "PERCENT_FORMAT",
    "XLSX",
    "print_sheet",
    "text_width",
    "workbook_response",
    "write_sheet",
]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_response(workbook: Workbook, filename: str) -> Response:
    """Send a workbook as a download (a Chinese file name as RFC 5987 `filename*`)."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = Response(buffer.getvalue(), mimetype=XLSX)
    response.headers["Content-Disposition"] = disposition(filename)
    return response
