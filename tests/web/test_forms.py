"""Command forms are the declarations: every declared field has its input, and whatever a browser
sends through a form loads exactly as the same values sent to the API as JSON.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from enum import Enum
from typing import Any, get_args, get_origin, get_type_hints
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from api.pages import forms
from api.schemas import command_schema
from domain.commands import CASE_COMMANDS, Command, Ref, RegisterCase
from domain.labels import COMMAND, FIELD
from domain.values import Petitioner

DECLARATIONS: tuple[type[Command], ...] = (RegisterCase, *CASE_COMMANDS)
TEXT = st.text(
    alphabet="拖欠工资张三李四县局镇村反映诉求已核实 0123456789", min_size=1, max_size=30
).filter(lambda text: text == text.strip() and text != "")
"""Texts as people type them; a form trims surrounding spaces (a reason of spaces is none)."""


def no_choices(refers: Ref, name: str) -> list[tuple[str, str]]:
    """No directory here: id fields get no choices (their values are typed in the tests)."""
    return []


def declared(declaration: type[Command]) -> list[dataclasses.Field[Any]]:
    """The fields a form of the declaration draws (not the case id, not path arguments)."""
    return [
        f
        for f in dataclasses.fields(declaration)
        if f.name != "case_id" and not f.metadata.get("in_path")
    ]


@pytest.mark.parametrize("declaration", DECLARATIONS, ids=forms.verb_of)
def test_every_declared_field_has_a_labelled_input(declaration: type[Command]) -> None:
    form = forms.build(declaration, "/x", no_choices)
    names = [i.name for i in form.inputs]
    assert names == [f.name for f in declared(declaration)] + ["reason", "occurred_at"]
    for entry in form.inputs:
        assert entry.label == FIELD[entry.name]
        assert entry.label.strip()
        assert not entry.label.isascii()
    reason = next(i for i in form.inputs if i.name == "reason")
    assert reason.required == declaration.needs_reason


def value_for(hint: Any, spec: dataclasses.Field[Any], data: st.DataObject) -> tuple[Any, Any]:
    """A value of one argument: as the API's JSON carries it, and as a form's inputs do."""
    optional = type(None) in get_args(hint)
    kind = next(a for a in get_args(hint) if a is not type(None)) if optional else hint
    meta = spec.metadata
    if get_origin(kind) is list:
        (item,) = get_args(kind)
        if item is Petitioner:
            people = data.draw(
                st.lists(
                    st.fixed_dictionaries({"name": TEXT}, optional={"phone": TEXT}),
                    min_size=1,
                    max_size=4,
                )
            )
            return people, people
        low = meta.get("min_items") or 0
        high = min(meta.get("max_items") or 3, 3)
        values = [value_for(item, spec, data)[0] for _ in range(data.draw(st.integers(low, high)))]
        return values, values
    if isinstance(kind, type) and issubclass(kind, Enum):
        code = data.draw(st.sampled_from([m.value for m in kind]))
        return code, code
    if kind is UUID:
        text = str(data.draw(st.uuids()))
        return text, text
    if kind is bool:
        flag = data.draw(st.booleans())
        return flag, "true" if flag else "false"
    if kind is int:
        number = data.draw(st.integers(meta.get("min_value") or 1, meta.get("max_value") or 500))
        return number, str(number)
    if kind is date:
        day = data.draw(st.dates(date(2004, 1, 1), date(2030, 12, 31)))
        return day.isoformat(), day.isoformat()
    if kind is datetime:
        moment = data.draw(st.datetimes(datetime(2004, 1, 1), datetime(2030, 12, 31)))
        local = moment.strftime("%Y-%m-%dT%H:%M")
        return local + forms.LOCAL_OFFSET, local
    text = data.draw(TEXT)
    return text, text


def outcome(load: Any) -> tuple[str, Any]:
    """What loading gave: the loaded values, or the refused fields and messages."""
    try:
        return ("loaded", load())
    except ValidationError as err:
        return ("refused", err.messages)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_form_loads_as_the_same_values_sent_to_the_api(data: st.DataObject) -> None:
    declaration = data.draw(st.sampled_from(DECLARATIONS))
    hints = get_type_hints(declaration)
    body: dict[str, Any] = {}
    sent: MultiDict[str, str] = MultiDict()
    for spec in declared(declaration):
        json_value, form_value = value_for(hints[spec.name], spec, data)
        body[spec.name] = json_value
        if isinstance(form_value, list) and form_value and isinstance(form_value[0], dict):
            for i, person in enumerate(form_value):
                for part, value in person.items():
                    sent.add(f"petitioners-{i}-{part}", value)
        elif isinstance(form_value, list):
            for value in form_value:
                sent.add(spec.name, value)
        else:
            sent.add(spec.name, form_value)
    if declaration.needs_reason or data.draw(st.booleans()):
        reason = data.draw(TEXT)
        body["reason"] = reason
        sent.add("reason", reason)
    assert outcome(lambda: command_schema(declaration)().load(body)) == outcome(
        lambda: forms.load(declaration, forms.received(declaration, sent))
    )


def test_an_empty_form_is_refused_field_by_field_as_the_api_refuses_an_empty_body() -> None:
    for declaration in DECLARATIONS:
        api = outcome(lambda d=declaration: command_schema(d)().load({}))
        page = outcome(lambda d=declaration: forms.load(d, forms.received(d, MultiDict())))
        assert page == api


def test_every_command_has_its_chinese_name() -> None:
    assert {forms.verb_of(d) for d in DECLARATIONS} == set(COMMAND)
    assert all(not name.isascii() for name in COMMAND.values())
