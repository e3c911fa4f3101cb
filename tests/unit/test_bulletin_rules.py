"""月通报 rules: a month is published once it has ended; who is commended or criticised."""

from __future__ import annotations

from datetime import date

import pytest

from domain.bulletins import Standing, first_day_after, require_ended, rolls
from domain.errors import RuleViolationError


def unit(
    name: str, rank: int | None, due: int, on_time: int, *, overdue: int = 0, severe: int = 0
) -> Standing:
    """One unit's month."""
    return Standing(
        unit=name,
        rank=rank,
        handling_due=due,
        handling_on_time=on_time,
        overdue=overdue,
        severely_overdue=severe,
    )


@pytest.mark.parametrize(
    ("month", "after"),
    [("2026-12", date(2027, 1, 1)), ("2028-02", date(2028, 3, 1)), ("2026-09", date(2026, 10, 1))],
)
def test_a_month_ends_at_the_end_of_its_last_day(month: str, after: date) -> None:
    assert first_day_after(month) == after


@pytest.mark.parametrize("today", [date(2026, 12, 1), date(2026, 12, 31), date(2026, 11, 30)])
def test_a_month_that_has_not_ended_is_refused_with_the_day_it_can_be_published(
    today: date,
) -> None:
    with pytest.raises(RuleViolationError) as refused:
        require_ended("2026-12", today)

    assert refused.value.field == "month"
    assert "2026-12 尚未结束" in refused.value.message
    assert "2027-01-01 起可发布" in refused.value.message


def test_a_month_may_be_published_from_the_day_after_it_ended() -> None:
    require_ended("2026-12", date(2027, 1, 1))
    require_ended("2026-11", date(2026, 12, 2))


def test_the_commended_list_holds_the_best_units_and_the_criticised_list_the_worst_first() -> None:
    judged = rolls(
        [
            unit("乙", 2, 10, 9),
            unit("丁", 4, 5, 2, overdue=3),
            unit("甲", 1, 5, 5),
            unit("丙", 3, 8, 6, overdue=1),
            unit("戊", 5, 5, 1, overdue=4),
            unit("己", 6, 2, 0, overdue=2),
        ]
    )

    assert [s.unit for s in judged.commended] == ["甲", "乙"]
    assert [(s.unit, reasons) for s, reasons in judged.criticised] == [
        ("戊", ["按期办结率 20.0%（1/5），低于 60%"]),
        ("丁", ["按期办结率 40.0%（2/5），低于 60%"]),
    ]
    # 丙 (75%) is on neither list; 己 has too few deadlines for its 0% to judge it.
    assert judged.unranked == []


def test_a_unit_with_an_overdue_item_is_not_commended_and_a_severe_one_is_criticised() -> None:
    judged = rolls([unit("甲", 1, 5, 5, overdue=1), unit("乙", 2, 5, 5, overdue=1, severe=1)])

    assert judged.commended == []
    assert [(s.unit, reasons) for s, reasons in judged.criticised] == [("乙", ["严重超期 1 件"])]


def test_units_below_the_minimum_sample_are_listed_apart_and_never_ranked() -> None:
    small = unit("小", None, 5, 0, overdue=5, severe=2)
    tiny = unit("微", None, 3, 3)

    judged = rolls([small, unit("甲", 1, 5, 5), tiny])

    assert [s.unit for s in judged.commended] == ["甲"]
    assert judged.criticised == []
    assert judged.unranked == [small, tiny]  # in name order, with no rank
