"""The Case aggregate: who, when and why (domain.md §4): every event's stamp, reasons where
they are required, and business times.

Stories start on Monday 2025-03-03 and move one day per step (builders.py), so the dates
below are exact.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain.cases import CLOCK_SKEW, Case, make_stamp
from domain.commands import REASON_REQUIRED
from domain.errors import RuleViolationError
from domain.labels import COMMAND
from domain.values import Flag, HearingAction, Status
from tests.unit.builders import (
    CLERK,
    DISPATCHER,
    HANDLER2,
    HEAD,
    HOUSING,
    LABOUR,
    LABOUR_HANDLER,
    LABOUR_HEAD,
    LEADER,
    LEADER2,
    LINEAGE,
    SUPERVISOR,
    Story,
    at,
    register,
    story_in,
)
from tests.unit.expectations import assert_refused_without_trace, only

S = Status


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
                "declare_recusal",
                "request_recusal",
                "decide_recusal",
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
    "declare_recusal": (S.IN_PROGRESS, {}),
    "request_recusal": (S.IN_PROGRESS, {"person_id": HANDLER2.id}),
    "decide_recusal": (S.IN_PROGRESS, {"person_id": HANDLER2.id, "granted": True}),
}


def story_for(command: str) -> Story:
    """A case in the status the command needs (a recusal decision needs a request first)."""
    status, _ = WITHOUT_REASON[command]
    story = story_in(status, assigned=status is S.REPORT_SUBMITTED)
    if command == "decide_recusal":
        story.case.request_recusal(story.stamp(CLERK, "信访人申请回避"), person_id=HANDLER2.id)
        story.given()
    return story


@pytest.mark.parametrize("command", sorted(REASON_REQUIRED))
@pytest.mark.parametrize("reason", [None, "", "   "], ids=["none", "empty", "blank"])
def test_a_command_that_needs_a_reason_is_refused_without_one(
    command: str, reason: str | None
) -> None:
    _, kwargs = WITHOUT_REASON[command]
    story = story_for(command)
    version = story.case.version
    with pytest.raises(RuleViolationError) as refused:
        getattr(story.case, command)(story.stamp(HEAD, reason), **kwargs)
    assert refused.value.field == "reason"
    assert refused.value.message == f"办理“{COMMAND[command]}”须说明理由"
    assert_refused_without_trace(story, version)


@pytest.mark.parametrize("command", sorted(REASON_REQUIRED))
def test_a_command_that_needs_a_reason_is_recorded_with_it(command: str) -> None:
    _, kwargs = WITHOUT_REASON[command]
    story = story_for(command)
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
    # The unit's notice clock (after the registration's, superseded): business date, not entry.
    assert event.deadlines[2].started_on == date(2025, 3, 4)


def test_a_business_time_before_the_registration_is_refused() -> None:
    story = story_in(S.REGISTERED)  # registered 2025-03-03 09:00
    stamp = make_stamp(
        DISPATCHER, now=at(date(2025, 3, 4)), occurred_at=at(date(2025, 3, 3), hour=8)
    )
    with pytest.raises(RuleViolationError) as refused:
        story.case.forward(stamp, unit_id=HOUSING, unit_lineage=LINEAGE[HOUSING])
    assert refused.value.field == "occurred_at"
    assert_refused_without_trace(story, 1)
