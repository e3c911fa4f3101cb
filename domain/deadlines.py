"""Due dates on the official working-day calendar and warning levels, `today` passed in (§5)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType

import chinese_calendar

from domain.errors import RuleViolationError
from domain.labels import label
from domain.values import WINDOWS, ClockEnd, DayUnit, Deadline, Level, Rule

DEFAULT_RULES: Mapping[Rule, tuple[int, DayUnit]] = MappingProxyType(
    {
        Rule.SORT_15: (15, DayUnit.CALENDAR_DAYS),
        Rule.NOTICE_15: (15, DayUnit.CALENDAR_DAYS),
        Rule.OBJECT_5WD: (5, DayUnit.WORKING_DAYS),
        Rule.HANDLE_60: (60, DayUnit.CALENDAR_DAYS),
        Rule.REVIEW_WINDOW_30: (30, DayUnit.CALENDAR_DAYS),
        Rule.REVIEW_DECIDE_30: (30, DayUnit.CALENDAR_DAYS),
        Rule.RECHECK_WINDOW_30: (30, DayUnit.CALENDAR_DAYS),
        Rule.RECHECK_DECIDE_30: (30, DayUnit.CALENDAR_DAYS),
    }
)

MAX_EXTENSION_DAYS = 30
DUE_SOON_WORKING_DAYS = 3
SEVERELY_OVERDUE_DAYS = 30

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5


@lru_cache(maxsize=8192)
def is_working_day(day: date) -> tuple[bool, bool]:
    """Return (working?, provisional): the official calendar, or Mon–Fri for an unknown year.

    Cached: the calendar package scans its holiday table on every call, and the answer for a
    date changes only when a newer package is installed (a restart; `xinfang deadlines
    refresh` runs in a fresh process).
    """
    try:
        return chinese_calendar.is_workday(day), False
    except NotImplementedError:
        # Never a silent guess: the caller stores the result as provisional (domain.md §5).
        return day.weekday() < _SATURDAY, True


def reload_calendar() -> None:
    """Forget cached calendar answers (before correcting deadlines after a calendar update)."""
    is_working_day.cache_clear()


def _check_days(days: int) -> None:
    """Refuse a negative number of days."""
    if days < 0:
        raise RuleViolationError("days", f"天数不能为负数，所给为 {days}")


def add_calendar_days(start: date, days: int) -> tuple[date, bool]:
    """Return (due date, provisional): start not counted, a non-working last day rolls forward."""
    _check_days(days)
    due = start + timedelta(days=days)
    provisional = False
    while True:
        working, unknown = is_working_day(due)
        provisional = provisional or unknown
        if working:
            return due, provisional
        due += _ONE_DAY


def add_working_days(start: date, days: int) -> tuple[date, bool]:
    """Return (due date, provisional) after counting `days` working days, start not counted."""
    _check_days(days)
    due = start
    provisional = False
    remaining = days
    while remaining > 0:
        due += _ONE_DAY
        working, unknown = is_working_day(due)
        provisional = provisional or unknown
        if working:
            remaining -= 1
    return due, provisional


def _due_date(started_on: date, days: int, unit: DayUnit) -> tuple[date, bool]:
    """Return (due date, provisional) for a length counted in `unit`."""
    if unit is DayUnit.WORKING_DAYS:
        return add_working_days(started_on, days)
    return add_calendar_days(started_on, days)


def start_clock(
    rule: Rule,
    started_on: date,
    *,
    length: int | None = None,
    unit: DayUnit | None = None,
    rules: Mapping[Rule, tuple[int, DayUnit]] = DEFAULT_RULES,
    key: str = "",
) -> Deadline:
    """Start a clock whose length and unit come from `rules` unless given."""
    configured = rules.get(rule)
    if configured is not None:
        default_length, default_unit = configured
        length = default_length if length is None else length
        unit = default_unit if unit is None else unit
    elif length is None or unit is None:
        raise RuleViolationError(
            "rule", f"“{label(rule)}”没有配置期限长度和计算方式：请同时给出二者，或给出到期日"
        )
    if length < 1:
        raise RuleViolationError("length", f"期限至少为 1 天，所给为 {length} 天")
    due_date, provisional = _due_date(started_on, length, unit)
    return Deadline(
        rule=rule,
        started_on=started_on,
        length=length,
        unit=unit,
        due_date=due_date,
        provisional=provisional,
        key=key,
    )


def clock_with_due_date(rule: Rule, started_on: date, due_date: date, *, key: str = "") -> Deadline:
    """Start a clock whose due date is ordered (assign_due, supervision_due), kept as given."""
    if due_date <= started_on:
        raise RuleViolationError("due_date", f"期限 {due_date} 须晚于起算日 {started_on}")
    return Deadline(
        rule=rule,
        started_on=started_on,
        length=(due_date - started_on).days,
        unit=DayUnit.CALENDAR_DAYS,
        due_date=due_date,
        key=key,
    )


def _check_running(deadline: Deadline) -> None:
    """Refuse to change a clock that has already been stopped."""
    if deadline.met_on is not None:
        raise RuleViolationError(
            "deadline", f"“{label(deadline.rule)}”已于 {deadline.met_on} 结束计时"
        )


def _recomputed(deadline: Deadline, *, extended_days: int, paused_days: int) -> Deadline:
    """Return the deadline with its due date recomputed from the start, so it rolls forward once."""
    days = deadline.length + extended_days + paused_days
    due_date, provisional = _due_date(deadline.started_on, days, deadline.unit)
    return replace(
        deadline,
        due_date=due_date,
        provisional=provisional,
        extended_days=extended_days,
        paused_days=paused_days,
    )


def refreshed(deadline: Deadline) -> Deadline:
    """A provisional deadline computed again with today's calendar (unchanged if not provisional).

    Deadlines with an ordered due date (assign_due, supervision_due) never depend on the calendar.
    """
    if not deadline.provisional or deadline.met_on is not None:
        return deadline
    return _recomputed(
        deadline, extended_days=deadline.extended_days, paused_days=deadline.paused_days
    )


def extend(deadline: Deadline, days: int) -> Deadline:
    """Extend a running deadline; extensions total at most MAX_EXTENSION_DAYS (第三十四条)."""
    _check_running(deadline)
    remaining = MAX_EXTENSION_DAYS - deadline.extended_days
    if days < 1 or days > remaining:
        raise RuleViolationError(
            "days",
            f"延期天数应为 1 至 {remaining} 天（最多延期 {MAX_EXTENSION_DAYS} 天，"
            f"已延期 {deadline.extended_days} 天），所填为 {days} 天",
        )
    return _recomputed(
        deadline,
        extended_days=deadline.extended_days + days,
        paused_days=deadline.paused_days,
    )


def pause(deadline: Deadline, on: date) -> Deadline:
    """Stop a running clock on `on` (a recheck hearing, 第三十六条)."""
    _check_running(deadline)
    if deadline.paused_since is not None:
        raise RuleViolationError(
            "paused_since", f"“{label(deadline.rule)}”自 {deadline.paused_since} 起已暂停计时"
        )
    if on < deadline.started_on:
        raise RuleViolationError("on", f"暂停日期 {on} 不能早于起算日 {deadline.started_on}")
    if on > deadline.due_date:
        raise RuleViolationError(
            "on", f"“{label(deadline.rule)}”已于 {deadline.due_date} 届满：已超过的期限不能暂停"
        )
    return replace(deadline, paused_since=on)


def resume(deadline: Deadline, on: date) -> Deadline:
    """Restart a paused clock on `on`, pushing the due date back by the paused days."""
    _check_running(deadline)
    if deadline.paused_since is None:
        raise RuleViolationError("paused_since", f"“{label(deadline.rule)}”未暂停计时")
    if on < deadline.paused_since:
        raise RuleViolationError("on", f"恢复日期 {on} 不能早于暂停日期 {deadline.paused_since}")
    resumed = replace(deadline, paused_since=None)
    return _recomputed(
        resumed,
        extended_days=deadline.extended_days,
        paused_days=deadline.paused_days + (on - deadline.paused_since).days,
    )


def _working_days_until(today: date, due_date: date, limit: int) -> int:
    """Count working days in (today, due_date], stopping once the count exceeds `limit`."""
    count = 0
    day = today + _ONE_DAY
    while day <= due_date and count <= limit:
        if is_working_day(day)[0]:
            count += 1
        day += _ONE_DAY
    return count


def level(deadline: Deadline, today: date) -> Level:
    """Return the state of a deadline on `today`: overdue from the day after it is due.

    A clock that ended is met (on time or late), or stopped: missed if it was already overdue
    when it stopped, else merely stopped. A paused clock is paused, never overdue. A window
    (WINDOWS) is never overdue: it is open, used (met) or expired.
    """
    ended_on = deadline.met_on
    if ended_on is not None:
        if deadline.ended_by is ClockEnd.MET:
            return Level.MET if ended_on <= deadline.due_date else Level.MET_LATE
        if deadline.rule in WINDOWS or ended_on <= deadline.due_date:
            return Level.STOPPED
        return Level.MISSED
    if deadline.rule in WINDOWS:
        return Level.EXPIRED if today > deadline.due_date else Level.OPEN
    if deadline.paused_since is not None:
        return Level.PAUSED
    days_late = (today - deadline.due_date).days
    if days_late >= SEVERELY_OVERDUE_DAYS:
        return Level.SEVERELY_OVERDUE
    if days_late > 0:
        return Level.OVERDUE
    if (
        today == deadline.due_date
        or _working_days_until(today, deadline.due_date, DUE_SOON_WORKING_DAYS)
        <= DUE_SOON_WORKING_DAYS
    ):
        return Level.DUE_SOON
    return Level.OPEN


def due_soon_until(today: date, horizon: date) -> date:
    """The last due date, up to `horizon`, of a running clock that is due soon (or overdue)
    on `today`: `level` is DUE_SOON for a running clock due from `today` up to this date, and
    overdue before `today` (the working days to a due date only grow with the date)."""
    last = today
    day = today + _ONE_DAY
    while day <= horizon and _working_days_until(today, day, DUE_SOON_WORKING_DAYS) <= (
        DUE_SOON_WORKING_DAYS
    ):
        last = day
        day += _ONE_DAY
    return last


def days_over(deadline: Deadline, today: date) -> int:
    """Return how many days past its due date a deadline is (or was, when met late)."""
    end = deadline.met_on if deadline.met_on is not None else today
    return max(0, (end - deadline.due_date).days)
