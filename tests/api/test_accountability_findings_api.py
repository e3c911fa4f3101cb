"""Issue 9's findings 2, 4 (ready to close), 6 and 7, reproduced over HTTP and shown fixed.

Each test drives cases through the API at business times of their own (`occurred_at`), then
reads the overdue list, the scorecards, the ledger and the list of cases ready to close as the
office would. The rules are docs/accountability.md's.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask.testing import FlaskClient

from domain import deadlines as clocks
from domain.cases import LOCAL_TZ
from domain.values import Rule
from tests.api.helpers import API, Office, ok
from tests.conftest import County

NAMES = {"bureau": "县信访局", "housing": "县住建局", "labour": "县人社局"}


def at(day: date, hour: int = 10, minute: int = 0) -> str:
    """A county moment of `day`, as the API takes it."""
    return datetime.combine(day, time(hour, minute), LOCAL_TZ).isoformat()


class Desk:
    """The county office at work over HTTP, each command at its own business time."""

    def __init__(self, client: FlaskClient, county: County) -> None:
        self.office = Office(client, county)
        self.client = client
        self.county = county
        self.today = datetime.now(LOCAL_TZ).date()

    def id(self, who: str) -> str:
        """A user's id."""
        return str(self.county.actors[who].id)

    def unit(self, key: str) -> str:
        """A unit's id."""
        return str(self.county.units[key])

    def register(self, when: str, **fields: Any) -> str:
        """Register a case received at `when` (by the clerk); returns its id."""
        view = self.office.register(occurred_at=when, **fields)
        case_id: str = view["id"]
        return case_id

    def do(self, who: str, case: str, path: str, when: str, **body: Any) -> dict[str, Any]:
        """Send one command at business time `when` (asserting 200)."""
        return ok(self.office.send(who, case, path, {**body, "occurred_at": when}))

    def notify(self, case: str, when: str) -> None:
        """The receipt notice reached the petitioner at `when`."""
        body = {"kind": "receipt", "method": "短信", "delivered_at": when}
        self.do("clerk", case, "notices", when, **body)

    def handed_over(self, day: date, unit: str, *, leader: str | None = None) -> str:
        """Registered, forwarded and notified on `day`; accepted and started the day after."""
        head, handler = (
            ("head", "handler") if unit == "housing" else ("labour_head", "labour_handler")
        )
        case = self.register(at(day))
        self.do("dispatcher", case, "forward", at(day, 10, 5), unit_id=self.unit(unit))
        self.notify(case, at(day, 10, 10))
        accept: dict[str, Any] = {"handler_id": self.id(handler)}
        if leader is not None:
            accept["leader_id"] = self.id(leader)
        self.do(head, case, "accept", at(day + timedelta(days=1)), **accept)
        self.do(handler, case, "start-work", at(day + timedelta(days=1), 11))
        return case

    def respond(self, case: str, who: str, day: date) -> None:
        """The response, delivered on `day`."""
        body = {"outcome": "supported", "text": "已解决。", "delivered_at": at(day)}
        self.do(who, case, "respond", at(day), **body)

    def read(self, who: str, path: str, **query: Any) -> Any:
        """The JSON of a 200 answer to GET `path` as `who`."""
        response = self.client.get(
            f"{API}{path}", query_string=query, headers=self.county.headers(who)
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def cards(self, month: str) -> dict[str, dict[str, Any]]:
        """Every unit's card of `month` by unit name, ranked or listed apart."""
        page = self.read("supervisor", "/accountability/units", month=month)
        return {c["unit_name"]: c for c in [*page["items"], *page["insufficient_sample"]]}

    def overdue(self, *cases: str) -> list[tuple[Any, ...]]:
        """The overdue list's items of `cases`: case, rule, level, end, unit, handler."""
        items = self.read("supervisor", "/accountability/overdue")["items"]
        return [
            (i["case_id"], i["rule"], i["level"], i["ended_by"], i["unit_name"], i["handler_name"])
            for i in items
            if i["case_id"] in cases
        ]


def handle_due(accepted: date) -> date:
    """The due date of a 60-day clock started on `accepted`."""
    return clocks.start_clock(Rule.HANDLE_60, accepted).due_date


# -- finding 2 ------------------------------------------------------------------------------------
def test_reassigning_withdrawing_or_merging_a_case_never_counts_as_handled_on_time(
    client: FlaskClient, county: County
) -> None:
    desk = Desk(client, county)
    day = date(2025, 6, 9)
    due = handle_due(day + timedelta(days=1))
    after = due + timedelta(days=9)
    early = desk.handed_over(day, "labour")
    desk.do(
        "dispatcher",
        early,
        "reassign",
        at(day + timedelta(days=11)),
        unit_id=desk.unit("housing"),
        reason="属住建局职责",
    )
    desk.notify(early, at(day + timedelta(days=11), 11))
    late = desk.handed_over(day, "labour")
    desk.do(
        "dispatcher",
        late,
        "reassign",
        at(after),
        unit_id=desk.unit("housing"),
        reason="属住建局职责",
    )
    desk.notify(late, at(after, 11))
    withdrawn = desk.handed_over(day, "housing")
    desk.do("clerk", withdrawn, "withdraw", at(after), reason="信访人主动撤回")
    answered = desk.handed_over(day, "labour")
    desk.respond(answered, "labour_handler", day + timedelta(days=36))
    carrying_on = desk.register(at(day + timedelta(days=16)))
    desk.do(
        "dispatcher",
        carrying_on,
        "forward",
        at(day + timedelta(days=16), 11),
        unit_id=desk.unit("housing"),
    )
    desk.notify(carrying_on, at(day + timedelta(days=16), 12))
    merged = desk.register(at(day))
    desk.do("dispatcher", merged, "merge", at(day + timedelta(days=21)), into_case_id=carrying_on)

    overdue = desk.overdue(early, late, withdrawn, answered, merged)
    august = desk.cards(due.strftime("%Y-%m"))
    june = desk.cards(day.strftime("%Y-%m"))

    # Before: every one of these clocks was "met" and counted as handled on time. Now a stop
    # after the due date stays a missed deadline of whoever held the case; one before it is
    # neither handled nor missed.
    assert overdue == [
        (merged, "sort_15", "missed", "merged", "县信访局", "李登记"),
        (merged, "notice_15", "missed", "merged", "县信访局", "李登记"),
        (late, "handle_60", "missed", "transferred", "县人社局", "吴经办"),
        (withdrawn, "handle_60", "missed", "withdrawn", "县住建局", "钱办事"),
    ]
    labour, housing = august["县人社局"], august["县住建局"]
    assert (labour["handling_due"], labour["handling_on_time"], labour["handling_late"]) == (
        2,
        1,
        1,
    )
    assert (labour["on_time_completion_rate"], labour["deadlines_stopped"]) == (0.5, 1)
    assert (housing["handling_due"], housing["handling_on_time"], housing["handling_late"]) == (
        1,
        0,
        1,
    )
    bureau = june["县信访局"]
    assert (bureau["sorts_due"], bureau["sorts_on_time"], bureau["sorts_late"]) == (5, 4, 1)
    assert (bureau["notices_due"], bureau["notices_on_time"], bureau["notices_late"]) == (1, 0, 1)


# -- finding 4 (ready to close) -------------------------------------------------------------------
def test_a_case_whose_windows_passed_unused_is_ready_to_close_until_a_dispatcher_closes_it(
    client: FlaskClient, county: County
) -> None:
    desk = Desk(client, county)
    today = desk.today
    lapsed = desk.handed_over(today - timedelta(days=60), "housing")
    desk.respond(lapsed, "handler", today - timedelta(days=45))
    still_open = desk.handed_over(today - timedelta(days=60), "housing")
    desk.respond(still_open, "handler", today - timedelta(days=1))
    reviewed = desk.handed_over(today - timedelta(days=60), "housing")
    desk.respond(reviewed, "handler", today - timedelta(days=45))
    desk.do("clerk", reviewed, "request-review", at(today - timedelta(days=40)))
    decision = {
        "decision": "upheld",
        "text": "维持原处理意见",
        "delivered_at": at(today - timedelta(days=35)),
    }
    desk.do("supervisor", reviewed, "decide-review", at(today - timedelta(days=35)), **decision)
    closed = desk.handed_over(today - timedelta(days=60), "housing")
    desk.respond(closed, "handler", today - timedelta(days=45))
    desk.do("dispatcher", closed, "close", at(today - timedelta(days=10)), resolution="settled")

    def ready(who: str = "dispatcher", **query: Any) -> dict[str, tuple[str, str]]:
        items = desk.read(who, "/accountability/ready-to-close", **query)["items"]
        return {i["case_id"]: (i["deadline"]["rule"], i["deadline"]["level"]) for i in items}

    def ledger(**query: Any) -> dict[str, Any]:
        items = desk.read("dispatcher", "/ledger", page_size=500, **query)["items"]
        return {i["case_id"]: i["deadline"] for i in items}

    listed = {
        lapsed: ("review_window_30", "ready_to_close"),
        reviewed: ("recheck_window_30", "ready_to_close"),
    }
    assert ready() == listed
    assert ready("supervisor") == ready("auditor") == listed
    for who in ("admin", "clerk", "head", "handler", "leader"):
        response = client.get(f"{API}/accountability/ready-to-close", headers=county.headers(who))
        assert response.status_code == 403, who
    assert set(ledger(ready_to_close="true")) == set(listed)
    assert set(ledger(ready_to_close="false")) == {still_open, closed}
    assert ledger()[lapsed]["level"] == "ready_to_close"  # 期满待办结
    # A window is never overdue (before: "severely_overdue" in the case view and the list).
    view = desk.read("auditor", f"/cases/{lapsed}")
    assert {d["rule"]: d["status"] for d in view["deadlines"]}["review_window_30"] == "expired"
    windows = {"object_5wd", "review_window_30", "recheck_window_30"}
    items = desk.read("supervisor", "/accountability/overdue")["items"]
    assert not windows & {i["rule"] for i in items}

    before_closing = datetime.now(LOCAL_TZ).isoformat()
    desk.do("dispatcher", lapsed, "close", at(today, 0, 1), resolution="settled")

    assert ready() == {reviewed: listed[reviewed]}
    assert ready(as_of=before_closing) == listed
    assert ledger()[lapsed] is None


# -- finding 6 ------------------------------------------------------------------------------------
def test_the_scorecards_overdue_counts_only_what_was_open_and_overdue_at_the_end_of_its_month(
    client: FlaskClient, county: County
) -> None:
    desk = Desk(client, county)
    day = date(2025, 6, 9)
    due = handle_due(day + timedelta(days=1))
    desk.handed_over(day, "housing", leader="leader")  # never answered
    late = desk.handed_over(day, "housing", leader="leader")
    answered_on = due + timedelta(days=30)
    desk.respond(late, "handler", answered_on)
    months = ["2025-07", due.strftime("%Y-%m"), answered_on.strftime("%Y-%m")]
    assert months == ["2025-07", "2025-08", "2025-09"]
    coming = (desk.today.replace(day=1) + timedelta(days=400)).strftime("%Y-%m")

    housing = [desk.cards(m).get("县住建局", {}) for m in [*months, coming]]
    leaders = [
        {
            c["leader_name"]: c
            for c in desk.read("supervisor", "/accountability/leaders", month=m)["items"]
        }
        for m in months
    ]

    # Before: the same figure (today's overdue list) in every month, 2025-01 as 2027-06.
    assert [card.get("overdue", 0) for card in housing] == [0, 2, 1, 0]
    assert [card.get("handling_due", 0) for card in housing] == [0, 2, 0, 0]
    assert (housing[1]["handling_on_time"], housing[1]["handling_late"]) == (0, 2)
    assert [
        (ls["陈县长"]["sponsored_open"], ls["陈县长"]["sponsored_overdue"]) for ls in leaders
    ] == [(2, 0), (2, 2), (2, 1)]


# -- finding 7 ------------------------------------------------------------------------------------
def test_the_bureaus_own_overdue_duties_are_attributed_to_it_and_to_the_person_who_held_them(
    client: FlaskClient, county: County
) -> None:
    desk = Desk(client, county)
    today = desk.today
    # Due 10 and 18 days ago (a due date on a holiday rolls forward at most a week).
    unsorted = desk.register(at(today - timedelta(days=25)))
    returned = desk.register(at(today - timedelta(days=35)))
    sent = at(today - timedelta(days=35), 11)
    desk.do("dispatcher", returned, "forward", sent, unit_id=desk.unit("housing"))
    desk.do("head", returned, "object", at(today - timedelta(days=34)), reason="不属于本单位职责")
    back = at(today - timedelta(days=33))
    desk.do("dispatcher", returned, "objection-decision", back, upheld=True)

    items = desk.read("supervisor", "/accountability/overdue")["items"]
    mine = desk.overdue(unsorted, returned)
    cards = desk.cards(today.strftime("%Y-%m"))

    # Before: `unit_name: null`, "unknown" in the bulletin, and no scorecard for the bureau.
    assert sorted(mine) == sorted(
        [
            (unsorted, "sort_15", "overdue", None, "县信访局", "李登记"),
            (unsorted, "notice_15", "overdue", None, "县信访局", "李登记"),
            (returned, "sort_15", "overdue", None, "县信访局", "王分办"),
        ]
    )
    assert all(i["unit_name"] and i["handler_name"] for i in items)
    assert {i["unit_id"] for i in items} == {desk.unit("bureau")}
    assert cards["县信访局"]["overdue"] == 3
    assert cards["县信访局"]["unit_id"] == desk.unit("bureau")
