"""督查 and 问责 over HTTP, on both backends: an inspection finding and a 问责 record link to
the overdue records they rest on; follow-up orders are tasks in the unit's queue; an inspection
marked 典型案例 reaches the bulletin's read function; the accused-unit and identity rules hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from flask.testing import FlaskClient

from domain.inspections import inspection_id
from projections.bootstrap import Services
from projections.inspection_register import InspectionRegister, bulletin_typical_inspections
from projections.meeting_register import MeetingRegister
from tests.api.helpers import API, PETITIONER, Office, assert_error, ok
from tests.api.test_meetings_api import convene, county_today, days_ago, decide, decision, tasks
from tests.conftest import County


def month() -> str:
    """The county's current month."""
    return county_today().strftime("%Y-%m")


def late_case(office: Office, **overrides: Any) -> dict[str, Any]:
    """A case registered 40 days ago and never sorted: its sorting deadline is overdue."""
    received = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    return office.register(occurred_at=received, **overrides)


def held_late_case(office: Office, unit: str = "housing", **overrides: Any) -> dict[str, Any]:
    """A case registered 40 days ago and handed to `unit` the next day, never accepted: a
    deadline of the unit's (as the overdue list attributes it) is overdue."""
    case = late_case(office, **overrides)
    forwarded = (datetime.now(UTC) - timedelta(days=39)).isoformat()
    body = {"unit_id": str(office.county.units[unit]), "occurred_at": forwarded}
    ok(office.send("dispatcher", case["id"], "forward", body))
    return case


def overdue_of(office: Office, case_id: str) -> dict[str, Any]:
    """The case's overdue deadline as the overdue list shows it, as a reference."""
    response = office.client.get(
        f"{API}/accountability/overdue", headers=office.headers("supervisor")
    )
    items = [i for i in ok(response)["items"] if i["case_id"] == case_id]
    missed = {"overdue", "severely_overdue", "met_late", "missed"}
    item = next(i for i in items if i["level"] in missed)
    return {"case_id": case_id, "slot": item["slot"], "due_date": item["due_date"]}


def overdue_task(office: Office) -> str:
    """A task of the housing bureau, overdue since yesterday."""
    meeting_id = convene(office, held_on=days_ago(5)).get_json()["id"]
    made = decide(office, meeting_id, decision(office.county, due_date=days_ago(1)))
    task_id: str = made.get_json()["decisions"][0]["task_id"]
    return task_id


def post(office: Office, who: str, path: str, body: Any) -> Any:
    """POST as `who`."""
    return office.client.post(f"{API}{path}", json=body, headers=office.headers(who))


def inspect(office: Office, unit: str = "housing", who: str = "supervisor") -> Any:
    """The month's inspection of `unit`."""
    return post(
        office,
        who,
        "/inspections",
        {
            "month": month(),
            "unit_id": str(office.county.units[unit]),
            "held_on": county_today().isoformat(),
            "checklist": [
                {"item": "tasks_on_time", "passed": False, "note": "1项任务超期未销号"},
                {"item": "meeting_held", "passed": True},
            ],
        },
    )


def test_a_finding_and_an_accountability_record_link_the_overdue_records_they_rest_on(
    client: FlaskClient, county: County, services: Services
) -> None:
    office = Office(client, county)
    case = held_late_case(office)
    deadline = overdue_of(office, case["id"])
    task_id = overdue_task(office)

    made = inspect(office)
    assert made.status_code == 201, made.get_json()
    inspection = made.get_json()
    assert [c["label"] for c in inspection["checklist"]] == [
        "任务按期报结销号",
        "按时参加每周联席会议",
    ]
    assert_error(inspect(office), 409)  # once a month per unit
    assert inspection["facts"]["tasks_overdue_now"] == 1  # the housing bureau's late task

    path = f"/inspections/{inspection['id']}/findings"
    found = post(
        office,
        "supervisor",
        path,
        {"text": "任务和交办事项超期", "overdue": [deadline, {"task_id": task_id}]},
    )
    assert found.status_code == 201, found.get_json()
    (finding,) = found.get_json()["findings"]
    links = {link["kind"]: link for link in finding["overdue"]}
    assert links["deadline"]["case_number"] == case["number"]
    assert links["deadline"]["slot"] == deadline["slot"]
    assert links["deadline"]["due_date"] == deadline["due_date"]
    assert links["task"]["task_id"] == task_id
    assert links["task"]["task"]["overdue"] is True

    # Only overdue records may be named: a running clock, an unknown case, a task not late.
    fresh = office.register()
    on_time = {"case_id": fresh["id"], "slot": "sort_15", "due_date": county_today().isoformat()}
    for bad in (on_time, {**deadline, "case_id": str(uuid4())}, {"slot": "sort_15"}):
        refused = post(office, "supervisor", path, {"text": "问题", "overdue": [bad]})
        assert "overdue" in assert_error(refused, 422)["errors"]
    assert_error(post(office, "dispatcher", path, {"text": "问题"}), 403)

    # A follow-up order is a task in the unit's queue.
    orders = f"/inspections/{inspection['id']}/orders"
    order = {
        "task": "一周内完成超期任务清理并书面报告",
        "due_date": (county_today() + timedelta(days=7)).isoformat(),
        "leader_id": str(county.actors["leader"].id),
        "handler_id": str(county.actors["handler2"].id),
    }
    ordered = post(office, "supervisor", orders, order)
    assert ordered.status_code == 201, ordered.get_json()
    (issued,) = ordered.get_json()["orders"]
    queue = tasks(office, "handler2", owner=str(county.actors["handler2"].id))
    assert [t["id"] for t in queue] == [issued["task_id"]]
    assert queue[0]["origin"] == "inspection"
    stranger = {**order, "handler_id": str(county.actors["labour_handler"].id)}
    assert "handler_id" in assert_error(post(office, "supervisor", orders, stranger), 422)["errors"]

    # 问责 on the same records, the case's registration and the inspection.
    basis = {
        "unit_id": str(county.units["housing"]),
        "person_id": str(county.actors["handler"].id),
        "overdue": [{"task_id": task_id}],
        "events": [{"case_id": case["id"], "version": 1}],
        "inspection_id": inspection["id"],
        "decision": "criticism",
        "decided_by": "县纪委监委",
        "decided_on": county_today().isoformat(),
        "outcome": "责令书面检查",
        "reason": "联席会议交办任务超期未办",
    }
    recorded = post(office, "supervisor", "/accountability-records", basis)
    assert recorded.status_code == 201, recorded.get_json()
    record = recorded.get_json()
    assert record["decision_label"] == "批评教育"
    assert record["person_name"] == "钱办事"
    assert [o["task_id"] for o in record["overdue"]] == [task_id]
    assert record["events"][0]["type_label"] == "登记"
    assert record["events"][0]["case_number"] == case["number"]
    assert record["inspection"]["month"] == month()
    assert record["recorded_by"]["name"] == "卫督查"

    no_reason = {k: v for k, v in basis.items() if k != "reason"}
    assert (
        "reason"
        in assert_error(post(office, "supervisor", "/accountability-records", no_reason), 422)[
            "errors"
        ]
    )
    no_basis = {**basis, "overdue": [], "events": [], "inspection_id": None}
    assert_error(post(office, "supervisor", "/accountability-records", no_basis), 422)
    no_event = {**basis, "events": [{"case_id": case["id"], "version": 99}]}
    assert (
        "events"
        in assert_error(post(office, "supervisor", "/accountability-records", no_event), 422)[
            "errors"
        ]
    )
    assert_error(post(office, "dispatcher", "/accountability-records", basis), 403)

    listed = client.get(f"{API}/accountability-records", headers=office.headers("auditor"))
    assert [r["id"] for r in ok(listed)["items"]] == [record["id"]]
    for who in ("head", "dispatcher", "clerk", "leader"):
        refused = client.get(
            f"{API}/accountability-records/{record['id']}", headers=office.headers(who)
        )
        assert_error(refused, 403)

    # 典型案例: once, and the bulletin's read function lists it for the month.
    typical = f"/inspections/{inspection['id']}/typical"
    marked = ok(post(office, "supervisor", typical, {"text": "县住建局联席会议交办任务超期未办"}))
    assert marked["typical"]["text"] == "县住建局联席会议交办任务超期未办"
    assert_error(post(office, "supervisor", typical, {"text": "再次"}), 409)
    services.catch_up()
    register = InspectionRegister(
        MeetingRegister(services.app, services.views, services.accountability, services.risks)
    )
    (listed_typical,) = bulletin_typical_inspections(register, month())
    assert listed_typical["unit_name"] == "县住建局"
    assert listed_typical["text"] == "县住建局联席会议交办任务超期未办"
    previous = (county_today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    assert bulletin_typical_inspections(register, previous) == []


def test_an_inspected_unit_reads_its_inspection_without_what_accuses_it(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    accusing = late_case(office, accused_unit_ids=[str(county.units["housing"])])
    plain = held_late_case(office)  # the housing bureau's record, which it sees
    inspection = inspect(office).get_json()
    text = f"{PETITIONER['name']}反映的事项超期未受理"
    path = f"/inspections/{inspection['id']}/findings"
    # A case accusing the unit is never the unit's record (the bureau's sorting clock ran late).
    refused = post(
        office, "supervisor", path, {"text": text, "overdue": [overdue_of(office, accusing["id"])]}
    )
    assert "overdue" in assert_error(refused, 422)["errors"]
    links = [overdue_of(office, plain["id"])]
    because = f"{PETITIONER['name']}多次来访"
    body = {"text": text, "overdue": links, "reason": because}
    assert post(office, "supervisor", path, body).status_code == 201

    seen = client.get(f"{API}/inspections/{inspection['id']}", headers=office.headers("head"))
    overseen = client.get(
        f"{API}/inspections/{inspection['id']}", headers=office.headers("auditor")
    )

    shown = [link["case_id"] for link in ok(seen)["findings"][0]["overdue"]]
    assert shown == [plain["id"]]
    assert len(ok(overseen)["findings"][0]["overdue"]) == 1
    for answer in (seen, overseen):
        assert PETITIONER["name"] not in answer.get_data(as_text=True)
    other = client.get(
        f"{API}/inspections/{inspection['id']}", headers=office.headers("labour_head")
    )
    assert_error(other, 404)

    # Its trail: the checklist and the finding as the view shows them, redacted alike.
    history = f"{API}/inspections/{inspection['id']}/history"
    for who in ("head", "auditor"):
        trail = client.get(history, headers=office.headers(who))
        events = ok(trail)["events"]
        assert [e["type"] for e in events] == ["Inspection.Opened", "Inspection.FindingRecorded"]
        assert [e["type_label"] for e in events] == ["督查", "督查发现问题"]
        assert [c["item"] for c in events[0]["data"]["checklist"]] == [
            "tasks_on_time",
            "meeting_held",
        ]
        assert [link["case_id"] for link in events[1]["data"]["overdue"]] == [plain["id"]]
        assert events[1]["reason"]
        assert events[1]["reason"].endswith("多次来访")
        assert PETITIONER["name"] not in trail.get_data(as_text=True), who
        assert accusing["id"] not in trail.get_data(as_text=True)
    assert_error(client.get(history, headers=office.headers("labour_head")), 404)
    mine = client.get(f"{API}/inspections", headers=office.headers("head"))
    assert [i["id"] for i in ok(mine)["items"]] == [inspection["id"]]
    assert (
        ok(client.get(f"{API}/inspections", headers=office.headers("labour_head")))["items"] == []
    )
    assert_error(client.get(f"{API}/inspections", headers=office.headers("handler")), 403)


def test_another_units_inspection_answers_as_a_month_without_one(
    client: FlaskClient, county: County
) -> None:
    """Inspection ids follow from unit and month, so another unit's head could probe which
    units were inspected: an inspection they may not read answers exactly as one never
    recorded (404), and a role that reads no inspections gets 403 for both."""
    office = Office(client, county)
    recorded = inspect(office, unit="housing").get_json()["id"]
    absent = str(inspection_id(county.units["township"], month()))
    assert absent != recorded
    assert ok(client.get(f"{API}/inspections/{recorded}", headers=office.headers("head")))
    for who, status in (("labour_head", 404), ("clerk", 403), ("handler", 403), ("admin", 403)):
        answers = []
        for record_id in (recorded, absent):
            for path in (f"/inspections/{record_id}", f"/inspections/{record_id}/history"):
                answer = client.get(f"{API}{path}", headers=office.headers(who))
                answers.append((answer.status_code, assert_error(answer, status)))
        assert len({repr(a) for a in answers}) == 1, (who, answers)


def test_an_inspection_is_the_supervisors_and_needs_a_sound_checklist(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    for who in ("dispatcher", "head", "auditor", "leader", "clerk", "admin"):
        assert_error(inspect(office, who=who), 403)
    body = {
        "month": month(),
        "unit_id": str(county.units["labour"]),
        "held_on": county_today().isoformat(),
        "checklist": [{"item": "meeting_held", "passed": True}] * 2,
    }
    assert (
        "checklist" in assert_error(post(office, "supervisor", "/inspections", body), 422)["errors"]
    )
    bad_item = {**body, "checklist": [{"item": "nonsense", "passed": True}]}
    assert (
        "checklist"
        in assert_error(post(office, "supervisor", "/inspections", bad_item), 422)["errors"]
    )
    early = {**body, "checklist": body["checklist"][:1], "month": "2099-01"}
    assert_error(post(office, "supervisor", "/inspections", early), 422)
    listed = client.get(f"{API}/inspections", headers=office.headers("supervisor"))
    assert ok(listed)["items"] == []


def test_a_finding_and_a_record_name_only_the_overdue_records_of_their_unit(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    labour_case = held_late_case(office, "labour")
    labour_deadline = overdue_of(office, labour_case["id"])
    meeting_id = convene(office, held_on=days_ago(5)).get_json()["id"]
    labour = {"unit_id": str(county.units["labour"])}
    labour |= {"handler_id": str(county.actors["labour_handler"].id), "due_date": days_ago(1)}
    made = decide(office, meeting_id, decision(county, **labour))
    labour_task = made.get_json()["decisions"][0]["task_id"]
    housing = inspect(office).get_json()
    path = f"/inspections/{housing['id']}/findings"

    # The labour bureau's records are not the housing bureau's: refused on `overdue`, nothing
    # written.
    for other in (labour_deadline, {"task_id": labour_task}):
        refused = post(office, "supervisor", path, {"text": "超期", "overdue": [other]})
        assert "overdue" in assert_error(refused, 422)["errors"]
    seen = client.get(f"{API}/inspections/{housing['id']}", headers=office.headers("auditor"))
    assert ok(seen)["findings"] == []
    assert ok(seen)["version"] == housing["version"]

    # The same records are the labour bureau's own.
    inspected = inspect(office, "labour").get_json()
    both = [labour_deadline, {"task_id": labour_task}]
    found = post(
        office,
        "supervisor",
        f"/inspections/{inspected['id']}/findings",
        {"text": "超期", "overdue": both},
    )
    assert found.status_code == 201, found.get_json()
    assert len(found.get_json()["findings"][0]["overdue"]) == 2

    # A 问责 record rests on overdue records of the unit it holds accountable.
    basis = {
        "unit_id": str(county.units["housing"]),
        "overdue": both,
        "decision": "reminder",
        "decided_by": "县纪委监委",
        "decided_on": county_today().isoformat(),
        "reason": "交办任务超期未办",
    }
    for other in both:
        wrong = {**basis, "overdue": [other]}
        refused = post(office, "supervisor", "/accountability-records", wrong)
        assert "overdue" in assert_error(refused, 422)["errors"]
    listed = client.get(f"{API}/accountability-records", headers=office.headers("auditor"))
    assert ok(listed)["items"] == []
    right = {**basis, "unit_id": str(county.units["labour"])}
    recorded = post(office, "supervisor", "/accountability-records", right)
    assert recorded.status_code == 201, recorded.get_json()
