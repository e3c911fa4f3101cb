"""The error shape of api.md, and that a refused request records nothing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from flask.testing import FlaskClient

from domain import labels
from domain.application import Xinfang
from domain.cases import LOCAL_TZ
from domain.directory import log_id
from domain.errors import NO_SUCH_CASE
from domain.labels import COMMAND
from domain.values import Channel, Flag
from projections.settings import Settings
from tests.api.helpers import (
    API,
    Office,
    assert_error,
    command_body,
    ok,
    registration,
)
from tests.conftest import County
from tests.integration.test_audit_tampering import Tamperer

FLAGS = "、".join(f"{f.value}（{labels.label(f)}）" for f in Flag)
MISSING = uuid4()
NAIVE = "请填写带时区的时间（如 2026-11-20T09:30:00+08:00）"
UNKNOWN = "不接受此项（未知字段）"


# -- 404 ---------------------------------------------------------------------------------------
def test_an_unknown_case_or_an_id_that_is_no_case_is_not_found(
    client: FlaskClient, county: County, subtests: pytest.Subtests
) -> None:
    office = Office(client, county)
    ids = {
        "unknown": uuid4(),
        "a unit": county.units["housing"],
        "a user": county.actors["clerk"].id,
        "the units log": log_id("units"),
        "the users log": log_id("users"),
    }

    for kind, other in ids.items():
        with subtests.test(kind=kind):
            answers = (
                office.get(str(other)),
                client.get(f"{API}/cases/{other}/history", headers=county.headers("auditor")),
                office.send("dispatcher", str(other), "flags", {"flag": "urgent", "on": True}),
            )
            for response in answers:
                body = assert_error(response, 404)
                assert body == {"code": 404, "status": "Not Found", "message": NO_SUCH_CASE}


def test_a_malformed_case_id_in_the_path_is_not_found(
    client: FlaskClient, county: County, subtests: pytest.Subtests
) -> None:
    for request_line in (
        "GET /cases/not-a-uuid",
        "GET /cases/12345/history",
        "POST /cases/x/forward",
    ):
        with subtests.test(request_line):
            method, path = request_line.split()

            response = client.open(
                f"{API}{path}", method=method, json={}, headers=county.headers("dispatcher")
            )

            assert assert_error(response, 404)["status"] == "Not Found"


def test_a_log_id_is_refused_as_a_unit_and_as_a_case_to_merge_into(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    case = office.register()
    units_log = log_id("units")

    response = client.post(
        f"{API}/users",
        json={"name": "何经办", "role": "handler", "unit_id": str(units_log)},
        headers=county.headers("admin"),
    )
    merged = office.send("dispatcher", case["id"], "merge", {"into_case_id": str(units_log)})

    assert assert_error(response, 422)["errors"] == {"unit_id": [f"没有此单位（{units_log}）"]}
    assert assert_error(merged, 422)["errors"] == {"into_case_id": [NO_SUCH_CASE]}
    assert office.view(case["id"])["version"] == 1


# -- 409 ---------------------------------------------------------------------------------------
def test_a_command_the_status_does_not_allow_is_a_conflict_naming_both(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    handled = office.drive("in_progress")
    diverted = office.drive("diverted")
    before = [office.history(handled["id"]), office.history(diverted["id"])]

    close = office.send("dispatcher", handled["id"], "close", {"resolution": "settled"})
    forward = office.send("dispatcher", diverted["id"], "forward", command_body("forward", county))

    assert assert_error(close, 409) == {
        "code": 409,
        "status": "Conflict",
        "message": "事项当前状态为“办理中”，不能办理“办结”",
    }
    assert assert_error(forward, 409)["message"] == ("事项当前状态为“已分流”，不能办理“转送”")
    assert [office.history(handled["id"]), office.history(diverted["id"])] == before


# -- 422: malformed input ----------------------------------------------------------------------
MALFORMED: list[tuple[str, str, Any, dict[str, list[str]]]] = [
    ("flags", "supervisor", {"flag": "vip", "on": True}, {"flag": [f"应为以下之一：{FLAGS}"]}),
    ("progress", "handler", {}, {"note": ["此项必填"]}),
    (
        "progress",
        "handler",
        {"note": "进展", "colour": "red"},
        {"colour": [UNKNOWN]},
    ),
    ("progress", "handler", ["进展"], {"_schema": ["应为 JSON 对象"]}),
    ("progress", "handler", "进展", {"_schema": ["应为 JSON 对象"]}),
    (
        "supervision-orders",
        "supervisor",
        {"due_date": "2026-02-30", "text": "督办"},
        {"due_date": ["请填写日期（年-月-日，如 2026-11-20）"]},
    ),
    (
        "progress",
        "handler",
        {"note": "进展", "occurred_at": "2026-01-05T10:00:00"},
        {"occurred_at": [NAIVE]},
    ),
    (
        "progress",
        "handler",
        {"note": "进展", "occurred_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()},
        {"occurred_at": ["发生时间不能晚于现在"]},
    ),
    (
        "progress",
        "handler",
        {"note": "进展", "occurred_at": "2001-01-01T08:00:00+08:00"},
        # The bound is named (issue 9, point 7): the registration, in county time.
        {"occurred_at": ["发生时间不能早于登记时间（{registered}）"]},
    ),
    ("progress", "handler", {"note": "   "}, {"note": ["请填写办理进展"]}),
    (
        "extend",
        "head",
        {"days": 31, "reason": "调查取证", "approved_by": "赵局长"},
        {"days": ["应在 1 至 30 之间"]},
    ),
    (
        "visits",
        "handler",
        {"kind": "home_visit", "held_at": "yesterday"},
        {"held_at": ["请填写时间（如 2026-11-20T09:30:00+08:00）"]},
    ),
    (
        "dispositions",
        "handler",
        {"kinds": []},
        {"kinds": ["应有 1 至 4 项"]},
    ),
]


def test_malformed_input_is_refused_per_field_and_records_nothing(
    client: FlaskClient, county: County, subtests: pytest.Subtests
) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")
    before = office.history(case["id"])
    registered = datetime.fromisoformat(case["registered_at"]).astimezone(LOCAL_TZ)

    for path, who, body, errors in MALFORMED:
        with subtests.test(path=path, body=body):
            response = office.send(who, case["id"], path, body)

            error = assert_error(response, 422)
            assert error["status"] == "Unprocessable Entity"
            expected = {
                name: [m.format(registered=f"{registered:%Y-%m-%d %H:%M}") for m in messages]
                for name, messages in errors.items()
            }
            assert error["errors"] == expected
    with subtests.test("a body that is not JSON at all is a bad request"):
        response = client.post(
            f"{API}/cases/{case['id']}/progress",
            data=b'{"note": ',
            content_type="application/json",
            headers=county.headers("handler"),
        )

        body = assert_error(response, 400)
        assert body["status"] == "Bad Request"
        assert body["errors"] == {"json": ["请求内容不是有效的 JSON（须为 UTF-8 编码）"]}

    assert office.history(case["id"]) == before


CHANNELS = "、".join(f"{c.value}（{labels.label(c)}）" for c in Channel)

MALFORMED_REGISTRATIONS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"channel": "pigeon"}, {"channel": [f"应为以下之一：{CHANNELS}"]}),
    ({"petitioners": []}, {"petitioners": ["应有 1 至 500 项"]}),
    (
        {"petitioners": [{"phone": "13812345678"}]},
        {"petitioners": {"0": {"name": ["此项必填"]}}},
    ),
    ({"subject": None}, {"subject": ["此项必填"]}),
    ({"urgent": True}, {"urgent": [UNKNOWN]}),
    (
        {"occurred_at": "2026-01-05 10:00"},
        {"occurred_at": [NAIVE]},
    ),
    ({"accused_unit_ids": ["城关镇"]}, {"accused_unit_ids": {"0": ["不是有效的编号（UUID）"]}}),
    ({"content": "   "}, {"content": ["请填写信访内容"]}),
    (
        {"category": "accusation", "accused_unit_ids": [str(MISSING)]},
        {"accused_unit_ids": [f"没有此单位（{MISSING}）"]},
    ),
]


def test_a_malformed_registration_records_no_case(
    client: FlaskClient, county: County, xinfang: Xinfang, subtests: pytest.Subtests
) -> None:
    for change, errors in MALFORMED_REGISTRATIONS:
        with subtests.test(change=change):
            response = client.post(
                f"{API}/cases", json=registration(**change), headers=county.headers("clerk")
            )

            assert assert_error(response, 422)["errors"] == errors

    assert list(xinfang.iter_case_ids(datetime.now(UTC).year)) == []


# -- 422: a reason is required for negative or unusual actions (domain.md §4) ------------------
REASONED = [
    ("not-accept", "forwarded", "dispatcher", "not_accept"),
    ("object", "forwarded", "head", "object"),
    ("extend", "in_progress", "head", "extend"),
    ("return-report", "report_submitted", "dispatcher", "return_report"),
    ("reopen", "closed", "dispatcher", "reopen"),
    ("withdraw", "in_progress", "clerk", "withdraw"),
    ("handler", "in_progress", "head", "change_handler"),
    ("leader", "in_progress", "dispatcher", "change_leader"),
    ("reassign", "in_progress", "dispatcher", "reassign"),
]


def test_negative_or_unusual_commands_need_a_reason(
    client: FlaskClient, county: County, subtests: pytest.Subtests
) -> None:
    office = Office(client, county)
    for path, status, who, command in REASONED:
        with subtests.test(path):
            case = office.drive(status)
            before = office.history(case["id"])
            given = command_body(path, county)
            without = {k: v for k, v in given.items() if k != "reason"}

            missing = office.send(who, case["id"], path, without)
            blank = office.send(who, case["id"], path, {**without, "reason": "   "})

            missing_errors = assert_error(missing, 422)["errors"]
            assert missing_errors == {"reason": ["此项必填"]}
            blank_errors = assert_error(blank, 422)["errors"]
            assert blank_errors == {"reason": [f"办理“{COMMAND[command]}”须说明理由"]}
            assert office.history(case["id"]) == before
            done = ok(office.send(who, case["id"], path, given))
            assert done["version"] == case["version"] + 1
            assert office.history(case["id"])[-1]["reason"] == given["reason"]


def test_taking_a_flag_off_needs_a_reason_putting_one_on_does_not(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")
    on = ok(office.send("supervisor", case["id"], "flags", {"flag": "key_case", "on": True}))
    before = office.history(case["id"])

    response = office.send("supervisor", case["id"], "flags", {"flag": "key_case", "on": False})

    assert on["flags"] == ["key_case"]
    assert before[-1]["reason"] is None
    assert assert_error(response, 422)["errors"] == {"reason": ["取消标记须说明理由"]}
    assert office.history(case["id"]) == before
    off = {"flag": "key_case", "on": False, "reason": "已化解，撤销重点标记"}
    assert ok(office.send("supervisor", case["id"], "flags", off))["flags"] == []


# -- 500 -----------------------------------------------------------------------------------------
def test_a_record_copied_from_another_case_is_answered_as_a_logged_integrity_error(
    client: FlaskClient, county: County, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    office = Office(client, county)
    target, source = office.register()["id"], office.register()["id"]
    db = Tamperer(settings)
    positions = {
        (str(UUID(str(row[1]))), row[2]): row[0]
        for row in db.rows("SELECT {pos}, originator_id, originator_version FROM {events}")
    }
    state = db.event(positions[(source, 1)])[3]
    db.run(("UPDATE {events} SET state = ? WHERE {pos} = ?", (state, positions[(target, 1)])))

    # The case now is read from the case view, made from the record as it was sealed: the copy
    # in the event store is found by the history (and by `xinfang verify`).
    shown = ok(client.get(f"{API}/cases/{target}", headers=county.headers("supervisor")))
    assert shown["id"] == target
    for path in (f"{API}/cases/{target}/history",):
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="projections.record_binding"):
            response = client.get(path, headers=county.headers("supervisor"))

        body = assert_error(response, 500)
        assert body["status"] == "Internal Server Error"
        assert f"记录 {target} 第 1 版" in body["message"]
        assert "完整性校验" in body["message"]
        (logged,) = caplog.records
        assert logged.levelno == logging.ERROR
        assert f"记录 {target} 第 1 版" in logged.getMessage()
    assert office.get(source).status_code == 200
