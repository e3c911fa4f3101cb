"""Accountability views: who held a case when it fell due, warning levels, scorecards, activity."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from flask.testing import FlaskClient

from domain import deadlines as clocks
from domain.application import Xinfang
from domain.values import (
    Category,
    Channel,
    Flag,
    NoticeKind,
    Outcome,
    Rule,
    Satisfaction,
    VisitKind,
)
from tests.conftest import County
from tests.integration.helpers_read import Desk, fetch, local, read

SEPTEMBER = "2025-09"
"""A month wholly in the past, without public holidays on the days the script uses."""


def number_of(xinfang: Xinfang, case_id: UUID) -> str:
    """A case's human number."""
    return xinfang._load_case(case_id).number


def notified(desk: Desk, case_id: UUID, when: datetime) -> None:
    """The receipt notice reached the petitioner at `when` (notice_15 met)."""
    desk.run(
        case_id,
        "clerk",
        "notify_petitioner",
        when,
        kind=NoticeKind.RECEIPT,
        method="短信",
        delivered_at=when,
    )


def assigned(desk: Desk, days_ago: int, due_in: int) -> UUID:
    """A case registered and assigned to housing `days_ago`, due `due_in` days from today."""
    case = desk.register(desk.ago(days_ago))
    desk.run(
        case,
        "dispatcher",
        "assign",
        desk.ago(days_ago, 1),
        unit_id=desk.unit("housing"),
        due_date=desk.today + timedelta(days=due_in),
    )
    notified(desk, case, desk.ago(days_ago, 2))
    return case


def test_the_overdue_list_names_the_handler_who_held_the_case_on_its_due_date(
    client: FlaskClient, county: County, xinfang: Xinfang
) -> None:
    """A case received 70 days ago, accepted, never answered, handler changed after the due date."""
    desk = Desk(xinfang, county)
    case = desk.register(desk.ago(70))
    desk.run(case, "dispatcher", "forward", desk.ago(70, 1), unit_id=desk.unit("housing"))
    desk.run(
        case,
        "head",
        "accept",
        desk.ago(70, 2),
        handler_id=desk.person("handler"),
        leader_id=desk.person("leader"),
    )
    notified(desk, case, desk.ago(70, 3))
    desk.run(case, "handler", "start_work", desk.ago(69))
    desk.run(case, "head", "change_handler", handler_id=desk.person("handler2"))
    desk.run(case, "dispatcher", "change_leader", leader_id=desk.person("leader2"))
    clock = clocks.start_clock(Rule.HANDLE_60, desk.today - timedelta(days=70))

    items = read(client, county, "supervisor", "/accountability/overdue")["items"]
    ledger = read(client, county, "supervisor", "/ledger")["items"]

    assert items == [
        {
            "case_id": str(case),
            "number": number_of(xinfang, case),
            "subject": "拖欠农民工工资",
            "case_status": "in_progress",
            "rule": "handle_60",
            "slot": "handle_60",
            "started_on": (desk.today - timedelta(days=70)).isoformat(),
            "due_date": clock.due_date.isoformat(),
            "provisional": clock.provisional,
            "met_on": None,
            "ended_by": None,
            "level": "overdue",
            "days_over": (desk.today - clock.due_date).days,
            "unit_id": str(desk.unit("housing")),
            "unit_name": "县住建局",
            "handler_id": str(desk.person("handler")),
            "handler_name": "钱办事",
            "leader_id": str(desk.person("leader")),
            "leader_name": "陈县长",
            "supervision_orders": 0,
        }
    ]
    assert [(r["handler_name"], r["leader_name"]) for r in ledger] == [("孙经办", "褚副县长")]


def test_each_warning_level_is_listed_with_its_days_over_and_supervision_orders(
    client: FlaskClient, county: County, xinfang: Xinfang
) -> None:
    desk = Desk(xinfang, county)
    due_soon = assigned(desk, days_ago=0, due_in=1)
    overdue = assigned(desk, days_ago=20, due_in=-10)
    severe = assigned(desk, days_ago=50, due_in=-35)
    met_late = assigned(desk, days_ago=40, due_in=-25)
    desk.run(met_late, "head", "accept", desk.ago(39), handler_id=desk.person("handler"))
    desk.run(met_late, "handler", "start_work", desk.ago(39, 1))
    desk.run(met_late, "handler", "submit_report", desk.ago(20), text="办结报告")
    for _ in range(2):
        desk.run(
            overdue,
            "supervisor",
            "issue_supervision_order",
            due_date=desk.today + timedelta(days=30),
            text="请尽快办理",
        )

    items = read(client, county, "supervisor", "/accountability/overdue")["items"]

    numbers = {number_of(xinfang, c): c for c in (due_soon, overdue, severe, met_late)}
    assert [
        (numbers[i["number"]], i["rule"], i["level"], i["days_over"], i["supervision_orders"])
        for i in items
    ] == [
        (severe, "assign_due", "severely_overdue", 35, 0),
        (met_late, "assign_due", "met_late", 5, 0),
        (overdue, "assign_due", "overdue", 10, 2),
        (due_soon, "assign_due", "due_soon", 0, 0),
    ]
    assert items[1]["met_on"] == (desk.today - timedelta(days=20)).isoformat()
    assert {i["handler_name"] for i in items} == {None, "钱办事"}


def test_the_overdue_list_as_of_a_past_moment_shows_what_was_overdue_then(
    client: FlaskClient, county: County, xinfang: Xinfang
) -> None:
    desk = Desk(xinfang, county)
    case = assigned(desk, days_ago=30, due_in=-10)
    between = datetime.now(UTC)
    desk.run(case, "head", "accept", handler_id=desk.person("handler"))
    desk.run(case, "handler", "start_work")
    desk.run(case, "handler", "submit_report", text="办结报告")

    then = read(client, county, "auditor", "/accountability/overdue", as_of=between.isoformat())
    now = read(client, county, "auditor", "/accountability/overdue")

    assert [(i["rule"], i["level"], i["days_over"], i["met_on"]) for i in then["items"]] == [
        ("assign_due", "overdue", 10, None)
    ]
    assert datetime.fromisoformat(then["as_of"]) == between
    assert [(i["rule"], i["level"], i["days_over"], i["met_on"]) for i in now["items"]] == [
        ("assign_due", "met_late", 10, desk.today.isoformat())
    ]


# -- scorecards ---------------------------------------------------------------------------------
def september(day: int, hour: int = 10) -> datetime:
    """A moment of September 2025."""
    return local(date(2025, 9, day), hour)


def forwarded(desk: Desk, when: datetime, unit: str = "housing", **register: Any) -> UUID:
    """A case registered and forwarded at `when`."""
    case = desk.register(when, **register)
    desk.run(case, "dispatcher", "forward", when + timedelta(minutes=5), unit_id=desk.unit(unit))
    return case


def responded(desk: Desk, case: UUID, when: datetime) -> None:
    """The housing handler's response, delivered at `when`."""
    desk.run(
        case,
        "handler",
        "respond",
        when,
        outcome=Outcome.SUPPORTED,
        text="已解决。",
        delivered_at=when,
    )


def scripted_september(desk: Desk) -> dict[str, UUID]:
    """Housing's and labour's September 2025, and the leaders' visits."""
    first = forwarded(desk, september(1))
    desk.run(
        first,
        "head",
        "accept",
        september(2),
        handler_id=desk.person("handler"),
        leader_id=desk.person("leader"),
    )
    notified(desk, first, september(2, 11))
    desk.run(first, "handler", "start_work", september(3))
    second = forwarded(desk, september(2))
    desk.run(second, "head", "accept", september(3), handler_id=desk.person("handler"))
    desk.run(second, "handler", "start_work", september(4))
    desk.run(second, "head", "extend", september(10), days=10, approved_by="赵局长")
    notified(desk, second, september(20))
    third = forwarded(desk, september(3))
    desk.run(third, "head", "object", september(4))
    desk.run(third, "dispatcher", "decide_objection", september(5), upheld=True)
    desk.run(third, "dispatcher", "divert", september(6), target="县人民法院")
    early = forwarded(desk, local(date(2025, 7, 3)))
    desk.run(
        early, "head", "accept", local(date(2025, 7, 3), 11), handler_id=desk.person("handler")
    )
    notified(desk, early, local(date(2025, 7, 3), 12))
    desk.run(early, "handler", "start_work", local(date(2025, 7, 4)))
    responded(desk, early, local(date(2025, 8, 29)))
    late = forwarded(desk, local(date(2025, 7, 8)))
    desk.run(late, "head", "accept", local(date(2025, 7, 8), 11), handler_id=desk.person("handler"))
    notified(desk, late, local(date(2025, 7, 8), 12))
    desk.run(late, "handler", "start_work", local(date(2025, 7, 9)))
    responded(desk, late, september(10))
    desk.run(
        late,
        "clerk",
        "record_follow_up",
        september(15),
        satisfaction=Satisfaction.SATISFIED,
        note="电话回访",
    )
    responded(desk, first, september(25))
    responded(desk, second, september(26))
    for i in range(10):
        labour = forwarded(desk, september(8), "labour", subject=f"社保缴费问题{i}")
        notified(desk, labour, september(8, 11))
    for who, kind, case, day, leader in (
        ("leader", VisitKind.RECEPTION, first, 3, "leader"),
        ("leader", VisitKind.RECEPTION, first, 12, "leader"),
        ("leader", VisitKind.HOME_VISIT, first, 14, "leader"),
        ("leader", VisitKind.APPOINTMENT, first, 21, "leader"),
        ("handler", VisitKind.RECEPTION, second, 22, "leader2"),
    ):
        desk.run(
            case,
            who,
            "record_visit",
            september(day, 15),
            kind=kind,
            leader_id=desk.person(leader),
            held_at=september(day, 15),
            notes="接谈",
        )
    return {"first": first, "second": second, "third": third, "early": early, "late": late}


def test_unit_scorecards_count_a_scripted_month_beside_their_rates(
    client: FlaskClient, county: County, xinfang: Xinfang
) -> None:
    desk = Desk(xinfang, county)
    scripted_september(desk)

    cards = read(client, county, "supervisor", "/accountability/units", month=SEPTEMBER)

    # Issue 9: units below the minimum sample (deadlines due in the month) are listed apart,
    # and the petition bureau has a card of its own (its sorting and notice duties).
    ranked = [(card["unit_name"], card["rank"]) for card in cards["items"]]
    apart = {card["unit_name"]: card for card in cards["insufficient_sample"]}
    assert cards["month"] == SEPTEMBER
    assert cards["minimum_sample"] == 10
    assert ranked == [("县信访局", 1), ("县人社局", 2)]
    assert set(apart) == {"县住建局"}
    assert apart["县住建局"] == {
        "unit_id": str(desk.unit("housing")),
        "unit_name": "县住建局",
        "month": SEPTEMBER,
        "received": 3,
        "accepted": 2,
        "diverted": 0,
        "not_accepted": 0,
        "sorts_due": 0,
        "sorts_on_time": 0,
        "sorts_late": 0,
        "timely_sorting_rate": None,
        "notices_due": 2,
        "notices_on_time": 1,
        "notices_late": 1,
        "timely_acceptance_rate": 0.5,
        "handling_due": 2,
        "handling_on_time": 1,
        "handling_late": 1,
        "on_time_completion_rate": 0.5,
        "deadlines_due": 4,
        "deadlines_on_time": 2,
        "deadlines_late": 2,
        "on_time_rate": 0.5,
        # The third case's notice clock stopped before its due date (the objection was upheld).
        "deadlines_stopped": 1,
        "overdue": 0,
        "extensions": 1,
        "mean_handling_days": 60.5,
        "p90_handling_days": 63.3,
        "objections": 1,
        "reassigned_away": 0,
        "reports_returned": 0,
        "responses": 3,
        "rated": 1,
        "participation_rate": 0.3333,
        "satisfied": 1,
        "satisfaction_rate": 1.0,
        "repeat_petitions": 0,
        "reviews": 0,
        "changed_on_review": 0,
        "changed_on_review_share": None,
        "risks_found": 0,
        "risks_resolved": 0,
        "risks_open": 0,
        # 一会议三清单 tasks of the unit due in the month (docs/meetings.md): none scripted here.
        "tasks_due": 0,
        "tasks_on_time": 0,
        "tasks_late": 0,
        "task_on_time_rate": None,
        "sample": "insufficient sample",
        "rank": None,
    }
    bureau, labour = cards["items"]
    assert (bureau["received"], bureau["diverted"]) == (13, 1)
    assert (bureau["sorts_due"], bureau["sorts_on_time"], bureau["timely_sorting_rate"]) == (
        14,
        14,
        1.0,
    )
    # The registration's notice clocks were superseded by the units' on forwarding.
    assert (bureau["notices_due"], bureau["deadlines_stopped"]) == (0, 13)
    assert (labour["received"], labour["notices_due"], labour["notices_on_time"]) == (10, 10, 10)
    assert (labour["timely_acceptance_rate"], labour["sample"]) == (1.0, "sufficient")


def test_leader_scorecards_count_visits_by_kind(
    client: FlaskClient, county: County, xinfang: Xinfang
) -> None:
    desk = Desk(xinfang, county)
    scripted_september(desk)

    cards = read(client, county, "auditor", "/accountability/leaders", month=SEPTEMBER)

    assert [
        (
            c["leader_name"],
            c["receptions"],
            c["home_visits"],
            c["appointments"],
            c["sponsored_open"],
            c["sponsored_overdue"],
            c["resolution_rate"],
        )
        for c in sorted(cards["items"], key=lambda c: c["leader_name"])
    ] == [("褚副县长", 1, 0, 0, 0, 0, None), ("陈县长", 2, 1, 1, 1, 0, None)]
    october = read(client, county, "auditor", "/accountability/leaders", month="2025-10")
    assert [(c["leader_name"], c["receptions"]) for c in october["items"]] == [("陈县长", 0)]


def test_actor_activity_lists_exactly_that_persons_actions_in_order(
    client: FlaskClient, county: County, xinfang: Xinfang
) -> None:
    desk = Desk(xinfang, county)
    one = forwarded(desk, desk.ago(5))
    other = forwarded(desk, desk.ago(4))
    desk.run(one, "head", "accept", desk.ago(3), handler_id=desk.person("handler"))
    desk.run(one, "handler", "start_work", desk.ago(3, 1))
    start = datetime.now(UTC)
    desk.run(other, "head", "accept", desk.ago(2), handler_id=desk.person("handler"))
    desk.run(other, "handler", "start_work", desk.ago(2, 1))
    desk.run(one, "handler", "record_progress", note="走访")
    desk.run(other, "head", "change_handler", handler_id=desk.person("handler2"))
    desk.run(one, "handler", "record_progress", note="约谈")
    end = datetime.now(UTC)
    desk.run(one, "handler", "record_progress", note="之后")
    user = str(desk.person("handler"))
    window = {"from": start.isoformat(), "to": end.isoformat()}

    activity = read(client, county, "auditor", f"/accountability/actors/{user}", **window)
    own = read(client, county, "handler", f"/accountability/actors/{user}", **window)
    refused = fetch(client, county, "handler2", f"/accountability/actors/{user}", **window)
    whole = read(client, county, "supervisor", f"/accountability/actors/{user}")

    assert activity["name"] == "钱办事"
    assert [(UUID(i["case_id"]), i["type"]) for i in activity["items"]] == [
        (other, "WorkStarted"),
        (one, "ProgressRecorded"),
        (one, "ProgressRecorded"),
    ]
    positions = [i["position"] for i in activity["items"]]
    assert positions == sorted(positions)
    assert {i["actor_role"] for i in whole["items"]} == {"handler"}
    assert len(whole["items"]) == 5
    assert own["items"] == activity["items"]
    assert refused.status_code == 404


def test_the_administrator_may_not_read_accountability_views(
    client: FlaskClient, county: County
) -> None:
    user = str(county.actors["handler"].id)
    for path in (
        "/accountability/overdue",
        "/accountability/units",
        "/accountability/leaders",
        "/accountability/agenda",
        "/accountability/backlog",
        f"/accountability/actors/{user}",
        f"/reports/monthly/{SEPTEMBER}",
    ):
        response = fetch(client, county, "admin", path)
        assert response.status_code == 403, path
        assert response.get_json()["code"] == 403


def test_backlog_and_agenda_list_flagged_and_long_open_cases(
    client: FlaskClient, county: County, xinfang: Xinfang
) -> None:
    desk = Desk(xinfang, county)
    old = forwarded(desk, desk.ago(130))
    desk.run(old, "head", "accept", desk.ago(120), handler_id=desk.person("handler"))
    notified(desk, old, desk.ago(120, 1))
    desk.run(old, "handler", "record_progress", desk.ago(100), note="走访")
    desk.run(old, "handler", "record_progress", desk.ago(110), note="补录：更早的走访")
    flagged = forwarded(desk, desk.ago(3), category=Category.SUGGESTION, channel=Channel.LETTER)
    desk.run(flagged, "supervisor", "set_flag", desk.ago(3, 9), flag=Flag.KEY_CASE, on=True)
    desk.run(flagged, "supervisor", "set_flag", desk.ago(3, 10), flag=Flag.BACKLOG, on=True)
    fresh = forwarded(desk, desk.ago(2))

    backlog = read(client, county, "supervisor", "/accountability/backlog")["items"]
    agenda = read(client, county, "supervisor", "/accountability/agenda")
    stricter = read(
        client, county, "supervisor", "/accountability/backlog", days_after_acceptance=200
    )["items"]

    assert [(UUID(i["case_id"]), i["backlog_reasons"]) for i in backlog] == [
        (old, ["open more than 90 days after acceptance"]),
        (flagged, ["flagged"]),
    ]
    assert [UUID(i["case_id"]) for i in stricter] == [flagged]
    assert [UUID(i["case_id"]) for i in agenda["key_cases"]] == [flagged]
    assert [UUID(i["case_id"]) for i in agenda["stalled_backlog"]] == [old]
    assert (
        agenda["stalled_backlog"][0]["last_activity_on"]
        == (desk.today - timedelta(days=100)).isoformat()
    )
    assert fresh not in {UUID(i["case_id"]) for i in backlog}
