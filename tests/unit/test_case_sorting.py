"""The Case aggregate, sorting (分办), acceptance (受理) and objections (异议), domain.md §3:
given events → when command → then events or error.

Stories start on Monday 2025-03-03 and move one day per step (builders.py), so the dates
below are exact.
"""

from __future__ import annotations

from datetime import date

import pytest

from domain.cases import Case
from domain.errors import RuleViolationError, TransitionError
from domain.values import ClockEnd, DayUnit, Rule, Status
from tests.unit.builders import (
    ASSIGN_DUE_DATE,
    BUREAU,
    BUREAU_HEAD,
    DISPATCHER,
    HANDLER,
    HEAD,
    HOLDER,
    HOUSING,
    LABOUR,
    LEADER,
    register,
    stamp_on,
    story_in,
)
from tests.unit.expectations import AT_HOUSING, NOBODY, assert_refused_without_trace, clock, only

S = Status


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
            end=ClockEnd.TRANSFERRED,
        ),
        clock(
            Rule.NOTICE_15,
            date(2025, 3, 4),
            15,
            date(2025, 3, 19),
            met_on=date(2025, 3, 6),
            met_by=AT_HOUSING,
            end=ClockEnd.TRANSFERRED,
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
            end=ClockEnd.NOT_ACCEPTED,
        ),
        clock(
            Rule.ASSIGN_DUE,
            date(2025, 3, 4),
            30,
            ASSIGN_DUE_DATE,
            met_on=date(2025, 3, 5),
            met_by=AT_HOUSING,
            end=ClockEnd.NOT_ACCEPTED,
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
    assert (refused.value.command, refused.value.status) == ("decide_objection", "forwarded")
    assert refused.value.message == "事项当前状态为“已转送”且没有待决定的异议，不能办理“异议决定”"
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
