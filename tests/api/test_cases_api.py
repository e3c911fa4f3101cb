"""Reading cases: the case view, the case as of a past moment, and its history (api.md §Cases)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from flask.testing import FlaskClient

from tests.api.helpers import API, PETITIONER, Office, assert_error, command_body, ok
from tests.conftest import County

REGISTERED_AT = "2025-03-06T10:00:00+08:00"
"""A Thursday in an ordinary week: sort_15 and notice_15 fall due on Friday 2025-03-21."""

FORWARDED_AT = "2025-03-10T09:30:00+08:00"
"""The Monday after: object_5wd (5 working days) falls due on Monday 2025-03-17."""


def moment(text: str) -> datetime:
    """An ISO 8601 timestamp from an answer."""
    return datetime.fromisoformat(text)


def test_a_registered_case_shows_every_field_of_the_case_view(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)

    view = office.register()

    assert {
        "id",
        "number",
        "status",
        "version",
        "channel",
        "category",
        "subject",
        "content",
        "petitioners",
        "unit_id",
        "leader_id",
        "handler_id",
        "flags",
        "deadlines",
        "registered_at",
        "updated_at",
    } <= set(view)
    assert view["status"] == "registered"
    assert view["version"] == 1
    assert (view["unit_id"], view["leader_id"], view["handler_id"]) == (None, None, None)
    assert view["flags"] == []
    assert view["petitioners"] == [PETITIONER]
    assert view["intake_unit_id"] == str(county.units["bureau"])
    assert view["recorded_at"] == view["updated_at"]
    assert moment(view["registered_at"]) <= moment(view["recorded_at"])


def test_case_numbers_are_unique_and_stable(client: FlaskClient, county: County) -> None:
    office = Office(client, county)

    first = office.register()
    second = office.register()
    moved = ok(office.send("dispatcher", first["id"], "forward", command_body("forward", county)))

    assert re.fullmatch(r"XF-\d{4}-000001", first["number"])
    assert second["number"] == first["number"].replace("000001", "000002")
    assert moved["number"] == first["number"]
    assert office.view(first["id"])["number"] == first["number"]


def test_the_case_as_of_a_past_moment_shows_that_moments_status_and_version(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    case = office.drive("in_progress", sponsor=None)
    events = office.history(case["id"])
    forwarded, accepted = events[1], events[2]
    assert (forwarded["type"], accepted["type"]) == ("Forwarded", "Accepted")
    just_before_acceptance = moment(accepted["recorded_at"]) - timedelta(microseconds=1)

    at_forwarding = office.get(case["id"], as_of=forwarded["recorded_at"])
    before_acceptance = office.get(case["id"], as_of=just_before_acceptance.isoformat())
    at_acceptance = office.get(case["id"], as_of=accepted["recorded_at"])

    assert (ok(at_forwarding)["status"], ok(at_forwarding)["version"]) == ("forwarded", 2)
    assert at_forwarding.headers["ETag"] == '"2"'
    assert (ok(before_acceptance)["status"], ok(before_acceptance)["version"]) == ("forwarded", 2)
    assert ok(at_acceptance)["status"] == "accepted"
    assert ok(at_acceptance)["handler_id"] == str(county.actors["handler"].id)
    assert ok(at_acceptance)["version"] == 3
    assert office.view(case["id"])["version"] == 4


def test_as_of_needs_an_offset_and_any_offset_names_the_same_instant(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    case = office.drive("forwarded", sponsor=None)
    forwarded_at = moment(office.history(case["id"])[1]["recorded_at"])
    in_beijing = forwarded_at.astimezone(datetime.fromisoformat(REGISTERED_AT).tzinfo)

    response = office.get(case["id"], as_of=in_beijing.isoformat())
    naive = office.get(case["id"], as_of=in_beijing.replace(tzinfo=None).isoformat())

    assert in_beijing.isoformat().endswith("+08:00")
    assert ok(response)["version"] == 2
    assert assert_error(naive, 422)["errors"] == {
        "as_of": ["请填写带时区的时间（如 2026-11-20T09:30:00+08:00）"]
    }


def test_a_case_as_of_before_it_was_recorded_is_not_found_whatever_its_business_time(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    case = office.register(occurred_at=REGISTERED_AT)
    recorded = moment(case["recorded_at"])

    just_before = office.get(case["id"], as_of=(recorded - timedelta(seconds=1)).isoformat())
    after_business_time = office.get(case["id"], as_of="2025-03-07T00:00:00+08:00")

    assert case["registered_at"] == REGISTERED_AT
    for response in (just_before, after_business_time):
        body = assert_error(response, 404)
        assert body["message"] == "该时刻此信访事项尚未登记"
    assert ok(office.get(case["id"], as_of=case["recorded_at"]))["version"] == 1


def test_history_entries_say_who_when_and_why(client: FlaskClient, county: County) -> None:
    office = Office(client, county)
    case = office.register(occurred_at=REGISTERED_AT)
    forward = {**command_body("forward", county), "occurred_at": FORWARDED_AT}
    ok(office.send("dispatcher", case["id"], "forward", forward))
    objection = {"reason": "该事项属于人社局职责", "occurred_at": "2025-03-11T15:00:00+08:00"}
    ok(office.send("head", case["id"], "object", objection))

    response = client.get(f"{API}/cases/{case['id']}/history", headers=county.headers("auditor"))

    trail = ok(response)
    assert trail["case_id"] == case["id"]
    assert trail["number"] == case["number"]
    events = trail["events"]
    assert [e["version"] for e in events] == [1, 2, 3]
    assert [e["type"] for e in events] == ["Registered", "Forwarded", "Objected"]
    assert [e["occurred_at"] for e in events] == [
        REGISTERED_AT,
        FORWARDED_AT,
        "2025-03-11T15:00:00+08:00",
    ]
    assert [e["reason"] for e in events] == [None, None, "该事项属于人社局职责"]
    for entry, who in zip(events, ["clerk", "dispatcher", "head"], strict=True):
        assert set(entry) == {
            "version",
            "type",
            "recorded_at",
            "occurred_at",
            "actor",
            "reason",
            "on_behalf_of",
            "data",
        }
        actor = county.actors[who]
        assert entry["actor"] == {
            "id": str(actor.id),
            "name": actor.name,
            "role": actor.role.value,
            "unit_id": str(actor.unit_id),
        }
        assert moment(entry["recorded_at"]) > moment(entry["occurred_at"])
    recorded = [moment(e["recorded_at"]) for e in events]
    assert recorded == sorted(recorded)
    assert events[1]["data"]["unit_id"] == str(county.units["housing"])
    assert events[0]["data"]["petitioners"] == [PETITIONER]


def test_history_is_complete_one_entry_per_change(client: FlaskClient, county: County) -> None:
    office = Office(client, county)
    case = office.drive("closed")

    events = office.history(case["id"])

    assert [e["type"] for e in events] == [
        "Registered",
        "LeaderChanged",
        "Forwarded",
        "Accepted",
        "WorkStarted",
        "Responded",
        "Closed",
    ]
    assert [e["version"] for e in events] == list(range(1, case["version"] + 1))


def test_chinese_text_round_trips_unchanged(client: FlaskClient, county: County) -> None:
    office = Office(client, county)
    petitioner = {
        "name": "欧阳𠮷娜",
        "id_number": "11010119900101123X",
        "phone": "＋86 138-1234-5678",
        "address": "城关镇幸福村３组「东头」",
    }
    text = "反映：“工资”被拖欠（约￥３万元）；𠮷祥小区——请核查！\n第二行 ①②③"
    case = office.register(subject="关于拖欠工资的信访", content=text, petitioners=[petitioner])
    ok(office.send("dispatcher", case["id"], "flags", {"flag": "urgent", "on": True}))

    view = office.view(case["id"])
    raw = office.get(case["id"]).data.decode("utf-8")

    assert view["subject"] == "关于拖欠工资的信访"
    assert view["content"] == text
    assert view["petitioners"] == [petitioner]
    assert office.history(case["id"])[0]["data"]["content"] == text
    assert "欧阳𠮷娜" in raw
    assert "\\u" not in raw


def test_deadlines_in_the_case_view_have_rule_due_date_and_status(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    case = office.register(occurred_at=REGISTERED_AT)

    forward = {**command_body("forward", county), "occurred_at": FORWARDED_AT}
    view = ok(office.send("dispatcher", case["id"], "forward", forward))

    assert [(d["rule"], d["due_date"], d["status"]) for d in case["deadlines"]] == [
        ("sort_15", "2025-03-21", "severely_overdue"),
        ("notice_15", "2025-03-21", "severely_overdue"),
    ]
    assert [(d["rule"], d["due_date"], d["status"], d["met_on"]) for d in view["deadlines"]] == [
        ("sort_15", "2025-03-21", "met", "2025-03-10"),
        ("notice_15", "2025-03-25", "severely_overdue", None),
        # A window for the unit to object in is never overdue: unused, it expires (issue 9).
        ("object_5wd", "2025-03-17", "expired", None),
    ]
    for deadline in view["deadlines"]:
        assert {"rule", "due_date", "status", "started_on", "length", "unit"} <= set(deadline)
