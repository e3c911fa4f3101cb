"""The Case aggregate: every transition its status does not allow is refused and records
nothing (domain.md §3).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import fields
from typing import Any

import pytest

from domain.cases import Case
from domain.commands import ALLOWED, BY_VERB, Ref
from domain.errors import TransitionError
from domain.labels import COMMAND, STATUS
from domain.values import Status
from tests.unit.builders import (
    DISPATCHER,
    HANDLER2,
    LABOUR,
    LEADER2,
    LINEAGE,
    Story,
    at,
    register,
    sample_command,
    story_in,
)
from tests.unit.expectations import assert_refused_without_trace

S = Status


def sample_arguments(story: Story, verb: str) -> dict[str, Any]:
    """Plausible arguments for a command, so that only its status can refuse it: the declared
    examples, with the ids it names resolved as the application resolves them."""
    into = register(story.today)
    into.collect_events()
    moment = at(story.today)
    names = {Ref.UNIT: LABOUR, Ref.UNIT_STAFF: HANDLER2.id, Ref.LEADER: LEADER2.id}
    given: dict[str, Any] = {}
    for spec in fields(BY_VERB[verb]):
        refers = spec.metadata.get("refers")
        if refers in names:
            given[spec.name] = names[refers]
        elif refers is Ref.CASE:
            given[spec.name] = into.id
        elif spec.type == "datetime":
            given[spec.name] = moment
    arguments = sample_command(verb, story.case.id, **given).arguments()
    if "unit_id" in arguments:
        arguments["unit_lineage"] = LINEAGE[LABOUR]
    if "into_case_id" in arguments:
        del arguments["into_case_id"]
        arguments["into"] = into
    if verb == "issue_document":  # the application gives the office's prefix and the serial
        arguments.update(prefix="县信", serial=1)
    return arguments


COMMANDS = sorted(ALLOWED)
REFUSED = [
    (command, status)
    for command in COMMANDS
    for status in sorted(Status, key=lambda s: s.value)
    if status not in ALLOWED[command]
]


def test_every_command_of_the_state_machine_is_a_method_with_sample_arguments() -> None:
    story = story_in(S.REGISTERED)
    assert sorted(BY_VERB) == COMMANDS
    for verb in COMMANDS:  # each declaration's arguments are exactly what its method takes
        method = inspect.signature(getattr(story.case, verb))
        method.bind(story.stamp(DISPATCHER), **sample_arguments(story, verb))
    assert [c for c in COMMANDS if not callable(getattr(Case, c, None))] == []
    # absorb is the other half of merge, run by the application: a method, not a command
    assert callable(Case.absorb)
    assert "absorb" not in BY_VERB


@pytest.mark.parametrize(("command", "status"), REFUSED, ids=[f"{c}-{s.value}" for c, s in REFUSED])
def test_a_command_its_status_does_not_allow_is_refused_and_records_nothing(
    command: str, status: Status
) -> None:
    story = story_in(status, assigned=status is S.REPORT_SUBMITTED)
    version = story.case.version
    state = dict(vars(story.case))
    method: Callable[..., None] = getattr(story.case, command)
    with pytest.raises(TransitionError) as refused:
        method(story.stamp(DISPATCHER, "理由"), **sample_arguments(story, command))
    assert (refused.value.command, refused.value.status) == (command, status.value)
    assert refused.value.message == (
        f"事项当前状态为“{STATUS[status]}”，不能办理“{COMMAND[command]}”"
    )
    assert_refused_without_trace(story, version)
    assert vars(story.case) == state


def test_the_refusal_table_covers_every_status_and_command() -> None:
    assert len(COMMANDS) == 39
    assert {s for _, s in REFUSED} == set(Status)
    assert {c for c, _ in REFUSED} == set(COMMANDS) - {"set_flag", "answer_supervision_order"}
