"""The Case aggregate, handling (办理), domain.md §3: start of work, extensions, responses,
completion reports and reassignment; given events → when command → then events or error.

Stories start on Monday 2025-03-03 and move one day per step (builders.py), so the dates
below are exact. Holiday used: Labour Day 2025-05-01..05.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.cases import CLOCK_SKEW, Case
from domain.errors import RuleViolationError, TransitionError
from domain.values import ClockEnd, Outcome, Rule, Status
from tests.unit.builders import (
    ASSIGN_DUE_DATE,
    BUREAU_HEAD,
    DISPATCHER,
    HANDLER,
    HEAD,
    HOLDER,
    HOUSING,
    LABOUR,
    LINEAGE,
    story_in,
)
from tests.unit.expectations import assert_refused_without_trace, clock, only

S = Status


def test_starting_work_puts_an_accepted_case_in_progress() -> None:
    story = story_in(S.ACCEPTED)
    story.start_work()
    only(story.flush(), Case.WorkStarted)
    assert story.case.status is S.IN_PROGRESS


def test_an_extension_moves_the_60_day_clock_and_marks_the_case_extended() -> None:
    story = story_in(S.IN_PROGRESS)
    story.case.extend(story.stamp(HEAD, "需要补充调查"), days=10, approved_by=" 赵局长 ")
    event = only(story.flush(), Case.Extended)
    assert (event.days, event.approved_by, event.reason) == (10, "赵局长", "需要补充调查")
    # 60 days from Wed 03-05 is Sun 05-04 (Labour Day), 70 days is Wed 05-14.
    assert event.deadlines == [
        clock(Rule.HANDLE_60, date(2025, 3, 5), 60, date(2025, 5, 14), extended_days=10)
    ]
    assert story.case.status is S.EXTENDED


def test_extensions_may_total_thirty_days() -> None:
    story = story_in(S.EXTENDED)  # 10 days already
    story.extend(days=20)
    event = only(story.flush(), Case.Extended)
    assert event.deadlines == [
        clock(Rule.HANDLE_60, date(2025, 3, 5), 60, date(2025, 6, 3), extended_days=30)
    ]


def test_the_thirty_first_day_of_extension_is_refused() -> None:
    story = story_in(S.EXTENDED).extend(days=20).given()
    with pytest.raises(RuleViolationError) as refused:
        story.extend(days=1)
    assert refused.value.field == "days"
    assert_refused_without_trace(story, 6)


def test_an_extension_longer_than_thirty_days_at_once_is_refused() -> None:
    story = story_in(S.IN_PROGRESS)
    with pytest.raises(RuleViolationError) as refused:
        story.extend(days=31)
    assert refused.value.field == "days"
    assert_refused_without_trace(story, 4)


def test_an_extension_without_its_approver_is_refused() -> None:
    story = story_in(S.IN_PROGRESS)
    with pytest.raises(RuleViolationError) as refused:
        story.case.extend(story.stamp(HEAD, "需要补充调查"), days=10, approved_by=" ")
    assert refused.value.field == "approved_by"
    assert_refused_without_trace(story, 4)


@pytest.mark.parametrize("status", [S.IN_PROGRESS, S.EXTENDED], ids=str)
def test_a_forwarded_case_is_answered_by_a_response(status: Status) -> None:
    story = story_in(status)
    stamp = story.stamp(HANDLER)
    delivered = stamp.occurred_at - timedelta(hours=1)
    story.case.respond(stamp, outcome=Outcome.SUPPORTED, text="答复意见书", delivered_at=delivered)
    event = only(story.flush(), Case.Responded)
    assert (event.outcome, event.text, event.delivered_at) == (
        Outcome.SUPPORTED,
        "答复意见书",
        delivered,
    )
    assert story.case.status is S.RESPONDED
    assert story.case.outcome is Outcome.SUPPORTED
    assert story.case.response_text == "答复意见书"
    assert story.case.delivered_on == story.today


def test_a_direct_case_is_answered_by_a_response() -> None:
    story = story_in(S.REGISTERED)
    story.case.accept(story.stamp(BUREAU_HEAD))
    story.start_work().given()
    story.respond()
    only(story.flush(), Case.Responded)
    assert story.case.status is S.RESPONDED


def test_a_forwarded_case_cannot_submit_a_completion_report() -> None:
    story = story_in(S.IN_PROGRESS)
    with pytest.raises(TransitionError) as refused:
        story.submit_report()
    assert (refused.value.command, refused.value.status) == ("submit_report", "in_progress")
    assert refused.value.message == "事项当前状态为“办理中”（非交办事项），不能办理“提交办结报告”"
    assert_refused_without_trace(story, 4)


def test_an_assigned_case_cannot_be_answered_by_a_direct_response() -> None:
    story = story_in(S.IN_PROGRESS, assigned=True)
    with pytest.raises(TransitionError) as refused:
        story.respond()
    assert (refused.value.command, refused.value.status) == ("respond", "in_progress")
    assert refused.value.message == (
        "事项当前状态为“办理中”（交办事项请提交办结报告），不能办理“答复”"
    )
    assert_refused_without_trace(story, 4)


def test_an_assigned_case_submits_a_completion_report() -> None:
    story = story_in(S.IN_PROGRESS, assigned=True)
    story.submit_report()
    event = only(story.flush(), Case.ReportSubmitted)
    assert event.text == "办结报告"
    assert event.deadlines == [
        clock(
            Rule.ASSIGN_DUE,
            date(2025, 3, 4),
            30,
            ASSIGN_DUE_DATE,
            met_on=date(2025, 3, 7),
            met_by=HOLDER,
        )
    ]
    assert story.case.status is S.REPORT_SUBMITTED


def test_a_response_delivered_after_it_was_recorded_is_refused() -> None:
    story = story_in(S.IN_PROGRESS)
    stamp = story.stamp(HANDLER)
    with pytest.raises(RuleViolationError) as refused:
        story.case.respond(
            stamp,
            outcome=Outcome.EXPLAINED,
            text="答复意见书",
            delivered_at=stamp.occurred_at + CLOCK_SKEW + timedelta(seconds=1),
        )
    assert refused.value.field == "delivered_at"
    assert_refused_without_trace(story, 4)


@pytest.mark.parametrize(
    ("due_date", "status", "event_due"),
    [(None, S.FORWARDED, None), (date(2025, 4, 30), S.ASSIGNED, date(2025, 4, 30))],
    ids=["forwarded", "assigned"],
)
def test_reassigning_moves_the_case_to_another_unit(
    due_date: date | None, status: Status, event_due: date | None
) -> None:
    story = story_in(S.IN_PROGRESS)
    story.case.reassign(
        story.stamp(DISPATCHER, "住建局无管辖权"),
        unit_id=LABOUR,
        unit_lineage=LINEAGE[LABOUR],
        due_date=due_date,
    )
    event = only(story.flush(), Case.Reassigned)
    assert (event.unit_id, event.due_date, event.reason) == (LABOUR, event_due, "住建局无管辖权")
    assert story.case.status is status
    assert story.case.mode == status.value
    assert (story.case.unit_id, story.case.handler_id) == (LABOUR, None)
    assert story.case.held_unit_ids == [HOUSING, LABOUR]
    handed_off = clock(
        Rule.HANDLE_60,
        date(2025, 3, 5),
        60,
        date(2025, 5, 6),
        met_on=date(2025, 3, 7),
        met_by=HOLDER,
        end=ClockEnd.TRANSFERRED,  # not handled by the first unit: it only held it
    )
    assert story.case.deadlines["handle_60"] == handed_off


def test_reassigning_to_the_unit_that_holds_the_case_is_refused() -> None:
    story = story_in(S.IN_PROGRESS)
    with pytest.raises(RuleViolationError) as refused:
        story.case.reassign(
            story.stamp(DISPATCHER, "再交办"), unit_id=HOUSING, unit_lineage=LINEAGE[HOUSING]
        )
    assert refused.value.field == "unit_id"
    assert_refused_without_trace(story, 4)


def test_approving_a_completion_report_counts_the_case_as_answered() -> None:
    story = story_in(S.REPORT_SUBMITTED)
    story.approve_report()
    event = only(story.flush(), Case.ReportApproved)
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
    assert story.case.status is S.RESPONDED
    assert story.case.delivered_on == date(2025, 3, 8)


def test_returning_a_completion_report_restarts_work_and_the_assign_clock() -> None:
    story = story_in(S.REPORT_SUBMITTED)
    story.case.return_report(story.stamp(DISPATCHER, "调查不充分"))
    event = only(story.flush(), Case.ReportReturned)
    running = clock(Rule.ASSIGN_DUE, date(2025, 3, 4), 30, ASSIGN_DUE_DATE)
    assert (event.reason, event.deadlines) == ("调查不充分", [running])
    assert story.case.status is S.IN_PROGRESS
    assert story.case.deadlines["assign_due"] == running
