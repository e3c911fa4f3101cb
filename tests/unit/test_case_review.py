"""The Case aggregate, review (复查), recheck (复核), closing, reopening and withdrawal,
domain.md §3: given events → when command → then events or error.

Stories start on Monday 2025-03-03 and move one day per step (builders.py), so the dates
below are exact. Holidays used: Qingming 2025-04-04..06, Labour Day 2025-05-01..05.
"""

from __future__ import annotations

from datetime import date

import pytest

from domain.cases import Case
from domain.commands import NON_TERMINAL
from domain.errors import RuleViolationError, TransitionError
from domain.values import TERMINAL_STATUSES, Decision, HearingAction, Resolution, Rule, Status
from tests.unit.builders import CLERK, DISPATCHER, HOLDER, SUPERVISOR, at, stamp_on, story_in
from tests.unit.expectations import assert_refused_without_trace, clock, only

S = Status


# --- review (复查) and recheck (复核) -------------------------------------------------------------


def test_a_review_requested_on_the_last_day_of_the_window_is_in_time() -> None:
    story = story_in(S.RESPONDED)  # delivered Fri 03-07; day 30 is Sun 04-06 (Qingming)
    story.case.request_review(stamp_on(CLERK, date(2025, 4, 7)))
    event = only(story.flush(), Case.ReviewRequested)
    assert event.deadlines == [
        clock(
            Rule.REVIEW_WINDOW_30,
            date(2025, 3, 7),
            30,
            date(2025, 4, 7),
            met_on=date(2025, 4, 7),
            met_by=HOLDER,
        ),
        clock(Rule.REVIEW_DECIDE_30, date(2025, 4, 7), 30, date(2025, 5, 7)),
    ]
    assert story.case.status is S.UNDER_REVIEW


def test_a_review_requested_after_the_window_is_refused() -> None:
    story = story_in(S.RESPONDED)
    with pytest.raises(RuleViolationError) as refused:
        story.case.request_review(stamp_on(CLERK, date(2025, 4, 8)))
    assert refused.value.field == "occurred_at"
    assert refused.value.message == "30 日申请期限已于 2025-04-07 届满"
    assert_refused_without_trace(story, 5)


@pytest.mark.parametrize("decision", [Decision.UPHELD, Decision.CHANGED, Decision.REVOKED])
def test_a_review_decision_other_than_redo_makes_the_case_reviewed(decision: Decision) -> None:
    story = story_in(S.UNDER_REVIEW)
    story.decide_review(decision)
    event = only(story.flush(), Case.ReviewDecided)
    assert (event.decision, event.text) == (decision, "复查意见书")
    assert event.deadlines == [
        clock(
            Rule.REVIEW_DECIDE_30,
            date(2025, 3, 8),
            30,
            date(2025, 4, 7),
            met_on=date(2025, 3, 9),
            met_by=HOLDER,
        ),
        clock(Rule.RECHECK_WINDOW_30, date(2025, 3, 9), 30, date(2025, 4, 8)),
    ]
    assert story.case.status is S.REVIEWED
    assert story.case.review_decision is decision


def test_a_review_redo_sends_the_case_back_with_a_new_60_day_clock() -> None:
    story = story_in(S.UNDER_REVIEW)
    story.decide_review(Decision.REDO)
    event = only(story.flush(), Case.ReviewDecided)
    new_clock = clock(Rule.HANDLE_60, date(2025, 3, 9), 60, date(2025, 5, 8))
    assert event.deadlines[1] == new_clock
    assert story.case.status is S.IN_PROGRESS
    assert story.case.deadlines["handle_60"] == new_clock
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
    story.respond()
    assert story.case.status is S.RESPONDED


def test_a_recheck_requested_within_the_window_starts_the_decision_clock() -> None:
    story = story_in(S.REVIEWED)  # decided Sun 03-09: window until Tue 04-08
    story.case.request_recheck(stamp_on(CLERK, date(2025, 4, 8)))
    event = only(story.flush(), Case.RecheckRequested)
    assert event.deadlines[1] == clock(
        Rule.RECHECK_DECIDE_30, date(2025, 4, 8), 30, date(2025, 5, 8)
    )
    assert story.case.status is S.UNDER_RECHECK


def test_a_recheck_requested_after_the_window_is_refused() -> None:
    story = story_in(S.REVIEWED)
    with pytest.raises(RuleViolationError) as refused:
        story.case.request_recheck(stamp_on(CLERK, date(2025, 4, 9)))
    assert refused.value.field == "occurred_at"
    assert_refused_without_trace(story, 7)


def test_a_hearing_pauses_the_recheck_clock_and_moves_its_due_date() -> None:
    story = story_in(S.UNDER_RECHECK)  # requested Mon 03-10: due Wed 04-09
    story.case.hearing(stamp_on(SUPERVISOR, date(2025, 3, 12)), action=HearingAction.START)
    started = only(story.flush(), Case.HearingHeld)
    assert started.action is HearingAction.START
    assert started.deadlines == [
        clock(
            Rule.RECHECK_DECIDE_30,
            date(2025, 3, 10),
            30,
            date(2025, 4, 9),
            paused_since=date(2025, 3, 12),
        )
    ]
    story.case.hearing(stamp_on(SUPERVISOR, date(2025, 3, 17)), action=HearingAction.END)
    ended = only(story.flush(), Case.HearingHeld)
    # Paused 5 days: 35 days from 03-10 is Mon 04-14.
    assert ended.deadlines == [
        clock(Rule.RECHECK_DECIDE_30, date(2025, 3, 10), 30, date(2025, 4, 14), paused_days=5)
    ]
    assert story.case.status is S.UNDER_RECHECK


def test_ending_a_hearing_that_never_started_is_refused() -> None:
    story = story_in(S.UNDER_RECHECK)
    with pytest.raises(RuleViolationError) as refused:
        story.case.hearing(story.stamp(SUPERVISOR), action=HearingAction.END)
    assert refused.value.field == "paused_since"
    assert_refused_without_trace(story, 8)


def test_a_recheck_decided_during_a_hearing_counts_the_paused_days() -> None:
    story = story_in(S.UNDER_RECHECK)
    story.case.hearing(stamp_on(SUPERVISOR, date(2025, 3, 12)), action=HearingAction.START)
    story.given()
    decided = stamp_on(SUPERVISOR, date(2025, 3, 14))
    story.case.decide_recheck(
        decided, decision=Decision.UPHELD, text="复核意见书", delivered_at=decided.occurred_at
    )
    event = only(story.flush(), Case.RecheckDecided)
    assert event.deadlines == [
        clock(
            Rule.RECHECK_DECIDE_30,
            date(2025, 3, 10),
            30,
            date(2025, 4, 11),
            paused_days=2,
            met_on=date(2025, 3, 14),
            met_by=HOLDER,
        )
    ]


@pytest.mark.parametrize("decision", [Decision.UPHELD, Decision.CHANGED, Decision.REVOKED])
def test_a_recheck_decision_other_than_redo_terminates_the_matter(decision: Decision) -> None:
    story = story_in(S.UNDER_RECHECK)
    story.decide_recheck(decision)
    event = only(story.flush(), Case.RecheckDecided)
    assert (event.decision, event.text) == (decision, "复核意见书")
    assert story.case.status is S.TERMINATED
    assert story.case.recheck_decision is decision
    assert story.case.closed_at == at(date(2025, 3, 11))
    assert story.case.is_terminal


def test_a_recheck_redo_sends_the_case_back_with_a_new_60_day_clock() -> None:
    story = story_in(S.UNDER_RECHECK)
    story.decide_recheck(Decision.REDO)
    event = only(story.flush(), Case.RecheckDecided)
    new_clock = clock(Rule.HANDLE_60, date(2025, 3, 11), 60, date(2025, 5, 12))
    assert event.deadlines[1] == new_clock
    assert story.case.status is S.IN_PROGRESS
    assert story.case.deadlines["handle_60"] == new_clock


# --- closing, reopening, withdrawing --------------------------------------------------------------


@pytest.mark.parametrize("status", [S.RESPONDED, S.REVIEWED], ids=str)
def test_closing_a_responded_or_reviewed_case_records_its_resolution(status: Status) -> None:
    story = story_in(status)
    story.close(Resolution.RESOLVED)
    event = only(story.flush(), Case.Closed)
    assert event.resolution is Resolution.RESOLVED
    assert story.case.status is S.CLOSED
    assert story.case.closed_from is status
    assert story.case.resolution is Resolution.RESOLVED
    assert story.case.closed_at == at(story.today)


def test_closing_as_withdrawn_is_refused_in_favour_of_withdraw() -> None:
    story = story_in(S.RESPONDED)
    with pytest.raises(RuleViolationError) as refused:
        story.close(Resolution.WITHDRAWN)
    assert refused.value.field == "resolution"
    assert_refused_without_trace(story, 5)


def test_closing_does_not_take_away_the_review_window() -> None:
    story = story_in(S.CLOSED)  # responded 03-07, closed 03-08
    story.case.request_review(stamp_on(CLERK, date(2025, 4, 7)))
    only(story.flush(), Case.ReviewRequested)
    assert story.case.status is S.UNDER_REVIEW
    # Under review again, the case is no longer closed.
    assert (story.case.resolution, story.case.closed_at, story.case.closed_from) == (
        None,
        None,
        None,
    )


def test_a_review_of_a_closed_case_after_the_window_is_refused() -> None:
    story = story_in(S.CLOSED)
    with pytest.raises(RuleViolationError) as refused:
        story.case.request_review(stamp_on(CLERK, date(2025, 4, 8)))
    assert refused.value.field == "occurred_at"
    assert_refused_without_trace(story, 6)


def test_a_case_closed_after_review_cannot_be_reviewed_again() -> None:
    story = story_in(S.REVIEWED).close().given()
    with pytest.raises(TransitionError) as refused:
        story.request_review()
    assert (refused.value.command, refused.value.status) == ("request_review", "closed")
    assert refused.value.message == (
        "事项当前状态为“已办结”（办结前为“已复查”），不能办理“申请复查”"
    )
    assert_refused_without_trace(story, 8)


def test_closing_does_not_take_away_the_recheck_window() -> None:
    story = story_in(S.REVIEWED).close().given()
    story.case.request_recheck(stamp_on(CLERK, date(2025, 4, 8)))
    only(story.flush(), Case.RecheckRequested)
    assert story.case.status is S.UNDER_RECHECK
    assert story.case.resolution is None


def test_a_case_closed_after_a_response_cannot_ask_for_a_recheck() -> None:
    story = story_in(S.CLOSED)
    with pytest.raises(TransitionError) as refused:
        story.request_recheck()
    assert (refused.value.command, refused.value.status) == ("request_recheck", "closed")
    assert refused.value.message == (
        "事项当前状态为“已办结”（办结前为“已答复”），不能办理“申请复核”"
    )
    assert_refused_without_trace(story, 6)


@pytest.mark.parametrize(
    ("status", "reopened_on", "due_date"),
    [
        (S.CLOSED, date(2025, 3, 9), date(2025, 5, 8)),
        # 60 days after Wed 03-12 is Sun 05-11, an ordinary rest day.
        (S.TERMINATED, date(2025, 3, 12), date(2025, 5, 12)),
    ],
    ids=["closed", "terminated"],
)
def test_reopening_with_reason_and_approver_restarts_handling_with_a_new_60_day_clock(
    status: Status, reopened_on: date, due_date: date
) -> None:
    story = story_in(status)
    story.case.reopen(story.stamp(DISPATCHER, "发现新的事实"), approved_by=" 县信访局局长 ")
    event = only(story.flush(), Case.Reopened)
    assert (event.reason, event.approved_by) == ("发现新的事实", "县信访局局长")
    assert event.deadlines == [clock(Rule.HANDLE_60, reopened_on, 60, due_date)]
    assert story.case.status is S.IN_PROGRESS
    assert (story.case.resolution, story.case.closed_at, story.case.closed_from) == (
        None,
        None,
        None,
    )


def test_reopening_without_an_approver_is_refused() -> None:
    story = story_in(S.CLOSED)
    with pytest.raises(RuleViolationError) as refused:
        story.case.reopen(story.stamp(DISPATCHER, "发现新的事实"), approved_by="  ")
    assert refused.value.field == "approved_by"
    assert_refused_without_trace(story, 6)


@pytest.mark.parametrize("status", sorted(NON_TERMINAL, key=lambda s: s.value), ids=str)
def test_a_petitioner_may_withdraw_a_case_that_has_not_ended(status: Status) -> None:
    story = story_in(status)
    story.case.withdraw(story.stamp(CLERK, "信访人书面撤回"))
    event = only(story.flush(), Case.Withdrawn)
    assert event.reason == "信访人书面撤回"
    assert story.case.status is S.CLOSED
    assert story.case.resolution is Resolution.WITHDRAWN
    assert story.case.closed_from is status
    assert [d.name for d in story.case.deadlines.values() if d.met_on is None] == []
    assert {d.met_on for d in event.deadlines} <= {story.today}


@pytest.mark.parametrize("status", sorted(TERMINAL_STATUSES, key=lambda s: s.value), ids=str)
def test_a_case_that_has_ended_cannot_be_withdrawn(status: Status) -> None:
    story = story_in(status)
    version = story.case.version
    with pytest.raises(TransitionError) as refused:
        story.case.withdraw(story.stamp(CLERK, "信访人书面撤回"))
    assert (refused.value.command, refused.value.status) == ("withdraw", status.value)
    assert_refused_without_trace(story, version)
