"""The monthly bulletin 月通报: JSON, Excel, and a printable page with charts."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api import bulletin_text, charts
from api.bulletin_sheets import bulletin_workbook
from api.context import actor, services
from api.schemas import BINARY, MONTH_PATTERN, is_month
from api.spreadsheets import XLSX, workbook_response
from domain.bulletins import BulletinStateError
from domain.cases import local_date
from domain.errors import RuleViolationError
from domain.labels import label_of
from domain.values import Channel
from projections.bulletin import FORMAT

blp = Blueprint("reports", __name__, url_prefix="/api/v1", description="Monthly bulletin 月通报")

MONTH_PATH = "<month>"
MONTH_PARAMETERS = [
    {"in": "path", "name": "month", "schema": {"type": "string", "pattern": MONTH_PATTERN}}
]


def checked(month: str) -> str:
    """The month of the path, if it is `YYYY-MM`."""
    if not is_month(month):
        raise RuleViolationError("month", "月份须为 YYYY-MM 格式")
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
        """A printable page with charts (everything inline: no outside assets)."""
        bulletin = _printable(month)
        figures = bulletin["figures"]
        page = render_template(
            "bulletin.html",
            bulletin=bulletin,
            figures=figures,
            text=bulletin_text,
            changed=bulletin_text.changed(bulletin["differences"]),
            trend=charts.grouped_bars(
                figures["trend_by_channel"], lambda code: label_of(Channel, code)
            ),
            volume=charts.bars([(i["label"], i["count"]) for i in figures["by_area"]]),
            overdue=charts.bars([(i["unit"], i["count"]) for i in figures["most_overdue_units"]]),
            on_time=charts.bars(
                [
                    (i["unit"], i["on_time_completion_percent"])
                    for i in figures["on_time_rates"]
                    if i["rank"] is not None and i["on_time_completion_percent"] is not None
                ],
                suffix="%",
                digits=1,
            ),
        )
        return Response(page, mimetype="text/html")


@blp.route(f"/reports/monthly/{MONTH_PATH}.xlsx", parameters=MONTH_PARAMETERS)
class BulletinWorkbook(MethodView):
    """The bulletin as a workbook."""

    @blp.response(200, BINARY, content_type=XLSX, description="月通报.xlsx")
    @blp.alt_response(409, response="CONFLICT", description="Published in an older format")
    def get(self, month: str) -> Response:
        """The bulletin's tables, one sheet each, in Chinese; rates with their counts."""
        workbook = bulletin_workbook(_printable(month)["figures"])
        return workbook_response(workbook, f"bulletin-{month}.xlsx")
