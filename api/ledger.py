"""The case ledger 台账: JSON pages and the Excel export of the same selection.

Rows are filtered and disclosed by projections/ (visibility.py, disclosure.py); exports and
identity searches are logged there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from openpyxl import Workbook

from api.context import actor, services
from api.schemas import BINARY, choice, day, instant
from api.spreadsheets import XLSX, print_sheet, workbook_response
from domain import permissions
from domain.access import EXPORT, READ_CASE, READ_LEDGER
from domain.cases import local_date
from domain.labels import deadline_state, label_of
from domain.values import (
    Category,
    Channel,
    Disposition,
    Flag,
    Outcome,
    Rule,
    Satisfaction,
    Status,
)
from domain.visibility import AS_OF_READERS
from projections import disclosure
from projections.ledger import SORTS, Ledger, LedgerQuery
from projections.names import Names
from projections.replay import position_at
from projections.temporal import AsOfStore

blp = Blueprint("ledger", __name__, url_prefix="/api/v1", description="Case ledger 台账")

HEADERS = (
    "序号",
    "案件编号",
    "登记日期",
    "信访渠道",
    "信访类别",
    "信访人",
    "事由",
    "地点",
    "责任单位",
    "包案领导",
    "具体负责人",
    "状态",
    "当前期限",
    "到期日",
    "期限状态",
    "标记",
    "重复信访次数",
    "答复结果",
    "三到位一处理",
    "满意度",
    "办结日期",
)
"""The columns of the printed ledger (docs/documents.md, "台账"): 序号 first."""
OVERDUE_LEVELS = frozenset({"overdue", "severely_overdue"})


class LedgerQuerySchema(Schema):
    """Filters of GET /ledger and /ledger.xlsx."""

    status = fields.List(choice(Status), load_default=list)
    unit_id = fields.UUID(load_default=None)
    category = choice(Category, load_default=None)
    channel = choice(Channel, load_default=None)
    flag = choice(Flag, load_default=None)
    overdue = fields.Boolean(load_default=None)
    ready_to_close = fields.Boolean(load_default=None)
    q = fields.String(load_default=None, validate=validate.Length(min=1, max=200))
    received_from = day(load_default=None)
    received_to = day(load_default=None)
    as_of = instant(load_default=None)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    sort = fields.String(load_default="-received_on", validate=validate.OneOf(sorted(SORTS)))


class DeadlineBriefSchema(Schema):
    """The case's most urgent running deadline."""

    rule = fields.String()
    due_date = fields.String()
    level = fields.String()
    provisional = fields.Boolean()
    days_over = fields.Integer()


class LedgerRowSchema(Schema):
    """One row of the ledger."""

    case_id = fields.UUID()
    number = fields.String()
    received_on = fields.String()
    channel = fields.String()
    category = fields.String()
    petitioners = fields.List(fields.Dict())
    identity_masked = fields.Boolean()
    subject = fields.String()
    location = fields.String(allow_none=True)
    unit_id = fields.UUID(allow_none=True)
    unit_name = fields.String(allow_none=True)
    leader_id = fields.UUID(allow_none=True)
    leader_name = fields.String(allow_none=True)
    handler_id = fields.UUID(allow_none=True)
    handler_name = fields.String(allow_none=True)
    status = fields.String()
    deadline = fields.Nested(DeadlineBriefSchema, allow_none=True)
    flags = fields.List(fields.String())
    repeat_count = fields.Integer()
    outcome = fields.String(allow_none=True)
    dispositions = fields.List(fields.String())
    satisfaction = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True)
    closed_on = fields.String(allow_none=True)
    version = fields.Integer()


class LedgerPageSchema(Schema):
    """A page of the ledger."""

    items = fields.List(fields.Nested(LedgerRowSchema))
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()
    as_of = fields.AwareDateTime(allow_none=True)


@contextmanager
def ledger_as_of(moment: datetime | None) -> Iterator[tuple[Ledger, date]]:
    """The live ledger (caught up), or the ledger as it stood at `moment`.

    The past ledger is the same queries over the rows of the views' history that held at the
    log position of `moment` (docs/read-side.md, "as_of: views kept temporally"): no replay.
    Only AS_OF_READERS may ask for it (docs/audit.md).
    """
    built = services()
    built.catch_up_ledger()
    if moment is None:
        yield built.ledger, local_date(built.app.clock())
        return
    permissions.require_role(actor(), AS_OF_READERS, "查看台账的历史时点状态")
    # The views have applied the log at least up to the head as it was before this point, so
    # their history holds every row version up to the moment's position.
    position = position_at(built.app, moment)
    live = built.ledger
    yield Ledger(live.app, AsOfStore(live.store, position), live.sealer), local_date(moment)


def ledger_query(args: dict[str, Any]) -> LedgerQuery:
    """The ledger query of parsed LedgerQuerySchema arguments."""
    return LedgerQuery(
        status=tuple(s.value for s in args["status"]),
        unit_id=args["unit_id"],
        category=args["category"].value if args["category"] else None,
        channel=args["channel"].value if args["channel"] else None,
        flag=args["flag"].value if args["flag"] else None,
        overdue=args["overdue"],
        ready_to_close=args["ready_to_close"],
        q=args["q"],
        received_from=args["received_from"],
        received_to=args["received_to"],
        page=args["page"],
        page_size=args["page_size"],
        sort=args["sort"],
    )


@blp.route("/ledger")
class LedgerPage(MethodView):
    """The case ledger."""

    @blp.arguments(LedgerQuerySchema(), location="query")
    @blp.response(200, LedgerPageSchema)
    def get(self, args: dict[str, Any]) -> Response:
        """Filtered, sorted, paged ledger rows (optionally as of a past moment)."""
        query = ledger_query(args)
        viewer = actor()
        with ledger_as_of(args["as_of"]) as (ledger, today):
            items, total = ledger.search(viewer, query, today)
        disclosure.record_rows(services().app, viewer, items, READ_LEDGER)
        return page_answer(
            {
                "items": items,
                "total": total,
                "page": query.page,
                "page_size": query.page_size,
                "as_of": args["as_of"],
            }
        )


def page_answer(page: dict[str, Any]) -> Response:
    """The page as LedgerPageSchema dumps it, written without walking the schema through every
    field of every row (a quarter of a page's time, issue 11; the schema still documents the
    answer). A row's values are already JSON's own but for its UUIDs, which Flask writes as
    text like the schema; `as_of` is written in ISO 8601 like the schema. Tests check the two
    agree (tests/api/test_ledger_api.py)."""
    moment: datetime | None = page["as_of"]
    body = {**page, "as_of": moment.isoformat() if moment is not None else None}
    answer = current_app.json.response(body)
    assert isinstance(answer, Response)
    return answer


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def ledger_cells(n: int, item: dict[str, Any]) -> list[Any]:
    """Row `n` of the ledger as the Excel columns of HEADERS (dates as date cells)."""
    deadline = item["deadline"] or {}
    return [
        n,
        item["number"],
        _day(item["received_on"]),
        label_of(Channel, item["channel"]),
        label_of(Category, item["category"]),
        "、".join(p["name"] for p in item["petitioners"]),
        item["subject"],
        item["location"] or "",
        item["unit_name"] or "",
        item["leader_name"] or "",
        item["handler_name"] or "",
        label_of(Status, item["status"]),
        label_of(Rule, deadline.get("rule")),
        _day(deadline.get("due_date")),
        deadline_state(deadline.get("level")) + ("（暂定）" if deadline.get("provisional") else ""),
        "、".join(label_of(Flag, f) for f in item["flags"]),
        item["repeat_count"],
        label_of(Outcome, item["outcome"]),
        "、".join(label_of(Disposition, d) for d in item["dispositions"]),
        label_of(Satisfaction, item["satisfaction"]),
        _day(item["closed_on"]),
    ]


def filter_words(args: dict[str, Any], unit_name: str | None) -> str:
    """The ledger's filter in words, for the title of the printed ledger."""
    words = []
    if args["status"]:
        words.append("状态：" + "、".join(label_of(Status, s.value) for s in args["status"]))
    if args["unit_id"] is not None:
        words.append(f"责任单位：{unit_name or args['unit_id']}")
    for key, enum, name in (
        ("category", Category, "类别"),
        ("channel", Channel, "渠道"),
        ("flag", Flag, "标记"),
    ):
        if args[key] is not None:
            words.append(f"{name}：{label_of(enum, args[key].value)}")
    if args["overdue"] is not None:
        words.append("仅超期件" if args["overdue"] else "不含超期件")
    if args["ready_to_close"] is not None:
        words.append("仅期满待办结" if args["ready_to_close"] else "不含期满待办结")
    if args["q"]:
        words.append(f"关键词：{args['q']}")
    if args["received_from"] or args["received_to"]:
        since = args["received_from"].isoformat() if args["received_from"] else "最早"
        until = args["received_to"].isoformat() if args["received_to"] else "今"
        words.append(f"登记日期：{since} 至 {until}")
    return "；".join(words) or "全部信访事项"


@blp.route("/ledger.xlsx")
class LedgerWorkbook(MethodView):
    """The ledger as an Excel workbook."""

    @blp.arguments(LedgerQuerySchema(), location="query")
    @blp.response(200, BINARY, content_type=XLSX, description="台账.xlsx")
    def get(self, args: dict[str, Any]) -> Response:
        """The same selection as GET /ledger (all pages), as .xlsx with Chinese headers."""
        return ledger_workbook(args)


def ledger_workbook(args: dict[str, Any]) -> Response:
    """The selection of `args` (LedgerQuerySchema, every page) as a workbook for the caller;
    the export is logged (the API's /ledger.xlsx and the ledger page's export)."""
    query = ledger_query(args)
    rows: list[list[Any]] = []
    overdue: list[int] = []
    exported: list[dict[str, Any]] = []
    with ledger_as_of(args["as_of"]) as (ledger, today):
        page = 1
        while True:
            selection = replace(query, page=page, page_size=500)
            items, total = ledger.search(actor(), selection, today)
            for item in items:
                if (item["deadline"] or {}).get("level") in OVERDUE_LEVELS:
                    overdue.append(len(rows))
                rows.append(ledger_cells(len(rows) + 1, item))
            exported += items
            if page * 500 >= total:
                break
            page += 1
    built = services()
    disclosure.record_rows(built.app, actor(), exported, EXPORT, always=True)
    office = built.settings.office_profile()
    names = Names(built.app)
    unit = names.unit(args["unit_id"].hex) if args["unit_id"] else None
    moment = f"{today.isoformat()}" + ("（按历史时点重放）" if args["as_of"] else "")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "台账"
    print_sheet(
        sheet,
        (
            f"{office.county}信访事项台账",
            f"{office.office}　截至 {moment}　筛选：{filter_words(args, unit)}"
            f"　共 {len(rows)} 件（超期件底色标红）",
        ),
        HEADERS,
        rows,
        highlight=overdue,
    )
    return workbook_response(workbook, f"台账-{today.isoformat()}.xlsx")


class IdentitySearchSchema(Schema):
    """Who to look for: any of name, ID number, phone (sent in the body, never in a URL)."""

    name = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    id_number = fields.String(load_default=None, validate=validate.Length(min=1, max=40))
    phone = fields.String(load_default=None, validate=validate.Length(min=1, max=40))


class IdentityMatchesSchema(Schema):
    """Cases of the same petitioner (同人)."""

    items = fields.List(fields.Nested(LedgerRowSchema))


@blp.route("/petitioners/search")
class SamePetitioner(MethodView):
    """Repeat petitioners (同人)."""

    @blp.arguments(IdentitySearchSchema)
    @blp.response(200, IdentityMatchesSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Earlier cases of a petitioner by name, ID number or phone (intake and supervision)."""
        built = services()
        built.catch_up_ledger()
        today = local_date(built.app.clock())
        viewer = actor()
        items = built.ledger.same_person(viewer, body, today)
        disclosure.record_rows(built.app, viewer, items, READ_CASE)
        return {"items": items}
