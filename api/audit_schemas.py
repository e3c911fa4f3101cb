"""Schemas of the audit endpoints and of the proofs in a case history (docs/audit.md)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.schemas import ActorSchema, HistoryEventSchema, HistorySchema, instant


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
            raise ValidationError("须晚于 from 所示的时间", "to")


class AccessEntrySchema(Schema):
    """One recorded disclosure of restricted data."""

    position = fields.Integer()
    recorded_at = fields.AwareDateTime()
    actor = fields.Nested(ActorSchema)
    case_id = fields.UUID()
    action = fields.String()
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields")
    operator = fields.String(
        allow_none=True,
        metadata={"description": "the console account that ran a CLI export; null over the API"},
    )
    document = fields.String(
        allow_none=True,
        metadata={"description": "the document printed (print_document): its title and 文号"},
    )


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
