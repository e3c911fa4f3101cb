"""Audit integrity endpoints: signed tree heads, proofs, the access log, offline case bundles.

Every endpoint here is for auditors, supervisors and admins (AUDIT_ROLES); others get 403. What
the access log and a bundle show is decided by projections/disclosure.py.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from api.audit_schemas import (
    AccessEntrySchema,
    AccessQuerySchema,
    ConsistencyProofSchema,
    ConsistencyQuerySchema,
    HeadSchema,
    InclusionProofSchema,
    InclusionQuerySchema,
)
from api.context import actor, services
from domain import permissions
from projections import disclosure

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="Audit integrity (审计)")


@blp.before_request
def auditors_only() -> None:
    """Refuse everyone outside AUDIT_ROLES (403)."""
    permissions.require_role(actor(), permissions.AUDIT_ROLES, "使用审计接口")


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
        built = services()
        built.catch_up()  # read-your-writes: every access record saved before is listed
        return disclosure.access_entries(built.app, built.views, built.access, actor(), **query)


@blp.route("/cases/<uuid:case_id>/bundle")
class CaseBundle(MethodView):
    """Offline-verifiable case bundles."""

    @blp.doc(responses={"200": {"description": "The bundle (canonical JSON; verify_bundle.py)"}})
    def get(self, case_id: UUID) -> Response:
        """Download the case's history with leaves, inclusion proofs and a signed head."""
        built = services()
        bundle = disclosure.bundle(built.app, built.audit, actor(), case_id)
        return Response(
            bundle.body,
            mimetype="application/json",
            headers={
                "Content-Disposition": f'attachment; filename="{bundle.case.number}-audit.json"'
            },
        )
