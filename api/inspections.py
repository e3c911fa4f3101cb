"""Inspections 督查 (checklist, findings linked to overdue records, follow-up orders, 典型案例)
and accountability records 问责 (who, on what basis, the decision). Rules: docs/inspections.md."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.context import actor
from api.register_context import (
    RECORD_HEADERS,
    desk,
    history_schema,
    record_context,
    register,
    today,
)
from api.schemas import IDEMPOTENCY_KEY_HEADER, ActorSchema, command_schema, month_field
from api.tasks import TaskListRowSchema
from domain.commands.registers import (
    IssueFollowUp,
    MarkInspectionTypical,
    OpenInspection,
    RecordAccountability,
    RecordCommand,
    RecordFinding,
)
from domain.inspections import AccountabilityRecord, Inspection
from domain.work_registers import require_accountability_reader
from projections.inspection_register import InspectionQuery, InspectionRegister

blp = Blueprint(
    "inspections", __name__, url_prefix="/api/v1", description="Inspections 督查 and 问责 records"
)


def _register() -> InspectionRegister:
    return InspectionRegister(register())


class OverdueLinkSchema(Schema):
    """An overdue record a finding or 问责 record rests on: a deadline of a case, or a task."""

    kind = fields.String(metadata={"enum": ["deadline", "task"]})
    case_id = fields.UUID()
    case_number = fields.String()
    slot = fields.String()
    rule_label = fields.String()
    due_date = fields.Date()
    task_id = fields.UUID()
    task = fields.Nested(TaskListRowSchema)


class EventLinkSchema(Schema):
    """An event of a case's history a 问责 record rests on."""

    case_id = fields.UUID()
    case_number = fields.String()
    version = fields.Integer()
    type = fields.String()
    type_label = fields.String()
    occurred_at = fields.AwareDateTime(allow_none=True)
    actor = fields.Nested(ActorSchema, allow_none=True)


class InspectionLinkSchema(Schema):
    """The inspection a 问责 record rests on."""

    id = fields.UUID()
    month = fields.String(allow_none=True)
    unit_name = fields.String(allow_none=True)


class CheckSchema(Schema):
    """One item of the checklist and its result."""

    item = fields.String()
    label = fields.String()
    passed = fields.Boolean()
    note = fields.String()


class FindingSchema(Schema):
    """A finding and the overdue records it rests on (those the caller may see)."""

    n = fields.Integer()
    text = fields.String()
    overdue = fields.List(fields.Nested(OverdueLinkSchema))
    recorded_by = fields.Nested(ActorSchema)
    occurred_at = fields.AwareDateTime()


class OrderSchema(Schema):
    """A follow-up order and its task."""

    n = fields.Integer()
    task_id = fields.UUID()
    task = fields.String()
    due_date = fields.Date()
    task_status = fields.String()
    recorded_by = fields.Nested(ActorSchema)
    occurred_at = fields.AwareDateTime()


class TypicalSchema(Schema):
    """The 典型案例 mark."""

    text = fields.String()
    marked_by = fields.Nested(ActorSchema)
    marked_at = fields.AwareDateTime()


class FactsSchema(Schema):
    """What the registers say of the unit's month, beside the checklist."""

    tasks_due = fields.Integer()
    tasks_on_time = fields.Integer()
    task_on_time_text = fields.String()
    tasks_overdue_now = fields.Integer()


class InspectionSchema(Schema):
    """One inspection."""

    id = fields.UUID()
    month = fields.String()
    facts = fields.Nested(FactsSchema)
    unit_id = fields.UUID()
    unit_name = fields.String(allow_none=True)
    held_on = fields.Date()
    checklist = fields.List(fields.Nested(CheckSchema))
    findings = fields.List(fields.Nested(FindingSchema))
    orders = fields.List(fields.Nested(OrderSchema))
    typical = fields.Nested(TypicalSchema, allow_none=True)
    recorded_by = fields.Nested(ActorSchema)
    version = fields.Integer()


class InspectionRowSchema(Schema):
    """An inspection as the list shows it."""

    id = fields.UUID()
    month = fields.String()
    unit_id = fields.UUID()
    unit_name = fields.String(allow_none=True)
    held_on = fields.Date()
    failed_items = fields.Integer()
    findings = fields.Integer()
    orders = fields.Integer()
    typical = fields.Boolean()
    version = fields.Integer()


class InspectionListSchema(Schema):
    """Inspections, latest month first."""

    items = fields.List(fields.Nested(InspectionRowSchema))


class InspectionQuerySchema(Schema):
    """Filters of the inspection list."""

    month = month_field(load_default=None)
    unit_id = fields.UUID(load_default=None)
    typical = fields.Boolean(load_default=None, metadata={"description": "marked 典型案例"})


class AccountabilityRecordSchema(Schema):
    """A 问责 record and what it rests on (the links the caller may see)."""

    id = fields.UUID()
    unit_id = fields.UUID()
    unit_name = fields.String(allow_none=True)
    person_id = fields.UUID(allow_none=True)
    person_name = fields.String(allow_none=True)
    overdue = fields.List(fields.Nested(OverdueLinkSchema))
    events = fields.List(fields.Nested(EventLinkSchema))
    inspection = fields.Nested(InspectionLinkSchema, allow_none=True)
    decision = fields.String()
    decision_label = fields.String()
    decided_by = fields.String()
    decided_on = fields.Date()
    outcome = fields.String()
    reason = fields.String()
    recorded_by = fields.Nested(ActorSchema)
    recorded_at = fields.AwareDateTime()
    version = fields.Integer()


class AccountabilityRowSchema(Schema):
    """A 问责 record as the list shows it."""

    id = fields.UUID()
    unit_id = fields.UUID()
    unit_name = fields.String(allow_none=True)
    person_name = fields.String(allow_none=True)
    decision = fields.String()
    decision_label = fields.String()
    decided_by = fields.String()
    decided_on = fields.Date()
    basis = fields.Integer()
    version = fields.Integer()


class AccountabilityListSchema(Schema):
    """问责 records, latest decision first."""

    items = fields.List(fields.Nested(AccountabilityRowSchema))


class AccountabilityQuerySchema(Schema):
    """Filters of the 问责 list."""

    unit_id = fields.UUID(load_default=None)
    month = month_field(load_default=None)


def _inspection_answer(inspection: Inspection, status: int) -> Any:
    view = _register().inspection_view(actor(), inspection, today())
    return view, status, {"ETag": f'"{inspection.version}"'}


@blp.route("/inspections")
class Inspections(MethodView):
    """Record and list inspections."""

    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER])
    @blp.arguments(command_schema(OpenInspection))
    @blp.response(201, InspectionSchema)
    def post(self, body: dict[str, Any]) -> Any:
        """Record the month's inspection of a unit with its checklist (supervisor); a unit is
        inspected once a month (409 for a second)."""
        ctx = record_context(body)
        inspection = desk().execute(OpenInspection(**body), ctx)
        assert isinstance(inspection, Inspection)
        return _inspection_answer(inspection, 201)

    @blp.arguments(InspectionQuerySchema, location="query")
    @blp.response(200, InspectionListSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Inspections (overseers: all; a unit head: their unit's)."""
        return {"items": _register().inspections(actor(), InspectionQuery(**query))}


@blp.route("/inspections/<uuid:inspection_id>")
class InspectionResource(MethodView):
    """One inspection."""

    @blp.response(200, InspectionSchema)
    def get(self, inspection_id: UUID) -> Any:
        """The checklist, findings and their links, orders and the 典型案例 mark."""
        return _inspection_answer(desk().inspection(actor(), inspection_id), 200)


InspectionHistorySchema = history_schema("inspection")
"""An inspection's trail, as its reader is shown it."""


@blp.route("/inspections/<uuid:inspection_id>/history")
class InspectionHistory(MethodView):
    """The trail of one inspection."""

    @blp.response(200, InspectionHistorySchema)
    def get(self, inspection_id: UUID) -> dict[str, Any]:
        """Every event of the inspection in order (the checklist, each finding, order and the
        典型案例 mark), each with its actor, both times and reason; a finding's overdue records
        are those the caller may see."""
        inspection = desk().inspection(actor(), inspection_id)
        view = _register().inspection_view(actor(), inspection, today())
        events = _register().inspection_history(inspection, view)
        return {"inspection_id": inspection.id, "events": events}


def _inspection_command(declaration: type[RecordCommand], status: int) -> Any:
    def view(body: dict[str, Any], inspection_id: UUID) -> Any:
        ctx = record_context(body)
        command: Any = declaration
        inspection = desk().execute(command(inspection_id=inspection_id, **body), ctx)
        assert isinstance(inspection, Inspection)
        return _inspection_answer(inspection, status)

    view.__name__ = f"inspection_{declaration.verb}"
    view.__doc__ = f"{declaration.summary}.\n\n{declaration.__doc__}"
    return view


def _register_commands() -> None:
    """One POST per declared inspection command, its body schema derived from it."""
    for declaration, status in (
        (RecordFinding, 201),
        (IssueFollowUp, 201),
        (MarkInspectionTypical, 200),
    ):
        view = _inspection_command(declaration, status)
        documented = blp.doc(
            summary=declaration.summary,
            description=declaration.__doc__,
            parameters=RECORD_HEADERS,
        )(blp.arguments(command_schema(declaration))(blp.response(status, InspectionSchema)(view)))
        blp.route(
            f"/inspections/<uuid:inspection_id>/{declaration.path}",
            methods=["POST"],
            endpoint=view.__name__,
        )(documented)


_register_commands()


@blp.route("/accountability-records")
class AccountabilityRecords(MethodView):
    """Record and list 问责 records."""

    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER])
    @blp.arguments(command_schema(RecordAccountability))
    @blp.response(201, AccountabilityRecordSchema)
    def post(self, body: dict[str, Any]) -> Any:
        """Record a 问责 decision (supervisor, for the authority that took it), linked to the
        overdue records, events of cases and inspection it rests on; `reason` states the
        grounds."""
        ctx = record_context(body)
        record = desk().execute(RecordAccountability(**body), ctx)
        assert isinstance(record, AccountabilityRecord)
        view = _register().accountability_view(actor(), record, today())
        return view, 201, {"ETag": f'"{record.version}"'}

    @blp.arguments(AccountabilityQuerySchema, location="query")
    @blp.response(200, AccountabilityListSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """问责 records (supervisor, auditor)."""
        require_accountability_reader(actor())
        return {"items": _register().accountability_records(**query)}


@blp.route("/accountability-records/<uuid:record_id>")
class AccountabilityRecordResource(MethodView):
    """One 问责 record."""

    @blp.response(200, AccountabilityRecordSchema)
    def get(self, record_id: UUID) -> Any:
        """The record and the overdue records, events and inspection it rests on."""
        record = desk().accountability_record(actor(), record_id)
        return _register().accountability_view(actor(), record, today())
