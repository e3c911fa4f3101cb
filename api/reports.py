"""The monthly bulletin 月通报: JSON, Excel, and a printable page with charts."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from openpyxl import Workbook

from api import charts, labels
from api.context import actor, services
from api.schemas import MONTH_PATTERN, is_month
from api.spreadsheets import XLSX, workbook_response, write_sheet
from domain.cases import local_date
from domain.errors import RuleViolationError

blp = Blueprint("reports", __name__, url_prefix="/api/v1", description="Monthly bulletin 月通报")

MONTH_PATH = "<month>"
MONTH_PARAMETERS = [
    {"in": "path", "name": "month", "schema": {"type": "string", "pattern": MONTH_PATTERN}}
]


def checked(month: str) -> str:
    """The month of the path, if it is `YYYY-MM`."""
    if not is_month(month):
        raise RuleViolationError("month", "month must be YYYY-MM")
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
    built.catch_up()
    return built.bulletins.get(actor(), checked(month), local_date(built.app.clock()))


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
        """Publish (supervisor): figures frozen with the log position they were computed at."""
        built = services()
        built.catch_up()
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

    @blp.response(200, content_type="text/html", description="月通报")
    def get(self, month: str) -> Response:
        """A printable page with charts (everything inline: no outside assets)."""
        bulletin = _bulletin(month)
        figures = bulletin["figures"]
        page = render_template(
            "bulletin.html",
            bulletin=bulletin,
            figures=figures,
            labels=labels,
            trend=charts.grouped_bars(
                figures["trend_by_channel"], lambda code: labels.label(labels.CHANNEL, code)
            ),
            volume=charts.bars([(i["key"], i["count"]) for i in figures["by_area"]]),
            overdue=charts.bars([(i["unit"], i["count"]) for i in figures["most_overdue_units"]]),
            on_time=charts.bars(
                [
                    (i["unit"], round((i["on_time_completion_rate"] or 0) * 100))
                    for i in figures["on_time_rates"]
                    if i["on_time_completion_rate"] is not None
                ],
                suffix="%",
            ),
        )
        return Response(page, mimetype="text/html")


@blp.route(f"/reports/monthly/{MONTH_PATH}.xlsx", parameters=MONTH_PARAMETERS)
class BulletinWorkbook(MethodView):
    """The bulletin as a workbook."""

    @blp.response(200, content_type=XLSX, description="月通报.xlsx")
    def get(self, month: str) -> Response:
        """The bulletin's tables, one sheet each."""
        figures = _bulletin(month)["figures"]
        workbook = Workbook()
        first = workbook.active
        if first is None:
            raise RuleViolationError("month", "could not create the workbook")
        first.title = "总量"
        write_sheet(
            first,
            (("维度", 14), ("项目", 22), ("本月", 10), ("上月", 10), ("增减", 10)),
            [
                (
                    dimension,
                    _code_label(dimension, row["key"]),
                    row["count"],
                    row["previous"],
                    row["change"],
                )
                for dimension, key in (
                    ("渠道", "by_channel"),
                    ("类别", "by_category"),
                    ("责任单位", "by_area"),
                )
                for row in figures[key]
            ],
        )
        write_sheet(
            workbook.create_sheet("按期率"),
            (("单位", 20), ("及时受理率", 12), ("按期办结率", 12), ("样本", 16)),
            [
                (r["unit"], r["timely_acceptance_rate"], r["on_time_completion_rate"], r["sample"])
                for r in figures["on_time_rates"]
            ],
        )
        write_sheet(
            workbook.create_sheet("红黄榜"),
            (("榜单", 8), ("单位", 20), ("按期办结率", 12), ("超期件", 8)),
            [
                ("红榜", r["unit"], r["on_time_completion_rate"], r["overdue"])
                for r in figures["red_list"]
            ]
            + [
                ("黄榜", r["unit"], r["on_time_completion_rate"], r["overdue"])
                for r in figures["yellow_list"]
            ],
        )
        write_sheet(
            workbook.create_sheet("被投诉单位"),
            (("单位", 20), ("件数", 8)),
            [(r["unit"], r["count"]) for r in figures["most_complained_units"]],
        )
        return workbook_response(workbook, f"bulletin-{month}.xlsx")


def _code_label(dimension: str, code: str) -> str:
    table = {"渠道": labels.CHANNEL, "类别": labels.CATEGORY}.get(dimension)
    return labels.label(table, code) if table else code
