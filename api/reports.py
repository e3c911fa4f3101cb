"""The monthly bulletin 月通报: JSON, Excel, and a printable page with charts."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api import bulletin_document, bulletin_text, charts
from api.bulletin_document import BulletinDocument
from api.bulletin_pdf import bulletin_pdf
from api.bulletin_sheets import bulletin_workbook
from api.context import actor, services
from api.paper import pdf_response
from api.schemas import BINARY, MONTH_PATTERN, is_month
from api.spreadsheets import XLSX, workbook_response
from domain.bulletins import BulletinStateError
from domain.cases import local_date
from domain.errors import MONTH_FORMAT, RuleViolationError
from projections.bulletin import FORMAT

blp = Blueprint("reports", __name__, url_prefix="/api/v1", description="Monthly bulletin 月通报")

MONTH_PATH = "<month>"
MONTH_PARAMETERS = [
    {"in": "path", "name": "month", "schema": {"type": "string", "pattern": MONTH_PATTERN}}
]


def checked(month: str) -> str:
    """The month of the path, if it is `YYYY-MM`."""
    if not is_month(month):
        raise RuleViolationError("month", MONTH_FORMAT)
    return month


class BulletinSchema(Schema):
    """A monthly bulletin; `differences` lists figures changed since publication."""

    month = fields.String()
    published = fields.Boolean()
    published_at = fields.String()
    published_by = fields.String()
    position = fields.Integer()
    head = fields.Dict(allow_none=True)
    figures = fields.Dict()
    differences = fields.List(fields.Dict())


class RecomputedSchema(Schema):
    """The figures recomputed from the log up to the published position."""

    month = fields.String()
    position = fields.Integer()
    identical = fields.Boolean()
    figures = fields.Dict()
    differences = fields.List(fields.Dict())


def _bulletin(month: str) -> dict[str, Any]:
    built = services()
    built.catch_up_ledger()
    return built.bulletins.get(actor(), checked(month), local_date(built.app.clock()))


def _document(month: str) -> BulletinDocument:
    """The bulletin of `month` as it is printed (page and PDF alike)."""
    bulletin = _printable(month)
    office = services().settings.office_profile()
    return bulletin_document.build(bulletin, office, bulletin_text.changed(bulletin["differences"]))


def _printable(month: str) -> dict[str, Any]:
    """The bulletin, if its figures have the shape the page and the workbook print."""
    bulletin = _bulletin(month)
    shape = bulletin["figures"].get("format")
    if shape != FORMAT:
        msg = f"{month} 月通报按旧格式（{shape or 1}）发布，只能以 JSON 查看其冻结的数据"
        raise BulletinStateError("print", msg)
    return bulletin


@blp.route(f"/reports/monthly/{MONTH_PATH}", parameters=MONTH_PARAMETERS)
class MonthlyBulletin(MethodView):
    """The bulletin of one month."""

    @blp.response(200, BulletinSchema)
    def get(self, month: str) -> dict[str, Any]:
        """The published bulletin (with later differences) or a draft computed now."""
        return _bulletin(month)


@blp.route(f"/reports/monthly/{MONTH_PATH}/publish", parameters=MONTH_PARAMETERS)
class PublishBulletin(MethodView):
    """Publishing freezes a bulletin."""

    @blp.response(201, BulletinSchema)
    def post(self, month: str) -> dict[str, Any]:
        """Publish (supervisor) an ended month, frozen with the log position of its figures."""
        built = services()
        built.catch_up_ledger()
        return built.bulletins.publish(actor(), checked(month), local_date(built.app.clock()))


@blp.route(f"/reports/monthly/{MONTH_PATH}/recompute", parameters=MONTH_PARAMETERS)
class RecomputeBulletin(MethodView):
    """Check a published bulletin against the log."""

    @blp.response(200, RecomputedSchema)
    @blp.alt_response(409, response="CONFLICT", description="The month's bulletin is unpublished")
    def get(self, month: str) -> dict[str, Any]:
        """Replay the log up to the published position and compare the figures."""
        return services().bulletins.recompute(actor(), checked(month))


@blp.route(f"/reports/monthly/{MONTH_PATH}.html", parameters=MONTH_PARAMETERS)
class BulletinPage(MethodView):
    """The printable bulletin."""

    @blp.response(200, BINARY, content_type="text/html", description="月通报")
    @blp.alt_response(409, response="CONFLICT", description="Published in an older format")
    def get(self, month: str) -> Response:
        """A printable page (A4) with charts and their tables (everything inline)."""
        return bulletin_page(month)


def bulletin_page(month: str) -> Response:
    """The printable bulletin of `month` for the caller (the API's .html and the web page)."""
    page = render_template("bulletin.html", doc=_document(month), chart=charts.chart)
    return Response(page, mimetype="text/html")


@blp.route(f"/reports/monthly/{MONTH_PATH}.pdf", parameters=MONTH_PARAMETERS)
class BulletinPdf(MethodView):
    """The bulletin as a PDF document."""

    @blp.response(200, BINARY, content_type="application/pdf", description="月通报.pdf")
    @blp.alt_response(409, response="CONFLICT", description="Published in an older format")
    def get(self, month: str) -> Response:
        """The same document as the printable page, as PDF (A4, embedded font)."""
        document = _document(month)
        return pdf_response(bulletin_pdf(document), f"{document.office}月通报-{month}.pdf")


@blp.route(f"/reports/monthly/{MONTH_PATH}.xlsx", parameters=MONTH_PARAMETERS)
class BulletinWorkbook(MethodView):
    """The bulletin as a workbook."""

    @blp.response(200, BINARY, content_type=XLSX, description="月通报.xlsx")
    @blp.alt_response(409, response="CONFLICT", description="Published in an older format")
    def get(self, month: str) -> Response:
        """The bulletin's tables, one sheet each, in Chinese; rates with their counts."""
        bulletin = _printable(month)
        office = services().settings.office_profile()
        workbook = bulletin_workbook(bulletin, office)
        return workbook_response(workbook, f"月通报-{month}.xlsx")
