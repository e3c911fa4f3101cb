"""The Case aggregate and confidentiality (domain.md §7): a case never goes to a unit it
accuses, nor to a unit under it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.cases import Case
from domain.errors import RuleViolationError
from domain.values import Status
from tests.unit.builders import DISPATCHER, LABOUR, LINEAGE, TOWNSHIP, VILLAGE, register, story_in
from tests.unit.expectations import assert_refused_without_trace, only

S = Status


@pytest.mark.parametrize("target", [TOWNSHIP, VILLAGE], ids=["accused", "under_accused"])
@pytest.mark.parametrize("command", ["forward", "assign", "reassign"])
def test_a_case_cannot_go_to_a_unit_it_accuses_or_a_unit_under_it(
    command: str, target: Any
) -> None:
    status = S.IN_PROGRESS if command == "reassign" else S.REGISTERED
    story = story_in(status, accused=[TOWNSHIP])
    version = story.case.version
    kwargs: dict[str, Any] = {"unit_id": target, "unit_lineage": LINEAGE[target]}
    if command == "assign":
        kwargs["due_date"] = date(2025, 4, 30)
    with pytest.raises(RuleViolationError) as refused:
        getattr(story.case, command)(story.stamp(DISPATCHER, "转交"), **kwargs)
    assert refused.value.field == "unit_id"
    assert_refused_without_trace(story, version)
    assert target not in story.case.held_unit_ids


def test_a_case_accusing_one_unit_may_go_to_another() -> None:
    story = story_in(S.REGISTERED, accused=[TOWNSHIP])
    story.forward(LABOUR)
    only(story.flush(), Case.Forwarded)
    assert story.case.accused_unit_ids == [TOWNSHIP]


def test_accused_units_are_recorded_once_each() -> None:
    case = register(accused=[TOWNSHIP, VILLAGE, TOWNSHIP])
    assert case.accused_unit_ids == [TOWNSHIP, VILLAGE]
