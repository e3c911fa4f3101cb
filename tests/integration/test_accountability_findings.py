"""Issue 9's findings, each reproduced through the application on SQLite and PostgreSQL and
shown fixed: late extensions, paused clocks, 交办 deliveries, business times, petitioners,
recusal, late divert, numbering by the year of receipt (docs/accountability.md)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from domain.application import Context, Xinfang
from domain.cases import local_date
from domain.commands import DeclareRecusal, RegisterCase
from domain.deadlines import level
from domain.errors import PermissionDeniedError, RuleViolationError
from domain.values import (
    Category,
    Channel,
    ClockEnd,
    Decision,
    HearingAction,
    Level,
    NoticeKind,
    Outcome,
    Petitioner,
    Status,
    VisitKind,
)
from tests.conftest import County
from tests.integration.helpers_read import Desk, local


@pytest.fixture
def desk(xinfang: Xinfang, county: County) -> Desk:
    """The office of the test county."""
    return Desk(xinfang, county)


def in_progress(desk: Desk, days_ago: int) -> UUID:
    """A case forwarded, accepted and under way at the housing bureau since `days_ago`."""
    case = desk.register(desk.ago(days_ago))
    desk.run(case, "dispatcher", "forward", desk.ago(days_ago, 60), unit_id=desk.unit("housing"))
    desk.run(
        case,
        "head",
        "accept",
        desk.ago(days_ago, 120),
        handler_id=desk.person("handler"),
        leader_id=desk.person("leader"),
    )
    desk.run(case, "handler", "start_work", desk.ago(days_ago, 180))
    return case


def refused(desk: Desk, case: UUID, who: str, verb: str, when: object, **args: object) -> str:
    """Run a command that must be refused with a field error; the field it names."""
    version = desk.app.repository.get(case).version
    with pytest.raises(RuleViolationError) as caught:
        desk.run(case, who, verb, when, **args)  # type: ignore[arg-type]
    assert desk.app.repository.get(case).version == version, "a refused command recorded"
    return caught.value.field


# -- finding 1: a late extension no longer wipes out an overdue deadline -------------------------
def test_an_extension_asked_25_days_after_the_deadline_is_refused_and_it_stays_overdue(
    desk: Desk,
) -> None:
    case = in_progress(desk, 85)  # handle_60 fell due about 25 days ago
    field = refused(desk, case, "head", "extend", desk.ago(0, -60), days=30, approved_by="赵局长")
    assert field == "occurred_at"
    clock = desk.app.repository.get(case).deadlines["handle_60"]
    assert level(clock, desk.today) is Level.OVERDUE


# -- finding 2's domain half: a reassignment is no handling -------------------------------------
def test_a_reassigned_case_leaves_the_first_units_clock_transferred_and_if_late_missed(
    desk: Desk,
) -> None:
    case = in_progress(desk, 85)
    desk.run(case, "dispatcher", "reassign", desk.ago(1), unit_id=desk.unit("labour"))
    clock = desk.app.repository.get(case).deadlines["handle_60"]
    assert clock.ended_by is ClockEnd.TRANSFERRED
    assert level(clock, desk.today) is Level.MISSED
    assert clock.met_by is not None
    assert clock.met_by.unit_id == desk.unit("housing")


# -- finding 3: a paused recheck clock shows paused ---------------------------------------------
def test_a_recheck_clock_paused_for_a_hearing_is_shown_paused_not_overdue(desk: Desk) -> None:
    case = in_progress(desk, 150)
    delivered = desk.ago(140)
    desk.run(
        case,
        "handler",
        "respond",
        delivered,
        outcome=Outcome.EXPLAINED,
        text="答复",
        delivered_at=delivered,
    )
    desk.run(case, "clerk", "request_review", desk.ago(130))
    decided = desk.ago(120)
    desk.run(
        case,
        "supervisor",
        "decide_review",
        decided,
        decision=Decision.UPHELD,
        text="维持",
        delivered_at=decided,
    )
    desk.run(case, "clerk", "request_recheck", desk.ago(110))
    desk.run(case, "supervisor", "hearing", desk.ago(100), action=HearingAction.START)
    clock = desk.app.repository.get(case).deadlines["recheck_decide_30"]
    assert clock.due_date < desk.today  # its original due date has long passed
    assert level(clock, desk.today) is Level.PAUSED


# -- finding 4: 交办 done right -------------------------------------------------------------------
def test_the_approval_of_a_report_records_outcome_and_delivery_and_the_window_starts_there(
    desk: Desk,
) -> None:
    case = desk.register(desk.ago(50))
    desk.run(
        case,
        "dispatcher",
        "assign",
        desk.ago(50, 60),
        unit_id=desk.unit("housing"),
        due_date=desk.ago(10).date(),
    )
    desk.run(case, "head", "accept", desk.ago(49), handler_id=desk.person("handler"))
    desk.run(case, "handler", "start_work", desk.ago(48))
    desk.run(case, "handler", "submit_report", desk.ago(30), text="办结报告")
    delivered = desk.ago(20)
    approved = desk.run(
        case,
        "dispatcher",
        "approve_report",
        desk.ago(25),
        outcome=Outcome.SUPPORTED,
        delivered_at=delivered,
    )
    assert approved.outcome is Outcome.SUPPORTED
    assert approved.deadlines["review_window_30"].started_on == local_date(delivered)
    assert approved.deadlines["handle_60"].ended_by is ClockEnd.MET


# -- finding 9: business times are checked ----------------------------------------------------
def test_business_times_outside_their_bounds_are_refused_naming_the_field(desk: Desk) -> None:
    case = in_progress(desk, 20)
    early = local(date(2020, 1, 1))
    assert (
        refused(
            desk,
            case,
            "clerk",
            "notify_petitioner",
            desk.ago(1),
            kind=NoticeKind.ACCEPTANCE,
            method="邮寄",
            delivered_at=early,
        )
        == "delivered_at"
    )
    assert (
        refused(
            desk,
            case,
            "handler",
            "record_visit",
            desk.ago(1),
            kind=VisitKind.HOME_VISIT,
            leader_id=None,
            held_at=early,
            notes="走访",
        )
        == "held_at"
    )
    assert (
        refused(
            desk,
            case,
            "handler",
            "respond",
            desk.ago(1),
            outcome=Outcome.EXPLAINED,
            text="答复",
            delivered_at=desk.ago(25),
        )
        == "delivered_at"
    )
    with pytest.raises(RuleViolationError) as caught:
        desk.register(local(date(1900, 1, 2)))
    assert caught.value.field == "occurred_at"


# -- finding 10: petitioners and petitions ------------------------------------------------------
def test_a_repeat_petition_without_an_id_number_does_not_duplicate_the_person(desk: Desk) -> None:
    person = Petitioner(name="李大山", id_number="411422198001010012", phone="13700001111")
    case = desk.register(desk.ago(10), petitioners=[person])
    again = Petitioner(name="李大山", phone="137-0000-1111")
    after = desk.run(
        case,
        "clerk",
        "link_petition",
        desk.ago(5),
        channel=Channel.PHONE,
        content="再次反映",
        petitioners=[again],
    )
    assert after.petitioners == [person]


def test_merging_keeps_the_absorbed_petitioners_and_stops_its_clocks_as_merged(
    desk: Desk,
) -> None:
    first = desk.register(desk.ago(10))
    other = Petitioner(name="王小芳", phone="13900002222")
    second = desk.register(desk.ago(8), petitioners=[other])
    desk.run(second, "dispatcher", "merge", desk.ago(7), into_case_id=first)
    carrying = desk.app.repository.get(first)
    absorbed = desk.app.repository.get(second)
    assert other in carrying.petitioners
    assert carrying.petition_count == 2
    assert {d.ended_by for d in absorbed.deadlines.values()} == {ClockEnd.MERGED}


# -- finding 13: recusal, late divert, numbering -----------------------------------------------
def test_a_handler_who_declared_recusal_can_no_longer_act_or_be_named_again(
    desk: Desk,
) -> None:
    case = in_progress(desk, 10)
    handler = desk.county.actors["handler"]
    desk.app.execute(
        DeclareRecusal(case_id=case), Context(handler, occurred_at=desk.ago(5), reason="系亲属")
    )
    assert desk.app.repository.get(case).handler_id is None
    with pytest.raises(PermissionDeniedError):
        desk.run(case, "handler", "record_progress", desk.ago(4), note="继续调查")
    field = refused(
        desk, case, "head", "change_handler", desk.ago(3), handler_id=desk.person("handler")
    )
    assert field == "handler_id"
    desk.run(case, "head", "change_handler", desk.ago(3), handler_id=desk.person("handler2"))


def test_an_accepted_case_that_belongs_to_a_court_is_diverted(desk: Desk) -> None:
    case = in_progress(desk, 10)
    diverted = desk.run(
        case,
        "dispatcher",
        "divert",
        desk.ago(2),
        reason="属于人民法院受理范围",
        target="县人民法院",
    )
    assert diverted.status is Status.DIVERTED
    assert diverted.deadlines["handle_60"].ended_by is ClockEnd.DIVERTED


def test_a_case_received_in_december_and_entered_in_january_takes_the_year_of_receipt(
    desk: Desk, county: County
) -> None:
    received = local(date(desk.today.year - 1, 12, 30))
    registration = RegisterCase(
        channel=Channel.LETTER,
        category=Category.CLAIM,
        subject="供暖费纠纷",
        content="小区冬季供暖不达标",
        petitioners=[Petitioner(name="孔令辉")],
    )
    case = desk.app.execute(registration, Context(county.actors["clerk"], occurred_at=received))
    assert case.case.number.startswith(f"XF-{desk.today.year - 1}-")
