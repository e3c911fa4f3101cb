"""The risk register (隐患排查台账): enter, list, export, read with history, one POST per command,
and the monthly 排查 report (docs/risks.md).

What a viewer is shown of a risk is decided by projections/disclosure.py (the people involved
are protected like petitioners); the endpoints here only serialise it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.audit_schemas import HeadSchema, ProvenEventSchema
from api.context import actor, expected_version, idempotency_key, services
from api.schemas import (
    BINARY,
    IDEMPOTENCY_KEY_HEADER,
    IF_MATCH_HEADER,
    ActorSchema,
    HistoryQuerySchema,
    PetitionerSchema,
    choice,
    command_schema,
    day,
    month_field,
)
from api.spreadsheets import XLSX, workbook_response
from domain import permissions
from domain.access import EXPORT_RISK_REGISTER
from domain.application import Context
from domain.cases import local_date
from domain.commands.risks import RISK_COMMANDS, RegisterRisk, RiskCommand
from domain.registers import RiskOutcome
from domain.values import RiskKind, RiskLevel, RiskSource, RiskStatus, Role
from projections import disclosure
from projections.names import Names
from projections.risk_register import RiskQuery
from projections.workbooks import risk_workbook

blp = Blueprint("risks", __name__, url_prefix="/api/v1", description="Risk register 隐患排查台账")

RISK_READERS = frozenset(Role) - {Role.ADMIN}
"""Roles that may open the register (each then sees the risks the visibility rule shows)."""


class RiskStepSchema(Schema):
    """One 化解 step."""

    n = fields.Integer()
    text = fields.String()
    taken_at = fields.AwareDateTime()
    actor = fields.Nested(ActorSchema)


class RiskSchema(Schema):
    """A risk as the viewer is shown it (with its history on GET /risks/{id})."""

    id = fields.UUID()
    number = fields.String()
    version = fields.Integer()
    kind = choice(RiskKind)
    source = choice(RiskSource)
    level = choice(RiskLevel)
    status = choice(RiskStatus)
    subject = fields.String()
    description = fields.String()
    township_id = fields.UUID()
    township_name = fields.String(allow_none=True)
    village = fields.String(allow_none=True)
    people = fields.List(fields.Nested(PetitionerSchema))
    identity_masked = fields.Boolean()
    headcount = fields.Integer(allow_none=True)
    accused_unit_ids = fields.List(fields.UUID())
    reporting_unit_id = fields.UUID(allow_none=True)
    leader_id = fields.UUID(allow_none=True)
    leader_name = fields.String(allow_none=True)
    unit_id = fields.UUID(allow_none=True)
    unit_name = fields.String(allow_none=True)
    handler_id = fields.UUID(allow_none=True)
    handler_name = fields.String(allow_none=True)
    incomplete = fields.Boolean(
        metadata={"description": "lacks a 包案领导, 责任单位 or 具体负责人"}
    )
    missing = fields.List(fields.String(), metadata={"description": "which of the three"})
    steps = fields.List(fields.Nested(RiskStepSchema))
    found_at = fields.AwareDateTime()
    recorded_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    resolved_at = fields.AwareDateTime(allow_none=True)
    evidence = fields.String(allow_none=True)
    approved_by = fields.Nested(ActorSchema, allow_none=True)
    case_id = fields.UUID(allow_none=True)
    case_number = fields.String(allow_none=True)
    converted_at = fields.AwareDateTime(allow_none=True)
    history = fields.List(fields.Nested(ProvenEventSchema))
    head = fields.Nested(HeadSchema, metadata={"description": "with `proofs=true`: the head"})


class RiskQuerySchema(Schema):
    """Filters of GET /risks and /risks.xlsx."""

    status = choice(RiskStatus, load_default=None)
    level = choice(RiskLevel, load_default=None)
    township_id = fields.UUID(load_default=None)
    unit_id = fields.UUID(load_default=None)
    incomplete = fields.Boolean(load_default=None)
    found_from = day(load_default=None)
    found_to = day(load_default=None)
    q = fields.String(load_default=None, validate=validate.Length(min=1, max=200))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class RiskRowSchema(Schema):
    """One row of the register."""

    risk_id = fields.UUID()
    number = fields.String()
    kind = fields.String()
    source = fields.String()
    level = fields.String()
    status = fields.String()
    subject = fields.String()
    township_id = fields.UUID()
    township_name = fields.String(allow_none=True)
    village = fields.String(allow_none=True)
    people = fields.List(fields.Dict())
    identity_masked = fields.Boolean()
    headcount = fields.Integer(allow_none=True)
    leader_id = fields.UUID(allow_none=True)
    leader_name = fields.String(allow_none=True)
    unit_id = fields.UUID(allow_none=True)
    unit_name = fields.String(allow_none=True)
    handler_id = fields.UUID(allow_none=True)
    handler_name = fields.String(allow_none=True)
    incomplete = fields.Boolean()
    missing = fields.List(fields.String())
    steps = fields.Integer()
    last_step_on = fields.String(allow_none=True)
    found_on = fields.String()
    resolved_on = fields.String(allow_none=True)
    converted_on = fields.String(allow_none=True)
    approved_by = fields.String(allow_none=True)
    case_id = fields.UUID(allow_none=True)
    case_number = fields.String(allow_none=True)
    version = fields.Integer()


class RiskPageSchema(Schema):
    """A page of the register."""

    items = fields.List(fields.Nested(RiskRowSchema))
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()


class RiskMonthQuerySchema(Schema):
    """Query of GET /risks/report."""

    month = month_field(required=True)


class RiskReportRowSchema(Schema):
    """The month's figures of one township at one level."""

    township_id = fields.UUID()
    township_name = fields.String(allow_none=True)
    level = fields.String()
    found = fields.Integer()
    resolved = fields.Integer()
    converted = fields.Integer()
    open = fields.Integer()
    incomplete = fields.Integer()


class RiskReportSchema(Schema):
    """The monthly 排查 report."""

    month = fields.String()
    rows = fields.List(fields.Nested(RiskReportRowSchema))


def _context(body: dict[str, Any]) -> Context:
    return Context(
        actor=actor(),
        occurred_at=body.pop("occurred_at", None),
        reason=body.pop("reason", None),
        on_behalf_of=body.pop("on_behalf_of", None),
        expected_version=expected_version(),
        idempotency_key=idempotency_key(),
    )


def _answer(outcome: RiskOutcome) -> tuple[dict[str, Any], dict[str, str]]:
    risk = outcome.risk
    view = disclosure.risk_answer(services().app, actor(), risk, outcome.now)
    return view, {"ETag": f'"{risk.version}"'}


def _query(args: dict[str, Any]) -> RiskQuery:
    return RiskQuery(
        status=args["status"],
        level=args["level"],
        township_id=args["township_id"],
        unit_id=args["unit_id"],
        incomplete=args["incomplete"],
        found_from=args["found_from"],
        found_to=args["found_to"],
        q=args["q"],
        limit=args["page_size"],
        offset=(args["page"] - 1) * args["page_size"],
    )


def _reader() -> None:
    permissions.require_role(actor(), RISK_READERS, "查看隐患排查台账")
    services().catch_up()


# -- the bodies the endpoints and the web pages share ------------------------------------------
def risk_page(args: dict[str, Any]) -> dict[str, Any]:
    """A page of the register as the caller is shown it (rows with people logged)."""
    _reader()
    built = services()
    found, total = built.risks.search(actor(), _query(args))
    items = disclosure.register_rows(built.app, actor(), found)
    return {"items": items, "total": total, "page": args["page"], "page_size": args["page_size"]}


def risk_export(args: dict[str, Any]) -> Response:
    """The selection of `args` (every page) as a workbook; every row is logged as exported."""
    _reader()
    built = services()
    found = built.risks.export(actor(), _query(args))
    items = disclosure.register_rows(built.app, actor(), found, EXPORT_RISK_REGISTER, always=True)
    workbook = risk_workbook(items)
    today = local_date(built.app.clock())
    return workbook_response(workbook, f"risks-{today.isoformat()}.xlsx")


def risk_report(month: str) -> dict[str, Any]:
    """The monthly 排查 report: per township and level, the risks the caller may see."""
    _reader()
    built = services()
    rows = built.risks.monthly(actor(), month)
    names = Names(built.app)
    for row in rows:
        row["township_name"] = names.unit(row["township_id"].hex)
    return {"month": month, "rows": rows}


# -- endpoints -------------------------------------------------------------------------------
@blp.route("/risks")
class Risks(MethodView):
    """Enter and list risks."""

    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER])
    @blp.arguments(command_schema(RegisterRisk))
    @blp.response(201, RiskSchema)
    def post(self, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """Enter a risk (录入隐患); it is listed incomplete until its three duties are named."""
        ctx = _context(body)
        return _answer(services().registers.execute(RegisterRisk(**body), ctx))

    @blp.arguments(RiskQuerySchema, location="query")
    @blp.response(200, RiskPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The register: filtered, paged rows of the risks the viewer may see."""
        return risk_page(args)


@blp.route("/risks.xlsx")
class RiskWorkbook(MethodView):
    """The register as an Excel workbook."""

    @blp.arguments(RiskQuerySchema, location="query")
    @blp.response(200, BINARY, content_type=XLSX, description="隐患排查台账.xlsx")
    def get(self, args: dict[str, Any]) -> Response:
        """The same selection as GET /risks (all pages), as .xlsx with Chinese headers."""
        return risk_export(args)


@blp.route("/risks/report")
class RiskReport(MethodView):
    """The monthly 排查 report."""

    @blp.arguments(RiskMonthQuerySchema, location="query")
    @blp.response(200, RiskReportSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Per township and level: found, closed as defused, converted, open, incomplete."""
        return risk_report(args["month"])


@blp.route("/risks/<uuid:risk_id>")
class RiskResource(MethodView):
    """One risk."""

    @blp.arguments(HistoryQuerySchema, location="query")
    @blp.response(200, RiskSchema)
    def get(self, query: dict[str, Any], risk_id: UUID) -> tuple[dict[str, Any], dict[str, str]]:
        """The risk now, with its history (every event, in order); with `proofs=true`, each
        event's inclusion proof in the audit tree and the signed head they verify against."""
        built = services()
        view = disclosure.read_risk(built.registers, actor(), risk_id)
        if query["proofs"]:
            view = disclosure.add_risk_proofs(built.audit, view)
        return view, {"ETag": f'"{view["version"]}"'}


# -- commands --------------------------------------------------------------------------------
def _command_view(declaration: type[RiskCommand]) -> Callable[..., Any]:
    def view(body: dict[str, Any], risk_id: UUID) -> Any:
        ctx = _context(body)
        command = declaration(risk_id=risk_id, **body)
        return _answer(services().registers.execute(command, ctx))

    view.__name__ = f"risk_{declaration.verb}"
    view.__doc__ = f"{declaration.summary}.\n\n{declaration.__doc__}"
    return view


def _register_commands() -> None:
    """One POST per declared risk command, its body schema and documentation derived from it."""
    for declaration in RISK_COMMANDS:
        view = _command_view(declaration)
        documented = blp.doc(
            summary=declaration.summary,
            description=declaration.__doc__,
            parameters=[IF_MATCH_HEADER, IDEMPOTENCY_KEY_HEADER],
        )(blp.arguments(command_schema(declaration))(blp.response(200, RiskSchema)(view)))
        blp.route(
            f"/risks/<uuid:risk_id>/{declaration.path}", methods=["POST"], endpoint=view.__name__
        )(documented)


_register_commands()
