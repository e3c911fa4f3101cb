"""Excel workbooks (.xlsx) as county offices keep them: Chinese headers, frozen header row."""

from __future__ import annotations

import io

from flask import Response
from openpyxl import Workbook

from projections.workbooks import write_sheet

__all__ = ["XLSX", "workbook_response", "write_sheet"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_response(workbook: Workbook, filename: str) -> Response:
    """Send a workbook as a download."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = Response(buffer.getvalue(), mimetype=XLSX)
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    return response
