"""The web pages offer a command exactly when its status allows it and `authorize` would let the
user issue it (domain.permissions.offered, read from the same declarations)."""

from __future__ import annotations

import pytest

from domain import permissions
from domain.commands import CASE_COMMANDS
from domain.errors import PermissionDeniedError
from domain.values import Status
from tests.unit.builders import (
    ADMIN,
    AUDITOR,
    CLERK,
    DISPATCHER,
    HANDLER,
    HANDLER2,
    HEAD,
    LABOUR_HEAD,
    LEADER,
    LEADER2,
    SUPERVISOR,
    sample_command,
    story_in,
)

PEOPLE = (
    ADMIN,
    CLERK,
    DISPATCHER,
    HEAD,
    HANDLER,
    LABOUR_HEAD,
    LEADER,
    LEADER2,
    SUPERVISOR,
    AUDITOR,
)


@pytest.mark.parametrize("status", list(Status))
def test_a_command_is_offered_exactly_when_it_may_be_issued(status: Status) -> None:
    case = story_in(status).case
    offered_somewhere = set()
    for actor in PEOPLE:
        for declaration in CASE_COMMANDS:
            command = sample_command(declaration.verb, case.id)
            try:
                permissions.authorize(command, actor, case)
                may = case.status in declaration.allowed_in
            except PermissionDeniedError:
                may = False
            offered = permissions.offered(declaration, actor, case)
            assert offered == may, (status, actor.name, declaration.verb)
            if offered:
                offered_somewhere.add(declaration.verb)
    assert offered_somewhere <= {d.verb for d in CASE_COMMANDS if status in d.allowed_in}


def test_a_person_who_stepped_aside_is_offered_nothing() -> None:
    story = story_in(Status.IN_PROGRESS)
    assert any(permissions.offered(d, HANDLER, story.case) for d in CASE_COMMANDS)
    story.case.declare_recusal(story.stamp(HANDLER, "与信访人系亲属"))
    assert HANDLER.id in story.case.recused_ids
    assert not any(permissions.offered(d, HANDLER, story.case) for d in CASE_COMMANDS)
    assert any(permissions.offered(d, HANDLER2, story.case) for d in CASE_COMMANDS)
