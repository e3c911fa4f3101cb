"""What unit tests of the Case aggregate expect: the single event of a 'then', a deadline
written out in full, and a refused command that left no trace."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.values import DayUnit, Deadline, Holder, Rule
from tests.unit.builders import HOUSING, Story

NOBODY = Holder(unit_id=None, handler_id=None, leader_id=None)
"""The holder of a clock met while no unit held the case."""

AT_HOUSING = Holder(unit_id=HOUSING, handler_id=None, leader_id=None)
"""The housing bureau as the holder of a met clock, with no handler or leader named."""


def only(events: list[Any], kind: type[Any]) -> Any:
    """The single event of the 'then', checked to be of `kind`."""
    assert [type(e) for e in events] == [kind]
    return events[0]


def clock(
    rule: Rule,
    started_on: date,
    length: int,
    due_date: date,
    *,
    unit: DayUnit = DayUnit.CALENDAR_DAYS,
    met_on: date | None = None,
    met_by: Holder | None = None,
    key: str = "",
    extended_days: int = 0,
    paused_since: date | None = None,
    paused_days: int = 0,
) -> Deadline:
    """An expected deadline, written out in full."""
    return Deadline(
        rule=rule,
        started_on=started_on,
        length=length,
        unit=unit,
        due_date=due_date,
        met_on=met_on,
        met_by=met_by,
        key=key,
        extended_days=extended_days,
        paused_since=paused_since,
        paused_days=paused_days,
    )


def assert_refused_without_trace(story: Story, version: int) -> None:
    """A refused command records nothing."""
    assert story.case.pending_events == []
    assert story.case.version == version
