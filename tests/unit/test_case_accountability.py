"""The Case aggregate keeps missed deadlines missed (docs/accountability.md): how each clock
ends, pauses, windows, deliveries, business times, petitioners, recusal and late divert.

Stories start on Monday 2025-03-03 and move one day per step (builders.py).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.cases import Case, make_stamp
from domain.deadlines import level
from domain.errors import RuleViolationError
from domain.values import (
    ClockEnd,
    Decision,
    HearingAction,
    Level,
    NoticeKind,
    Outcome,
    Petitioner,
    Rule,
    Status,
    VisitKind,
)
from tests.unit.builders import (
    CLERK,
    DISPATCHER,
    HANDLER,
    HEAD,
    LABOUR,
    LEADER,
    LINEAGE,
    PETITIONER,
    SUPERVISOR,
    Story,
    at,
    register,
    stamp_on,
    story_in,
)
from tests.unit.expectations import assert_refused_without_trace, only

S = Status


def ended(story: Story, slot: str) -> tuple[ClockEnd | None, Level]:
    """How the clock of `slot` ended, and its level long afterwards."""
    clock = story.case.deadlines[slot]
    return clock.ended_by, level(clock, story.today + timedelta(days=400))


# -- 1. a missed deadline stays missed ---------------------------------------------------------
def test_an_extension_after_the_deadline_is_refused_naming_the_due_date() -> None:
    story = story_in(S.IN_PROGRESS)  # handle_60 due 2025-05-06
    late = stamp_on(HEAD, date(2025, 5, 31), reason="需补充调查")
    with pytest.raises(RuleViolationError) as refused:
        story.case.extend(late, days=30, approved_by="赵局长")
    assert refused.value.field == "occurred_at"
    assert "2025-05-06" in refused.value.message
    assert_refused_without_trace(story, story.case.version)
    assert level(story.case.deadlines["handle_60"], date(2025, 5, 31)) is Level.OVERDUE


def test_an_extension_on_the_due_date_itself_is_in_time() -> None:
    story = story_in(S.IN_PROGRESS)
    story.case.extend(
        stamp_on(HEAD, date(2025, 5, 6), reason="需补充调查"), days=30, approved_by="赵局长"
    )
    assert story.case.deadlines["handle_60"].due_date == date(2025, 6, 3)


def test_a_reassignment_ends_the_first_units_clock_as_transferred_not_handled() -> None:
    story = story_in(S.IN_PROGRESS)
    story.case.reassign(
        story.stamp(DISPATCHER, "住建局无管辖权"), unit_id=LABOUR, unit_lineage=LINEAGE[LABOUR]
    )
    story.given()
    clock = story.case.deadlines["handle_60"]  # the labour bureau's starts on its acceptance
    assert clock.ended_by is ClockEnd.TRANSFERRED
    assert clock.met_by is not None
    assert clock.met_by.unit_id != LABOUR
    assert level(clock, date(2026, 1, 1)) is Level.STOPPED


def test_a_clock_already_overdue_when_the_case_is_reassigned_stays_missed() -> None:
    story = story_in(S.IN_PROGRESS)  # handle_60 due 2025-05-06, held by HOUSING
    late = stamp_on(DISPATCHER, date(2025, 5, 31), reason="住建局无管辖权")
    story.case.reassign(late, unit_id=LABOUR, unit_lineage=LINEAGE[LABOUR])
    event = only(story.flush(), Case.Reassigned)
    (transferred,) = [d for d in event.deadlines if d.rule is Rule.HANDLE_60]
    assert transferred.ended_by is ClockEnd.TRANSFERRED
    assert level(transferred, date(2026, 1, 1)) is Level.MISSED
    assert transferred.met_by is not None
    assert transferred.met_by.handler_id == HANDLER.id


@pytest.mark.parametrize("late", [False, True], ids=["in-time", "late"])
def test_a_withdrawal_stops_the_clocks_as_withdrawn(late: bool) -> None:
    story = story_in(S.IN_PROGRESS)
    day = date(2025, 5, 31) if late else date(2025, 3, 20)
    story.case.withdraw(stamp_on(CLERK, day, reason="信访人书面撤回"))
    story.given()
    end, shown = ended(story, "handle_60")
    assert end is ClockEnd.WITHDRAWN
    assert shown is (Level.MISSED if late else Level.STOPPED)


def test_a_merged_case_stops_every_clock_as_merged_and_marks_no_notice_as_sent() -> None:
    story = story_in(S.REGISTERED)
    other = register(date(2025, 3, 1))
    story.case.merge(story.stamp(DISPATCHER), into=other)
    other.absorb(story.stamp(DISPATCHER), merged=story.case)
    story.given()
    assert {d.name: d.ended_by for d in story.case.deadlines.values()} == {
        "sort_15": ClockEnd.MERGED,
        "notice_15": ClockEnd.MERGED,
    }
    assert level(story.case.deadlines["notice_15"], date(2025, 3, 5)) is Level.STOPPED


def test_every_clock_of_a_long_life_ends_in_exactly_one_way() -> None:
    story = story_in(S.CLOSED)
    for clock in [*story.case.past_deadlines, *story.case.deadlines.values()]:
        assert (clock.met_on is None) == (clock.ended_by is None), clock
        assert (clock.met_on is None) == (clock.met_by is None), clock


# -- 2. pauses ---------------------------------------------------------------------------------
def test_a_recheck_clock_paused_for_a_hearing_shows_paused_not_overdue() -> None:
    story = story_in(S.UNDER_RECHECK)  # recheck_decide_30 started 2025-03-10, due 04-09
    story.case.hearing(stamp_on(SUPERVISOR, date(2025, 4, 1)), action=HearingAction.START)
    story.given()
    clock = story.case.deadlines["recheck_decide_30"]
    assert level(clock, date(2025, 5, 20)) is Level.PAUSED
    story.case.hearing(stamp_on(SUPERVISOR, date(2025, 5, 20)), action=HearingAction.END)
    story.given()
    resumed = story.case.deadlines["recheck_decide_30"]
    assert resumed.paused_days == 49
    assert resumed.due_date > date(2025, 5, 20)
    assert level(resumed, date(2025, 5, 21)) is Level.OPEN


def test_a_hearing_cannot_pause_a_deadline_already_missed() -> None:
    story = story_in(S.UNDER_RECHECK)
    with pytest.raises(RuleViolationError) as refused:
        story.case.hearing(stamp_on(SUPERVISOR, date(2025, 4, 20)), action=HearingAction.START)
    assert refused.value.field == "occurred_at"
    assert "2025-04-09" in refused.value.message


# -- 3. 交办 done right --------------------------------------------------------------------------
def test_approving_a_report_records_the_outcome_and_starts_the_window_at_delivery() -> None:
    story = story_in(S.REPORT_SUBMITTED, assigned=True)
    approval = story.stamp(DISPATCHER)
    delivered = approval.occurred_at + timedelta(days=3)
    story.case.approve_report(
        make_stamp(DISPATCHER, now=delivered, occurred_at=approval.occurred_at),
        outcome=Outcome.SUPPORTED,
        delivered_at=delivered,
    )
    event = only(story.flush(), Case.ReportApproved)
    assert (event.outcome, event.delivered_at) == (Outcome.SUPPORTED, delivered)
    assert story.case.outcome is Outcome.SUPPORTED
    window = story.case.deadlines["review_window_30"]
    assert window.started_on == delivered.date()
    assert story.case.deadlines["handle_60"].met_on == delivered.date()


@pytest.mark.parametrize("decision", [Decision.UPHELD, Decision.REDO], ids=str)
def test_a_review_decision_starts_what_follows_at_its_delivery(decision: Decision) -> None:
    story = story_in(S.UNDER_REVIEW)
    decided = story.stamp(SUPERVISOR)
    delivered = decided.occurred_at + timedelta(days=2)
    story.case.decide_review(
        make_stamp(SUPERVISOR, now=delivered, occurred_at=decided.occurred_at),
        decision=decision,
        text="复查意见书",
        delivered_at=delivered,
    )
    story.given()
    following = "handle_60" if decision is Decision.REDO else "recheck_window_30"
    assert story.case.deadlines[following].started_on == delivered.date()
    assert story.case.deadlines["review_decide_30"].met_on == delivered.date()


# -- 4. windows are not deadlines --------------------------------------------------------------
def test_an_unused_window_expires_and_never_shows_overdue() -> None:
    story = story_in(S.RESPONDED)
    window = story.case.deadlines["review_window_30"]
    assert level(window, window.due_date) is Level.OPEN
    assert level(window, window.due_date + timedelta(days=1)) is Level.EXPIRED
    assert level(window, window.due_date + timedelta(days=400)) is Level.EXPIRED


# -- 7. business time is checked ---------------------------------------------------------------
def test_a_notice_delivered_before_the_registration_is_refused() -> None:
    story = story_in(S.ACCEPTED)
    with pytest.raises(RuleViolationError) as refused:
        story.case.notify_petitioner(
            story.stamp(CLERK),
            kind=NoticeKind.ACCEPTANCE,
            method="邮寄",
            delivered_at=at(date(2025, 1, 1)),
        )
    assert refused.value.field == "delivered_at"
    assert "2025-03-03 09:00" in refused.value.message
    assert story.case.deadlines["notice_15"].running


def test_a_visit_held_before_the_registration_is_refused() -> None:
    story = story_in(S.IN_PROGRESS)
    with pytest.raises(RuleViolationError) as refused:
        story.case.record_visit(
            story.stamp(HANDLER),
            kind=VisitKind.HOME_VISIT,
            leader_id=None,
            held_at=at(date(2020, 6, 1)),
            notes="上门走访",
        )
    assert refused.value.field == "held_at"


def test_a_response_delivered_before_the_step_it_follows_is_refused() -> None:
    story = story_in(S.IN_PROGRESS)  # accepted 03-05, work started 03-06
    with pytest.raises(RuleViolationError) as refused:
        story.case.respond(
            story.stamp(HANDLER),
            outcome=Outcome.EXPLAINED,
            text="答复",
            delivered_at=at(date(2025, 3, 4)),
        )
    assert refused.value.field == "delivered_at"
    assert refused.value.message == "送达时间不能早于上一步办理时间（2025-03-06 09:00）"


def test_a_step_dated_before_the_step_it_follows_is_refused() -> None:
    story = story_in(S.ACCEPTED)  # accepted 2025-03-05 09:00
    early = make_stamp(HANDLER, now=at(date(2025, 3, 9)), occurred_at=at(date(2025, 3, 4)))
    with pytest.raises(RuleViolationError) as refused:
        story.case.start_work(early)
    assert refused.value.field == "occurred_at"


def test_a_moment_in_the_future_is_refused_for_deliveries_too() -> None:
    story = story_in(S.IN_PROGRESS)
    stamp = story.stamp(HANDLER)
    with pytest.raises(RuleViolationError) as refused:
        story.case.respond(
            stamp,
            outcome=Outcome.EXPLAINED,
            text="答复",
            delivered_at=stamp.latest + timedelta(hours=1),
        )
    assert (refused.value.field, refused.value.message) == (
        "delivered_at",
        "送达时间不能晚于现在",
    )


def test_a_registration_before_2000_is_refused() -> None:
    long_ago = at(date(1900, 1, 2))
    with pytest.raises(RuleViolationError) as refused:
        register(stamp=make_stamp(CLERK, now=at(date(2025, 3, 3)), occurred_at=long_ago))
    assert refused.value.field == "occurred_at"
    assert "2000-01-01" in refused.value.message


# -- 8. petitioners and petitions --------------------------------------------------------------
@pytest.mark.parametrize(
    "again",
    [
        Petitioner(name="李大山"),
        Petitioner(name="李 大山", phone="138 0000 1111"),
        Petitioner(name="李大山", id_number="41142219800101001x"),
    ],
    ids=["name only", "spaced name and phone", "lower-case x"],
)
def test_a_repeat_petition_by_the_same_person_does_not_duplicate_them(again: Petitioner) -> None:
    first = Petitioner(name="李大山", id_number="41142219800101001X", phone="13800001111")
    story = Story(
        Case.register(
            stamp_on(CLERK, date(2025, 3, 3)),
            case_id=register().id,
            number="XF-2025-000001",
            channel=PETITIONER_CHANNEL,
            category=PETITIONER_CATEGORY,
            subject="拖欠工程款",
            content="拖欠工资",
            petitioners=[first],
        ),
        date(2025, 3, 3),
    ).given()
    story.case.link_petition(
        story.stamp(CLERK), channel=PETITIONER_CHANNEL, content="再次反映", petitioners=[again]
    )
    assert story.case.petitioners == [first]
    assert story.case.petition_count == 2


def test_a_different_person_joins_the_case() -> None:
    story = story_in(S.REGISTERED)
    other = Petitioner(name="王小芳", phone="13900002222")
    story.case.link_petition(
        story.stamp(CLERK), channel=PETITIONER_CHANNEL, content="一同反映", petitioners=[other]
    )
    assert story.case.petitioners == [PETITIONER, other]


def test_a_merge_keeps_every_petitioner_and_petition_of_the_absorbed_case() -> None:
    absorbed = story_in(S.REGISTERED)
    newcomer = Petitioner(name="王小芳", phone="13900002222")
    absorbed.case.link_petition(
        absorbed.stamp(CLERK),
        channel=PETITIONER_CHANNEL,
        content="一同反映",
        petitioners=[newcomer],
    )
    absorbed.given()
    carrying = register(date(2025, 3, 1))
    carrying.collect_events()
    absorbed.case.merge(absorbed.stamp(DISPATCHER), into=carrying)
    carrying.absorb(absorbed.stamp(DISPATCHER), merged=absorbed.case)
    assert carrying.petitioners == [PETITIONER, newcomer]
    assert (carrying.petition_count, carrying.repeat_count) == (3, 2)


# -- 10. recusal and late divert ---------------------------------------------------------------
def test_a_handler_who_declares_recusal_leaves_the_case_without_a_handler() -> None:
    story = story_in(S.IN_PROGRESS)
    assert story.case.handler_id == HANDLER.id
    story.case.declare_recusal(story.stamp(HANDLER, "与信访人系近亲属"))
    event = only(story.flush(), Case.RecusalDeclared)
    assert event.person_id == HANDLER.id
    assert story.case.recused_ids == [HANDLER.id]
    assert story.case.handler_id is None


def test_a_sponsor_who_declares_recusal_is_no_longer_the_sponsor() -> None:
    story = story_in(S.IN_PROGRESS)
    story.case.declare_recusal(story.stamp(LEADER, "曾在被反映单位任职"))
    story.given()
    assert story.case.leader_id is None


@pytest.mark.parametrize("granted", [True, False], ids=["granted", "refused"])
def test_a_petitioners_request_for_recusal_is_decided(granted: bool) -> None:
    story = story_in(S.IN_PROGRESS)
    story.case.request_recusal(
        story.stamp(CLERK, "信访人认为承办人有利害关系"), person_id=HANDLER.id
    )
    story.given()
    assert story.case.recusal_requests == [HANDLER.id]
    story.case.decide_recusal(story.stamp(HEAD, "经核实"), person_id=HANDLER.id, granted=granted)
    story.given()
    assert story.case.recusal_requests == []
    assert (HANDLER.id in story.case.recused_ids) is granted
    assert (story.case.handler_id is None) is granted


def test_a_recusal_decision_without_a_request_is_refused() -> None:
    story = story_in(S.IN_PROGRESS)
    with pytest.raises(RuleViolationError) as refused:
        story.case.decide_recusal(story.stamp(HEAD, "经核实"), person_id=HANDLER.id, granted=True)
    assert refused.value.field == "person_id"


def test_an_accepted_case_belonging_to_a_court_is_diverted_with_a_reason() -> None:
    story = story_in(S.IN_PROGRESS)
    story.case.divert(story.stamp(DISPATCHER, "属于人民法院受理范围"), target="县人民法院")
    story.given()
    assert story.case.status is S.DIVERTED
    assert story.case.deadlines["handle_60"].ended_by is ClockEnd.DIVERTED


def test_diverting_an_accepted_case_without_a_reason_is_refused() -> None:
    story = story_in(S.ACCEPTED)
    with pytest.raises(RuleViolationError) as refused:
        story.case.divert(story.stamp(DISPATCHER), target="县人民法院")
    assert refused.value.field == "reason"


PETITIONER_CHANNEL = register().channel
PETITIONER_CATEGORY = register().category
