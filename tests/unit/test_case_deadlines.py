"""The Case aggregate: the deadlines stored in its events (domain.md §5), started, met,
paused and replaced by the commands.

Stories start on Monday 2025-03-03 and move one day per step (builders.py), so the dates
below are exact. Holidays used: Qingming
2025-04-04..06, Labour Day 2025-05-01..05, Spring Festival 2025-01-28..02-04.
"""

from __future__ import annotations

from datetime import UTC, date, timedelta

import pytest

from domain.cases import Case, make_stamp
from domain.errors import RuleViolationError
from domain.values import DayUnit, NoticeKind, Outcome, Rule, Status
from tests.unit.builders import (
    CLERK,
    DISPATCHER,
    HANDLER,
    HOLDER,
    LABOUR,
    LABOUR_HEAD,
    LINEAGE,
    SUPERVISOR,
    Story,
    at,
    register,
    story_in,
)
from tests.unit.expectations import AT_HOUSING, NOBODY, assert_refused_without_trace, clock, only

S = Status


def test_registration_before_the_spring_festival_stores_rolled_forward_clocks() -> None:
    # 15 days after Mon 2025-01-20 is Tue 02-04, the last day of the Spring Festival holiday.
    case = register(date(2025, 1, 20))
    event = only(list(case.collect_events()), Case.Registered)
    assert event.deadlines == [
        clock(Rule.SORT_15, date(2025, 1, 20), 15, date(2025, 2, 5)),
        clock(Rule.NOTICE_15, date(2025, 1, 20), 15, date(2025, 2, 5)),
    ]
    assert case.deadlines == {
        "sort_15": clock(Rule.SORT_15, date(2025, 1, 20), 15, date(2025, 2, 5)),
        "notice_15": clock(Rule.NOTICE_15, date(2025, 1, 20), 15, date(2025, 2, 5)),
    }


def test_registration_on_a_chinese_evening_counts_from_the_chinese_date() -> None:
    # 2025-03-03 23:30 in Beijing is still 2025-03-03 15:30 UTC.
    when = at(date(2025, 3, 3), hour=23) + timedelta(minutes=30)
    case = register(stamp=make_stamp(CLERK, now=when.astimezone(UTC)))
    assert case.deadlines["sort_15"].started_on == date(2025, 3, 3)


def test_forwarding_stops_the_sorting_clock_and_starts_notice_and_objection_clocks() -> None:
    story = story_in(S.REGISTERED)
    story.forward()
    event = only(story.flush(), Case.Forwarded)
    assert event.deadlines == [
        clock(
            Rule.SORT_15,
            date(2025, 3, 3),
            15,
            date(2025, 3, 18),
            met_on=date(2025, 3, 4),
            met_by=NOBODY,
        ),
        clock(Rule.NOTICE_15, date(2025, 3, 4), 15, date(2025, 3, 19)),
        clock(Rule.OBJECT_5WD, date(2025, 3, 4), 5, date(2025, 3, 11), unit=DayUnit.WORKING_DAYS),
    ]


def test_the_objection_window_counts_working_days_across_labour_day() -> None:
    # Forwarded Wed 2025-04-30; 05-01..05 are holidays: Tue 6, 7, 8, 9, Mon 12.
    story = Story.registered(date(2025, 4, 29)).forward()
    assert story.case.deadlines["object_5wd"] == clock(
        Rule.OBJECT_5WD, date(2025, 4, 30), 5, date(2025, 5, 12), unit=DayUnit.WORKING_DAYS
    )


def test_assigning_stores_the_ordered_due_date() -> None:
    story = story_in(S.REGISTERED)
    story.assign(due_date=date(2025, 3, 20))
    event = only(story.flush(), Case.Assigned)
    assert event.deadlines[3] == clock(Rule.ASSIGN_DUE, date(2025, 3, 4), 16, date(2025, 3, 20))
    assert [d.name for d in event.deadlines] == ["sort_15", "notice_15", "object_5wd", "assign_due"]


def test_accepting_starts_the_60_day_clock_and_stops_the_objection_window() -> None:
    story = story_in(S.FORWARDED)
    story.accept()
    event = only(story.flush(), Case.Accepted)
    # 60 days after Wed 03-05 is Sun 05-04, inside Labour Day: due Tue 05-06.
    assert event.deadlines == [
        clock(
            Rule.OBJECT_5WD,
            date(2025, 3, 4),
            5,
            date(2025, 3, 11),
            unit=DayUnit.WORKING_DAYS,
            met_on=date(2025, 3, 5),
            met_by=AT_HOUSING,
        ),
        clock(Rule.HANDLE_60, date(2025, 3, 5), 60, date(2025, 5, 6)),
    ]


def test_the_response_stops_the_60_day_clock_on_the_delivery_date_and_names_the_holder() -> None:
    story = story_in(S.IN_PROGRESS)
    stamp = story.stamp(HANDLER, days=3)  # recorded Mon 03-09
    delivered = at(date(2025, 3, 8), hour=16)
    story.case.respond(stamp, outcome=Outcome.NOT_SUPPORTED, text="答复", delivered_at=delivered)
    event = only(story.flush(), Case.Responded)
    assert event.deadlines == [
        clock(
            Rule.HANDLE_60,
            date(2025, 3, 5),
            60,
            date(2025, 5, 6),
            met_on=date(2025, 3, 8),
            met_by=HOLDER,
        ),
        clock(Rule.REVIEW_WINDOW_30, date(2025, 3, 8), 30, date(2025, 4, 7)),
    ]


def test_a_receipt_notice_meets_the_notice_clock_on_its_delivery_date() -> None:
    story = story_in(S.ACCEPTED)
    delivered = at(date(2025, 3, 5), hour=17)
    story.case.notify_petitioner(
        story.stamp(CLERK), kind=NoticeKind.ACCEPTANCE, method="短信", delivered_at=delivered
    )
    event = only(story.flush(), Case.PetitionerNotified)
    assert (event.kind, event.method, event.delivered_at) == (
        NoticeKind.ACCEPTANCE,
        "短信",
        delivered,
    )
    assert event.deadlines == [
        clock(
            Rule.NOTICE_15,
            date(2025, 3, 4),
            15,
            date(2025, 3, 19),
            met_on=date(2025, 3, 5),
            met_by=HOLDER,
        )
    ]


def test_each_supervision_order_runs_its_own_clock_until_answered() -> None:
    story = story_in(S.IN_PROGRESS)
    story.case.issue_supervision_order(
        story.stamp(SUPERVISOR), due_date=date(2025, 3, 14), text="限期报告进展"
    )
    story.case.issue_supervision_order(
        story.stamp(SUPERVISOR), due_date=date(2025, 3, 21), text="限期办结"
    )
    first, second = story.flush()
    assert (first.n, first.due_date, second.n) == (1, date(2025, 3, 14), 2)
    assert first.deadlines == [
        clock(Rule.SUPERVISION_DUE, date(2025, 3, 7), 7, date(2025, 3, 14), key="supervision_due#1")
    ]
    assert second.deadlines == [
        clock(
            Rule.SUPERVISION_DUE, date(2025, 3, 8), 13, date(2025, 3, 21), key="supervision_due#2"
        )
    ]
    story.case.answer_supervision_order(story.stamp(HANDLER), n=1, text="已走访调查")
    answered = only(story.flush(), Case.SupervisionOrderAnswered)
    assert answered.deadlines == [
        clock(
            Rule.SUPERVISION_DUE,
            date(2025, 3, 7),
            7,
            date(2025, 3, 14),
            key="supervision_due#1",
            met_on=date(2025, 3, 9),
            met_by=HOLDER,
        )
    ]
    assert story.case.deadlines["supervision_due#2"].met_on is None
    assert [(o.n, o.answer, o.answered_on) for o in story.case.supervision_orders] == [
        (1, "已走访调查", date(2025, 3, 9)),
        (2, None, None),
    ]


def test_answering_a_supervision_order_twice_is_refused() -> None:
    story = story_in(S.IN_PROGRESS)
    story.case.issue_supervision_order(
        story.stamp(SUPERVISOR), due_date=date(2025, 3, 14), text="限期报告进展"
    )
    story.case.answer_supervision_order(story.stamp(HANDLER), n=1, text="已走访调查")
    story.given()
    with pytest.raises(RuleViolationError) as refused:
        story.case.answer_supervision_order(story.stamp(HANDLER), n=1, text="再次答复")
    assert refused.value.field == "n"
    assert_refused_without_trace(story, 6)


def test_a_replaced_clock_is_kept_among_the_past_deadlines() -> None:
    story = story_in(S.IN_PROGRESS)
    story.case.reassign(
        story.stamp(DISPATCHER, "住建局无管辖权"), unit_id=LABOUR, unit_lineage=LINEAGE[LABOUR]
    )
    story.case.accept(story.stamp(LABOUR_HEAD))
    story.given()
    assert story.case.deadlines["handle_60"] == clock(
        Rule.HANDLE_60, date(2025, 3, 8), 60, date(2025, 5, 7)
    )
    assert (
        clock(
            Rule.HANDLE_60,
            date(2025, 3, 5),
            60,
            date(2025, 5, 6),
            met_on=date(2025, 3, 7),
            met_by=HOLDER,
        )
        in story.case.past_deadlines
    )


def test_a_hand_over_leaves_the_old_and_new_deadlines_side_by_side() -> None:
    story = story_in(S.FORWARDED)
    assert story.case.deadlines["notice_15"] == clock(
        Rule.NOTICE_15, date(2025, 3, 4), 15, date(2025, 3, 19)
    )
    assert story.case.past_deadlines == [
        clock(Rule.NOTICE_15, date(2025, 3, 3), 15, date(2025, 3, 18))
    ]
