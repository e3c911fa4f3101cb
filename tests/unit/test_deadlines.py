"""Due dates, the official calendar, extensions, pauses and warning levels (domain.md §5)."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest

from domain.deadlines import (
    DEFAULT_RULES,
    MAX_EXTENSION_DAYS,
    add_calendar_days,
    add_working_days,
    clock_with_due_date,
    days_over,
    extend,
    is_working_day,
    level,
    pause,
    resume,
    start_clock,
)
from domain.errors import RuleViolationError
from domain.values import DayUnit, Deadline, Holder, Level, Rule

HOLDER = Holder(unit_id=uuid4(), handler_id=uuid4(), leader_id=None)


def due_on_friday_2025_03_21() -> Deadline:
    """A sort_15 clock started Thu 2025-03-06, due Fri 2025-03-21 in an ordinary week."""
    deadline = start_clock(Rule.SORT_15, date(2025, 3, 6))
    assert deadline.due_date == date(2025, 3, 21)
    return deadline


# --- the default rules -------------------------------------------------------------------------


def test_the_default_rules_are_the_county_defaults_of_the_spec() -> None:
    assert dict(DEFAULT_RULES) == {
        Rule.SORT_15: (15, DayUnit.CALENDAR_DAYS),
        Rule.NOTICE_15: (15, DayUnit.CALENDAR_DAYS),
        Rule.OBJECT_5WD: (5, DayUnit.WORKING_DAYS),
        Rule.HANDLE_60: (60, DayUnit.CALENDAR_DAYS),
        Rule.REVIEW_WINDOW_30: (30, DayUnit.CALENDAR_DAYS),
        Rule.REVIEW_DECIDE_30: (30, DayUnit.CALENDAR_DAYS),
        Rule.RECHECK_WINDOW_30: (30, DayUnit.CALENDAR_DAYS),
        Rule.RECHECK_DECIDE_30: (30, DayUnit.CALENDAR_DAYS),
    }
    assert MAX_EXTENSION_DAYS == 30


def test_the_default_rules_cannot_be_changed_at_runtime() -> None:
    with pytest.raises(TypeError):
        DEFAULT_RULES[Rule.SORT_15] = (1, DayUnit.CALENDAR_DAYS)  # type: ignore[index]


# --- the calendar ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 1, 25), False),  # Saturday before the Spring Festival
        (date(2025, 1, 26), True),  # Sunday, 调休 make-up working day
        (date(2025, 1, 28), False),  # 除夕, first holiday
        (date(2025, 2, 4), False),  # last holiday
        (date(2025, 2, 5), True),
        (date(2025, 2, 8), True),  # Saturday, 调休 make-up working day
        (date(2024, 9, 29), True),  # Sunday, 调休 make-up working day
        (date(2024, 10, 1), False),  # National Day
        (date(2024, 10, 7), False),
        (date(2024, 10, 8), True),
        (date(2024, 10, 12), True),  # Saturday, 调休 make-up working day
        (date(2025, 3, 22), False),  # ordinary Saturday
        (date(2025, 3, 24), True),  # ordinary Monday
    ],
)
def test_a_known_day_follows_the_official_calendar(day: date, working: bool) -> None:
    assert is_working_day(day) == (working, False)


def test_a_day_in_an_unknown_year_counts_weekends_only_and_is_provisional() -> None:
    assert is_working_day(date(2027, 1, 1)) == (True, True)  # Friday; New Year unknown yet
    assert is_working_day(date(2027, 1, 2)) == (False, True)  # Saturday


# --- calendar days -----------------------------------------------------------------------------


def test_the_start_day_is_not_counted() -> None:
    assert add_calendar_days(date(2025, 3, 6), 15) == (date(2025, 3, 21), False)


def test_a_deadline_ending_on_an_ordinary_saturday_moves_to_monday() -> None:
    assert add_calendar_days(date(2025, 3, 7), 15) == (date(2025, 3, 24), False)


def test_a_deadline_ending_in_the_spring_festival_moves_to_the_next_working_day() -> None:
    # 2025-01-30 is inside the holiday 2025-01-28..2025-02-04.
    assert add_calendar_days(date(2025, 1, 15), 15) == (date(2025, 2, 5), False)


def test_a_deadline_ending_on_a_spring_festival_make_up_sunday_stays_there() -> None:
    assert add_calendar_days(date(2025, 1, 11), 15) == (date(2025, 1, 26), False)


def test_a_deadline_ending_on_a_spring_festival_make_up_saturday_stays_there() -> None:
    assert add_calendar_days(date(2025, 1, 24), 15) == (date(2025, 2, 8), False)


def test_a_deadline_ending_in_the_national_day_holiday_moves_to_october_8() -> None:
    # 2024-10-05 is inside the holiday 2024-10-01..2024-10-07.
    assert add_calendar_days(date(2024, 9, 20), 15) == (date(2024, 10, 8), False)


def test_a_deadline_ending_on_a_national_day_make_up_day_stays_there() -> None:
    assert add_calendar_days(date(2024, 9, 14), 15) == (date(2024, 9, 29), False)
    assert add_calendar_days(date(2024, 9, 27), 15) == (date(2024, 10, 12), False)


def test_a_deadline_ending_in_a_known_year_is_not_provisional_even_near_year_end() -> None:
    assert add_calendar_days(date(2026, 12, 1), 15) == (date(2026, 12, 16), False)


def test_a_60_day_clock_from_december_2026_ends_in_an_unknown_year_and_is_provisional() -> None:
    # 2026-12-15 + 60 days = Sat 2027-02-13; weekends only, so Mon 2027-02-15.
    deadline = start_clock(Rule.HANDLE_60, date(2026, 12, 15))
    assert deadline.due_date == date(2027, 2, 15)
    assert deadline.provisional is True


def test_a_negative_number_of_days_is_refused() -> None:
    with pytest.raises(RuleViolationError) as caught:
        add_calendar_days(date(2025, 3, 6), -1)
    assert caught.value.field == "days"


# --- working days ------------------------------------------------------------------------------


def test_working_days_skip_the_spring_festival_and_count_the_make_up_sunday() -> None:
    # Fri 01-24, Sun 01-26 (调休), Mon 01-27, then the holiday, then Wed 02-05, Thu 02-06.
    assert add_working_days(date(2025, 1, 23), 5) == (date(2025, 2, 6), False)


def test_working_days_skip_national_day_and_count_the_make_up_days() -> None:
    # Fri 09-27, Sun 09-29 (调休), Mon 09-30, then the holiday, then Tue 10-08, Wed 10-09.
    assert add_working_days(date(2024, 9, 26), 5) == (date(2024, 10, 9), False)
    # Thu 10-10, Fri 10-11, Sat 10-12 (调休).
    assert add_working_days(date(2024, 10, 9), 3) == (date(2024, 10, 12), False)


def test_working_days_skip_an_ordinary_weekend() -> None:
    assert add_working_days(date(2025, 3, 20), 5) == (date(2025, 3, 27), False)


def test_working_days_into_an_unknown_year_count_weekdays_and_are_provisional() -> None:
    # Thu 2026-12-31, then Fri 2027-01-01 and Mon 2027-01-04 on weekends only.
    assert add_working_days(date(2026, 12, 30), 3) == (date(2027, 1, 4), True)


def test_the_objection_clock_counts_five_working_days() -> None:
    deadline = start_clock(Rule.OBJECT_5WD, date(2025, 1, 23))
    assert (deadline.length, deadline.unit) == (5, DayUnit.WORKING_DAYS)
    assert deadline.due_date == date(2025, 2, 6)
    assert deadline.provisional is False


# --- starting clocks ---------------------------------------------------------------------------


def test_starting_a_clock_stores_rule_start_length_unit_due_date_and_key() -> None:
    deadline = start_clock(Rule.NOTICE_15, date(2025, 1, 15), key="notice_15#2")
    assert deadline == Deadline(
        rule=Rule.NOTICE_15,
        started_on=date(2025, 1, 15),
        length=15,
        unit=DayUnit.CALENDAR_DAYS,
        due_date=date(2025, 2, 5),
        provisional=False,
        key="notice_15#2",
    )


def test_a_clock_length_can_be_overridden() -> None:
    deadline = start_clock(Rule.SORT_15, date(2025, 3, 6), length=10)
    assert (deadline.length, deadline.unit, deadline.due_date) == (
        10,
        DayUnit.CALENDAR_DAYS,
        date(2025, 3, 17),  # Sun 03-16 rolls to Mon
    )


def test_a_clock_unit_can_be_overridden() -> None:
    deadline = start_clock(Rule.SORT_15, date(2025, 1, 23), length=5, unit=DayUnit.WORKING_DAYS)
    assert deadline.due_date == date(2025, 2, 6)


def test_a_clock_follows_configured_rules_instead_of_the_defaults() -> None:
    rules = {Rule.HANDLE_60: (45, DayUnit.CALENDAR_DAYS)}
    deadline = start_clock(Rule.HANDLE_60, date(2025, 3, 3), rules=rules)
    assert (deadline.length, deadline.due_date) == (45, date(2025, 4, 17))


def test_a_rule_without_a_default_length_needs_both_length_and_unit() -> None:
    with pytest.raises(RuleViolationError) as caught:
        start_clock(Rule.ASSIGN_DUE, date(2025, 3, 3), length=10)
    assert caught.value.field == "rule"
    deadline = start_clock(Rule.ASSIGN_DUE, date(2025, 3, 3), length=10, unit=DayUnit.CALENDAR_DAYS)
    assert deadline.due_date == date(2025, 3, 13)


def test_a_clock_of_zero_days_is_refused() -> None:
    with pytest.raises(RuleViolationError) as caught:
        start_clock(Rule.SORT_15, date(2025, 3, 6), length=0)
    assert caught.value.field == "length"


def test_an_ordered_due_date_is_kept_as_given() -> None:
    deadline = clock_with_due_date(
        Rule.ASSIGN_DUE, date(2025, 3, 3), date(2025, 3, 23), key="assign_due#1"
    )
    assert deadline == Deadline(
        rule=Rule.ASSIGN_DUE,
        started_on=date(2025, 3, 3),
        length=20,
        unit=DayUnit.CALENDAR_DAYS,
        due_date=date(2025, 3, 23),  # a Sunday: the order says so
        provisional=False,
        key="assign_due#1",
    )


@pytest.mark.parametrize("due_date", [date(2025, 3, 3), date(2025, 3, 2)])
def test_an_ordered_due_date_not_after_the_start_is_refused(due_date: date) -> None:
    with pytest.raises(RuleViolationError) as caught:
        clock_with_due_date(Rule.SUPERVISION_DUE, date(2025, 3, 3), due_date)
    assert caught.value.field == "due_date"


# --- extensions --------------------------------------------------------------------------------


def test_the_handling_clock_ending_on_labour_day_moves_to_may_6() -> None:
    deadline = start_clock(Rule.HANDLE_60, date(2025, 3, 3))
    assert deadline.due_date == date(2025, 5, 6)


def test_an_extension_is_counted_from_the_start_not_from_the_rolled_due_date() -> None:
    extended = extend(start_clock(Rule.HANDLE_60, date(2025, 3, 3)), 10)
    # 70 days from 03-03 is Mon 05-12, not 05-06 + 10.
    assert (extended.due_date, extended.extended_days) == (date(2025, 5, 12), 10)


def test_extensions_may_total_thirty_days_across_several_approvals() -> None:
    first = extend(start_clock(Rule.HANDLE_60, date(2025, 3, 3)), 10)
    second = extend(first, 20)
    # 90 days from 03-03 is Sun 06-01, in the Dragon Boat holiday 05-31..06-02.
    assert (second.due_date, second.extended_days, second.length) == (date(2025, 6, 3), 30, 60)


def test_an_extension_beyond_thirty_days_in_total_is_refused() -> None:
    first = extend(start_clock(Rule.HANDLE_60, date(2025, 3, 3)), 25)
    with pytest.raises(RuleViolationError, match="延期天数应为 1 至 5 天") as caught:
        extend(first, 6)
    assert caught.value.field == "days"


def test_a_single_extension_of_more_than_thirty_days_is_refused() -> None:
    with pytest.raises(RuleViolationError) as caught:
        extend(start_clock(Rule.HANDLE_60, date(2025, 3, 3)), 31)
    assert caught.value.field == "days"


def test_no_extension_is_left_after_thirty_days() -> None:
    used_up = extend(start_clock(Rule.HANDLE_60, date(2025, 3, 3)), 30)
    with pytest.raises(RuleViolationError) as caught:
        extend(used_up, 1)
    assert caught.value.field == "days"


@pytest.mark.parametrize("days", [0, -5])
def test_an_extension_of_less_than_one_day_is_refused(days: int) -> None:
    with pytest.raises(RuleViolationError) as caught:
        extend(start_clock(Rule.HANDLE_60, date(2025, 3, 3)), days)
    assert caught.value.field == "days"


def test_a_met_deadline_cannot_be_extended() -> None:
    met = start_clock(Rule.HANDLE_60, date(2025, 3, 3)).met(date(2025, 4, 1), HOLDER)
    with pytest.raises(RuleViolationError) as caught:
        extend(met, 10)
    assert caught.value.field == "deadline"


# --- pausing for a recheck hearing -------------------------------------------------------------


def test_a_pause_only_marks_the_day_and_keeps_the_due_date() -> None:
    deadline = start_clock(Rule.RECHECK_DECIDE_30, date(2025, 3, 3))
    assert deadline.due_date == date(2025, 4, 2)
    paused = pause(deadline, date(2025, 3, 10))
    assert (paused.paused_since, paused.due_date, paused.paused_days) == (
        date(2025, 3, 10),
        date(2025, 4, 2),
        0,
    )


def test_resuming_pushes_the_due_date_back_by_the_paused_days() -> None:
    paused = pause(start_clock(Rule.RECHECK_DECIDE_30, date(2025, 3, 3)), date(2025, 3, 10))
    resumed = resume(paused, date(2025, 3, 17))
    assert (resumed.due_date, resumed.paused_days, resumed.paused_since) == (
        date(2025, 4, 9),
        7,
        None,
    )


def test_resuming_into_qingming_rolls_the_due_date_forward() -> None:
    paused = pause(start_clock(Rule.RECHECK_DECIDE_30, date(2025, 3, 3)), date(2025, 3, 10))
    # 32 days from 03-03 is Fri 04-04, in the Qingming holiday 04-04..04-06.
    assert resume(paused, date(2025, 3, 12)).due_date == date(2025, 4, 7)


def test_paused_days_add_up_over_several_hearings() -> None:
    deadline = start_clock(Rule.RECHECK_DECIDE_30, date(2025, 3, 3))
    once = resume(pause(deadline, date(2025, 3, 5)), date(2025, 3, 8))
    twice = resume(pause(once, date(2025, 3, 10)), date(2025, 3, 14))
    assert (twice.paused_days, twice.due_date) == (7, date(2025, 4, 9))


def test_pausing_a_paused_clock_is_refused() -> None:
    paused = pause(start_clock(Rule.RECHECK_DECIDE_30, date(2025, 3, 3)), date(2025, 3, 10))
    with pytest.raises(RuleViolationError) as caught:
        pause(paused, date(2025, 3, 11))
    assert caught.value.field == "paused_since"


def test_resuming_a_running_clock_is_refused() -> None:
    with pytest.raises(RuleViolationError) as caught:
        resume(start_clock(Rule.RECHECK_DECIDE_30, date(2025, 3, 3)), date(2025, 3, 11))
    assert caught.value.field == "paused_since"


def test_resuming_before_the_pause_is_refused() -> None:
    paused = pause(start_clock(Rule.RECHECK_DECIDE_30, date(2025, 3, 3)), date(2025, 3, 10))
    with pytest.raises(RuleViolationError) as caught:
        resume(paused, date(2025, 3, 9))
    assert caught.value.field == "on"


def test_pausing_before_the_clock_started_is_refused() -> None:
    with pytest.raises(RuleViolationError) as caught:
        pause(start_clock(Rule.RECHECK_DECIDE_30, date(2025, 3, 3)), date(2025, 3, 2))
    assert caught.value.field == "on"


# --- warning levels ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2025, 3, 6), Level.OPEN),
        (date(2025, 3, 17), Level.OPEN),  # Mon: 4 working days left
        (date(2025, 3, 18), Level.DUE_SOON),  # Tue: Wed, Thu, Fri left
        (date(2025, 3, 21), Level.DUE_SOON),  # the due date itself is not overdue
        (date(2025, 3, 22), Level.OVERDUE),  # overdue from the next day
        (date(2025, 4, 19), Level.OVERDUE),  # 29 days over
        (date(2025, 4, 20), Level.SEVERELY_OVERDUE),  # 30 days over
        (date(2025, 12, 31), Level.SEVERELY_OVERDUE),
    ],
)
def test_the_level_of_a_running_deadline_follows_the_calendar(today: date, expected: Level) -> None:
    assert level(due_on_friday_2025_03_21(), today) == expected


def test_due_soon_counts_working_days_across_a_weekend() -> None:
    deadline = start_clock(Rule.SORT_15, date(2025, 3, 7))  # due Mon 03-24
    assert level(deadline, date(2025, 3, 18)) == Level.OPEN  # Wed, Thu, Fri, Mon
    assert level(deadline, date(2025, 3, 19)) == Level.DUE_SOON  # Thu, Fri, Mon


def test_due_soon_counts_working_days_across_the_spring_festival() -> None:
    deadline = start_clock(Rule.SORT_15, date(2025, 1, 15))  # due Wed 02-05
    assert level(deadline, date(2025, 1, 23)) == Level.OPEN  # 01-24, 01-26, 01-27, 02-05
    assert level(deadline, date(2025, 1, 24)) == Level.DUE_SOON  # 01-26, 01-27, 02-05
    assert level(deadline, date(2025, 1, 30)) == Level.DUE_SOON  # only 02-05


def test_an_ordered_due_date_on_a_sunday_is_due_soon_on_that_day() -> None:
    deadline = clock_with_due_date(Rule.ASSIGN_DUE, date(2025, 3, 3), date(2025, 3, 23))
    assert level(deadline, date(2025, 3, 23)) == Level.DUE_SOON
    assert level(deadline, date(2025, 3, 24)) == Level.OVERDUE


def test_a_paused_deadline_shows_as_paused_even_close_to_its_due_date() -> None:
    paused = pause(due_on_friday_2025_03_21(), date(2025, 3, 17))
    assert level(paused, date(2025, 3, 20)) == Level.PAUSED


def test_a_paused_deadline_is_never_overdue_while_paused() -> None:
    paused = pause(due_on_friday_2025_03_21(), date(2025, 3, 17))
    assert level(paused, date(2025, 4, 30)) == Level.PAUSED
    # Resumed, its due date has moved by the paused days: 03-21 + 14 days = Fri 04-04, a
    # Qingming holiday, so Mon 04-07; on 04-01 it is merely due soon.
    resumed = resume(paused, date(2025, 3, 31))
    assert resumed.due_date == date(2025, 4, 7)
    assert level(resumed, date(2025, 4, 1)) == Level.DUE_SOON


def test_a_deadline_already_past_its_due_date_cannot_be_paused() -> None:
    with pytest.raises(RuleViolationError) as caught:
        pause(due_on_friday_2025_03_21(), date(2025, 3, 24))
    assert caught.value.field == "on"
    assert "2025-03-21" in caught.value.message


def test_a_deadline_met_on_its_due_date_is_met() -> None:
    met = due_on_friday_2025_03_21().met(date(2025, 3, 21), HOLDER)
    assert met.met_by == HOLDER
    assert level(met, date(2025, 6, 1)) == Level.MET
    assert days_over(met, date(2025, 6, 1)) == 0


def test_a_deadline_met_early_is_met() -> None:
    met = due_on_friday_2025_03_21().met(date(2025, 3, 10), HOLDER)
    assert level(met, date(2025, 3, 11)) == Level.MET
    assert days_over(met, date(2025, 3, 11)) == 0


def test_a_deadline_met_the_day_after_is_met_late() -> None:
    met = due_on_friday_2025_03_21().met(date(2025, 3, 22), HOLDER)
    assert level(met, date(2025, 6, 1)) == Level.MET_LATE
    assert days_over(met, date(2025, 6, 1)) == 1


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2025, 3, 10), 0),
        (date(2025, 3, 21), 0),
        (date(2025, 3, 22), 1),
        (date(2025, 3, 21) + timedelta(days=30), 30),
    ],
)
def test_days_over_counts_calendar_days_past_the_due_date(today: date, expected: int) -> None:
    assert days_over(due_on_friday_2025_03_21(), today) == expected
