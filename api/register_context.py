"""What the endpoints of the registers (meetings, tasks, inspections, 问责) share: the use
cases and read side over this app's services, the caller's context, today in the county."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import Schema, fields

from api.context import actor, application, expected_version, idempotency_key, services
from api.schemas import IDEMPOTENCY_KEY_HEADER, HistoryEventSchema
from domain.application import Context
from domain.cases import local_date
from domain.work_registers import WorkRegisters
from projections.attribution import deadline_unit
from projections.meeting_register import MeetingRegister, agenda_drawer


def desk() -> WorkRegisters:
    """The registers' use cases, drawing agendas (and telling whose a deadline is) from this
    instance's read side."""
    built = services()
    return WorkRegisters(
        built.app,
        agenda_drawer(built.accountability, built.views, built.risks),
        deadline_unit(built.views),
    )


def register() -> MeetingRegister:
    """The registers' read side, caught up with the log."""
    built = services()
    built.catch_up()
    return MeetingRegister(built.app, built.views, built.accountability, built.risks)


def today() -> date:
    """Today in the county, by the application's clock."""
    return local_date(application().clock())


def record_context(body: dict[str, Any]) -> Context:
    """The caller's context of a command (business time, reason, on whose behalf, If-Match)."""
    return Context(
        actor=actor(),
        occurred_at=body.pop("occurred_at", None),
        reason=body.pop("reason", None),
        on_behalf_of=body.pop("on_behalf_of", None),
        expected_version=expected_version(),
        idempotency_key=idempotency_key(),
    )


class RecordEventSchema(HistoryEventSchema):
    """One entry of a register record's history (a task's, a meeting's, an inspection's): a
    case history's entry with the event's Chinese name."""

    type_label = fields.String()
    data = fields.Dict(metadata={"description": "what the event shows this viewer"})


def history_schema(record: str) -> type[Schema]:
    """The schema of a register record's trail: `<record>_id` and its events."""
    fields_of: dict[str, Any] = {
        f"{record}_id": fields.UUID(),
        "events": fields.List(fields.Nested(RecordEventSchema)),
    }
    return Schema.from_dict(fields_of, name=f"{record.title()}HistorySchema")


class PersonRefSchema(Schema):
    """A person named by a record."""

    id = fields.UUID()
    name = fields.String(allow_none=True)


RECORD_HEADERS: list[dict[str, Any]] = []
"""The headers every command of the registers documents (set below)."""

RECORD_IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": 'the record version the command expects, e.g. "3" (409 if it has moved on)',
}

RECORD_HEADERS.extend([RECORD_IF_MATCH, IDEMPOTENCY_KEY_HEADER])
