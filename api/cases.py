"""Case endpoints: register, read, history, and one POST per command.

What a viewer is shown of a case and its history is decided by projections/disclosure.py; the
endpoints here only serialise it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from api import rendered
from api.audit_schemas import ProvenHistorySchema
from api.context import actor, application, expected_version, idempotency_key, services
from api.schemas import (
    IDEMPOTENCY_KEY_HEADER,
    IF_MATCH_HEADER,
    IF_NONE_MATCH_HEADER,
    AsOfSchema,
    CaseRegisterSchema,
    CaseSchema,
    HistoryQuerySchema,
    command_schema,
)
from domain.access import READ_CASE, READ_HISTORY
from domain.application import Context, Outcome, today_in_county
from domain.commands import CASE_COMMANDS, CaseCommand, RegisterCase
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
    view = disclosure.answer(application(), actor(), case, outcome.now)
    return view, {"ETag": f'"{case.version}"'}


# -- endpoints -------------------------------------------------------------------------------
@blp.route("/cases")
class Cases(MethodView):
    """Register petitions."""

    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER])
    @blp.arguments(CaseRegisterSchema())
    @blp.response(201, CaseSchema)
    def post(self, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """Register a petition as a new case (clerk, dispatcher)."""
        ctx = _context(body)
        return _answer(application().execute(RegisterCase(**body), ctx))


def _etag(version: int) -> str:
    return f'"{version}"'


def _unchanged(version: int) -> Response | None:
    """304 Not Modified if the caller's If-None-Match names this version (nothing is shown,
    so nothing is disclosed or logged)."""
    tags = request.if_none_match
    if tags and tags.contains_weak(str(version)):
        return Response(status=304, headers={"ETag": _etag(version)})
    return None


NOT_MODIFIED = "The case is at the version named by If-None-Match (nothing is sent or logged)"


@blp.route("/cases/<uuid:case_id>")
class CaseResource(MethodView):
    """One case."""

    @blp.doc(parameters=[IF_NONE_MATCH_HEADER])
    @blp.arguments(AsOfSchema(), location="query")
    @blp.response(200, CaseSchema)
    @blp.alt_response(304, description=NOT_MODIFIED)
    def get(self, query: dict[str, Any], case_id: UUID) -> Any:
        """The case now, or as it stood at `as_of`.

        The case now is read from the case view once it holds every event saved before this
        request (read-your-writes); its ETag is its version, and `If-None-Match` with it is
        answered 304.
        """
        built = services()
        viewer = actor()
        if query["as_of"] is not None:
            view = disclosure.read_case(built.app, viewer, case_id, as_of=query["as_of"])
            return view, {"ETag": _etag(view["version"])}
        case = built.app.get_case(viewer, case_id, current=built.case_now(case_id))
        unchanged = _unchanged(case.version)
        if unchanged is not None:
            return unchanged
        sees = disclosure.shown(built.app, viewer, case, READ_CASE)
        today = today_in_county(built.app)
        return rendered.answer(
            ("case", case.id, case.version, sees, today),
            CASE_SCHEMA,
            lambda: disclosure.case_view(case, today, sees=sees),
            {"ETag": _etag(case.version)},
        )


@blp.route("/cases/<uuid:case_id>/history")
class CaseHistory(MethodView):
    """The audit trail of one case."""

    @blp.doc(parameters=[IF_NONE_MATCH_HEADER])
    @blp.arguments(HistoryQuerySchema(), location="query")
    @blp.response(200, ProvenHistorySchema)
    @blp.alt_response(304, description=NOT_MODIFIED)
    def get(self, query: dict[str, Any], case_id: UUID) -> Any:
        """Every event of the case, in order; with `proofs=true`, each one's inclusion proof.

        Without proofs its ETag is the case's version (`If-None-Match` with it is answered
        304), and it shows the events up to that version; with proofs it has none (the signed
        head moves with every save).
        """
        built = services()
        viewer = actor()
        if query["proofs"]:
            case, events = built.app.history(viewer, case_id, current=built.case_now(case_id))
            history = disclosure.show_history(built.app, viewer, case, events)
            return disclosure.add_proofs(built.audit, history)
        case = built.app.get_case(viewer, case_id, current=built.case_now(case_id))
        unchanged = _unchanged(case.version)
        if unchanged is not None:
            return unchanged
        sees = disclosure.shown(built.app, viewer, case, READ_HISTORY)
        return rendered.history(
            disclosure.entry_standing(case, sees),
            HISTORY_SCHEMA,
            {"case_id": case.id, "number": case.number},
            length=case.version,
            entries_after=lambda kept: disclosure.history_view(
                case, built.app.events_until(case.id, case.version, after=kept), sees=sees
            )["events"],
            headers={"ETag": _etag(case.version)},
        )


CASE_SCHEMA = CaseSchema()
HISTORY_SCHEMA = ProvenHistorySchema()
"""What the answers are dumped with (as `blp.response` would), built once."""


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
    """One POST per declared command, its body schema and documentation derived from it.

    Schemas are given as instances: given a class, webargs builds one per request.
    """
    for declaration in CASE_COMMANDS:
        view = _command_view(declaration)
        documented = blp.doc(
            summary=declaration.summary,
            description=declaration.__doc__,
            parameters=[IF_MATCH_HEADER, IDEMPOTENCY_KEY_HEADER],
        )(blp.arguments(command_schema(declaration)())(blp.response(200, CaseSchema)(view)))
        blp.route(
            f"/cases/<uuid:case_id>/{declaration.path}", methods=["POST"], endpoint=view.__name__
        )(documented)


_register_commands()
