"""The risk register (隐患排查台账) over HTTP, on both backends (docs/risks.md).

A risk without a sponsoring leader is listed incomplete until one is named; a risk converted into
a case links both ways and the case's history starts from the conversion; closing a risk needs
its evidence and records who approved it; the units a risk concerns never see it; a viewer who
may see a risk but not its people gets them masked, and every disclosure is logged.
"""

from __future__ import annotations

import io
from typing import Any

from flask.testing import FlaskClient
from openpyxl import load_workbook
from werkzeug.test import TestResponse

from projections.bootstrap import Services
from projections.disclosure import agenda_risks
from projections.merkle import verify_inclusion
from tests.api.helpers import API, assert_error, county_day, ok
from tests.api.test_audit_api import access_log
from tests.conftest import County

PERSON = {
    "name": "刘大海",
    "id_number": "110101197001011111",
    "phone": "13700001111",
    "address": "城关镇幸福村三组",
}


def risk_body(county: County, **overrides: Any) -> dict[str, Any]:
    """The body of POST /risks: a land dispute in 城关镇幸福村, with `overrides` applied."""
    body: dict[str, Any] = {
        "kind": "dispute",
        "source": "grid",
        "level": "serious",
        "subject": "承包地边界纠纷",
        "description": "刘大海与邻户因承包地边界多次争吵，扬言上访。",
        "township_id": str(county.units["township"]),
        "village": "幸福村",
        "people": [dict(PERSON)],
    }
    body.update(overrides)
    return body


class Register:
    """The register as the people of the test county use it."""

    def __init__(self, client: FlaskClient, county: County) -> None:
        self.client = client
        self.county = county

    def enter(self, who: str = "clerk", **overrides: Any) -> dict[str, Any]:
        response = self.client.post(
            f"{API}/risks", json=risk_body(self.county, **overrides), headers=self.h(who)
        )
        assert response.status_code == 201, response.get_json()
        view: dict[str, Any] = response.get_json()
        return view

    def h(self, who: str) -> dict[str, str]:
        return self.county.headers(who)

    def send(self, who: str, risk_id: str, path: str, body: dict[str, Any]) -> TestResponse:
        return self.client.post(f"{API}/risks/{risk_id}/{path}", json=body, headers=self.h(who))

    def get(self, risk_id: str, who: str = "auditor") -> TestResponse:
        return self.client.get(f"{API}/risks/{risk_id}", headers=self.h(who))

    def rows(self, who: str = "auditor", **query: Any) -> list[dict[str, Any]]:
        response = self.client.get(f"{API}/risks", query_string=query, headers=self.h(who))
        items: list[dict[str, Any]] = ok(response)["items"]
        return items

    def assign(self, risk_id: str, **people: str) -> dict[str, Any]:
        ids = {
            "leader_id": lambda k: str(self.county.actors[k].id),
            "handler_id": lambda k: str(self.county.actors[k].id),
            "unit_id": lambda k: str(self.county.units[k]),
        }
        body = {name: ids[name](key) for name, key in people.items()}
        return ok(self.send("dispatcher", risk_id, "assign", body))

    def complete(self, who: str = "clerk", **overrides: Any) -> dict[str, Any]:
        risk = self.enter(who, **overrides)
        return self.assign(risk["id"], leader_id="leader", unit_id="housing", handler_id="handler")


def numbers(rows: list[dict[str, Any]]) -> set[str]:
    return {row["number"] for row in rows}


def test_a_risk_without_a_sponsoring_leader_is_listed_incomplete_until_one_is_named(
    client: FlaskClient, county: County
) -> None:
    register = Register(client, county)
    risk = register.enter()
    assert risk["number"].startswith("YH-")
    assert risk["incomplete"] is True
    assert risk["missing"] == ["leader_id", "unit_id", "handler_id"]

    partly = register.assign(risk["id"], unit_id="housing", handler_id="handler")

    assert partly["missing"] == ["leader_id"]
    assert risk["number"] in numbers(register.rows(incomplete="true"))
    assert risk["number"] not in numbers(register.rows(incomplete="false"))

    named = register.assign(risk["id"], leader_id="leader")

    assert named["incomplete"] is False
    assert named["leader_name"] == "陈县长"
    assert risk["number"] not in numbers(register.rows(incomplete="true"))
    assert risk["number"] in numbers(register.rows(incomplete="false"))
    history = ok(register.get(risk["id"]))["history"]
    assert [e["type"] for e in history] == ["Registered", "Assigned", "Assigned"]
    assert all(e["actor"]["name"] for e in history)
    assert history[-1]["actor"]["role"] == "dispatcher"


def test_replacing_a_named_leader_needs_a_reason_and_a_handler_works_in_the_unit(
    client: FlaskClient, county: County
) -> None:
    register = Register(client, county)
    risk = register.complete()
    leader2 = str(county.actors["leader2"].id)

    refused = register.send("dispatcher", risk["id"], "assign", {"leader_id": leader2})
    outsider = register.send(
        "dispatcher", risk["id"], "assign", {"handler_id": str(county.actors["labour_handler"].id)}
    )
    not_a_leader = register.send(
        "dispatcher",
        risk["id"],
        "assign",
        {"leader_id": str(county.actors["handler"].id), "reason": "调整"},
    )

    assert "reason" in assert_error(refused, 422)["errors"]
    assert "handler_id" in assert_error(outsider, 422)["errors"]
    assert "leader_id" in assert_error(not_a_leader, 422)["errors"]
    changed = ok(
        register.send(
            "dispatcher", risk["id"], "assign", {"leader_id": leader2, "reason": "包案领导调整"}
        )
    )
    assert changed["leader_id"] == leader2
    assert len(ok(register.get(risk["id"]))["history"]) == 3


def test_a_risk_converted_into_a_case_links_both_ways_and_the_case_starts_there(
    client: FlaskClient, county: County
) -> None:
    register = Register(client, county)
    risk = register.complete()
    ok(register.send("handler", risk["id"], "steps", {"text": "入户调解，未达成一致"}))

    converted = ok(
        register.send("clerk", risk["id"], "convert", {"channel": "visit", "category": "claim"})
    )

    assert converted["status"] == "converted"
    case_id = converted["case_id"]
    case = ok(client.get(f"{API}/cases/{case_id}", headers=county.headers("clerk")))
    assert case["from_risk_id"] == risk["id"]
    assert case["number"] == converted["case_number"]
    assert case["petitioners"] == [PERSON]
    assert case["subject"] == risk["subject"]
    assert case["location"] == "城关镇幸福村"
    history = ok(client.get(f"{API}/cases/{case_id}/history", headers=county.headers("clerk")))
    assert [e["type"] for e in history["events"]] == ["Registered"]
    first = history["events"][0]
    assert first["data"]["from_risk_id"] == risk["id"]
    assert risk["number"] in first["reason"]
    assert first["actor"]["name"] == "李登记"
    trail = ok(register.get(risk["id"]))["history"]
    assert trail[-1]["type"] == "Converted"
    assert trail[-1]["data"]["case_id"] == case_id
    assert trail[-1]["occurred_at"] == first["occurred_at"]
    again = register.send("clerk", risk["id"], "convert", {"channel": "visit", "category": "claim"})
    assert_error(again, 409)


def test_closing_a_risk_needs_evidence_and_a_complete_risk_and_records_the_approver(
    client: FlaskClient, county: County
) -> None:
    register = Register(client, county)
    incomplete = register.enter()
    refused = register.send("supervisor", incomplete["id"], "resolve", {"evidence": "调解协议"})
    assert "leader_id" in assert_error(refused, 422)["errors"]
    risk = register.complete()
    blank = register.send("leader", risk["id"], "resolve", {"evidence": ""})
    assert "evidence" in assert_error(blank, 422)["errors"]

    closed = ok(register.send("leader", risk["id"], "resolve", {"evidence": "双方签订调解协议书"}))

    assert closed["status"] == "resolved"
    assert closed["approved_by"]["name"] == "陈县长"
    assert closed["evidence"] == "双方签订调解协议书"
    assert closed["resolved_at"]
    late = register.send("handler", risk["id"], "steps", {"text": "回访"})
    assert_error(late, 409)
    assert [r["status"] for r in register.rows(status="resolved")] == ["resolved"]


def test_the_units_a_risk_concerns_never_see_it_nor_answer_for_it(
    client: FlaskClient, county: County
) -> None:
    register = Register(client, county)
    labour = str(county.units["labour"])
    risk = register.enter(accused_unit_ids=[labour])

    assert_error(register.get(risk["id"], "labour_head"), 404)
    assert_error(register.send("labour_head", risk["id"], "steps", {"text": "x"}), 404)
    assert risk["number"] not in numbers(register.rows("labour_head"))
    assert risk["number"] not in numbers(register.rows("labour_head", unit_id=labour))
    as_unit = register.send("dispatcher", risk["id"], "assign", {"unit_id": labour})
    assert "unit_id" in assert_error(as_unit, 422)["errors"]
    person = str(county.actors["labour_handler"].id)
    as_handler = register.send("dispatcher", risk["id"], "assign", {"handler_id": person})
    assert "没有此人员" in assert_error(as_handler, 422)["errors"]["handler_id"][0]
    assert len(ok(register.get(risk["id"]))["history"]) == 1


def test_a_unit_that_handed_a_risk_on_sees_its_people_masked_and_disclosures_are_logged(
    client: FlaskClient, county: County
) -> None:
    register = Register(client, county)
    risk = register.enter("village_handler")
    assert risk["people"] == [PERSON]
    register.assign(risk["id"], unit_id="housing")

    masked = ok(register.get(risk["id"], "village_handler"))
    shown = ok(register.get(risk["id"], "handler"))
    (row,) = [r for r in register.rows("village_handler") if r["risk_id"] == risk["id"]]

    assert masked["identity_masked"] is True
    assert masked["people"][0]["name"] == "刘**"
    assert "刘大海" not in str(masked)
    assert "13700001111" not in str(masked)
    assert row["identity_masked"] is True
    assert "刘大海" not in str(row)
    assert shown["people"] == [PERSON]
    assert_error(register.get(risk["id"], "labour_handler"), 404)
    log = access_log(client, county)
    entries = [e for e in log if e["case_id"] == risk["id"]]
    readers = {(e["actor"]["name"], e["action"]) for e in entries}
    assert ("钱办事", "read_risk") in readers
    assert not any(e["actor"]["name"] == "冯村干" for e in entries)


def test_bad_input_gets_field_errors_and_writes_nothing(
    client: FlaskClient, county: County
) -> None:
    register = Register(client, county)
    h = county.headers("clerk")
    before = len(register.rows())
    cases: list[tuple[dict[str, Any], str]] = [
        ({"people": []}, "people"),
        ({"level": "huge"}, "level"),
        ({"township_id": str(county.actors["clerk"].id)}, "township_id"),
        ({"subject": "  "}, "subject"),
        ({"occurred_at": "2099-01-01T00:00:00+08:00"}, "occurred_at"),
        ({"occurred_at": "1999-12-31T00:00:00+08:00"}, "occurred_at"),
    ]
    for change, field in cases:
        response = client.post(f"{API}/risks", json=risk_body(county, **change), headers=h)
        assert field in assert_error(response, 422)["errors"], change
    assert len(register.rows()) == before
    assert_error(
        client.post(f"{API}/risks", json=risk_body(county), headers=county.headers("leader")), 403
    )
    assert_error(client.get(f"{API}/risks", headers=county.headers("admin")), 403)


def test_the_monthly_report_counts_by_township_and_level_and_the_workbook_is_chinese(
    client: FlaskClient, county: County
) -> None:
    register = Register(client, county)
    first = register.complete()
    register.complete(level="grave")
    register.enter(level="grave")
    ok(register.send("supervisor", first["id"], "resolve", {"evidence": "调解协议"}))
    month = county_day()[:7]

    report = ok(
        client.get(
            f"{API}/risks/report",
            query_string={"month": month},
            headers=county.headers("supervisor"),
        )
    )

    by_level = {row["level"]: row for row in report["rows"]}
    assert by_level["serious"] | {} == {
        **by_level["serious"],
        "found": 1,
        "resolved": 1,
        "open": 0,
        "incomplete": 0,
    }
    assert by_level["grave"]["found"] == 2
    assert by_level["grave"]["open"] == 2
    assert by_level["grave"]["incomplete"] == 1
    assert by_level["grave"]["township_name"] == "城关镇"
    bad = client.get(
        f"{API}/risks/report",
        query_string={"month": "2026-13"},
        headers=county.headers("supervisor"),
    )
    assert "month" in assert_error(bad, 422)["errors"]

    download = client.get(f"{API}/risks.xlsx", headers=county.headers("supervisor"))
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(download.data)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("隐患编号", "发现日期", "隐患类型", "来源", "风险等级")
    assert len(rows) == 4
    assert {r[4] for r in rows[1:]} == {"较大", "重大"}
    assert "未落实：包案领导、责任单位、具体负责人" in {r[12] for r in rows[1:]}
    assert "已化解销号" in {r[14] for r in rows[1:]}
    log = access_log(client, county)
    exported = [e for e in log if e["action"] == "export_risk_register"]
    assert len(exported) == 3


def test_a_keyed_command_is_applied_once_and_a_stale_version_is_refused(
    client: FlaskClient, county: County
) -> None:
    register = Register(client, county)
    keyed = {**county.headers("clerk"), "Idempotency-Key": "risk-1"}
    body = risk_body(county)
    first = client.post(f"{API}/risks", json=body, headers=keyed)
    again = client.post(f"{API}/risks", json=body, headers=keyed)
    other = client.post(f"{API}/risks", json={**body, "level": "grave"}, headers=keyed)

    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert_error(other, 422)
    assert len(register.rows()) == 1
    risk = first.get_json()
    step = {"text": "入户走访"}
    h = {**county.headers("dispatcher"), "Idempotency-Key": "step-1"}
    one = client.post(f"{API}/risks/{risk['id']}/steps", json=step, headers=h)
    two = client.post(f"{API}/risks/{risk['id']}/steps", json=step, headers=h)
    assert one.get_json() == two.get_json()
    assert len(ok(register.get(risk["id"]))["history"]) == 2
    stale = client.post(
        f"{API}/risks/{risk['id']}/steps",
        json=step,
        headers={**county.headers("dispatcher"), "If-Match": '"1"'},
    )
    assert_error(stale, 409)
    assert one.headers["ETag"] == '"2"'


def test_the_access_log_leaves_out_a_risk_concerning_the_readers_unit(
    client: FlaskClient, county: County
) -> None:
    register = Register(client, county)
    risk = register.enter(accused_unit_ids=[str(county.units["labour"])])
    ok(register.get(risk["id"], "clerk"))
    added = client.post(
        f"{API}/users",
        json={"name": "人社纪检", "role": "auditor", "unit_id": str(county.units["labour"])},
        headers=county.headers("admin"),
    )
    assert added.status_code == 201, added.get_json()
    theirs = {"Authorization": f"Bearer {added.get_json()['token']}"}

    mine = ok(client.get(f"{API}/audit/access", headers=theirs))
    everyone = access_log(client, county)

    assert risk["id"] in {e["case_id"] for e in everyone}
    assert risk["id"] not in {e["case_id"] for e in mine}
    assert_error(client.get(f"{API}/risks/{risk['id']}", headers=theirs), 404)


def test_a_risks_history_comes_with_inclusion_proofs_on_request(
    client: FlaskClient, county: County
) -> None:
    register = Register(client, county)
    risk = register.complete()

    proven = ok(
        client.get(
            f"{API}/risks/{risk['id']}",
            query_string={"proofs": "true"},
            headers=county.headers("auditor"),
        )
    )

    head = proven["head"]
    for entry in proven["history"]:
        path = [bytes.fromhex(p) for p in entry["inclusion_proof"]]
        verify_inclusion(
            bytes.fromhex(entry["leaf_hash"]),
            entry["leaf_index"],
            head["tree_size"],
            path,
            bytes.fromhex(head["root_hash"]),
        )
    assert "head" not in ok(register.get(risk["id"]))


def test_the_meetings_agenda_reads_the_open_grave_risks_the_viewer_may_see(
    client: FlaskClient, county: County, services: Services
) -> None:
    register = Register(client, county)
    grave = register.complete(level="grave")
    register.complete(level="serious")
    closed = register.complete(level="grave")
    ok(register.send("supervisor", closed["id"], "resolve", {"evidence": "调解协议"}))
    hidden = register.enter(level="grave", accused_unit_ids=[str(county.units["labour"])])
    services.catch_up()

    for_head = agenda_risks(services.app, services.risks, county.actors["labour_head"])
    for_dispatcher = agenda_risks(services.app, services.risks, county.actors["dispatcher"])

    assert [r["number"] for r in for_dispatcher] == [grave["number"], hidden["number"]]
    assert for_head == []
    assert len(services.risks.open_risks(county.actors["dispatcher"])) == 3
    logged = [e for e in access_log(client, county) if e["action"] == "read_agenda"]
    assert {e["case_id"] for e in logged} == {grave["id"], hidden["id"]}
