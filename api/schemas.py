"""Marshmallow schemas: the shapes of requests and responses (and of the OpenAPI document)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any, get_args, get_origin, get_type_hints
from uuid import UUID

from marshmallow import Schema, ValidationError, fields, post_load, validate

from api.validation_messages import item_count
from domain import labels
from domain.commands import TEXT_LENGTH, CaseCommand, Command, RegisterCase
from domain.errors import MONTH_FORMAT
from domain.office import MAX_TOKEN_DAYS
from domain.values import (
    Category,
    Channel,
    Decision,
    Disposition,
    Flag,
    Level,
    Outcome,
    Petitioner,
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
        raise ValidationError(f"年份应在 {YEARS[0]} 至 {YEARS[-1]} 之间")


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
            raise ValidationError(MONTH_FORMAT)

    return fields.String(validate=check, metadata={"pattern": MONTH_PATTERN}, **kwargs)


def choice(enum: Any, **kwargs: Any) -> fields.Enum[Any]:
    """An enum field by value, so the OpenAPI document lists the domain's own codes; a value
    outside them is refused with each code and its Chinese name (key_case（重点）、…)."""
    field = fields.Enum(enum, by_value=True, **kwargs)
    table = labels.TABLES.get(enum) or labels.REGISTER_TABLES.get(enum) or {}
    field.choices_text = "、".join(
        f"{m.value}（{table[m]}）" if m in table else str(m.value) for m in enum
    )
    return field


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


REASON = validate.Length(min=1, max=2000)


class AccountSchema(UserSchema):
    """A user as an account: whether they may sign in."""

    active = fields.Boolean()


class AccountChangeSchema(Schema):
    """Body of POST /users/{id}/disable and /enable."""

    reason = fields.String(required=True, validate=REASON)


class RoleChangeSchema(Schema):
    """Body of POST /users/{id}/role: the new role and unit (none if left out)."""

    role = choice(Role, required=True)
    unit_id = fields.UUID(load_default=None, allow_none=True)
    reason = fields.String(required=True, validate=REASON)


class TokenRequestSchema(Schema):
    """Body of POST /users/{id}/tokens."""

    expires_in_days = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_TOKEN_DAYS),
        metadata={"description": "days until it expires (default: the instance's, 90 unless set)"},
    )
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class TokenIssuedSchema(Schema):
    """A new token: the secret is shown only in this answer."""

    token_id = fields.UUID()
    token = fields.String()
    expires_at = fields.AwareDateTime()


class TokenSchema(Schema):
    """One of a user's tokens, without its secret."""

    token_id = fields.UUID()
    state = fields.String(metadata={"enum": ["active", "expired", "revoked"]})
    issued_at = fields.AwareDateTime()
    issued_by = fields.String()
    expires_at = fields.AwareDateTime()
    revoked_at = fields.AwareDateTime(allow_none=True)


class RevokeQuerySchema(Schema):
    """Query of DELETE /users/{id}/tokens/{token_id}: why (optional)."""

    reason = fields.String(load_default=None, validate=validate.Length(min=1, max=2000))


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

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Petitioner:
        """A petitioner sent in a request is the domain's value object."""
        return Petitioner(**data)


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
    from_risk_id = fields.UUID(
        allow_none=True, metadata={"description": "the risk (隐患) the case was converted from"}
    )
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
IF_MATCH_HEADER = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": 'the case version the command expects, e.g. "3" (409 if it has moved on)',
}
IF_NONE_MATCH_HEADER = {
    "in": "header",
    "name": "If-None-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": 'the ETag (case version) the caller holds, e.g. "3": 304 if it is current',
}
IDEMPOTENCY_KEY_HEADER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": "applies the request at most once; a retry with the key gets the first answer",
}


class CommandSchema(Schema):
    """Fields every command accepts: business time, reason, on whose behalf."""

    occurred_at = instant(load_default=None)
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    on_behalf_of = fields.UUID(load_default=None, allow_none=True)


class ReasonedCommandSchema(CommandSchema):
    """Commands that must say why (domain.md §4)."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


def command_schema(declaration: type[Command]) -> type[Schema]:
    """The body schema of a command, derived from its declaration (built once, at import).

    Each argument becomes a field of its type, with the declared bounds, description and
    example; a reason is required where the declaration requires one. Path arguments stay out.
    """
    base = ReasonedCommandSchema if declaration.needs_reason else CommandSchema
    hints = get_type_hints(declaration)
    on_a_case = issubclass(declaration, CaseCommand)
    declared = {
        spec.name: argument_field(hints[spec.name], spec)
        for spec in dataclasses.fields(declaration)
        if not (on_a_case and spec.name == "case_id") and not spec.metadata.get("in_path")
    }
    title = declaration.__name__ + "Schema"
    if _SCHEMA_TITLES.setdefault(title, declaration) is not declaration:
        # The OpenAPI document names each body schema after its declaration: one name each.
        raise TypeError(f"two command declarations are named {declaration.__name__}")
    return base.from_dict(declared, name=title)


_SCHEMA_TITLES: dict[str, type[Command]] = {}


def argument_field(hint: Any, spec: dataclasses.Field[Any]) -> fields.Field[Any]:
    """The marshmallow field of one declared argument."""
    meta = spec.metadata
    optional = type(None) in get_args(hint)
    kind = next(a for a in get_args(hint) if a is not type(None)) if optional else hint
    has_default = spec.default is not dataclasses.MISSING or (
        spec.default_factory is not dataclasses.MISSING
    )
    options: dict[str, Any] = {
        "metadata": {
            "description": meta.get("description", ""),
            **({"example": _example(meta["example"])} if meta.get("example") is not None else {}),
        }
    }
    if not has_default:
        options["required"] = True
    elif spec.default_factory is not dataclasses.MISSING:
        options["load_default"] = spec.default_factory
    else:
        options["load_default"] = spec.default
        options["allow_none"] = spec.default is None
    if get_origin(kind) is list:
        (item,) = get_args(kind)
        length = item_count(meta.get("min_items"), meta.get("max_items"))
        return fields.List(_scalar(item, meta, needed=False), validate=length, **options)
    field: fields.Field[Any] = _scalar(kind, meta, needed="required" in options, **options)
    return field


def _scalar(kind: Any, meta: Mapping[str, Any], *, needed: bool, **options: Any) -> Any:
    if isinstance(kind, type) and issubclass(kind, Enum):
        return choice(kind, **options)
    if kind is Petitioner:
        return fields.Nested(PetitionerSchema, **options)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return fields.Nested(value_schema(kind), **options)
    if kind is UUID:
        return fields.UUID(**options)
    if kind is datetime:
        return instant(**options)
    if kind is date:
        return day(**options)
    if kind is bool:
        return fields.Boolean(**options)
    if kind is int:
        bounds = validate.Range(min=meta.get("min_value"), max=meta.get("max_value"))
        return fields.Integer(validate=bounds, **options)
    if kind is str:
        longest = meta.get("max_length") or TEXT_LENGTH
        return fields.String(
            validate=validate.Length(min=1 if needed else 0, max=longest), **options
        )
    raise TypeError(f"no API field for arguments of type {kind!r}")


_VALUE_SCHEMAS: dict[type[Any], type[Schema]] = {}


def value_schema(kind: type[Any]) -> type[Schema]:
    """The schema of a value object an argument holds (its fields, loaded into the object)."""
    if kind not in _VALUE_SCHEMAS:
        hints = get_type_hints(kind)
        declared: dict[str, Any] = {}
        for spec in dataclasses.fields(kind):
            hint = hints[spec.name]
            optional = type(None) in get_args(hint)
            inner = next(a for a in get_args(hint) if a is not type(None)) if optional else hint
            has_default = spec.default is not dataclasses.MISSING
            options: dict[str, Any] = (
                {"load_default": spec.default, "allow_none": spec.default is None}
                if has_default
                else {"required": True}
            )
            declared[spec.name] = _scalar(inner, {}, needed=not has_default, **options)

        def make(self: Schema, data: dict[str, Any], **_: Any) -> Any:
            return kind(**data)

        declared["make"] = post_load(make)
        _VALUE_SCHEMAS[kind] = type(f"{kind.__name__}Schema", (Schema,), declared)
    return _VALUE_SCHEMAS[kind]


def _example(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_example(v) for v in value]
    return value


CaseRegisterSchema = command_schema(RegisterCase)
"""Body of POST /cases."""


BINARY = {"type": "string", "format": "binary"}
"""The OpenAPI schema of a file answer (a workbook, a page): its media type says what it is."""
