"""Versions, ETag, If-Match, Idempotency-Key, and many writers on one case at once (api.md)."""

from __future__ import annotations

import threading
import traceback
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from domain.application import Xinfang
from domain.directory import SYSTEM_ACTOR
from domain.values import Role
from tests.api.helpers import API, Office, assert_error, command_body, now_iso, ok, registration
from tests.conftest import County

WRITERS = 16


# -- ETag and version --------------------------------------------------------------------------
def test_every_case_answer_carries_its_version_as_etag(client: FlaskClient, county: County) -> None:
    office = Office(client, county)

    registered = client.post(f"{API}/cases", json=registration(), headers=county.headers("clerk"))
    case_id = registered.get_json()["id"]
    forwarded = office.send("dispatcher", case_id, "forward", command_body("forward", county))
    read = office.get(case_id)
    past = office.get(case_id, as_of=office.history(case_id)[0]["recorded_at"])

    for response, version in ((registered, 1), (forwarded, 2), (read, 2), (past, 1)):
        assert response.status_code in {200, 201}
        assert response.headers["ETag"] == f'"{version}"'
        assert response.get_json()["version"] == version


# -- If-Match ----------------------------------------------------------------------------------
def test_a_command_with_the_current_version_in_if_match_applies(
    client: FlaskClient, county: County, subtests: pytest.Subtests
) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")
    version = case["version"]

    for if_match in ('"{v}"', "{v}", 'W/"{v}"', "*"):
        with subtests.test(if_match=if_match):
            response = office.send(
                "handler",
                case["id"],
                "progress",
                {"note": "核实情况"},
                **{"If-Match": if_match.format(v=version)},
            )

            assert ok(response)["version"] == version + 1
            assert response.headers["ETag"] == f'"{version + 1}"'
            version += 1


def test_a_command_with_a_stale_version_is_a_conflict_and_records_nothing(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")
    stale = case["version"]
    ok(office.send("handler", case["id"], "progress", {"note": "第一次核实"}))
    before = office.history(case["id"])

    response = office.send(
        "handler2", case["id"], "progress", {"note": "第二次核实"}, **{"If-Match": f'"{stale}"'}
    )

    body = assert_error(response, 409)
    assert body["message"] == (
        f"该记录已更新至第 {stale + 1} 版，与 If-Match 所示的第 {stale} 版不符：请重新读取后再办理"
    )
    assert office.history(case["id"]) == before


# -- Idempotency-Key ---------------------------------------------------------------------------
def test_a_command_retried_with_its_key_is_recorded_once_and_answered_the_same(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")
    key = {"Idempotency-Key": "progress-2026-001"}

    first = office.send("handler", case["id"], "progress", {"note": "走访企业"}, **key)
    ok(office.send("handler2", case["id"], "progress", {"note": "另一条进展"}))
    retry = office.send("handler", case["id"], "progress", {"note": "走访企业"}, **key)

    assert first.status_code == retry.status_code == 200
    assert retry.get_json() == first.get_json()
    assert retry.headers["ETag"] == first.headers["ETag"] == f'"{case["version"] + 1}"'
    notes = [e["data"].get("note") for e in office.history(case["id"])]
    assert notes.count("走访企业") == 1
    assert office.view(case["id"])["version"] == case["version"] + 2


def test_a_registration_retried_with_its_key_makes_one_case(
    client: FlaskClient, county: County
) -> None:
    headers = county.headers("clerk", **{"Idempotency-Key": "intake-42"})

    first = client.post(f"{API}/cases", json=registration(), headers=headers)
    retry = client.post(f"{API}/cases", json=registration(), headers=headers)
    other = client.post(f"{API}/cases", json=registration(), headers=county.headers("clerk"))

    assert first.status_code == retry.status_code == 201
    assert retry.get_json() == first.get_json()
    assert other.get_json()["number"].endswith("000002")


def test_a_key_reused_for_another_command_is_refused(client: FlaskClient, county: County) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")
    other_case = office.drive("in_progress")
    key = {"Idempotency-Key": "k-1"}
    ok(office.send("head", case["id"], "progress", {"note": "进展"}, **key))
    before = office.history(case["id"])

    as_other_command = office.send(
        "head", case["id"], "dispositions", {"kinds": ["educated"]}, **key
    )
    on_other_case = office.send("head", other_case["id"], "progress", {"note": "进展"}, **key)
    as_registration = client.post(
        f"{API}/cases", json=registration(), headers=county.headers("clerk", **key)
    )

    message = "此 Idempotency-Key 已用于另一项请求，新的请求请另取一个"
    assert assert_error(as_other_command, 422)["message"] == message
    assert assert_error(on_other_case, 422)["message"] == message
    assert as_registration.status_code == 201
    assert office.history(case["id"]) == before
    assert office.view(other_case["id"])["version"] == other_case["version"]


def test_a_key_reused_with_another_body_is_refused_and_records_nothing(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")
    key = {"Idempotency-Key": "k-body"}
    ok(office.send("head", case["id"], "progress", {"note": "第一次"}, **key))
    before = office.history(case["id"])

    changed = office.send("head", case["id"], "progress", {"note": "第二次"}, **key)
    repeated = office.send("head", case["id"], "progress", {"note": "第一次"}, **key)

    error = assert_error(changed, 422)
    assert error["message"] == "此 Idempotency-Key 已随不同的请求内容使用过，新的请求请另取一个"
    assert error["errors"] == {"Idempotency-Key": [error["message"]]}
    assert ok(repeated)["version"] == before[-1]["version"]
    assert office.history(case["id"]) == before


def test_a_retry_after_losing_sight_of_the_case_gets_404(
    client: FlaskClient, county: County, xinfang: Xinfang
) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")
    key = {"Idempotency-Key": "k-moved"}
    ok(office.send("handler", case["id"], "progress", {"note": "进展"}, **key))
    handler = xinfang.get_user(county.actors["handler"].id)
    handler.change_role(
        role=Role.HANDLER,
        unit_id=county.units["labour"],
        actor=SYSTEM_ACTOR,
        occurred_at=datetime.now(UTC),
        reason="调往县人社局",
    )
    xinfang.save(handler)

    retried = office.send("handler", case["id"], "progress", {"note": "进展"}, **key)

    assert_error(retried, 404)


def test_a_key_belongs_to_one_user(client: FlaskClient, county: County) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")
    key = {"Idempotency-Key": "same-key"}

    mine = ok(office.send("handler", case["id"], "progress", {"note": "甲"}, **key))
    theirs = ok(office.send("handler2", case["id"], "progress", {"note": "乙"}, **key))

    assert theirs["version"] == mine["version"] + 1
    assert [e["data"].get("note") for e in office.history(case["id"])][-2:] == ["甲", "乙"]


def test_a_malformed_if_match_or_idempotency_key_is_refused(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")
    note = {"note": "核实"}

    bad_version = office.send("handler", case["id"], "progress", note, **{"If-Match": '"abc"'})
    bad_keys = [
        office.send("handler", case["id"], "progress", note, **{"Idempotency-Key": key})
        for key in ("", " ", "x" * 201)
    ]

    assert assert_error(bad_version, 422)["errors"] == {
        "If-Match": ['If-Match 须为记录的版本号，如 "3"']
    }
    for response in bad_keys:
        assert assert_error(response, 422)["errors"] == {
            "Idempotency-Key": ["Idempotency-Key 须为 1 至 200 个字符"]
        }
    assert office.view(case["id"])["version"] == case["version"]


# -- many writers at once ----------------------------------------------------------------------
def all_at_once(
    flask_app: Flask, send: Callable[[FlaskClient, int], TestResponse], writers: int = WRITERS
) -> list[TestResponse]:
    """Run `send(client, i)` in `writers` threads released together, each with its own client."""
    start = threading.Barrier(writers)
    answers: list[TestResponse | None] = [None] * writers
    failures: list[BaseException] = []

    def writer(i: int) -> None:
        client = flask_app.test_client()
        start.wait()
        try:
            answers[i] = send(client, i)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, "".join(traceback.format_exception(failures[0]))
    done = [a for a in answers if a is not None]
    assert len(done) == writers
    return done


def test_concurrent_commands_on_one_case_are_each_recorded_exactly_once(
    flask_app: Flask, client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")
    writers = ["handler", "handler2", "head"]

    def send(writer: FlaskClient, i: int) -> TestResponse:
        who = writers[i % len(writers)]
        if i % 4 == 3:
            body = {"kind": "reception", "held_at": now_iso(), "notes": f"接访 {i}"}
            return Office(writer, county).send(who, case["id"], "visits", body)
        return Office(writer, county).send(who, case["id"], "progress", {"note": f"进展 {i}"})

    answers = all_at_once(flask_app, send)

    codes = Counter(a.status_code for a in answers)
    assert not [c for c in codes if c >= 500], codes
    succeeded = sum(n for c, n in codes.items() if 200 <= c < 300)
    events = office.history(case["id"])
    assert len(events) - case["version"] == succeeded
    assert succeeded == WRITERS
    texts = [e["data"].get("note") or e["data"].get("notes") for e in events]
    for i in range(WRITERS):
        assert texts.count(f"接访 {i}" if i % 4 == 3 else f"进展 {i}") == 1
    assert sorted(a.get_json()["version"] for a in answers) == list(
        range(case["version"] + 1, case["version"] + WRITERS + 1)
    )


def test_a_burst_of_writers_on_one_case_all_get_through(
    flask_app: Flask, client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")
    burst = 48

    def send(writer: FlaskClient, i: int) -> TestResponse:
        return Office(writer, county).send("handler", case["id"], "progress", {"note": f"#{i}"})

    answers = all_at_once(flask_app, send, burst)

    assert Counter(a.status_code for a in answers) == {200: burst}
    notes = [e["data"].get("note") for e in office.history(case["id"])]
    assert sorted(n for n in notes if n) == sorted(f"#{i}" for i in range(burst))


def test_concurrent_retries_sharing_a_key_are_recorded_once_per_key(
    flask_app: Flask, client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")

    def send(writer: FlaskClient, i: int) -> TestResponse:
        pair = i // 2
        return Office(writer, county).send(
            "handler",
            case["id"],
            "progress",
            {"note": f"进展 {pair}"},
            **{"Idempotency-Key": f"pair-{pair}"},
        )

    answers = all_at_once(flask_app, send)

    assert Counter(a.status_code for a in answers) == {200: WRITERS}
    for pair in range(WRITERS // 2):
        assert answers[2 * pair].get_json() == answers[2 * pair + 1].get_json()
    events = office.history(case["id"])
    assert len(events) - case["version"] == WRITERS // 2
    notes = [e["data"].get("note") for e in events]
    for pair in range(WRITERS // 2):
        assert notes.count(f"进展 {pair}") == 1


def test_concurrent_commands_with_the_same_if_match_let_exactly_one_through(
    flask_app: Flask, client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")
    if_match = {"If-Match": f'"{case["version"]}"'}

    def send(writer: FlaskClient, i: int) -> TestResponse:
        return Office(writer, county).send(
            "handler", case["id"], "progress", {"note": f"进展 {i}"}, **if_match
        )

    answers = all_at_once(flask_app, send)

    assert Counter(a.status_code for a in answers) == {200: 1, 409: WRITERS - 1}
    events = office.history(case["id"])
    assert len(events) == case["version"] + 1
    winner = next(i for i, a in enumerate(answers) if a.status_code == 200)
    assert events[-1]["data"]["note"] == f"进展 {winner}"


def test_concurrent_registrations_get_distinct_consecutive_numbers(
    flask_app: Flask, client: FlaskClient, county: County
) -> None:
    def send(writer: FlaskClient, i: int) -> TestResponse:
        body = registration(subject=f"来访 {i}")
        return writer.post(f"{API}/cases", json=body, headers=county.headers("clerk"))

    answers = all_at_once(flask_app, send)

    assert Counter(a.status_code for a in answers) == {201: WRITERS}
    numbers = sorted(a.get_json()["number"] for a in answers)
    year = numbers[0][3:7]
    assert numbers == [f"XF-{year}-{n:06d}" for n in range(1, WRITERS + 1)]
    assert len({a.get_json()["id"] for a in answers}) == WRITERS
