"""Command forms derived from the command declarations, read back through the API's schemas.

A form is the declaration's fields (domain/commands/), each drawn as the input its type calls
for, labelled from domain/labels.py; what a browser sends is turned into the same body the API
takes and loaded by the same marshmallow schema (`api.schemas.command_schema`), so a form field
has exactly the API's rules and its errors are the API's field errors, shown beside the field.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any, get_args, get_origin, get_type_hints
from uuid import UUID, uuid4

from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from api.schemas import command_schema
from domain.commands import CaseCommand, Command, Ref
from domain.labels import CHECK_ITEM, COMMAND, FIELD, REGISTER_FIELD, REGISTER_TABLES, TABLES
from domain.register_values import CheckItem, CheckResult
from domain.values import Petitioner

LOCAL_OFFSET = "+08:00"
"""Times typed into a form are the county's local time (Asia/Shanghai, no daylight saving)."""
PETITIONER_PARTS = ("name", "id_number", "phone", "address")
PETITIONER_ROWS = 2
"""Blank petitioner rows an intake form starts with (a button adds more)."""
LONG_TEXT = frozenset({"content", "text", "notes", "note", "reason"})
CHECK_RESULTS = [("true", "已落实"), ("false", "未落实")]
"""The result of a checklist item as the form offers it (an item left unchosen is not listed)."""


@dataclass
class Input:
    """One input of a form: its name, Chinese label, widget, choices and what it holds now."""

    name: str
    label: str
    widget: str
    required: bool = False
    choices: list[tuple[str, str]] = field(default_factory=list)
    value: Any = None
    errors: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    """Petitioner rows (widget `petitioners`): each part's value and errors; checklist rows
    (widget `checklist`): each item, its result and note, and their errors."""


@dataclass
class Form:
    """The form of one command."""

    verb: str
    title: str
    action: str
    inputs: list[Input]
    errors: list[str] = field(default_factory=list)
    key: str = field(default_factory=lambda: uuid4().hex)
    """The form's Idempotency-Key: a form sent twice (a double click, a reload) applies once."""

    @property
    def has_errors(self) -> bool:
        """Whether the form or any of its inputs carries an error."""
        return (
            bool(self.errors)
            or any(i.errors for i in self.inputs)
            or any(
                part["errors"]
                for i in self.inputs
                for row in i.rows
                for part in row.get("parts", [row])
            )
        )


Choices = Callable[[Ref, str], list[tuple[str, str]]]
"""The choices of an id field by what it refers to (units, staff of the case's unit, leaders)."""


def verb_of(declaration: type[Command]) -> str:
    """A declaration's verb (`register` for registering a case)."""
    return getattr(declaration, "verb", "register")


def _declared(declaration: type[Command]) -> list[tuple[dataclasses.Field[Any], Any]]:
    hints = get_type_hints(declaration)
    return [
        (spec, hints[spec.name])
        for spec in dataclasses.fields(declaration)
        if not (spec.name == "case_id" and issubclass(declaration, CaseCommand))
        and not spec.metadata.get("in_path")
    ]


def _kind(hint: Any) -> tuple[Any, bool, bool]:
    """The type of an argument, whether it may be empty, whether it is a list."""
    optional = type(None) in get_args(hint)
    kind = next(a for a in get_args(hint) if a is not type(None)) if optional else hint
    if get_origin(kind) is list:
        (item,) = get_args(kind)
        return item, optional, True
    return kind, optional, False


def _enum_choices(enum: type[Enum]) -> list[tuple[str, str]]:
    table = TABLES.get(enum) or REGISTER_TABLES[enum]
    return [(member.value, table[member]) for member in enum]


def build(
    declaration: type[Command],
    action: str,
    choices: Choices,
    *,
    sent: Mapping[str, Any] | None = None,
    errors: Mapping[str, Any] | None = None,
    petitioner_rows: int = PETITIONER_ROWS,
) -> Form:
    """The form of a command, filled with what was `sent` and marked with the `errors`."""
    sent = sent or {}
    errors = errors or {}
    inputs: list[Input] = []
    for spec, hint in _declared(declaration):
        kind, optional, many = _kind(hint)
        has_default = spec.default is not dataclasses.MISSING or (
            spec.default_factory is not dataclasses.MISSING
        )
        required = not has_default and not optional
        entry = Input(
            name=spec.name,
            label=FIELD.get(spec.name, spec.name),
            widget="text",
            required=required,
            value=sent.get(spec.name),
            errors=_messages(errors.get(spec.name)),
        )
        refers: Ref | None = spec.metadata.get("refers")
        if kind is CheckResult:
            entry.widget = "checklist"
            entry.choices = CHECK_RESULTS
            entry.rows = _checklist_rows(sent.get(spec.name) or [], errors.get(spec.name))
            entry.errors = _messages(
                errors.get(spec.name) if not isinstance(errors.get(spec.name), dict) else None
            )
        elif kind is Petitioner:
            entry.widget = "petitioners"
            entry.rows = _petitioner_rows(
                sent.get(spec.name) or [], errors.get(spec.name), petitioner_rows
            )
            entry.errors = _messages(
                errors.get(spec.name) if not isinstance(errors.get(spec.name), dict) else None
            )
        elif isinstance(kind, type) and issubclass(kind, Enum):
            entry.widget = "checkboxes" if many else "select"
            entry.choices = _enum_choices(kind)
        elif refers is not None and refers is not Ref.CASE:
            entry.widget = "checkboxes" if many else "select"
            entry.choices = choices(refers, spec.name)
        elif refers is Ref.CASE:
            entry.widget = "text"
            if many and isinstance(entry.value, list):
                entry.value = " ".join(entry.value)
        elif kind is bool:
            entry.widget = "select"
            entry.choices = [("true", "是"), ("false", "否")]
        elif kind is int:
            entry.widget = "number"
        elif kind is date:
            entry.widget = "date"
        elif kind is datetime:
            entry.widget = "datetime"
        elif kind is str:
            entry.widget = "textarea" if spec.name in LONG_TEXT else "text"
        inputs.append(entry)
    inputs.append(
        Input(
            name="reason",
            label=FIELD["reason"],
            widget="textarea",
            required=declaration.needs_reason,
            value=sent.get("reason"),
            errors=_messages(errors.get("reason")),
        )
    )
    inputs.append(
        Input(
            name="occurred_at",
            label=FIELD["occurred_at"],
            widget="datetime",
            value=sent.get("occurred_at"),
            errors=_messages(errors.get("occurred_at")),
        )
    )
    verb = verb_of(declaration)
    return Form(verb=verb, title=COMMAND.get(verb, verb), action=action, inputs=inputs)


def _petitioner_rows(
    sent: Sequence[Mapping[str, Any]], nested: Any, at_least: int
) -> list[dict[str, Any]]:
    nested = nested if isinstance(nested, dict) else {}
    rows = []
    for i in range(max(len(sent), at_least)):
        values = sent[i] if i < len(sent) else {}
        row_errors = nested.get(i) or {}
        rows.append(
            {
                "index": i,
                "parts": [
                    {
                        "name": part,
                        "label": FIELD[part],
                        "value": values.get(part) or "",
                        "errors": _messages(row_errors.get(part)),
                    }
                    for part in PETITIONER_PARTS
                ],
            }
        )
    return rows


def _checklist_rows(sent: Sequence[Mapping[str, Any]], nested: Any) -> list[dict[str, Any]]:
    """One row per checklist item, in the checklist's order, with what was sent for it and the
    errors the schema gave its entry (the sent entries are indexed in the same order)."""
    nested = nested if isinstance(nested, dict) else {}
    index = {entry.get("item"): i for i, entry in enumerate(sent)}
    rows = []
    for item in CheckItem:
        i = index.get(item.value)
        values = sent[i] if i is not None else {}
        row_errors = (nested.get(i) or {}) if i is not None else {}
        rows.append(
            {
                "item": item.value,
                "label": CHECK_ITEM[item],
                "passed": values.get("passed") or "",
                "note": values.get("note") or "",
                "errors": [
                    f"{REGISTER_FIELD.get(part, FIELD.get(part, part))}：{message}"
                    for part, messages in row_errors.items()
                    for message in _messages(messages)
                ],
            }
        )
    return rows


# -- what a browser sent -----------------------------------------------------------------------
PETITIONER_INPUT = re.compile(r"petitioners-([0-9]{1,3})-(name|id_number|phone|address)")
SEPARATORS = re.compile(r"[\s,，、;；]+")
"""What may stand between case numbers typed into one field."""


def received(declaration: type[Command], form: MultiDict[str, str]) -> dict[str, Any]:
    """What the browser sent as the API's body: empty inputs left out (the schema then applies
    its defaults or says the field is required), local times given the county's offset."""
    body: dict[str, Any] = {}
    for spec, hint in _declared(declaration):
        kind, _, many = _kind(hint)
        if kind is Petitioner:
            people = _petitioners(form)
            if people:
                body[spec.name] = people
            continue
        if kind is CheckResult:
            checked = _checklist(form, spec.name)
            if checked:
                body[spec.name] = checked
            continue
        if many and spec.metadata.get("refers") is Ref.CASE:
            typed = [v for v in SEPARATORS.split(form.get(spec.name, "")) if v]
            if typed or spec.name in form:
                body[spec.name] = typed
            continue
        if many:
            values = [v for v in form.getlist(spec.name) if v]
            if values or spec.name in form:
                body[spec.name] = values
            continue
        value = form.get(spec.name, "").strip()
        if not value:
            continue
        body[spec.name] = local_moment(value) if kind is datetime else value
    reason = form.get("reason", "").strip()
    if reason:
        body["reason"] = reason
    occurred = form.get("occurred_at", "").strip()
    if occurred:
        body["occurred_at"] = local_moment(occurred)
    return body


def _petitioners(form: MultiDict[str, str]) -> list[dict[str, str]]:
    rows: dict[int, dict[str, str]] = {}
    for key, value in form.items(multi=True):
        match = PETITIONER_INPUT.fullmatch(key)
        if match and value.strip():
            rows.setdefault(int(match[1]), {})[match[2]] = value.strip()
    return [rows[i] for i in sorted(rows)]


def _checklist(form: MultiDict[str, str], name: str) -> list[dict[str, str]]:
    """The checklist items given a result or a note, in the checklist's order (an item with a
    note but no result is sent as it is, and the schema says its result is missing)."""
    entries = []
    for item in CheckItem:
        passed = form.get(f"{name}-{item.value}-passed", "").strip()
        note = form.get(f"{name}-{item.value}-note", "").strip()
        if not passed and not note:
            continue
        entry = {"item": item.value, "note": note}
        if passed:
            entry["passed"] = passed
        entries.append(entry)
    return entries


def local_moment(value: str) -> str:
    """A `datetime-local` value (no offset) read as the county's local time."""
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?", value):
        return value + LOCAL_OFFSET
    return value


def load(declaration: type[Command], body: Mapping[str, Any]) -> dict[str, Any]:
    """The body loaded by the API's schema of the command (ValidationError as the API's)."""
    loaded: dict[str, Any] = command_schema(declaration)().load(dict(body))
    return loaded


def for_form(body: Mapping[str, Any]) -> dict[str, Any]:
    """A received body as the form shows it again (times without their offset)."""
    shown: dict[str, Any] = {}
    for name, value in body.items():
        if isinstance(value, str) and value.endswith(LOCAL_OFFSET):
            shown[name] = value.removesuffix(LOCAL_OFFSET)
        else:
            shown[name] = value
    return shown


# -- error messages (in Chinese already: api/validation_messages.py, domain/errors.py) ---------
def _messages(raw: Any) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list):
        return [str(m) for m in raw if not isinstance(m, dict)]
    if isinstance(raw, dict):
        return [str(m) for ms in raw.values() for m in _messages(ms)]
    return [str(raw)]


def field_errors(err: ValidationError) -> dict[str, Any]:
    """The schema's errors by field name (petitioners' by row and part)."""
    messages = err.messages
    return dict(messages) if isinstance(messages, dict) else {"_schema": messages}


def as_uuid(value: str) -> UUID | None:
    """A UUID typed into a field, or None."""
    try:
        return UUID(value)
    except ValueError:
        return None


KEY = re.compile(r"[0-9a-f]{32}")


def request_key(form: MultiDict[str, str]) -> str | None:
    """The Idempotency-Key a form carries (None if it carries none or something else)."""
    key = form.get("idempotency_key", "")
    return key if KEY.fullmatch(key) else None
