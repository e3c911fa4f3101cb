"""一会议三清单 over HTTP, on both backends: a decision puts a task in the handler's queue, the
next meeting's agenda carries it while it is open (and overdue), closing it needs a completion
report and evidence and is attributed; the accused-unit and identity rules hold throughout."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid4

import openpyxl
from flask.testing import FlaskClient

from domain import labels
from domain.cases import LOCAL_TZ
from projections.bootstrap import Services
from tests.api.helpers import API, PETITIONER, Office, assert_error, county_today, ok
from tests.api.test_audit_api import access_log
from tests.api.test_risks_api import PERSON, Register
from tests.conftest import County
from tests.render import pdf_fonts, pdf_pages, pdf_text, require_poppler, save_png


def days_ago(n: int) -> str:
    """A county date `n` days before today."""
    return (county_today() - timedelta(days=n)).isoformat()


def convene(office: Office, who: str = "supervisor", **overrides: Any) -> Any:
    """POST /meetings as `who`."""
    county = office.county
    body = {
        "held_on": county_today().isoformat(),
        "title": "县信访工作联席会议调度会",
        "chair_id": str(county.actors["leader"].id),
        "attendee_ids": [str(county.actors["head"].id), str(county.actors["dispatcher"].id)],
        "place": "县委第二会议室",
        **overrides,
    }
    return office.client.post(f"{API}/meetings", json=body, headers=office.headers(who))


def decision(county: County, **overrides: Any) -> dict[str, Any]:
    """A decision for the housing bureau's handler, sponsored by `leader`."""
    return {
        "problem": "张三反映拖欠工资问题久拖未决",
        "task": "督促施工方一周内结清张三的工资",
        "due_date": county_today().isoformat(),
        "leader_id": str(county.actors["leader"].id),
        "unit_id": str(county.units["housing"]),
        "handler_id": str(county.actors["handler"].id),
        **overrides,
    }


def decide(office: Office, meeting_id: str, body: dict[str, Any], who: str = "supervisor") -> Any:
    """POST /meetings/{id}/decisions."""
    return office.client.post(
        f"{API}/meetings/{meeting_id}/decisions", json=body, headers=office.headers(who)
    )


def tasks(office: Office, who: str, **query: str) -> list[dict[str, Any]]:
    """GET /tasks as `who`."""
    response = office.client.get(f"{API}/tasks", query_string=query, headers=office.headers(who))
    items: list[dict[str, Any]] = ok(response)["items"]
    return items


def task_command(office: Office, who: str, task_id: str, path: str, body: Any) -> Any:
    """POST /tasks/{id}/{path}."""
    return office.client.post(
        f"{API}/tasks/{task_id}/{path}", json=body, headers=office.headers(who)
    )


def test_a_decision_puts_a_task_in_the_handlers_queue_and_it_returns_until_closed(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")
    first = convene(office, held_on=days_ago(10))
    assert first.status_code == 201, first.get_json()
    meeting_id = first.get_json()["id"]

    made = decide(office, meeting_id, decision(county, case_id=case["id"], due_date=days_ago(5)))
    assert made.status_code == 201, made.get_json()
    (decided,) = made.get_json()["decisions"]
    task_id = decided["task_id"]
    assert decided["case_number"] == case["number"]
    assert decided["leader_name"] == "陈县长"
    assert decided["unit_name"] == "县住建局"
    assert decided["handler_name"] == "钱办事"

    # In the handler's queue (and the unit's, and the leader's), not in another unit's.
    queue = tasks(office, "handler", owner=str(county.actors["handler"].id))
    assert [t["id"] for t in queue] == [task_id]
    assert queue[0]["overdue"] is True
    assert queue[0]["level"] == "overdue"
    assert queue[0]["level_label"] == "超期未销号"
    assert [t["id"] for t in tasks(office, "head")] == [task_id]
    assert [t["id"] for t in tasks(office, "leader", overdue="true")] == [task_id]
    assert tasks(office, "labour_head") == []
    assert tasks(office, "leader2") == []
    assert tasks(office, "handler", overdue="false") == []
    assert_error(client.get(f"{API}/tasks/{task_id}", headers=office.headers("labour_head")), 404)

    # The next meeting's agenda carries the open, overdue task.
    second = convene(office)
    assert second.status_code == 201, second.get_json()
    carried = [a for a in second.get_json()["agenda"] if a["source"] == "open_task"]
    assert [a["task_id"] for a in carried] == [task_id]
    assert carried[0]["task"]["overdue"] is True
    assert carried[0]["source_label"] == "前次会议未销号任务"

    # Closing needs a completion report first, then evidence.
    refused = task_command(office, "supervisor", task_id, "close", {"evidence": "工资发放表"})
    assert "报结" in assert_error(refused, 409)["message"]
    progress = task_command(office, "handler", task_id, "report", {"text": "已约谈施工方"})
    assert ok(progress)["status"] == "open"
    done = task_command(
        office, "handler", task_id, "report", {"text": "工资已全部结清", "completed": True}
    )
    assert ok(done)["status"] == "reported"
    blank = task_command(office, "supervisor", task_id, "close", {"evidence": "  "})
    assert "evidence" in assert_error(blank, 422)["errors"]
    assert_error(task_command(office, "supervisor", task_id, "close", {}), 422)
    assert_error(task_command(office, "handler", task_id, "close", {"evidence": "工资发放表"}), 403)
    closed = ok(task_command(office, "supervisor", task_id, "close", {"evidence": "工资发放表"}))
    assert closed["status"] == "closed"
    assert closed["evidence"] == "工资发放表"
    assert closed["closed_by"]["name"] == "卫督查"
    assert closed["closed_by"]["role"] == "supervisor"
    assert closed["level"] == "closed_late"
    assert [r["actor"]["name"] for r in closed["reports"]] == ["钱办事", "钱办事"]
    again = task_command(office, "supervisor", task_id, "close", {"evidence": "工资发放表"})
    assert_error(again, 409)
    trail = ok(client.get(f"{API}/tasks/{task_id}/history", headers=office.headers("auditor")))
    assert [e["type_label"] for e in trail["events"]] == [
        "交办任务",
        "任务报告",
        "任务报告",
        "任务销号",
    ]
    assert [e["actor"]["name"] for e in trail["events"]] == ["卫督查", "钱办事", "钱办事", "卫督查"]
    assert trail["events"][-1]["data"] == {"evidence": "工资发放表"}
    assert PETITIONER["name"] not in str(trail)
    assert_error(task_command(office, "handler", task_id, "report", {"text": "补充"}), 409)

    # Closed, it no longer comes back; it stays late (a missed due date is never erased).
    third = convene(office)
    assert [a for a in third.get_json()["agenda"] if a["source"] == "open_task"] == []
    assert tasks(office, "supervisor", status="closed")[0]["level"] == "closed_late"


def test_a_report_of_a_task_done_is_returned_with_its_reason_and_the_task_stays_late(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    meeting = convene(office, held_on=days_ago(10))
    made = decide(office, meeting.get_json()["id"], decision(county, due_date=days_ago(2)))
    task_id = made.get_json()["decisions"][0]["task_id"]
    not_reported = task_command(office, "supervisor", task_id, "return", {"reason": "未完成"})
    assert "尚未报结" in assert_error(not_reported, 409)["message"]
    done = {"text": "工资已全部结清", "completed": True}
    assert ok(task_command(office, "handler", task_id, "report", done))["status"] == "reported"
    trail_of = f"{API}/tasks/{task_id}/history"
    before = ok(client.get(trail_of, headers=office.headers("auditor")))["events"]
    # 退回 needs a reason, by the meeting's office only; a refusal records nothing.
    assert (
        "reason"
        in assert_error(task_command(office, "supervisor", task_id, "return", {}), 422)["errors"]
    )
    blank = task_command(office, "supervisor", task_id, "return", {"reason": "  "})
    assert "reason" in assert_error(blank, 422)["errors"]
    reason = {"reason": "未附工资发放签收表"}
    assert_error(task_command(office, "handler", task_id, "return", reason), 403)
    assert ok(client.get(trail_of, headers=office.headers("auditor")))["events"] == before
    returned = ok(task_command(office, "dispatcher", task_id, "return", reason))
    assert returned["status"] == "open"
    assert returned["level"] == "overdue"  # returned past its due date, it is overdue again
    assert [r["completed"] for r in returned["reports"]] == [True]
    assert_error(task_command(office, "supervisor", task_id, "return", reason), 409)
    close = {"evidence": "工资发放表"}
    assert (
        "报结"
        in assert_error(task_command(office, "supervisor", task_id, "close", close), 409)["message"]
    )
    assert [t["id"] for t in tasks(office, "supervisor", overdue="true")] == [task_id]
    trail = ok(client.get(f"{API}/tasks/{task_id}/history", headers=office.headers("auditor")))
    last = trail["events"][-1]
    assert (last["type_label"], last["reason"]) == ("退回报结", "未附工资发放签收表")
    assert (last["actor"]["name"], last["actor"]["role"]) == ("王分办", "dispatcher")
    # Reported done again and closed: late, as it was due before.
    again = {"text": "已补交签收表", "completed": True}
    ok(task_command(office, "handler", task_id, "report", again))
    closed = ok(task_command(office, "supervisor", task_id, "close", close))
    assert (closed["status"], closed["level"]) == ("closed", "closed_late")
    assert [
        e["type_label"]
        for e in ok(
            client.get(f"{API}/tasks/{task_id}/history", headers=office.headers("auditor"))
        )["events"]
    ] == ["交办任务", "任务报告", "退回报结", "任务报告", "任务销号"]


def test_a_task_not_yet_due_returns_open_and_the_agenda_draws_key_cases_and_overdue(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")
    ok(office.send("supervisor", case["id"], "flags", {"flag": "key_case", "on": True}))
    first = convene(office).get_json()
    assert [a["case_id"] for a in first["agenda"] if a["source"] == "key_case"] == [case["id"]]
    due = (county_today() + timedelta(days=20)).isoformat()
    decide(office, first["id"], decision(county, due_date=due))

    agenda = convene(office).get_json()["agenda"]
    (carried,) = [a for a in agenda if a["source"] == "open_task"]
    assert carried["task"]["overdue"] is False
    assert carried["task"]["level"] == "open"


def test_who_may_record_meetings_and_decisions_and_bad_input_records_nothing(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    for who in ("clerk", "head", "handler", "leader", "auditor", "admin"):
        assert_error(convene(office, who), 403)
    future = convene(office, held_on=(county_today() + timedelta(days=2)).isoformat())
    assert "held_on" in assert_error(future, 422)["errors"]
    not_a_leader = convene(office, chair_id=str(county.actors["head"].id))
    assert "chair_id" in assert_error(not_a_leader, 422)["errors"]
    meeting_id = convene(office, "dispatcher").get_json()["id"]

    bad = {
        "handler_id": str(county.actors["labour_handler"].id),  # not of the unit named
        "leader_id": str(county.actors["head"].id),  # not a leader
    }
    for field, value in bad.items():
        refused = decide(office, meeting_id, decision(county, **{field: value}))
        assert field in assert_error(refused, 422)["errors"]
    early = decide(office, meeting_id, decision(county, due_date=days_ago(3)))
    assert "due_date" in assert_error(early, 422)["errors"]
    missing = decide(office, meeting_id, {"problem": "问题"})
    assert {"task", "due_date", "unit_id"} <= set(assert_error(missing, 422)["errors"])
    assert_error(decide(office, meeting_id, decision(county), who="head"), 403)
    assert_error(decide(office, str(uuid4()), decision(county)), 404)

    view = ok(client.get(f"{API}/meetings/{meeting_id}", headers=office.headers("auditor")))
    assert view["decisions"] == []
    assert tasks(office, "supervisor") == []


def test_a_case_the_caller_may_not_see_is_an_id_that_names_nothing(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    meeting_id = convene(office, "dispatcher").get_json()["id"]
    hidden = office.register(accused_unit_ids=[str(county.units["bureau"])])

    unseen = decide(office, meeting_id, decision(county, case_id=hidden["id"]), "dispatcher")
    unknown = decide(office, meeting_id, decision(county, case_id=str(uuid4())), "dispatcher")

    assert assert_error(unseen, 422) == assert_error(unknown, 422)


def test_a_task_never_goes_to_an_accused_unit_nor_shows_to_one(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    meeting_id = convene(office).get_json()["id"]
    accusing_housing = office.register(accused_unit_ids=[str(county.units["housing"])])
    refused = decide(office, meeting_id, decision(county, case_id=accusing_housing["id"]))
    assert "unit_id" in assert_error(refused, 422)["errors"]

    # A case accusing the labour bureau, its task with the housing bureau: the labour bureau's
    # people never see it, whatever their role; overseers of that bureau neither.
    accusing_labour = office.register(accused_unit_ids=[str(county.units["labour"])])
    made = decide(office, meeting_id, decision(county, case_id=accusing_labour["id"]))
    task_id = made.get_json()["decisions"][0]["task_id"]
    assert [t["id"] for t in tasks(office, "handler")] == [task_id]
    for who in ("labour_head", "labour_handler"):
        assert tasks(office, who) == []
        assert_error(client.get(f"{API}/tasks/{task_id}", headers=office.headers(who)), 404)


def test_registers_never_show_a_petitioners_identity(client: FlaskClient, county: County) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")
    meeting_id = convene(office).get_json()["id"]
    made = decide(office, meeting_id, decision(county, case_id=case["id"]))
    task_id = made.get_json()["decisions"][0]["task_id"]
    task_command(
        office, "handler", task_id, "report", {"text": "张三已领到工资", "completed": True}
    )

    answers = [
        made.get_data(as_text=True),
        client.get(f"{API}/tasks", headers=office.headers("head")).get_data(as_text=True),
        client.get(f"{API}/tasks/{task_id}", headers=office.headers("head")).get_data(as_text=True),
        client.get(
            f"{API}/meetings/{meeting_id}/minutes.html", headers=office.headers("leader")
        ).get_data(as_text=True),
    ]
    for text in answers:
        assert PETITIONER["name"] not in text
    assert "拖欠工资问题" in answers[0]


def test_a_leader_reads_the_meeting_without_the_cases_they_may_not_see(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    sponsored = office.drive("in_progress")
    meeting_id = convene(office).get_json()["id"]
    decide(office, meeting_id, decision(county, case_id=sponsored["id"]))
    decide(office, meeting_id, decision(county, problem="全县信访积案化解进度滞后"))

    mine = ok(client.get(f"{API}/meetings/{meeting_id}", headers=office.headers("leader")))
    other = ok(client.get(f"{API}/meetings/{meeting_id}", headers=office.headers("leader2")))

    assert [d["n"] for d in mine["decisions"]] == [1, 2]
    assert [d["n"] for d in other["decisions"]] == [2]
    for who in ("clerk", "head", "handler", "admin"):
        refused = client.get(f"{API}/meetings/{meeting_id}", headers=office.headers(who))
        assert_error(refused, 403)


def test_no_reader_of_a_meeting_is_shown_what_is_about_a_case_accusing_their_unit(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    accusing = office.register(accused_unit_ids=[str(county.units["bureau"])])
    ok(office.send("supervisor", accusing["id"], "flags", {"flag": "key_case", "on": True}))
    named = f"研究{PETITIONER['name']}等重点案件"  # reasons that name the people involved
    meeting_id = convene(office, reason=named).get_json()["id"]
    risk = Register(client, county).complete()["id"]
    body = decision(county, case_id=accusing["id"], risk_id=risk)
    made = decide(office, meeting_id, {**body, "reason": f"{PERSON['name']}情绪激动"})
    assert made.get_json()["decisions"][0]["risk_id"] == risk
    overall = f"{PETITIONER['name']}案暴露问题，电话{PETITIONER['phone']}"
    decide(office, meeting_id, decision(county, problem="全县信访积案化解进度滞后", reason=overall))

    bureau = ok(client.get(f"{API}/meetings/{meeting_id}", headers=office.headers("dispatcher")))
    oversight = ok(client.get(f"{API}/meetings/{meeting_id}", headers=office.headers("auditor")))

    assert [d["n"] for d in bureau["decisions"]] == [2]
    assert accusing["id"] not in [a["case_id"] for a in bureau["agenda"]]
    assert [d["n"] for d in oversight["decisions"]] == [1, 2]
    assert accusing["id"] in [a["case_id"] for a in oversight["agenda"]]
    minutes = client.get(
        f"{API}/meetings/{meeting_id}/minutes.html", headers=office.headers("dispatcher")
    )
    assert accusing["number"] not in minutes.get_data(as_text=True)
    bureau_tasks = tasks(office, "dispatcher")
    assert [t["n"] for t in bureau_tasks] == [2]
    # The list's counts leave out what the reader may not see.
    (listed,) = ok(client.get(f"{API}/meetings", headers=office.headers("dispatcher")))["items"]
    (full_row,) = ok(client.get(f"{API}/meetings", headers=office.headers("auditor")))["items"]
    assert (listed["agenda_items"], listed["decisions"]) == (len(bureau["agenda"]), 1)
    assert (full_row["agenda_items"], full_row["decisions"]) == (len(oversight["agenda"]), 2)
    sheet = client.get(
        f"{API}/meetings/{meeting_id}/minutes.xlsx", headers=office.headers("dispatcher")
    )
    problems = openpyxl.load_workbook(io.BytesIO(sheet.get_data()))["问题清单"]
    assert [(r[0].value, r[1].value) for r in problems.iter_rows(min_row=2)] == [
        (2, "全县信访积案化解进度滞后")  # its number in the meeting, as the page calls it
    ]

    # The meeting's trail leaves out the same decision and agenda item.
    def trail(who: str) -> list[dict[str, Any]]:
        answer = ok(client.get(f"{API}/meetings/{meeting_id}/history", headers=office.headers(who)))
        assert answer["meeting_id"] == meeting_id
        events: list[dict[str, Any]] = answer["events"]
        return events

    seen, full = trail("dispatcher"), trail("auditor")
    assert [e["type"] for e in full] == [
        "Meeting.Convened",
        "Meeting.DecisionRecorded",
        "Meeting.DecisionRecorded",
    ]
    assert [e["version"] for e in full] == [1, 2, 3]
    assert [e["data"]["n"] for e in full[1:]] == [1, 2]
    assert [e["version"] for e in seen] == [1, 3]
    assert [e["data"]["n"] for e in seen[1:]] == [2]
    assert accusing["id"] in [a["case_id"] for a in full[0]["data"]["agenda"]]
    assert accusing["id"] not in [a["case_id"] for a in seen[0]["data"]["agenda"]]
    assert accusing["number"] not in str(seen)
    # Every reason is redacted of everyone the meeting names, for every reader (the decisions'
    # own texts are as the meeting view shows them).
    for trail_of in (seen, full):
        reasons = " ".join(str(e["reason"]) for e in trail_of)
        for identity in (PETITIONER["name"], PETITIONER["phone"], PERSON["name"]):
            assert identity not in reasons, identity
    assert seen[0]["reason"].startswith("研究")
    for entry in full:
        assert entry["actor"]["role"] == "supervisor"
        assert entry["occurred_at"]
        assert entry["recorded_at"]
        assert entry["type_label"] in {"召开联席会议", "会议决定事项"}
    assert full[0]["data"]["title"] == bureau["title"]
    assert_error(
        client.get(f"{API}/meetings/{meeting_id}/history", headers=office.headers("handler")),
        403,
    )


def test_the_minutes_print_the_three_lists(client: FlaskClient, county: County) -> None:
    office = Office(client, county)
    meeting_id = convene(office).get_json()["id"]
    decide(office, meeting_id, decision(county, problem="某小区逾期交房", task="制定交房方案"))

    page = client.get(f"{API}/meetings/{meeting_id}/minutes.html", headers=office.headers("leader"))
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    for text in ("会议纪要", "问题清单", "任务清单", "责任清单", "某小区逾期交房", "制定交房方案"):
        assert text in html
    assert "http" not in html.split("<body>")[0]  # nothing loaded from outside

    sheet = client.get(
        f"{API}/meetings/{meeting_id}/minutes.xlsx", headers=office.headers("auditor")
    )
    assert sheet.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(sheet.get_data()))
    assert book.sheetnames[:3] == ["问题清单", "任务清单", "责任清单"]
    assert book["责任清单"]["B2"].value == "陈县长"
    assert book["问题清单"]["B2"].value == "某小区逾期交房"


def test_the_minutes_as_pdf_carry_the_same_lists_with_the_fonts_embedded(
    client: FlaskClient, county: County
) -> None:
    require_poppler()
    office = Office(client, county)
    accusing = office.register(accused_unit_ids=[str(county.units["bureau"])])
    meeting_id = convene(office).get_json()["id"]
    decide(office, meeting_id, decision(county, problem="某小区逾期交房", task="制定交房方案"))
    decide(office, meeting_id, decision(county, problem="欠薪", case_id=accusing["id"]))

    answer = client.get(
        f"{API}/meetings/{meeting_id}/minutes.pdf", headers=office.headers("auditor")
    )
    assert answer.status_code == 200
    assert answer.mimetype == "application/pdf"
    assert "inline" in answer.headers["Content-Disposition"]
    text = pdf_text(answer.data)
    flat = "".join(text.split())
    for words in ("会议纪要", "一、会议议题", "二、问题清单", "三、任务清单", "四、责任清单"):
        assert words in flat, words
    for words in ("某小区逾期交房", "制定交房方案", "陈县长", "县住建局", accusing["number"]):
        assert words in flat, words
    assert "第1页共1页" in flat
    fonts = pdf_fonts(answer.data)
    assert fonts
    assert all(f["emb"] == "yes" and f["sub"] == "yes" for f in fonts), fonts
    save_png(answer.data, "minutes")

    bureau = client.get(
        f"{API}/meetings/{meeting_id}/minutes.pdf", headers=office.headers("dispatcher")
    )
    assert bureau.status_code == 200
    assert accusing["number"] not in "".join(pdf_text(bureau.data).split())
    assert "某小区逾期交房" in "".join(pdf_text(bureau.data).split())
    assert_error(
        client.get(f"{API}/meetings/{meeting_id}/minutes.pdf", headers=office.headers("handler")),
        403,
    )

    # A problem longer than a page is printed whole, over the pages it needs.
    long = "".join(
        f"第{n}项：某小区业主反映逾期交房、产权办证、物业收费等问题。" for n in range(120)
    )
    decide(office, meeting_id, decision(county, problem=long))
    printed = client.get(
        f"{API}/meetings/{meeting_id}/minutes.pdf", headers=office.headers("auditor")
    )
    assert printed.status_code == 200
    whole = "".join(pdf_text(printed.data).split())
    # Every part of it is there, in order (page footers and repeated headers in between).
    places = [whole.find(f"第{n}项：某小区业主反映逾期交房") for n in range(120)]
    assert all(at >= 0 for at in places)
    assert places == sorted(places)
    assert pdf_pages(printed.data) >= 2


def test_task_completion_on_time_by_unit(client: FlaskClient, county: County) -> None:
    office = Office(client, county)
    meeting_id = convene(office, held_on=days_ago(3)).get_json()["id"]
    for _ in range(2):
        decide(office, meeting_id, decision(county, due_date=days_ago(1)))
    task_id = tasks(office, "supervisor")[0]["id"]
    task_command(office, "handler", task_id, "report", {"text": "完成", "completed": True})
    task_command(office, "supervisor", task_id, "close", {"evidence": "材料"})

    response = client.get(
        f"{API}/tasks/completion",
        query_string={"month": days_ago(1)[:7]},
        headers=office.headers("supervisor"),
    )
    (card,) = ok(response)["items"]
    assert card["unit_name"] == "县住建局"
    assert card["tasks_due"] == 2
    assert card["tasks_late"] == 2  # closed today, after its due date; the other still open
    assert card["tasks_on_time"] == 0
    assert card["task_on_time_text"] == "0.0%（0/2）"

    # The unit scorecards carry the same figures beside the deadlines' (the housing bureau
    # received a case that day, so it has a card).
    yesterday = county_today() - timedelta(days=1)
    received = office.register(
        occurred_at=datetime.combine(yesterday, time(9), LOCAL_TZ).isoformat()
    )
    forward = {
        "unit_id": str(county.units["housing"]),
        "occurred_at": datetime.combine(yesterday, time(10), LOCAL_TZ).isoformat(),
    }
    ok(office.send("dispatcher", received["id"], "forward", forward))
    scorecards = client.get(
        f"{API}/accountability/units",
        query_string={"month": days_ago(1)[:7]},
        headers=office.headers("supervisor"),
    )
    body = ok(scorecards)
    cards = {c["unit_id"]: c for c in body["items"] + body["insufficient_sample"]}
    housing = cards[str(county.units["housing"])]
    assert (housing["tasks_due"], housing["tasks_on_time"], housing["tasks_late"]) == (2, 0, 2)
    assert all(c["tasks_due"] == 0 for u, c in cards.items() if u != str(county.units["housing"]))


def test_the_registers_events_are_leaves_of_the_audit_tree(
    client: FlaskClient, county: County, services: Services
) -> None:
    office = Office(client, county)
    meeting_id = convene(office).get_json()["id"]
    made = decide(office, meeting_id, decision(county))
    task_id = made.get_json()["decisions"][0]["task_id"]
    task_command(office, "handler", task_id, "report", {"text": "完成", "completed": True})
    task_command(office, "supervisor", task_id, "close", {"evidence": "签收单"})

    head = services.app.recorder.max_notification_id()
    assert services.audit.tree_size() == head
    kinds = [type(e).__qualname__ for e in services.app.events.get(UUID(task_id))]
    assert kinds == ["Task.Assigned", "Task.Reported", "Task.Closed"]
    assert set(kinds) <= set(labels.REGISTER_EVENT)
    assert services.audit.verify().ok


def test_a_keyed_request_is_applied_at_most_once(client: FlaskClient, county: County) -> None:
    office = Office(client, county)
    key = {"Idempotency-Key": "meeting-2026-48"}
    body = {
        "held_on": county_today().isoformat(),
        "title": "联席会议",
        "chair_id": str(county.actors["leader"].id),
    }
    send = client.post
    first = send(f"{API}/meetings", json=body, headers=office.headers("supervisor", **key))
    again = send(f"{API}/meetings", json=body, headers=office.headers("supervisor", **key))
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    listed = client.get(f"{API}/meetings", headers=office.headers("auditor"))
    assert len(ok(listed)["items"]) == 1
    other = send(
        f"{API}/meetings",
        json={**body, "title": "另一次会议"},
        headers=office.headers("supervisor", **key),
    )
    assert "Idempotency-Key" in assert_error(other, 422)["errors"]

    meeting_id = first.get_json()["id"]
    decided_key = {"Idempotency-Key": "decision-1"}
    path = f"{API}/meetings/{meeting_id}/decisions"
    for _ in range(2):
        made = send(
            path, json=decision(county), headers=office.headers("supervisor", **decided_key)
        )
        assert made.status_code == 201
    assert len(made.get_json()["decisions"]) == 1
    assert len(tasks(office, "supervisor")) == 1
    task_id = made.get_json()["decisions"][0]["task_id"]
    report = {"text": "完成", "completed": True}
    for _ in range(2):
        reported = client.post(
            f"{API}/tasks/{task_id}/report",
            json=report,
            headers=office.headers("handler", **{"Idempotency-Key": "r1"}),
        )
        assert reported.status_code == 200
    assert len(reported.get_json()["reports"]) == 1


def test_the_registers_view_is_rebuilt_from_the_log_alike(
    client: FlaskClient, county: County, services: Services
) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")
    meeting_id = convene(office, held_on=days_ago(4)).get_json()["id"]
    for due in (days_ago(1), county_today().isoformat()):
        decide(office, meeting_id, decision(county, case_id=case["id"], due_date=due))
    first = tasks(office, "supervisor")[0]["id"]
    task_command(office, "handler", first, "report", {"text": "完成", "completed": True})
    task_command(office, "supervisor", first, "close", {"evidence": "签收单"})
    before = (
        tasks(office, "supervisor"),
        ok(client.get(f"{API}/meetings", headers=office.headers("auditor"))),
    )

    services.runner.rebuild()

    after = (
        tasks(office, "supervisor"),
        ok(client.get(f"{API}/meetings", headers=office.headers("auditor"))),
    )
    assert after == before
    assert [t["status"] for t in after[0]] == ["closed", "open"]


# -- the risk register on the meeting (docs/meetings.md "The agenda", "Decisions and tasks") ------
def risk_rows(view: dict[str, Any]) -> list[dict[str, Any]]:
    """The agenda's high-level risk items."""
    return [a for a in view["agenda"] if a["source"] == "high_risk"]


def test_the_agenda_carries_the_open_grave_risks_to_the_readers_who_may_see_them(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    risks = Register(client, county)
    subject = f"{PERSON['name']}承包地边界纠纷"
    grave = risks.complete(level="grave", subject=subject)
    risks.complete(level="serious")
    ended = risks.complete(level="grave")
    ok(risks.send("supervisor", ended["id"], "resolve", {"evidence": "调解协议"}))
    accusing = risks.enter(level="grave", accused_unit_ids=[str(county.units["bureau"])])
    # Its sponsor replaced: the first leader still sees it (a former sponsor), its people masked.
    handed = risks.complete(level="grave", subject=subject)
    leader2 = str(county.actors["leader2"].id)
    ok(
        risks.send(
            "dispatcher", handed["id"], "assign", {"leader_id": leader2, "reason": "分工调整"}
        )
    )

    meeting = convene(office)
    assert meeting.status_code == 201, meeting.get_json()
    meeting_id = meeting.get_json()["id"]

    def agenda(who: str) -> list[dict[str, Any]]:
        view = ok(client.get(f"{API}/meetings/{meeting_id}", headers=office.headers(who)))
        return risk_rows(view)

    overseen = agenda("auditor")
    assert [a["risk_id"] for a in overseen] == [grave["id"], accusing["id"], handed["id"]]
    first = overseen[0]
    assert first["risk_number"] == grave["number"]
    assert first["source_label"] == "重大隐患"
    assert (first["risk_level"], first["risk_level_label"]) == ("grave", "重大")
    assert first["township_name"] == "城关镇"
    assert first["unit_name"] == "县住建局"
    assert first["leader_name"] == "陈县长"
    assert first["subject"] == subject
    assert first["identity_masked"] is False
    # The bureau's dispatcher never sees the risk concerning the bureau.
    assert [a["risk_id"] for a in agenda("dispatcher")] == [grave["id"], handed["id"]]
    # A leader sees the risks they sponsor (or sponsored), no other.
    mine = agenda("leader")
    assert [a["risk_id"] for a in mine] == [grave["id"], handed["id"]]
    assert mine[0]["identity_masked"] is False
    assert mine[1]["identity_masked"] is True
    assert PERSON["name"] not in mine[1]["subject"]
    assert [a["risk_id"] for a in agenda("leader2")] == [handed["id"]]
    assert agenda("leader2")[0]["identity_masked"] is False
    minutes = client.get(
        f"{API}/meetings/{meeting_id}/minutes.xlsx", headers=office.headers("dispatcher")
    )
    book = openpyxl.load_workbook(io.BytesIO(minutes.data))
    texts = {str(c.value) for row in book["会议议题"].iter_rows() for c in row}
    assert accusing["subject"] not in texts
    assert subject in texts
    assert grave["number"] in texts
    assert accusing["number"] not in texts
    page = client.get(
        f"{API}/meetings/{meeting_id}/minutes.html", headers=office.headers("leader2")
    ).get_data(as_text=True)
    assert handed["number"] in page
    assert grave["number"] not in page

    # Every disclosure of the people (the whole subject) is logged; a masked row is not.
    logged = [e for e in access_log(client, county) if e["action"] == "read_agenda"]
    by_leader = {
        e["case_id"] for e in logged if e["actor"]["id"] == str(county.actors["leader"].id)
    }
    assert by_leader == {grave["id"]}
    by_dispatcher = {
        e["case_id"] for e in logged if e["actor"]["id"] == str(county.actors["dispatcher"].id)
    }
    assert by_dispatcher == {grave["id"], handed["id"]}


def test_a_decision_names_a_risk_the_caller_may_see_and_its_task_links_it_to_those_who_may(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    risks = Register(client, county)
    meeting_id = convene(office, "dispatcher").get_json()["id"]
    hidden = risks.enter(accused_unit_ids=[str(county.units["bureau"])])

    unseen = decide(office, meeting_id, decision(county, risk_id=hidden["id"]), "dispatcher")
    unknown = decide(office, meeting_id, decision(county, risk_id=str(uuid4())), "dispatcher")
    assert "risk_id" in assert_error(unknown, 422)["errors"]
    assert assert_error(unseen, 422) == assert_error(unknown, 422)
    # A risk concerning a unit is never given to that unit as a task.
    concerning = risks.enter(accused_unit_ids=[str(county.units["housing"])])
    refused = decide(office, meeting_id, decision(county, risk_id=concerning["id"]))
    assert "unit_id" in assert_error(refused, 422)["errors"]
    view = ok(client.get(f"{API}/meetings/{meeting_id}", headers=office.headers("auditor")))
    assert view["decisions"] == []

    # A risk of the housing bureau's, and one of the labour bureau's, both given to housing.
    own = risks.complete()
    labours = risks.enter()
    ok(
        risks.send(
            "dispatcher",
            labours["id"],
            "assign",
            {
                "leader_id": str(county.actors["leader2"].id),
                "unit_id": str(county.units["labour"]),
                "handler_id": str(county.actors["labour_handler"].id),
            },
        )
    )
    named = decision(county, risk_id=own["id"], problem=f"{PERSON['name']}与邻户承包地纠纷")
    made = decide(office, meeting_id, named, "dispatcher")
    assert made.status_code == 201, made.get_json()
    (first,) = made.get_json()["decisions"]
    assert (first["risk_id"], first["risk_number"]) == (own["id"], own["number"])
    other = decide(office, meeting_id, decision(county, risk_id=labours["id"]), "dispatcher")
    assert other.status_code == 201, other.get_json()
    second = other.get_json()["decisions"][1]
    assert second["risk_number"] == labours["number"]

    # The housing handler's queue has both tasks; the link only to the risk it may see.
    queue = {t["id"]: t for t in tasks(office, "handler")}
    assert queue[first["task_id"]]["risk_number"] == own["number"]
    assert queue[second["task_id"]]["risk_id"] is None
    assert queue[second["task_id"]]["risk_number"] is None
    one = ok(client.get(f"{API}/tasks/{second['task_id']}", headers=office.headers("handler")))
    assert (one["risk_id"], one["risk_number"]) == (None, None)
    # Texts about a risk are shown redacted of its people, to everybody (as about a case).
    for answer in (
        made,
        client.get(f"{API}/tasks", headers=office.headers("supervisor")),
        client.get(f"{API}/tasks/{first['task_id']}", headers=office.headers("handler")),
        client.get(f"{API}/tasks/{first['task_id']}/history", headers=office.headers("head")),
    ):
        assert PERSON["name"] not in answer.get_data(as_text=True)
        assert "与邻户承包地纠纷" in answer.get_data(as_text=True)
    seen = ok(client.get(f"{API}/tasks/{second['task_id']}", headers=office.headers("supervisor")))
    assert (seen["risk_id"], seen["risk_number"]) == (labours["id"], labours["number"])
    # A leader reads the decisions about the risks they sponsor, as about cases.
    mine = ok(client.get(f"{API}/meetings/{meeting_id}", headers=office.headers("leader")))
    assert [d["risk_id"] for d in mine["decisions"]] == [own["id"]]
    theirs = ok(client.get(f"{API}/meetings/{meeting_id}", headers=office.headers("leader2")))
    assert [d["risk_id"] for d in theirs["decisions"]] == [labours["id"]]

    # The next meeting's agenda carries the open tasks, each to those who may see its risk.
    later = convene(office).get_json()["id"]
    carried = ok(client.get(f"{API}/meetings/{later}", headers=office.headers("leader")))
    open_items = [a for a in carried["agenda"] if a["source"] == "open_task"]
    assert [a["task_id"] for a in open_items] == [first["task_id"]]
    assert open_items[0]["task"]["risk_number"] == own["number"]
