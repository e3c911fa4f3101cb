"""Case endpoints: register, read, history, and one POST per command."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from api.audit import ProvenHistorySchema, add_proofs, record_read
from api.context import actor, application, expected_version, idempotency_key
from api.schemas import (
    IDEMPOTENCY_KEY_HEADER,
    IF_MATCH_HEADER,
    AsOfSchema,
    CaseRegisterSchema,
    CaseSchema,
    HistoryQuerySchema,
    command_schema,
)
from domain import deadlines
from domain.access import READ_CASE, READ_HISTORY
from domain.application import Context, Outcome, today_in_county
from domain.cases import Case
from domain.commands import CASE_COMMANDS, CaseCommand, RegisterCase
from domain.values import Actor, Category
from projections.ledger import PetitionerSealer

blp = Blueprint("cases", __name__, url_prefix="/api/v1", description="Cases (信访事项)")

ACCUSATION_WITHHELD = "（检举控告内容：仅限授权人员查看）"
STAMP_FIELDS = frozenset(
    {
        "originator_id",
        "originator_version",
        "timestamp",
        "originator_topic",
        "actor",
        "occurred_at",
        "reason",
        "on_behalf_of",
    }
)


# -- presenting ------------------------------------------------------------------------------
def case_view(
    case: Case, viewer: Actor, today: date, *, sees: bool | None = None
) -> dict[str, Any]:
    """The case as `viewer` may see it today (identity masked where the role requires)."""
    if sees is None:
        sees = application().may_see_identity(viewer, case)
    view = {
        name: getattr(case, name)
        for name in CaseSchema().fields
        if name not in {"petitioners", "deadlines", "identity_masked", "id", "version", "content"}
    }
    view.update(
        id=case.id,
        version=case.version,
        identity_masked=not sees,
        petitioners=[p if sees else p.masked() for p in case.petitioners],
        content=case.content
        if sees or case.category is not Category.ACCUSATION
        else ACCUSATION_WITHHELD,
        deadlines=[
            {
                **{f.name: getattr(d, f.name) for f in dataclasses.fields(d)},
                "rule": d.rule.value,
                "unit": d.unit.value,
                "key": d.name,
                "status": deadlines.level(d, today),
            }
            for d in case.deadlines.values()
        ],
    )
    return view


def plain(value: Any) -> Any:
    """A JSON-ready copy of an event field value."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def event_view(event: Any, sees_identity: bool, case: Case) -> dict[str, Any]:
    """One history entry: who, when (both times), why, and what (masked as for the case)."""
    data = {
        name: getattr(event, name)
        for name in event.__dataclass_fields__
        if name not in STAMP_FIELDS
    }
    reason = event.reason
    if not sees_identity:
        if "petitioners" in data:
            data["petitioners"] = [p.masked() for p in data["petitioners"]]
        if "content" in data and case.category is Category.ACCUSATION:
            data["content"] = ACCUSATION_WITHHELD
        # Free text (a reason, a note) may name the petitioner.
        data = {
            k: PetitionerSealer.redact(v, case.petitioners) if isinstance(v, str) else v
            for k, v in data.items()
        }
        reason = PetitionerSealer.redact(reason, case.petitioners) if reason else reason
    return {
        "version": event.originator_version,
        "type": type(event).__name__,
        "recorded_at": event.timestamp,
        "occurred_at": event.occurred_at,
        "actor": event.actor,
        "reason": reason,
        "on_behalf_of": event.on_behalf_of,
        "data": plain(data),
    }


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
    app = application()
    case = outcome.case
    return case_view(case, actor(), today_in_county(app)), {"ETag": f'"{case.version}"'}


# -- endpoints -------------------------------------------------------------------------------
@blp.route("/cases")
class Cases(MethodView):
    """Register petitions."""

    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER])
    @blp.arguments(CaseRegisterSchema)
    @blp.response(201, CaseSchema)
    def post(self, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """Register a petition as a new case (clerk, dispatcher)."""
        ctx = _context(body)
        return _answer(application().execute(RegisterCase(**body), ctx))


@blp.route("/cases/<uuid:case_id>")
class CaseResource(MethodView):
    """One case."""

    @blp.arguments(AsOfSchema, location="query")
    @blp.response(200, CaseSchema)
    def get(self, query: dict[str, Any], case_id: UUID) -> tuple[dict[str, Any], dict[str, str]]:
        """The case now, or as it stood at `as_of`."""
        app = application()
        viewer = actor()
        case = app.get_case(viewer, case_id, as_of=query["as_of"])
        record_read(case, READ_CASE)
        # Identity is shown by the viewer's standing today, not the one they had at `as_of`.
        sees = (
            app.may_see_identity(viewer, app.get_case(viewer, case_id)) if query["as_of"] else None
        )
        view = case_view(case, viewer, today_in_county(app), sees=sees)
        return view, {"ETag": f'"{case.version}"'}


@blp.route("/cases/<uuid:case_id>/history")
class CaseHistory(MethodView):
    """The audit trail of one case."""

    @blp.arguments(HistoryQuerySchema, location="query")
    @blp.response(200, ProvenHistorySchema)
    def get(self, query: dict[str, Any], case_id: UUID) -> dict[str, Any]:
        """Every event of the case, in order; with `proofs=true`, each one's inclusion proof."""
        app = application()
        viewer = actor()
        case, events = app.history(viewer, case_id)
        sees = app.may_see_identity(viewer, case)
        record_read(case, READ_HISTORY)
        history = {
            "case_id": case.id,
            "number": case.number,
            "events": [event_view(e, sees, case) for e in events],
        }
        return add_proofs(history) if query["proofs"] else history


# -- commands --------------------------------------------------------------------------------
def _command_view(declaration: type[CaseCommand]) -> Callable[..., Any]:
    def view(body: dict[str, Any], case_id: UUID, **path: Any) -> Any:
        ctx = _context(body)
        command = declaration(case_id=case_id, **body, **path)
        return _answer(application().execute(command, ctx))

    view.__name__ = f"command_{declaration.verb}"
    view.__doc__ = f"{declaration.summary}.\n\n{declaration.__doc__}"
    return view


def _register_commands() -> None:
    """One POST per declared command, its body schema and documentation derived from it."""
    for declaration in CASE_COMMANDS:
        view = _command_view(declaration)
        documented = blp.doc(
            summary=declaration.summary,
            description=declaration.__doc__,
            parameters=[IF_MATCH_HEADER, IDEMPOTENCY_KEY_HEADER],
        )(blp.arguments(command_schema(declaration))(blp.response(200, CaseSchema)(view)))
        blp.route(
            f"/cases/<uuid:case_id>/{declaration.path}", methods=["POST"], endpoint=view.__name__
        )(documented)


_register_commands()
