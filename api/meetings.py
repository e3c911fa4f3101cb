"""The weekly joint meeting 联席会议 (一会议三清单): record it (its agenda is drawn by itself),
read it, record its decisions (each puts a task in a queue), and print its minutes 会议纪要."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from flask import Response, render_template
from flask.views import MethodView
from flask_smorest import Blueprint
from fpdf.enums import Align
from marshmallow import Schema, fields
from openpyxl import Workbook

from api.bulletin_document import Table
from api.bulletin_pdf import draw_table
from api.context import actor
from api.paper import PDF, SANS, Sheet, pdf_response, render, text_of
from api.register_context import (
    RECORD_HEADERS,
    PersonRefSchema,
    desk,
    history_schema,
    record_context,
    register,
    today,
)
from api.schemas import BINARY, IDEMPOTENCY_KEY_HEADER, ActorSchema, command_schema
from api.spreadsheets import XLSX, workbook_response, write_sheet
from api.tasks import TaskListRowSchema
from domain import labels
from domain.commands.registers import ConveneMeeting, RecordDecision
from domain.meetings import Meeting
from domain.work_registers import require_meeting_reader

blp = Blueprint(
    "meetings", __name__, url_prefix="/api/v1", description="Joint meetings 联席会议 (一会议三清单)"
)


class AgendaItemSchema(Schema):
    """One item of the agenda, as the viewer is shown it."""

    source = fields.String()
    source_label = fields.String()
    case_id = fields.UUID(allow_none=True)
    case_number = fields.String(allow_none=True)
    subject = fields.String(allow_none=True)
    case_status = fields.String(allow_none=True)
    unit_name = fields.String(allow_none=True)
    leader_name = fields.String(allow_none=True)
    slot = fields.String(allow_none=True)
    due_date = fields.Date(allow_none=True)
    task_id = fields.UUID(allow_none=True)
    risk_id = fields.UUID(allow_none=True)
    risk_number = fields.String(allow_none=True)
    risk_level = fields.String(allow_none=True)
    risk_level_label = fields.String(allow_none=True)
    township_name = fields.String(allow_none=True)
    identity_masked = fields.Boolean(
        allow_none=True, metadata={"description": "a risk's item: its people masked (subject)"}
    )
    task = fields.Nested(TaskListRowSchema, allow_none=True)


class DecisionSchema(Schema):
    """One decision: the problem, the task, who answers for it, the task it created."""

    n = fields.Integer()
    problem = fields.String()
    task = fields.String()
    due_date = fields.Date()
    leader_id = fields.UUID()
    leader_name = fields.String(allow_none=True)
    unit_id = fields.UUID()
    unit_name = fields.String(allow_none=True)
    handler_id = fields.UUID()
    handler_name = fields.String(allow_none=True)
    case_id = fields.UUID(allow_none=True)
    case_number = fields.String(allow_none=True)
    risk_id = fields.UUID(allow_none=True)
    risk_number = fields.String(allow_none=True)
    task_id = fields.UUID()
    task_status = fields.String()
    task_level = fields.String(allow_none=True)
    recorded_by = fields.Nested(ActorSchema)
    occurred_at = fields.AwareDateTime()


class MeetingSchema(Schema):
    """A meeting: who, when, its agenda and its decisions."""

    id = fields.UUID()
    title = fields.String()
    held_on = fields.Date()
    place = fields.String()
    chair_id = fields.UUID()
    chair_name = fields.String(allow_none=True)
    attendees = fields.List(fields.Nested(PersonRefSchema))
    recorded_by = fields.Nested(ActorSchema)
    recorded_at = fields.AwareDateTime()
    agenda = fields.List(fields.Nested(AgendaItemSchema))
    decisions = fields.List(fields.Nested(DecisionSchema))
    version = fields.Integer()


class MeetingRowSchema(Schema):
    """A meeting as the list shows it."""

    id = fields.UUID()
    title = fields.String()
    held_on = fields.Date()
    chair_name = fields.String(allow_none=True)
    agenda_items = fields.Integer()
    decisions = fields.Integer()
    version = fields.Integer()


class MeetingListSchema(Schema):
    """The meetings, latest first."""

    items = fields.List(fields.Nested(MeetingRowSchema))


def _view(meeting: Meeting, status: int = 200) -> tuple[dict[str, Any], int, dict[str, str]]:
    view = register().meeting_view(actor(), meeting, today())
    return view, status, {"ETag": f'"{meeting.version}"'}


@blp.route("/meetings")
class Meetings(MethodView):
    """Record and list meetings."""

    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER])
    @blp.arguments(command_schema(ConveneMeeting))
    @blp.response(201, MeetingSchema)
    def post(self, body: dict[str, Any]) -> Any:
        """Record a meeting (supervisor, dispatcher); its agenda is drawn as the county stands:
        key cases, overdue deadlines, 积案, and every task of earlier meetings not yet closed."""
        ctx = record_context(body)
        meeting = desk().execute(ConveneMeeting(**body), ctx)
        assert isinstance(meeting, Meeting)
        return _view(meeting, 201)

    @blp.response(200, MeetingListSchema)
    def get(self) -> dict[str, Any]:
        """Every meeting, latest first."""
        require_meeting_reader(actor())
        return {"items": register().meetings(actor())}


@blp.route("/meetings/<uuid:meeting_id>")
class MeetingResource(MethodView):
    """One meeting."""

    @blp.response(200, MeetingSchema)
    def get(self, meeting_id: UUID) -> Any:
        """The meeting, its agenda and decisions (items about a case the caller may not see are
        left out)."""
        return _view(desk().meeting(actor(), meeting_id))


MeetingHistorySchema = history_schema("meeting")
"""A meeting's trail, as its reader is shown it."""


@blp.route("/meetings/<uuid:meeting_id>/history")
class MeetingHistory(MethodView):
    """The trail of one meeting."""

    @blp.response(200, MeetingHistorySchema)
    def get(self, meeting_id: UUID) -> dict[str, Any]:
        """Every event of the meeting in order (recorded with its agenda, each decision), each
        with its actor, both times and reason; a decision about a case or a risk the caller
        may not see is left out, as the meeting leaves it out."""
        meeting = desk().meeting(actor(), meeting_id)
        view = register().meeting_view(actor(), meeting, today())
        return {"meeting_id": meeting.id, "events": register().meeting_history(meeting, view)}


@blp.route("/meetings/<uuid:meeting_id>/decisions")
class MeetingDecisions(MethodView):
    """Decisions of a meeting."""

    @blp.doc(parameters=RECORD_HEADERS)
    @blp.arguments(command_schema(RecordDecision))
    @blp.response(201, MeetingSchema)
    def post(self, body: dict[str, Any], meeting_id: UUID) -> Any:
        """Record a decision (supervisor, dispatcher): the problem, the task and its due date,
        the leader, unit and person answerable; a task goes into the handler's queue."""
        ctx = record_context(body)
        meeting = desk().execute(RecordDecision(meeting_id=meeting_id, **body), ctx)
        assert isinstance(meeting, Meeting)
        return _view(meeting, 201)


def _minutes(meeting_id: UUID) -> dict[str, Any]:
    meeting = desk().meeting(actor(), meeting_id)
    return register().minutes(actor(), meeting, today())


def minutes_page(meeting_id: UUID, downloads: dict[str, str] | None = None) -> Response:
    """The printable 会议纪要 as the caller is shown it (the API's page and the web's), with
    links to `downloads` (format → address: the web desk's PDF and workbook)."""
    minutes = _minutes(meeting_id)
    page = render_template(
        "minutes.html",
        m=minutes,
        head=minutes_head(minutes),
        parts=minutes_lists(minutes),
        numerals=NUMERALS,
        downloads=downloads or {},
    )
    return Response(page, mimetype="text/html")


def minutes_document(meeting_id: UUID) -> Response:
    """The 会议纪要 as PDF, as the caller is shown it."""
    minutes = _minutes(meeting_id)
    return pdf_response(minutes_pdf(minutes), f"会议纪要-{minutes['held_on']}.pdf")


def minutes_spreadsheet(meeting_id: UUID) -> Response:
    """The 会议纪要 as a workbook, as the caller is shown it."""
    minutes = _minutes(meeting_id)
    return workbook_response(minutes_workbook(minutes), f"会议纪要-{minutes['held_on']}.xlsx")


@blp.route("/meetings/<uuid:meeting_id>/minutes.html")
class MinutesPage(MethodView):
    """The printable minutes."""

    @blp.response(200, BINARY, content_type="text/html", description="会议纪要")
    def get(self, meeting_id: UUID) -> Response:
        """The 会议纪要 with its three lists (问题清单, 任务清单, 责任清单), ready to print."""
        return minutes_page(meeting_id)


@blp.route("/meetings/<uuid:meeting_id>/minutes.pdf")
class MinutesDocument(MethodView):
    """The minutes as PDF."""

    @blp.response(200, BINARY, content_type=PDF, description="会议纪要.pdf")
    def get(self, meeting_id: UUID) -> Response:
        """The 会议纪要 on A4 with its agenda and three lists, the fonts embedded."""
        return minutes_document(meeting_id)


@blp.route("/meetings/<uuid:meeting_id>/minutes.xlsx")
class MinutesWorkbook(MethodView):
    """The minutes as a workbook."""

    @blp.response(200, BINARY, content_type=XLSX, description="会议纪要.xlsx")
    def get(self, meeting_id: UUID) -> Response:
        """The three lists, one sheet each, and the agenda."""
        return minutes_spreadsheet(meeting_id)


@dataclass(frozen=True)
class MinutesList:
    """One part of the 会议纪要 as every format prints it: its title, its columns (with their
    width in a workbook, in characters) and its rows (texts)."""

    title: str
    columns: Sequence[tuple[str, int]]
    rows: list[tuple[Any, ...]]

    @property
    def table(self) -> Table:
        """The part as a table of the printed documents (api/bulletin_pdf.py draws it)."""
        return Table(headers=[name for name, _ in self.columns], rows=self.rows)


AGENDA = "会议议题"


def _agenda_text(a: dict[str, Any]) -> str:
    task = a["task"]
    if task:
        return f"{task['task']}（{task['unit_name'] or ''}，{task['level_label']}）"
    return str(a["subject"] or "")


def minutes_lists(m: dict[str, Any]) -> list[MinutesList]:
    """The agenda and the three lists of the 会议纪要, in the order the minutes print them:
    one definition for the printable page, the PDF and the workbook. Each decision keeps its
    number in the meeting, as the meeting page, its history and the tasks call it."""
    return [
        MinutesList(
            AGENDA,
            [("来源", 20), ("信访事项/隐患", 20), ("事由", 40), ("期限", 14)],
            [
                (
                    a["source_label"],
                    a["case_number"] or a["risk_number"] or "",
                    _agenda_text(a),
                    a["due_date"].isoformat() if a["due_date"] else "",
                )
                for a in m["agenda"]
            ],
        ),
        MinutesList(
            labels.PROBLEM_LIST,
            [("序号", 6), ("问题", 60), ("关联信访事项/隐患", 20)],
            [
                (p["n"], p["problem"], p["case_number"] or p["risk_number"] or "")
                for p in m["problems"]
            ],
        ),
        MinutesList(
            labels.TASK_LIST,
            [("序号", 6), ("任务", 60), ("完成时限", 14), ("状态", 14)],
            [(t["n"], t["task"], t["due_date"].isoformat(), t["status"]) for t in m["tasks"]],
        ),
        MinutesList(
            labels.RESPONSIBILITY_LIST,
            [("序号", 6), ("包案领导", 14), ("责任单位", 24), ("具体负责人", 14)],
            [
                (r["n"], r["leader_name"] or "", r["unit_name"] or "", r["handler_name"] or "")
                for r in m["responsibilities"]
            ],
        ),
    ]


def minutes_head(m: dict[str, Any]) -> list[str]:
    """The lines under the minutes' title: when and where, who chaired, attended, recorded."""
    place = f"　地点：{m['place']}" if m["place"] else ""
    attendees = "、".join(a["name"] or "" for a in m["attendees"])
    return [
        f"会议时间：{m['held_on'].isoformat()}{place}",
        f"主持：{m['chair_name'] or ''}",
        f"参会：{attendees}",
        f"记录：{m['recorded_by'].name}（{m['recorded_at'].date().isoformat()}）",
    ]


NUMERALS = "一二三四五六七八九十"


def minutes_workbook(m: dict[str, Any]) -> Workbook:
    """The 会议纪要's lists, one sheet each (the three lists first, then the agenda)."""
    agenda, *lists = minutes_lists(m)
    book = Workbook()
    for index, part in enumerate([*lists, agenda]):
        sheet = book.active if index == 0 else book.create_sheet()
        assert sheet is not None
        sheet.title = part.title
        write_sheet(sheet, part.columns, part.rows)
    return book


def minutes_pdf(m: dict[str, Any]) -> bytes:
    """The 会议纪要 on A4: its title, its head lines, the agenda and the three lists (a table's
    header repeated on every page it runs over, an empty list printed as 无)."""
    parts = minutes_lists(m)
    title = f"{m['title']}会议纪要"

    def draw(sheet: Sheet) -> None:
        sheet.add_page()
        sheet.text_line(m["title"], size=18, align=Align.C, height=10)
        sheet.text_line(labels.MINUTES_TITLE, size=18, align=Align.C, height=10)
        sheet.ln(2)
        sheet.rule()
        sheet.ln(3)
        for line in minutes_head(m):
            sheet.text_line(line, size=11, height=6.5)
        for n, part in enumerate(parts):
            if sheet.will_page_break(30):
                sheet.add_page()
            sheet.ln(3)
            sheet.text_line(f"{NUMERALS[n]}、{part.title}", size=13, font=SANS, height=8)
            if part.rows:
                draw_table(sheet, part.table)
            else:
                sheet.text_line("无。", size=10.5, height=6)

    words = text_of([title, minutes_head(m), [(p.title, p.table) for p in parts]])
    return render(draw, text=words + NUMERALS + "无。", footer=title)
