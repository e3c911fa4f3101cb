"""Marshmallow schemas: the shapes of requests and responses (and of the OpenAPI document)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from domain.cases import REASON_REQUIRED
from domain.values import (
    Category,
    Channel,
    Decision,
    Disposition,
    Flag,
    Level,
    Outcome,
    Resolution,
    Role,
    Satisfaction,
    Status,
)

TEXT = validate.Length(min=1, max=20_000)
NAME = validate.Length(min=1, max=200)
YEARS = range(1900, 2100)
"""The years that dates and moments sent to the API may lie in (date arithmetic stays in range)."""
MONTH_PATTERN = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$"
"""`YYYY-MM` within YEARS."""


def in_years(value: date) -> None:
    """Refuse a date or moment outside YEARS."""
    if value.year not in YEARS:
        raise ValidationError(f"must lie in the years {YEARS[0]} to {YEARS[-1]}")


def instant(**kwargs: Any) -> fields.AwareDateTime:
    """A moment with its UTC offset, within YEARS."""
    return fields.AwareDateTime(validate=in_years, **kwargs)


def day(**kwargs: Any) -> fields.Date:
    """A date within YEARS."""
    return fields.Date(validate=in_years, **kwargs)


def is_month(value: str) -> bool:
    """Whether `value` is a month of MONTH_PATTERN (whole string: `$` would allow a "\\n")."""
    return re.fullmatch(MONTH_PATTERN, value) is not None


def month_field(**kwargs: Any) -> fields.String:
    """A `YYYY-MM` field, its pattern in the OpenAPI document."""

    def check(value: str) -> None:
        if not is_month(value):
            raise ValidationError("month must be YYYY-MM")

    return fields.String(validate=check, metadata={"pattern": MONTH_PATTERN}, **kwargs)


def choice(enum: Any, **kwargs: Any) -> fields.Enum[Any]:
    """An enum field by value, so the OpenAPI document lists the domain's own codes."""
    return fields.Enum(enum, by_value=True, **kwargs)


# -- directory -------------------------------------------------------------------------------
class UnitCreateSchema(Schema):
    """Body of POST /units."""

    name = fields.String(required=True, validate=NAME)
    kind = fields.String(load_default=None, allow_none=True, validate=NAME)
    parent_id = fields.UUID(load_default=None, allow_none=True)


class UnitSchema(Schema):
    """A unit."""

    id = fields.UUID()
    name = fields.String()
    kind = fields.String(allow_none=True)
    parent_id = fields.UUID(allow_none=True)


class UserCreateSchema(Schema):
    """Body of POST /users."""

    name = fields.String(required=True, validate=NAME)
    role = choice(Role, required=True)
    unit_id = fields.UUID(load_default=None, allow_none=True)


class UserSchema(Schema):
    """A user (never with a token, except once on creation)."""

    id = fields.UUID()
    name = fields.String()
    role = choice(Role)
    unit_id = fields.UUID(allow_none=True)


class UserCreatedSchema(UserSchema):
    """A new user with the token that is shown only this once."""

    token = fields.String()


class HealthSchema(Schema):
    """Liveness answer."""

    status = fields.String()
    backend = fields.String()


# -- case view ---------------------------------------------------------------------------------
class PetitionerSchema(Schema):
    """A petitioner (identity fields masked for viewers who do not need them)."""

    name = fields.String(required=True, validate=NAME)
    id_number = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class DeadlineSchema(Schema):
    """One deadline of the case, with its state as of today."""

    rule = fields.String()
    key = fields.String()
    started_on = fields.Date()
    length = fields.Integer()
    unit = fields.String()
    due_date = fields.Date()
    provisional = fields.Boolean()
    status = choice(Level)
    met_on = fields.Date(allow_none=True)


class SupervisionOrderSchema(Schema):
    """A supervision order (督办)."""

    n = fields.Integer()
    text = fields.String()
    due_date = fields.Date()
    issued_by = fields.UUID()
    answer = fields.String(allow_none=True)
    answered_on = fields.Date(allow_none=True)


class CaseSchema(Schema):
    """The case view."""

    id = fields.UUID()
    number = fields.String()
    status = choice(Status)
    version = fields.Integer()
    channel = choice(Channel)
    category = choice(Category)
    subject = fields.String()
    content = fields.String()
    petitioners = fields.List(fields.Nested(PetitionerSchema))
    identity_masked = fields.Boolean()
    location = fields.String(allow_none=True)
    accused_unit_ids = fields.List(fields.UUID())
    collective_size = fields.Integer(allow_none=True)
    intake_unit_id = fields.UUID(allow_none=True)
    mode = fields.String()
    unit_id = fields.UUID(allow_none=True)
    leader_id = fields.UUID(allow_none=True)
    handler_id = fields.UUID(allow_none=True)
    flags = fields.List(choice(Flag))
    deadlines = fields.List(fields.Nested(DeadlineSchema))
    objection_pending = fields.Boolean()
    repeat_count = fields.Integer()
    petition_count = fields.Integer()
    outcome = choice(Outcome, allow_none=True)
    response_text = fields.String(allow_none=True)
    delivered_on = fields.Date(allow_none=True)
    dispositions = fields.List(choice(Disposition))
    satisfaction = choice(Satisfaction, allow_none=True)
    resolution = choice(Resolution, allow_none=True)
    review_decision = choice(Decision, allow_none=True)
    recheck_decision = choice(Decision, allow_none=True)
    merged_into = fields.UUID(allow_none=True)
    merged_case_ids = fields.List(fields.UUID())
    diverted_to = fields.String(allow_none=True)
    supervision_orders = fields.List(fields.Nested(SupervisionOrderSchema))
    visit_count = fields.Integer()
    registered_at = fields.AwareDateTime()
    recorded_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    closed_at = fields.AwareDateTime(allow_none=True)


class AsOfSchema(Schema):
    """Query of GET /cases/{id}."""

    as_of = instant(load_default=None)


class HistoryQuerySchema(Schema):
    """Query of GET /cases/{id}/history."""

    proofs = fields.Boolean(load_default=False)


class ActorSchema(Schema):
    """Who did it, as they were then."""

    id = fields.UUID()
    name = fields.String()
    role = choice(Role)
    unit_id = fields.UUID(allow_none=True)


class HistoryEventSchema(Schema):
    """One entry of a case's audit trail."""

    version = fields.Integer()
    type = fields.String()
    recorded_at = fields.AwareDateTime()
    occurred_at = fields.AwareDateTime()
    actor = fields.Nested(ActorSchema)
    reason = fields.String(allow_none=True)
    on_behalf_of = fields.UUID(allow_none=True)
    data = fields.Dict()


class HistorySchema(Schema):
    """A case's complete audit trail."""

    case_id = fields.UUID()
    number = fields.String()
    events = fields.List(fields.Nested(HistoryEventSchema))


# -- commands ----------------------------------------------------------------------------------
class CommandSchema(Schema):
    """Fields every command accepts: business time, reason, on whose behalf."""

    occurred_at = instant(load_default=None)
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    on_behalf_of = fields.UUID(load_default=None, allow_none=True)


class ReasonedCommandSchema(CommandSchema):
    """Commands that must say why (domain.md §4)."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class CaseRegisterSchema(CommandSchema):
    """Body of POST /cases."""

    channel = choice(Channel, required=True)
    category = choice(Category, required=True)
    subject = fields.String(required=True, validate=validate.Length(min=1, max=500))
    content = fields.String(required=True, validate=TEXT)
    petitioners = fields.List(
        fields.Nested(PetitionerSchema), required=True, validate=validate.Length(min=1, max=500)
    )
    location = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    accused_unit_ids = fields.List(fields.UUID(), load_default=list)
    collective_size = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=1, max=100_000)
    )


def command_schema(name: str, **declared: fields.Field[Any]) -> type[Schema]:
    """A command body schema; reason is required where the domain requires it."""
    base = ReasonedCommandSchema if name in REASON_REQUIRED else CommandSchema
    title = "".join(part.capitalize() for part in name.split("_")) + "Schema"
    return base.from_dict(declared, name=title)
