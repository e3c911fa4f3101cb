"""Audit integrity endpoints: signed tree heads, proofs, the access log, offline case bundles.

Every endpoint here is for auditors, supervisors and admins (AUDIT_ROLES); others get 403.
The case endpoints call `record_read` and `add_proofs` from here, so that the access log and
`?proofs=true` stay in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.context import actor, application, services
from api.schemas import ActorSchema, HistoryEventSchema, HistorySchema, instant
from domain import access, permissions
from domain.cases import Case
from domain.values import Actor
from projections.audit_signing import format_instant
from projections.bootstrap import Services

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="Audit integrity (审计)")


@blp.before_request
def auditors_only() -> None:
    """Refuse everyone outside AUDIT_ROLES (403)."""
    permissions.require_role(actor(), permissions.AUDIT_ROLES, "use the audit endpoints")


# -- schemas ---------------------------------------------------------------------------------
class HeadSchema(Schema):
    """A signed tree head (hex strings; docs/audit.md gives the signed bytes)."""

    tree_size = fields.Integer()
    root_hash = fields.String()
    issued_at = fields.String()
    signature = fields.String()
    key_id = fields.String()


class InclusionQuerySchema(Schema):
    """Query of GET /audit/proof/inclusion."""

    index = fields.Integer(required=True, validate=validate.Range(min=0))
    tree_size = fields.Integer(required=True, validate=validate.Range(min=1))


class InclusionProofSchema(Schema):
    """An RFC 9162 inclusion proof (audit path, leaf first)."""

    index = fields.Integer()
    tree_size = fields.Integer()
    leaf_hash = fields.String()
    path = fields.List(fields.String())


class ConsistencyQuerySchema(Schema):
    """Query of GET /audit/proof/consistency."""

    first = fields.Integer(required=True, validate=validate.Range(min=0))
    second = fields.Integer(required=True, validate=validate.Range(min=0))


class ConsistencyProofSchema(Schema):
    """An RFC 9162 consistency proof."""

    first = fields.Integer()
    second = fields.Integer()
    path = fields.List(fields.String())


class AccessQuerySchema(Schema):
    """Query of GET /audit/access (from inclusive, to exclusive)."""

    actor_id = fields.UUID(load_default=None)
    case_id = fields.UUID(load_default=None)
    start = instant(data_key="from", load_default=None)
    end = instant(data_key="to", load_default=None)
    limit = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=10_000))

    @validates_schema
    def _window(self, data: dict[str, Any], **_: Any) -> None:
        if data["start"] and data["end"] and data["start"] >= data["end"]:
            raise ValidationError("must be later than from", "to")


class AccessEntrySchema(Schema):
    """One recorded disclosure of restricted data."""

    position = fields.Integer()
    recorded_at = fields.AwareDateTime()
    actor = fields.Nested(ActorSchema)
    case_id = fields.UUID()
    action = fields.String()
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields")


class ProvenEventSchema(HistoryEventSchema):
    """A history entry with, on request, its place in the audit tree."""

    leaf_index = fields.Integer(allow_none=True)
    log_position = fields.Integer(allow_none=True)
    leaf_hash = fields.String(allow_none=True)
    inclusion_proof = fields.List(fields.String(), allow_none=True)


class ProvenHistorySchema(HistorySchema):
    """A case's audit trail; with `proofs=true`, the head its inclusion proofs lead to."""

    events = fields.List(fields.Nested(ProvenEventSchema))
    head = fields.Nested(HeadSchema)


# -- for the case endpoints ------------------------------------------------------------------
NO_PROOF = {"leaf_index": None, "log_position": None, "leaf_hash": None, "inclusion_proof": None}


def record_read(case: Case, action: str) -> None:
    """Log the request's actor reading `case` if they are shown restricted fields."""
    access.record_access(application(), actor(), case, action)


def add_proofs(history: dict[str, Any]) -> dict[str, Any]:
    """Add each event's leaf index, log position, leaf hash and inclusion proof, and the head."""
    head, proofs = services().audit.case_proofs(history["case_id"])
    for entry in history["events"]:
        proof = proofs.get(entry["version"])
        entry.update(proof.as_json() if proof else NO_PROOF)
    history["head"] = head.as_json()
    return history


def case_bundle(
    built: Services, viewer: Actor, case: Case, events: Sequence[Any], *, sees: bool
) -> bytes:
    """The sealed offline bundle of `case` as `viewer` sees it (docs/audit.md, "Bundles")."""
    from api.cases import event_view, plain

    head, proofs = built.audit.case_proofs(case.id)
    entries = []
    for event in events:
        entry = plain(event_view(event, sees, case))
        proof = proofs.get(event.originator_version)
        entry.update(proof.as_json(with_leaf=True) if proof else NO_PROOF)
        entries.append(entry)
    return built.audit.seal_bundle(
        {
            "history": {"case_id": str(case.id), "number": case.number, "events": entries},
            "head": head.as_json(),
            "exported_at": format_instant(built.app.clock()),
            "exported_by": plain(viewer),
        }
    )


# -- endpoints -------------------------------------------------------------------------------
@blp.route("/head")
class Head(MethodView):
    """The signed tree head."""

    @blp.response(200, HeadSchema)
    def get(self) -> dict[str, Any]:
        """A signed head of the current tree (stored; a new one only if the tree grew)."""
        return services().audit.head().as_json()


@blp.route("/proof/inclusion")
class InclusionProof(MethodView):
    """Inclusion proofs."""

    @blp.arguments(InclusionQuerySchema, location="query")
    @blp.response(200, InclusionProofSchema)
    def get(self, query: dict[str, int]) -> dict[str, Any]:
        """The audit path from leaf `index` to the root of the tree of `tree_size` leaves."""
        leaf, path = services().audit.inclusion(query["index"], query["tree_size"])
        return {**query, "leaf_hash": leaf.hex(), "path": [h.hex() for h in path]}


@blp.route("/proof/consistency")
class ConsistencyProof(MethodView):
    """Consistency proofs."""

    @blp.arguments(ConsistencyQuerySchema, location="query")
    @blp.response(200, ConsistencyProofSchema)
    def get(self, query: dict[str, int]) -> dict[str, Any]:
        """The proof that the tree of `second` leaves extends the tree of `first` leaves."""
        path = services().audit.consistency(query["first"], query["second"])
        return {**query, "path": [h.hex() for h in path]}


@blp.route("/access")
class AccessEntries(MethodView):
    """The access log."""

    @blp.arguments(AccessQuerySchema, location="query")
    @blp.response(200, AccessEntrySchema(many=True))
    def get(self, query: dict[str, Any]) -> list[Any]:
        """Who was shown restricted data of which case, and when (newest first)."""
        return list(services().access.query(**query))


@blp.route("/cases/<uuid:case_id>/bundle")
class CaseBundle(MethodView):
    """Offline-verifiable case bundles."""

    @blp.doc(responses={"200": {"description": "The bundle (canonical JSON; verify_bundle.py)"}})
    def get(self, case_id: UUID) -> Response:
        """Download the case's history with leaves, inclusion proofs and a signed head."""
        built = services()
        viewer = actor()
        case, events = built.app.history(viewer, case_id)
        access.record_access(built.app, viewer, case, access.BUNDLE, always=True)
        sees = built.app.may_see_identity(viewer, case)
        body = case_bundle(built, viewer, case, events, sees=sees)
        return Response(
            body,
            mimetype="application/json",
            headers={"Content-Disposition": f'attachment; filename="{case.number}-audit.json"'},
        )
