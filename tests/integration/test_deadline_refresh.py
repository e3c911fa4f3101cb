"""`xinfang deadlines refresh`: provisional deadlines are corrected by events, never silently."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from uuid import UUID

import chinese_calendar
import pytest
from click.testing import CliRunner

from domain.application import Context, Xinfang
from domain.commands import Accept, Forward, RegisterCase
from domain.deadlines import reload_calendar
from domain.directory import SYSTEM_ACTOR
from domain.values import Category, Channel, Petitioner
from projections.settings import Settings
from scripts.cli import main
from tests.conftest import County

REAL_IS_WORKDAY = chinese_calendar.is_workday
INVENTED_HOLIDAYS = {date(2027, 1, day) for day in range(18, 30)}


@pytest.fixture(autouse=True)
def fresh_calendar() -> Iterator[None]:
    """Each test starts and ends with no cached calendar answers (the tests swap calendars)."""
    reload_calendar()
    yield
    reload_calendar()


def calendar_that_knows_2027(day: date) -> bool:
    """A newer calendar: 2027 known, with an (invented) holiday in late January."""
    if day.year == 2027:
        return day.weekday() < 5 and day not in INVENTED_HOLIDAYS
    return bool(REAL_IS_WORKDAY(day))


def accepted_case(xinfang: Xinfang, county: County) -> UUID:
    """A case accepted today: its 60-day clock ends in 2027, a year the calendar does not know."""
    registration = RegisterCase(
        channel=Channel.LETTER,
        category=Category.CLAIM,
        subject="供暖费纠纷",
        content="小区冬季供暖不达标",
        petitioners=[Petitioner(name="孔令辉")],
    )
    case = xinfang.execute(registration, Context(county.actors["clerk"])).case
    forward = Forward(case_id=case.id, unit_id=county.units["housing"])
    xinfang.execute(forward, Context(county.actors["dispatcher"]))
    xinfang.execute(Accept(case_id=case.id), Context(county.actors["head"]))
    return case.id


def test_a_refresh_corrects_provisional_deadlines_with_an_event_naming_the_calendar(
    xinfang: Xinfang, county: County, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = accepted_case(xinfang, county)
    before = xinfang.repository.get(case_id).deadlines["handle_60"]
    if before.due_date.year != 2027 or not before.provisional:
        pytest.skip("the 60-day clock does not reach a year the calendar does not know")
    monkeypatch.setattr(chinese_calendar, "is_workday", calendar_that_knows_2027)

    env = {"XINFANG_HOME": str(settings.home), "PERSISTENCE_MODULE": settings.persistence_module}
    result = CliRunner().invoke(main, ["deadlines", "refresh"], env={**env, **settings.extra_env})

    assert result.exit_code == 0, result.output
    case = xinfang.repository.get(case_id)
    after = case.deadlines["handle_60"]
    assert not after.provisional
    last = list(xinfang.events.get(case.id))[-1]
    assert type(last).__name__ == "DeadlinesCorrected"
    assert "handle_60" in last.slots
    assert last.actor == SYSTEM_ACTOR
    assert last.reason.startswith("holiday calendar chinesecalendar")
    expected = before.due_date
    while expected in INVENTED_HOLIDAYS or expected.weekday() >= 5:
        expected = date.fromordinal(expected.toordinal() + 1)
    assert after.due_date == expected
    assert f"{case.number}" in result.output


def test_a_second_refresh_records_nothing(
    xinfang: Xinfang, county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = accepted_case(xinfang, county)
    monkeypatch.setattr(chinese_calendar, "is_workday", calendar_that_knows_2027)
    xinfang.refresh_deadlines(SYSTEM_ACTOR, reason="calendar update")
    version = xinfang.repository.get(case_id).version

    corrected = xinfang.refresh_deadlines(SYSTEM_ACTOR, reason="calendar update")

    assert corrected == []
    assert xinfang.repository.get(case_id).version == version


def test_without_a_newer_calendar_nothing_changes(xinfang: Xinfang, county: County) -> None:
    case_id = accepted_case(xinfang, county)
    version = xinfang.repository.get(case_id).version

    assert xinfang.refresh_deadlines(SYSTEM_ACTOR, reason="calendar update") == []
    assert xinfang.repository.get(case_id).version == version
