"""The error shape of api.md, and that a refused request records nothing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from flask.testing import FlaskClient

from domain.application import Xinfang
from domain.cases import LOCAL_TZ
from domain.directory import log_id
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

FLAGS = ", ".join(f.value for f in Flag)
MISSING = uuid4()


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
                assert body == {"code": 404, "status": "Not Found", "message": "no such case"}


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

    assert assert_error(response, 422)["errors"] == {"unit_id": [f"no such unit: {units_log}"]}
    assert assert_error(merged, 422)["errors"] == {"into_case_id": ["no such case"]}
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
        "message": "command 'close' is not allowed while the case is 'in_progress'",
    }
    assert assert_error(forward, 409)["message"] == (
        "command 'forward' is not allowed while the case is 'diverted'"
    )
    assert [office.history(handled["id"]), office.history(diverted["id"])] == before


# -- 422: malformed input ----------------------------------------------------------------------
MALFORMED: list[tuple[str, str, Any, dict[str, list[str]]]] = [
    ("flags", "supervisor", {"flag": "vip", "on": True}, {"flag": [f"Must be one of: {FLAGS}."]}),
    ("progress", "handler", {}, {"note": ["Missing data for required field."]}),
    ("progress", "handler", {"note": "进展", "colour": "red"}, {"colour": ["Unknown field."]}),
    ("progress", "handler", ["进展"], {"_schema": ["Invalid input type."]}),
    ("progress", "handler", "进展", {"_schema": ["Invalid input type."]}),
    (
        "supervision-orders",
        "supervisor",
        {"due_date": "2026-02-30", "text": "督办"},
        {"due_date": ["Not a valid date."]},
    ),
    (
        "progress",
        "handler",
        {"note": "进展", "occurred_at": "2026-01-05T10:00:00"},
        {"occurred_at": ["Not a valid aware datetime."]},
    ),
    (
        "progress",
        "handler",
        {"note": "进展", "occurred_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()},
        {"occurred_at": ["occurred_at lies in the future"]},
    ),
    (
        "progress",
        "handler",
        {"note": "进展", "occurred_at": "2001-01-01T08:00:00+08:00"},
        # The bound is named (issue 9, point 7): the registration, in county time.
        {"occurred_at": ["occurred_at lies before the registration ({registered})"]},
    ),
    ("progress", "handler", {"note": "   "}, {"note": ["a progress note cannot be empty"]}),
    (
        "extend",
        "head",
        {"days": 31, "reason": "调查取证", "approved_by": "赵局长"},
        {"days": ["Must be greater than or equal to 1 and less than or equal to 30."]},
    ),
    (
        "visits",
        "handler",
        {"kind": "home_visit", "held_at": "yesterday"},
        {"held_at": ["Not a valid datetime."]},
    ),
    (
        "dispositions",
        "handler",
        {"kinds": []},
        {"kinds": ["Length must be between 1 and 4."]},
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
        assert body["errors"] == {"json": ["Invalid JSON body."]}

    assert office.history(case["id"]) == before


CHANNELS = ", ".join(c.value for c in Channel)

MALFORMED_REGISTRATIONS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"channel": "pigeon"}, {"channel": [f"Must be one of: {CHANNELS}."]}),
    ({"petitioners": []}, {"petitioners": ["Length must be between 1 and 500."]}),
    (
        {"petitioners": [{"phone": "13812345678"}]},
        {"petitioners": {"0": {"name": ["Missing data for required field."]}}},
    ),
    ({"subject": None}, {"subject": ["Field may not be null."]}),
    ({"urgent": True}, {"urgent": ["Unknown field."]}),
    ({"occurred_at": "2026-01-05 10:00"}, {"occurred_at": ["Not a valid aware datetime."]}),
    ({"accused_unit_ids": ["城关镇"]}, {"accused_unit_ids": {"0": ["Not a valid UUID."]}}),
    ({"content": "   "}, {"content": ["a case needs the content of the petition"]}),
    (
        {"category": "accusation", "accused_unit_ids": [str(MISSING)]},
        {"accused_unit_ids": [f"no such unit: {MISSING}"]},
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
            assert missing_errors == {"reason": ["Missing data for required field."]}
            blank_errors = assert_error(blank, 422)["errors"]
            assert blank_errors == {"reason": [f"'{command}' needs a reason"]}
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
    assert assert_error(response, 422)["errors"] == {"reason": ["taking a flag off needs a reason"]}
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
        assert f"aggregate {target} at version 1" in body["message"]
        assert "integrity check" in body["message"]
        (logged,) = caplog.records
        assert logged.levelno == logging.ERROR
        assert f"aggregate {target} at version 1" in logged.getMessage()
    assert office.get(source).status_code == 200
