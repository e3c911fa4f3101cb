"""Case endpoints: register, read, history, and one POST per command.

What a viewer is shown of a case and its history is decided by projections/disclosure.py; the
endpoints here only serialise it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.audit_schemas import ProvenHistorySchema
from api.context import actor, application, expected_version, idempotency_key, services
from api.schemas import (
    NAME,
    TEXT,
    AsOfSchema,
    CaseRegisterSchema,
    CaseSchema,
    HistoryQuerySchema,
    PetitionerSchema,
    choice,
    command_schema,
    day,
    instant,
)
from domain.application import Context, Outcome
from domain.values import (
    Channel,
    Decision,
    Disposition,
    Flag,
    HearingAction,
    NoticeKind,
    Petitioner,
    Resolution,
    Satisfaction,
    VisitKind,
)
from domain.values import Outcome as ResponseOutcome
from projections import disclosure

blp = Blueprint("cases", __name__, url_prefix="/api/v1", description="Cases (信访事项)")


def _context(body: dict[str, Any]) -> Context:
    return Context(
        actor=actor(),
        occurred_at=body.pop("occurred_at", None),
        reason=body.pop("reason", None),
        on_behalf_of=body.pop("on_behalf_of", None),
        expected_version=expected_version(),
        idempotency_key=idempotency_key(),
    )


def _answer(outcome: Outcome) -> tuple[dict[str, Any], dict[str, str]]:
    case = outcome.case
    return disclosure.answer(application(), actor(), case), {"ETag": f'"{case.version}"'}


# -- endpoints -------------------------------------------------------------------------------
@blp.route("/cases")
class Cases(MethodView):
    """Register petitions."""

    @blp.arguments(CaseRegisterSchema)
    @blp.response(201, CaseSchema)
    def post(self, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """Register a petition as a new case (clerk, dispatcher)."""
        ctx = _context(body)
        body["petitioners"] = [Petitioner(**p) for p in body["petitioners"]]
        return _answer(application().register_case(ctx, **body))


@blp.route("/cases/<uuid:case_id>")
class CaseResource(MethodView):
    """One case."""

    @blp.arguments(AsOfSchema, location="query")
    @blp.response(200, CaseSchema)
    def get(self, query: dict[str, Any], case_id: UUID) -> tuple[dict[str, Any], dict[str, str]]:
        """The case now, or as it stood at `as_of`."""
        view = disclosure.read_case(application(), actor(), case_id, as_of=query["as_of"])
        return view, {"ETag": f'"{view["version"]}"'}


@blp.route("/cases/<uuid:case_id>/history")
class CaseHistory(MethodView):
    """The audit trail of one case."""

    @blp.arguments(HistoryQuerySchema, location="query")
    @blp.response(200, ProvenHistorySchema)
    def get(self, query: dict[str, Any], case_id: UUID) -> dict[str, Any]:
        """Every event of the case, in order; with `proofs=true`, each one's inclusion proof."""
        built = services()
        history = disclosure.read_history(built.app, actor(), case_id)
        return disclosure.add_proofs(built.audit, history) if query["proofs"] else history


# -- commands --------------------------------------------------------------------------------
@dataclass(frozen=True)
class CommandSpec:
    """One case command of the HTTP API and the domain method behind it."""

    path: str
    command: str
    summary: str
    body: dict[str, fields.Field[Any]]
    adapt: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    @property
    def schema(self) -> type[Schema]:
        """The request body schema."""
        return command_schema(self.command, **self.body)


def _petitioners(body: dict[str, Any]) -> dict[str, Any]:
    body["petitioners"] = [Petitioner(**p) for p in body["petitioners"]]
    return body


def _uuid(required: bool = True) -> fields.UUID:
    if required:
        return fields.UUID(required=True)
    return fields.UUID(load_default=None, allow_none=True)


def _text(required: bool = True) -> fields.String:
    if required:
        return fields.String(required=True, validate=TEXT)
    return fields.String(load_default="", validate=validate.Length(max=20_000))


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("forward", "forward", "Forward (转送) to a unit", {"unit_id": _uuid()}),
    CommandSpec(
        "assign",
        "assign",
        "Assign (交办) to a unit with a due date",
        {"unit_id": _uuid(), "due_date": day(required=True)},
    ),
    CommandSpec(
        "divert",
        "divert",
        "Divert (分流) to another channel",
        {"target": fields.String(required=True, validate=NAME)},
    ),
    CommandSpec("not-accept", "not_accept", "Do not accept (不予受理)", {}),
    CommandSpec("merge", "merge", "Merge (并案) into another case", {"into_case_id": _uuid()}),
    CommandSpec(
        "accept",
        "accept",
        "Accept (受理) in the responsible unit",
        {"handler_id": _uuid(required=False), "leader_id": _uuid(required=False)},
    ),
    CommandSpec("object", "object", "Object (异议) within 5 working days", {}),
    CommandSpec(
        "objection-decision",
        "decide_objection",
        "Decide a unit's objection",
        {"upheld": fields.Boolean(required=True)},
    ),
    CommandSpec("start-work", "start_work", "Start investigating", {}),
    CommandSpec(
        "visits",
        "record_visit",
        "Record a visit (接访/下访/约访)",
        {
            "kind": choice(VisitKind, required=True),
            "leader_id": _uuid(required=False),
            "held_at": instant(required=True),
            "notes": _text(required=False),
        },
    ),
    CommandSpec(
        "extend",
        "extend",
        "Extend handling (延期, ≤30 days in total)",
        {
            "days": fields.Integer(required=True, validate=validate.Range(min=1, max=30)),
            "approved_by": fields.String(required=True, validate=NAME),
        },
    ),
    CommandSpec(
        "respond",
        "respond",
        "Issue the response (答复)",
        {
            "outcome": choice(ResponseOutcome, required=True),
            "text": _text(),
            "delivered_at": instant(required=True),
        },
    ),
    CommandSpec(
        "submit-report", "submit_report", "Submit the completion report", {"text": _text()}
    ),
    CommandSpec("approve-report", "approve_report", "Approve the completion report", {}),
    CommandSpec("return-report", "return_report", "Return the completion report", {}),
    CommandSpec(
        "reassign",
        "reassign",
        "Move the case to another unit",
        {"unit_id": _uuid(), "due_date": day(load_default=None, allow_none=True)},
    ),
    CommandSpec("request-review", "request_review", "Request review (复查)", {}),
    CommandSpec(
        "decide-review",
        "decide_review",
        "Record the review decision",
        {"decision": choice(Decision, required=True), "text": _text(required=False)},
    ),
    CommandSpec("request-recheck", "request_recheck", "Request recheck (复核)", {}),
    CommandSpec(
        "decide-recheck",
        "decide_recheck",
        "Record the recheck decision",
        {"decision": choice(Decision, required=True), "text": _text(required=False)},
    ),
    CommandSpec(
        "hearing",
        "hearing",
        "Start or end a recheck hearing (pauses the clock)",
        {"action": choice(HearingAction, required=True)},
    ),
    CommandSpec("handler", "change_handler", "Change the handler", {"handler_id": _uuid()}),
    CommandSpec(
        "leader",
        "change_leader",
        "Designate the sponsoring leader (包案领导)",
        {"leader_id": _uuid()},
    ),
    CommandSpec(
        "dispositions",
        "record_dispositions",
        "Record dispositions (三到位一处理)",
        {
            "kinds": fields.List(
                choice(Disposition), required=True, validate=validate.Length(min=1, max=4)
            ),
            "note": _text(required=False),
        },
    ),
    CommandSpec(
        "follow-up",
        "record_follow_up",
        "Record a follow-up (回访)",
        {"satisfaction": choice(Satisfaction, required=True), "note": _text(required=False)},
    ),
    CommandSpec(
        "flags",
        "set_flag",
        "Put a flag on or off",
        {"flag": choice(Flag, required=True), "on": fields.Boolean(required=True)},
    ),
    CommandSpec(
        "close",
        "close",
        "Close (办结) with a resolution",
        {"resolution": choice(Resolution, required=True)},
    ),
    CommandSpec(
        "reopen",
        "reopen",
        "Reopen a closed case",
        {"approved_by": fields.String(required=True, validate=NAME)},
    ),
    CommandSpec("withdraw", "withdraw", "Withdraw (撤回) on the petitioner's behalf", {}),
    CommandSpec(
        "notices",
        "notify_petitioner",
        "Record a notice to the petitioner (告知)",
        {
            "kind": choice(NoticeKind, required=True),
            "method": fields.String(required=True, validate=NAME),
            "delivered_at": instant(required=True),
        },
    ),
    CommandSpec("progress", "record_progress", "Record progress", {"note": _text()}),
    CommandSpec(
        "petitions",
        "link_petition",
        "Attach a repeat petition",
        {
            "channel": choice(Channel, required=True),
            "content": _text(),
            "petitioners": fields.List(
                fields.Nested(PetitionerSchema),
                required=True,
                validate=validate.Length(min=1, max=500),
            ),
        },
        adapt=_petitioners,
    ),
    CommandSpec(
        "supervision-orders",
        "issue_supervision_order",
        "Issue a supervision order (督办)",
        {"due_date": day(required=True), "text": _text()},
    ),
    CommandSpec(
        "supervision-orders/<int:n>/answer",
        "answer_supervision_order",
        "Answer a supervision order",
        {"text": _text()},
    ),
)


def _command_view(spec: CommandSpec) -> Callable[..., Any]:
    def view(body: dict[str, Any], case_id: UUID, **path: Any) -> Any:
        ctx = _context(body)
        args = spec.adapt(body) if spec.adapt else body
        return _answer(application().execute(spec.command, case_id, ctx, **args, **path))

    view.__name__ = f"command_{spec.command}"
    view.__doc__ = spec.summary
    return view


def _register_commands() -> None:
    for spec in COMMANDS:
        view = _command_view(spec)
        documented = blp.doc(summary=spec.summary)(
            blp.arguments(spec.schema)(blp.response(200, CaseSchema)(view))
        )
        blp.route(f"/cases/<uuid:case_id>/{spec.path}", methods=["POST"], endpoint=view.__name__)(
            documented
        )


_register_commands()
