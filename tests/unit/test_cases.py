"""The Case aggregate: given events → when command → then events or error (domain.md §3–§5, §7).

Every story starts with a registration on Monday 2025-03-03 and moves one day per step
(see builders.py), so the dates below are exact. Holidays used: Qingming 2025-04-04..06,
Labour Day 2025-05-01..05, Spring Festival 2025-01-28..02-04.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from domain.application import Xinfang
from domain.cases import CLOCK_SKEW, Case, make_stamp
from domain.commands import ALLOWED, BY_VERB, NON_TERMINAL, REASON_REQUIRED, Ref
from domain.errors import RuleViolationError, TransitionError
from domain.values import (
    TERMINAL_STATUSES,
    Category,
    Channel,
    DayUnit,
    Deadline,
    Decision,
    Disposition,
    Flag,
    HearingAction,
    Holder,
    NoticeKind,
    Outcome,
    Petitioner,
    Resolution,
    Rule,
    Satisfaction,
    Status,
    VisitKind,
)
from tests.unit.builders import (
    ASSIGN_DUE_DATE,
    BUREAU,
    BUREAU_HEAD,
    CLERK,
    DISPATCHER,
    HANDLER,
    HANDLER2,
    HEAD,
    HOLDER,
    HOUSING,
    LABOUR,
    LABOUR_HANDLER,
    LABOUR_HEAD,
    LEADER,
    LEADER2,
    LINEAGE,
    PETITIONER,
    SUPERVISOR,
    TOWNSHIP,
    VILLAGE,
    Story,
    at,
    register,
    sample_command,
    stamp_on,
    story_in,
)

S = Status
NOBODY = Holder(unit_id=None, handler_id=None, leader_id=None)
AT_HOUSING = Holder(unit_id=HOUSING, handler_id=None, leader_id=None)


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


# === 1. the state machine of domain.md §3 ===

LAST_EVENT = {
    S.REGISTERED: Case.Registered,
    S.FORWARDED: Case.Forwarded,
    S.ASSIGNED: Case.Assigned,
    S.DIVERTED: Case.Diverted,
    S.NOT_ACCEPTED: Case.NotAccepted,
    S.MERGED: Case.Merged,
    S.ACCEPTED: Case.Accepted,
    S.IN_PROGRESS: Case.WorkStarted,
    S.EXTENDED: Case.Extended,
    S.REPORT_SUBMITTED: Case.ReportSubmitted,
    S.RESPONDED: Case.Responded,
    S.UNDER_REVIEW: Case.ReviewRequested,
    S.REVIEWED: Case.ReviewDecided,
    S.UNDER_RECHECK: Case.RecheckRequested,
    S.TERMINATED: Case.RecheckDecided,
    S.CLOSED: Case.Closed,
}


@pytest.mark.parametrize("status", list(Status), ids=lambda s: s.value)
def test_every_status_is_reached_through_real_commands(status: Status) -> None:
    story = story_in(status)
    assert story.case.status is status
    assert type(story.history[-1]) is LAST_EVENT[status]
    assert story.case.version == len(story.history)


STATE_MACHINE = {
    "forward": {S.REGISTERED},
    "assign": {S.REGISTERED},
    "divert": {S.REGISTERED},
    "not_accept": {S.REGISTERED, S.FORWARDED, S.ASSIGNED},
    "merge": {S.REGISTERED},
    "accept": {S.REGISTERED, S.FORWARDED, S.ASSIGNED},
    "object": {S.FORWARDED, S.ASSIGNED},
    "decide_objection": {S.FORWARDED, S.ASSIGNED},
    "start_work": {S.ACCEPTED},
    # "≤30 days in total" allows a second extension while already extended.
    "extend": {S.IN_PROGRESS, S.EXTENDED},
    "respond": {S.IN_PROGRESS, S.EXTENDED},
    "submit_report": {S.IN_PROGRESS, S.EXTENDED},
    "reassign": {S.IN_PROGRESS, S.EXTENDED},
    "approve_report": {S.REPORT_SUBMITTED},
    "return_report": {S.REPORT_SUBMITTED},
    "request_review": {S.RESPONDED, S.CLOSED},
    "decide_review": {S.UNDER_REVIEW},
    "request_recheck": {S.REVIEWED, S.CLOSED},
    "hearing": {S.UNDER_RECHECK},
    "decide_recheck": {S.UNDER_RECHECK},
    "close": {S.RESPONDED, S.REVIEWED},
    "reopen": {S.CLOSED, S.TERMINATED},
    "withdraw": set(Status) - TERMINAL_STATUSES,
}


def test_the_state_machine_is_the_one_of_the_domain_reference() -> None:
    # Written out from domain.md §3 so that a change of ALLOWED must be a change of the spec.
    assert {command: ALLOWED[command] for command in STATE_MACHINE} == STATE_MACHINE


# --- sorting (分办) -----------------------------------------------------------------------------


def test_forwarding_a_registered_case_hands_it_to_the_unit() -> None:
    story = story_in(S.REGISTERED)
    story.forward(HOUSING)
    event = only(story.flush(), Case.Forwarded)
    assert event.unit_id == HOUSING
    assert story.case.status is S.FORWARDED
    assert story.case.mode == "forwarded"
    assert story.case.unit_id == HOUSING
    assert story.case.held_unit_ids == [HOUSING]


def test_assigning_a_registered_case_hands_it_over_with_an_ordered_due_date() -> None:
    story = story_in(S.REGISTERED)
    story.assign(HOUSING, due_date=date(2025, 4, 3))
    event = only(story.flush(), Case.Assigned)
    assert (event.unit_id, event.due_date) == (HOUSING, date(2025, 4, 3))
    assert story.case.status is S.ASSIGNED
    assert story.case.mode == "assigned"
    assert story.case.unit_id == HOUSING


def test_an_assignment_due_on_the_day_it_is_given_is_refused() -> None:
    story = story_in(S.REGISTERED)
    with pytest.raises(RuleViolationError) as refused:
        story.assign(HOUSING, due_date=date(2025, 3, 4))
    assert refused.value.field == "due_date"
    assert_refused_without_trace(story, 1)


def test_diverting_a_registered_case_ends_it_on_the_petition_track() -> None:
    story = story_in(S.REGISTERED)
    story.case.divert(story.stamp(DISPATCHER), target="  县劳动人事争议仲裁委员会 ")
    event = only(story.flush(), Case.Diverted)
    assert event.target == "县劳动人事争议仲裁委员会"
    assert story.case.status is S.DIVERTED
    assert story.case.diverted_to == "县劳动人事争议仲裁委员会"
    assert story.case.is_terminal


def test_diverting_without_a_target_is_refused() -> None:
    story = story_in(S.REGISTERED)
    with pytest.raises(RuleViolationError) as refused:
        story.case.divert(story.stamp(DISPATCHER), target="  ")
    assert refused.value.field == "target"
    assert_refused_without_trace(story, 1)


@pytest.mark.parametrize("status", [S.REGISTERED, S.FORWARDED, S.ASSIGNED], ids=str)
def test_not_accepting_ends_the_case_with_its_reason(status: Status) -> None:
    story = story_in(status)
    story.case.not_accept(story.stamp(DISPATCHER, "已经或者依法应当通过诉讼解决"))
    event = only(story.flush(), Case.NotAccepted)
    assert event.reason == "已经或者依法应当通过诉讼解决"
    assert story.case.status is S.NOT_ACCEPTED
    assert story.case.is_terminal


def test_merging_ends_this_case_and_the_other_one_records_it() -> None:
    story = story_in(S.REGISTERED)
    other = register(date(2025, 3, 1))
    other.collect_events()
    story.case.merge(story.stamp(DISPATCHER), into=other)
    other.absorb(story.stamp(DISPATCHER), merged=story.case)
    event = only(story.flush(), Case.Merged)
    absorbed = only(list(other.collect_events()), Case.Absorbed)
    assert event.into_case_id == other.id
    assert absorbed.merged_case_id == story.case.id
    assert story.case.status is S.MERGED
    assert story.case.merged_into == other.id
    assert other.merged_case_ids == [story.case.id]
    assert (other.petition_count, other.repeat_count) == (2, 1)
    assert other.status is S.REGISTERED


def test_a_case_cannot_be_merged_into_itself() -> None:
    story = story_in(S.REGISTERED)
    with pytest.raises(RuleViolationError) as refused:
        story.case.merge(story.stamp(DISPATCHER), into=story.case)
    assert refused.value.field == "into_case_id"
    assert_refused_without_trace(story, 1)


def test_a_case_cannot_be_merged_into_a_terminated_case() -> None:
    story = story_in(S.REGISTERED)
    ended = story_in(S.TERMINATED).case
    with pytest.raises(RuleViolationError) as refused:
        story.case.merge(story.stamp(DISPATCHER, days=10), into=ended)
    assert refused.value.field == "into_case_id"
    assert_refused_without_trace(story, 1)
    assert ended.pending_events == []


def test_a_unit_accepts_its_own_direct_item_without_forwarding() -> None:
    story = story_in(S.REGISTERED)
    story.case.accept(story.stamp(BUREAU_HEAD))
    event = only(story.flush(), Case.Accepted)
    assert (event.unit_id, event.handler_id, event.leader_id) == (BUREAU, None, None)
    assert story.case.status is S.ACCEPTED
    assert story.case.mode == "direct"
    assert story.case.unit_id == BUREAU


# --- acceptance (受理) and objections (异议) -----------------------------------------------------


@pytest.mark.parametrize("status", [S.FORWARDED, S.ASSIGNED], ids=str)
def test_the_unit_accepts_a_case_sent_to_it(status: Status) -> None:
    story = story_in(status)
    story.case.accept(story.stamp(HEAD), handler_id=HANDLER.id, leader_id=LEADER.id)
    event = only(story.flush(), Case.Accepted)
    assert (event.unit_id, event.handler_id, event.leader_id) == (HOUSING, HANDLER.id, LEADER.id)
    assert story.case.status is S.ACCEPTED
    assert story.case.holder == HOLDER
    assert story.case.sponsor_ids == [LEADER.id]


@pytest.mark.parametrize("status", [S.FORWARDED, S.ASSIGNED], ids=str)
def test_an_upheld_objection_returns_the_case_for_sorting(status: Status) -> None:
    story = story_in(status).object().given()
    assert story.case.objection_pending
    story.case.decide_objection(story.stamp(DISPATCHER), upheld=True)
    event = only(story.flush(), Case.ObjectionDecided)
    assert event.upheld is True
    assert event.deadlines[-1] == clock(Rule.SORT_15, date(2025, 3, 6), 15, date(2025, 3, 21))
    assert story.case.status is S.REGISTERED
    assert story.case.mode == "direct"
    assert (story.case.unit_id, story.case.handler_id) == (None, None)
    assert not story.case.objection_pending
    assert (
        clock(
            Rule.SORT_15,
            date(2025, 3, 3),
            15,
            date(2025, 3, 18),
            met_on=date(2025, 3, 4),
            met_by=NOBODY,
        )
        in story.case.past_deadlines
    )


def test_an_upheld_objection_to_an_assignment_freezes_the_assign_clock() -> None:
    story = story_in(S.ASSIGNED).object().given()
    story.case.decide_objection(story.stamp(DISPATCHER), upheld=True)
    event = only(story.flush(), Case.ObjectionDecided)
    assert event.deadlines == [
        clock(
            Rule.ASSIGN_DUE,
            date(2025, 3, 4),
            30,
            ASSIGN_DUE_DATE,
            met_on=date(2025, 3, 6),
            met_by=AT_HOUSING,
        ),
        clock(Rule.SORT_15, date(2025, 3, 6), 15, date(2025, 3, 21)),
    ]
    story.forward(LABOUR).given()
    assert [d.name for d in story.case.deadlines.values() if d.met_on is None] == [
        "notice_15",
        "object_5wd",
    ]


def test_not_accepting_an_assigned_case_freezes_the_assign_clock() -> None:
    story = story_in(S.ASSIGNED)
    story.case.not_accept(story.stamp(DISPATCHER, "不属于信访事项"))
    event = only(story.flush(), Case.NotAccepted)
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
        clock(
            Rule.ASSIGN_DUE,
            date(2025, 3, 4),
            30,
            ASSIGN_DUE_DATE,
            met_on=date(2025, 3, 5),
            met_by=AT_HOUSING,
        ),
    ]


@pytest.mark.parametrize("status", [S.FORWARDED, S.ASSIGNED], ids=str)
def test_a_rejected_objection_leaves_the_case_with_the_unit(status: Status) -> None:
    story = story_in(status).object().given()
    story.case.decide_objection(story.stamp(DISPATCHER), upheld=False)
    event = only(story.flush(), Case.ObjectionDecided)
    assert (event.upheld, event.deadlines) == (False, [])
    assert story.case.status is status
    assert story.case.unit_id == HOUSING
    assert not story.case.objection_pending
    story.accept()
    assert story.case.status is S.ACCEPTED


def test_a_case_with_a_pending_objection_cannot_be_accepted() -> None:
    story = story_in(S.FORWARDED).object().given()
    with pytest.raises(RuleViolationError) as refused:
        story.accept()
    assert refused.value.field == "status"
    assert_refused_without_trace(story, 3)


def test_a_second_objection_while_one_is_pending_is_refused() -> None:
    story = story_in(S.FORWARDED).object().given()
    with pytest.raises(RuleViolationError) as refused:
        story.object()
    assert refused.value.field == "status"
    assert_refused_without_trace(story, 3)


def test_deciding_an_objection_nobody_raised_is_refused() -> None:
    story = story_in(S.FORWARDED)
    with pytest.raises(TransitionError) as refused:
        story.case.decide_objection(story.stamp(DISPATCHER), upheld=True)
    assert (refused.value.command, refused.value.status) == (
        "decide_objection",
        "forwarded without objection",
    )
    assert_refused_without_trace(story, 2)


def test_an_objection_on_the_fifth_working_day_is_in_time() -> None:
    story = story_in(S.FORWARDED)  # forwarded on Tue 2025-03-04: due Tue 2025-03-11
    story.case.object(stamp_on(HEAD, date(2025, 3, 11), reason="属于人社局职责"))
    only(story.flush(), Case.Objected)
    assert story.case.objection_pending


def test_an_objection_after_five_working_days_is_refused() -> None:
    story = story_in(S.FORWARDED)
    with pytest.raises(RuleViolationError) as refused:
        story.case.object(stamp_on(HEAD, date(2025, 3, 12), reason="属于人社局职责"))
    assert refused.value.field == "occurred_at"
    assert_refused_without_trace(story, 2)


# --- handling (办理) -----------------------------------------------------------------------------


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
    assert (refused.value.command, refused.value.status) == (
        "submit_report",
        "in_progress (not an assigned case)",
    )
    assert_refused_without_trace(story, 4)


def test_an_assigned_case_cannot_be_answered_by_a_direct_response() -> None:
    story = story_in(S.IN_PROGRESS, assigned=True)
    with pytest.raises(TransitionError) as refused:
        story.respond()
    assert (refused.value.command, refused.value.status) == (
        "respond",
        "in_progress (assigned: submit a report)",
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
    assert refused.value.message == "the 30-day window closed on 2025-04-07"
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
    story.case.decide_recheck(
        stamp_on(SUPERVISOR, date(2025, 3, 14)), decision=Decision.UPHELD, text="复核意见书"
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
    assert (refused.value.command, refused.value.status) == (
        "request_review",
        "closed from reviewed",
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
    assert (refused.value.command, refused.value.status) == (
        "request_recheck",
        "closed from responded",
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


# === 2. every refused transition records nothing ===


def sample_arguments(story: Story, verb: str) -> dict[str, Any]:
    """Plausible arguments for a command, so that only its status can refuse it: the declared
    examples, with the ids it names resolved as the application resolves them."""
    into = register(story.today)
    into.collect_events()
    moment = at(story.today)
    names = {Ref.UNIT: LABOUR, Ref.UNIT_STAFF: HANDLER2.id, Ref.LEADER: LEADER2.id}
    given: dict[str, Any] = {}
    for spec in fields(BY_VERB[verb]):
        refers = spec.metadata.get("refers")
        if refers in names:
            given[spec.name] = names[refers]
        elif refers is Ref.CASE:
            given[spec.name] = into.id
        elif spec.type == "datetime":
            given[spec.name] = moment
    arguments = sample_command(verb, story.case.id, **given).arguments()
    if "unit_id" in arguments:
        arguments["unit_lineage"] = LINEAGE[LABOUR]
    if "into_case_id" in arguments:
        del arguments["into_case_id"]
        arguments["into"] = into
    return arguments


COMMANDS = sorted(ALLOWED)
REFUSED = [
    (command, status)
    for command in COMMANDS
    for status in sorted(Status, key=lambda s: s.value)
    if status not in ALLOWED[command]
]


def test_every_command_of_the_state_machine_is_a_method_with_sample_arguments() -> None:
    story = story_in(S.REGISTERED)
    assert sorted(BY_VERB) == COMMANDS
    for verb in COMMANDS:  # each declaration's arguments are exactly what its method takes
        method = inspect.signature(getattr(story.case, verb))
        method.bind(story.stamp(DISPATCHER), **sample_arguments(story, verb))
    assert [c for c in COMMANDS if not callable(getattr(Case, c, None))] == []
    # absorb is the other half of merge, run by the application: a method, not a command
    assert callable(Case.absorb)
    assert "absorb" not in BY_VERB


@pytest.mark.parametrize(("command", "status"), REFUSED, ids=[f"{c}-{s.value}" for c, s in REFUSED])
def test_a_command_its_status_does_not_allow_is_refused_and_records_nothing(
    command: str, status: Status
) -> None:
    story = story_in(status, assigned=status is S.REPORT_SUBMITTED)
    version = story.case.version
    state = dict(vars(story.case))
    method: Callable[..., None] = getattr(story.case, command)
    with pytest.raises(TransitionError) as refused:
        method(story.stamp(DISPATCHER, "理由"), **sample_arguments(story, command))
    assert (refused.value.command, refused.value.status) == (command, status.value)
    assert refused.value.message == (
        f"command '{command}' is not allowed while the case is '{status.value}'"
    )
    assert_refused_without_trace(story, version)
    assert vars(story.case) == state


def test_the_refusal_table_covers_every_status_and_command() -> None:
    assert len(COMMANDS) == 34
    assert {s for _, s in REFUSED} == set(Status)
    assert {c for c, _ in REFUSED} == set(COMMANDS) - {"set_flag", "answer_supervision_order"}


# === 3. who, when and why ===


def long_story() -> Story:
    """A case taken through most of its life, with reasons where they are given."""
    story = Story.registered()
    story.forward().object()
    story.case.decide_objection(story.stamp(DISPATCHER), upheld=False)
    story.accept().start_work().extend()
    story.case.reassign(
        story.stamp(DISPATCHER, "住建局无管辖权"), unit_id=LABOUR, unit_lineage=LINEAGE[LABOUR]
    )
    story.case.accept(story.stamp(LABOUR_HEAD))
    story.case.start_work(story.stamp(LABOUR_HANDLER))
    story.respond().request_review().decide_review().request_recheck()
    story.case.hearing(story.stamp(SUPERVISOR), action=HearingAction.START)
    story.case.hearing(story.stamp(SUPERVISOR), action=HearingAction.END)
    story.decide_recheck()
    story.case.reopen(story.stamp(DISPATCHER, "发现新的事实"), approved_by="县信访局局长")
    story.case.withdraw(story.stamp(CLERK, "信访人书面撤回"))
    return story.given()


def test_every_event_says_who_did_it_when_and_why() -> None:
    before = datetime.now(UTC)
    story = long_story()
    after = datetime.now(UTC)
    assert len(story.history) == len(story.stamps) == 19
    for event, stamp in zip(story.history, story.stamps, strict=True):
        assert event.actor == stamp.actor
        assert (event.actor.id, event.actor.name, event.actor.role, event.actor.unit_id) == (
            stamp.actor.id,
            stamp.actor.name,
            stamp.actor.role,
            stamp.actor.unit_id,
        )
        assert event.occurred_at == stamp.occurred_at
        assert event.reason == stamp.reason
        assert event.on_behalf_of is None
        assert before <= event.timestamp <= after  # recorded (system) time, not business time
    assert [e.reason for e in story.history if e.reason] == [
        "属于人社局职责",
        "需要补充调查",
        "住建局无管辖权",
        "发现新的事实",
        "信访人书面撤回",
    ]


def test_a_clerk_entering_a_leaders_decision_is_recorded_on_their_behalf() -> None:
    when = at(date(2025, 3, 3))
    stamp = make_stamp(CLERK, now=when, reason="  ", on_behalf_of=LEADER.id)
    case = register(stamp=stamp)
    event = only(list(case.collect_events()), Case.Registered)
    assert (event.actor, event.on_behalf_of, event.reason) == (CLERK, LEADER.id, None)


def test_the_commands_that_need_a_reason_are_the_negative_or_unusual_ones() -> None:
    assert (
        frozenset(
            {
                "not_accept",
                "object",
                "extend",
                "reassign",
                "return_report",
                "reopen",
                "withdraw",
                "change_handler",
                "change_leader",
            }
        )
        == REASON_REQUIRED
    )


WITHOUT_REASON: dict[str, tuple[Status, dict[str, Any]]] = {
    "not_accept": (S.REGISTERED, {}),
    "object": (S.FORWARDED, {}),
    "extend": (S.IN_PROGRESS, {"days": 5, "approved_by": "赵局长"}),
    "reassign": (S.IN_PROGRESS, {"unit_id": LABOUR, "unit_lineage": LINEAGE[LABOUR]}),
    "return_report": (S.REPORT_SUBMITTED, {}),
    "reopen": (S.CLOSED, {"approved_by": "县信访局局长"}),
    "withdraw": (S.REGISTERED, {}),
    "change_handler": (S.IN_PROGRESS, {"handler_id": HANDLER2.id}),
    "change_leader": (S.IN_PROGRESS, {"leader_id": LEADER2.id}),
}


@pytest.mark.parametrize("command", sorted(REASON_REQUIRED))
@pytest.mark.parametrize("reason", [None, "", "   "], ids=["none", "empty", "blank"])
def test_a_command_that_needs_a_reason_is_refused_without_one(
    command: str, reason: str | None
) -> None:
    status, kwargs = WITHOUT_REASON[command]
    story = story_in(status, assigned=status is S.REPORT_SUBMITTED)
    version = story.case.version
    with pytest.raises(RuleViolationError) as refused:
        getattr(story.case, command)(story.stamp(HEAD, reason), **kwargs)
    assert refused.value.field == "reason"
    assert refused.value.message == f"'{command}' needs a reason"
    assert_refused_without_trace(story, version)


@pytest.mark.parametrize("command", sorted(REASON_REQUIRED))
def test_a_command_that_needs_a_reason_is_recorded_with_it(command: str) -> None:
    status, kwargs = WITHOUT_REASON[command]
    story = story_in(status, assigned=status is S.REPORT_SUBMITTED)
    getattr(story.case, command)(story.stamp(HEAD, " 说明理由 "), **kwargs)
    (event,) = story.flush()
    assert event.reason == "说明理由"


def test_taking_a_flag_off_needs_a_reason() -> None:
    story = story_in(S.IN_PROGRESS)
    story.case.set_flag(story.stamp(SUPERVISOR), flag=Flag.KEY_CASE, on=True)
    story.given()
    with pytest.raises(RuleViolationError) as refused:
        story.case.set_flag(story.stamp(SUPERVISOR), flag=Flag.KEY_CASE, on=False)
    assert refused.value.field == "reason"
    assert_refused_without_trace(story, 5)
    story.case.set_flag(story.stamp(SUPERVISOR, "已化解"), flag=Flag.KEY_CASE, on=False)
    event = only(story.flush(), Case.Flagged)
    assert (event.flag, event.on, event.reason) == (Flag.KEY_CASE, False, "已化解")
    assert story.case.flags == []


def test_a_business_time_in_the_future_is_refused() -> None:
    now = at(date(2025, 3, 3))
    with pytest.raises(RuleViolationError) as refused:
        make_stamp(CLERK, now=now, occurred_at=now + CLOCK_SKEW + timedelta(seconds=1))
    assert refused.value.field == "occurred_at"


def test_a_business_time_within_the_clock_skew_is_accepted() -> None:
    now = at(date(2025, 3, 3))
    stamp = make_stamp(CLERK, now=now, occurred_at=now + CLOCK_SKEW)
    assert stamp.occurred_at == now + timedelta(minutes=5)


def test_a_business_time_without_a_time_zone_is_refused() -> None:
    now = at(date(2025, 3, 3))
    with pytest.raises(RuleViolationError) as refused:
        make_stamp(CLERK, now=now, occurred_at=datetime(2025, 3, 3, 9, 0))
    assert refused.value.field == "occurred_at"


def test_a_business_time_entered_later_keeps_both_times() -> None:
    story = story_in(S.REGISTERED)
    visit_day = at(date(2025, 3, 4), hour=15)
    stamp = make_stamp(DISPATCHER, now=at(date(2025, 3, 10)), occurred_at=visit_day)
    story.case.forward(stamp, unit_id=HOUSING, unit_lineage=LINEAGE[HOUSING])
    event = only(story.flush(), Case.Forwarded)
    assert event.occurred_at == visit_day
    assert event.deadlines[1].started_on == date(2025, 3, 4)  # business date, not entry date


def test_a_business_time_before_the_registration_is_refused() -> None:
    story = story_in(S.REGISTERED)  # registered 2025-03-03 09:00
    stamp = make_stamp(
        DISPATCHER, now=at(date(2025, 3, 4)), occurred_at=at(date(2025, 3, 3), hour=8)
    )
    with pytest.raises(RuleViolationError) as refused:
        story.case.forward(stamp, unit_id=HOUSING, unit_lineage=LINEAGE[HOUSING])
    assert refused.value.field == "occurred_at"
    assert_refused_without_trace(story, 1)


# === 4. deadlines stored in events ===


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


# === 5. confidentiality (§7) ===


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


# === 6. replay ===


def rich_story() -> Story:
    """A case with activities of every kind besides its transitions."""
    story = Story.registered()
    case = story.case
    story.forward()
    case.notify_petitioner(
        story.stamp(CLERK), kind=NoticeKind.RECEIPT, method="邮寄", delivered_at=at(story.today)
    )
    story.accept().start_work()
    case.record_visit(
        story.stamp(HANDLER),
        kind=VisitKind.HOME_VISIT,
        leader_id=LEADER.id,
        held_at=at(story.today),
        notes="上门走访",
    )
    case.record_progress(story.stamp(HANDLER), note="调取工程合同")
    case.set_flag(story.stamp(SUPERVISOR), flag=Flag.KEY_CASE, on=True)
    case.issue_supervision_order(
        story.stamp(SUPERVISOR), due_date=date(2025, 3, 31), text="限期办结"
    )
    case.link_petition(
        story.stamp(CLERK),
        channel=Channel.PHONE,
        content="再次反映",
        petitioners=[PETITIONER, Petitioner(name="李四", phone="13900000000")],
    )
    case.change_handler(story.stamp(HEAD, "工作调整"), handler_id=HANDLER2.id)
    case.change_leader(story.stamp(SUPERVISOR, "分工调整"), leader_id=LEADER2.id)
    story.extend()
    case.answer_supervision_order(story.stamp(HANDLER2), n=1, text="已答复")
    case.record_dispositions(
        story.stamp(HANDLER2), kinds=[Disposition.RESOLVED, Disposition.ASSISTED], note="已解决"
    )
    story.respond()
    case.record_follow_up(story.stamp(CLERK), satisfaction=Satisfaction.SATISFIED, note="满意")
    story.request_review().decide_review().request_recheck()
    case.hearing(story.stamp(SUPERVISOR), action=HearingAction.START)
    return story


def test_replaying_the_events_rebuilds_the_same_case() -> None:
    story = rich_story().given()
    first, *rest = story.history
    rebuilt = first.mutate(None)
    for event in rest:
        rebuilt = event.mutate(rebuilt)
    assert vars(rebuilt) == vars(story.case)
    assert rebuilt.deadlines == story.case.deadlines
    assert rebuilt.past_deadlines == story.case.past_deadlines
    assert rebuilt.version == 21


def test_a_saved_case_comes_back_from_the_event_store_identical() -> None:
    app = Xinfang(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    story = rich_story()
    app.save(story.case)
    stored = app.repository.get(story.case.id)
    assert vars(stored) == vars(story.case)
    # Recheck requested Sat 03-22 (due Mon 04-21), hearing started Sun 03-23.
    assert stored.deadlines["recheck_decide_30"] == clock(
        Rule.RECHECK_DECIDE_30,
        date(2025, 3, 22),
        30,
        date(2025, 4, 21),
        paused_since=date(2025, 3, 23),
    )
    assert stored.petitioners == [PETITIONER, Petitioner(name="李四", phone="13900000000")]
    assert stored.holder == Holder(unit_id=HOUSING, handler_id=HANDLER2.id, leader_id=LEADER2.id)
    assert stored.sponsor_ids == [LEADER.id, LEADER2.id]
    assert stored.dispositions == [Disposition.RESOLVED, Disposition.ASSISTED]


def test_a_merged_pair_is_saved_together_and_replays() -> None:
    app = Xinfang(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    story = Story.registered()
    other = register(date(2025, 3, 1))
    story.case.merge(story.stamp(DISPATCHER), into=other)
    other.absorb(story.stamp(DISPATCHER), merged=story.case)
    app.save(story.case, other)
    assert vars(app.repository.get(story.case.id)) == vars(story.case)
    assert vars(app.repository.get(other.id)) == vars(other)
    assert app.repository.get(other.id).merged_case_ids == [story.case.id]


# === 7. registration ===


def test_a_collective_petition_of_five_or_more_is_flagged_at_registration() -> None:
    case = register(collective_size=5)
    assert case.flags == [Flag.COLLECTIVE]
    assert register(collective_size=4).flags == []


def test_a_registration_without_petitioners_is_refused() -> None:
    with pytest.raises(RuleViolationError) as refused:
        Case.register(
            stamp_on(CLERK, date(2025, 3, 3)),
            case_id=uuid4(),
            number="XF-2026-000002",
            channel=Channel.VISIT,
            category=Category.CLAIM,
            subject="拖欠工资",
            content="内容",
            petitioners=[],
        )
    assert refused.value.field == "petitioners"
