"""Hostile input: oversized and malformed bodies, unknown fields, injection-looking text, guessing.

Every refusal has the error shape of api.md and records nothing; text that looks like SQL, HTML
or a spreadsheet formula is stored and shown exactly as typed, and never run.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from werkzeug.test import TestResponse

from api import MAX_BODY_BYTES
from api.errors import NOT_JSON
from api.guards import FAILED_LOGINS_ALLOWED, MAX_NESTING
from tests.api.helpers import (
    API,
    BUSINESS_TIMES,
    Office,
    assert_error,
    due_in,
    now_iso,
    ok,
    registration,
)
from tests.conftest import County

HOSTILE = (
    "'; DROP TABLE stored_events; --",
    "'); DROP TABLE xinfang_events; --",
    "1 OR 1=1",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://x","y")',
    "@SUM(1)",
    "+cmd|' /C calc'!A0",
    "-2+3",
)
"""SQL-looking, script-looking and formula-looking text (each ≤ 40 characters: fits an ID field)."""


def post_raw(
    client: FlaskClient, path: str, data: bytes, headers: dict[str, str], **kwargs: Any
) -> TestResponse:
    """POST bytes as a JSON body, whatever they are."""
    return client.post(
        f"{API}{path}",
        data=data,
        headers={**headers, "Content-Type": "application/json"},
        **kwargs,
    )


def ledger_total(client: FlaskClient, county: County) -> int:
    """How many cases the ledger holds (as a clerk, who sees them all)."""
    total: int = ok(client.get(f"{API}/ledger", headers=county.headers("clerk")))["total"]
    return total


# -- malformed bodies ----------------------------------------------------------------------------
def test_an_oversized_body_is_refused_with_413_and_records_nothing(
    client: FlaskClient, county: County
) -> None:
    clerk = county.headers("clerk")
    big = json.dumps(registration(content="长" * (MAX_BODY_BYTES // 3 + 1)), ensure_ascii=False)
    padded = json.dumps(registration()) + " " * MAX_BODY_BYTES

    answers = [
        post_raw(client, "/cases", big.encode(), clerk),
        post_raw(client, "/cases", padded.encode(), clerk),
        # Streamed (chunked) without Content-Length, as gunicorn passes it on.
        post_raw(
            client,
            "/cases",
            b"",
            {**clerk, "Transfer-Encoding": "chunked"},
            input_stream=io.BytesIO(padded.encode()),
            environ_overrides={"wsgi.input_terminated": True},
        ),
    ]

    for response in answers:
        body = assert_error(response, 413)
        assert body["message"] == f"请求内容超过 {MAX_BODY_BYTES} 字节的上限"
    assert ledger_total(client, county) == 0


UNREADABLE = {
    "nested 100,000 deep": (
        b'{"subject": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        f"请求的 JSON 内容嵌套超过 {MAX_NESTING} 层",
    ),
    "objects nested 40 deep": (
        b'{"petitioners": [' + b'{"name": ' * 40 + b"1" + b"}" * 40 + b"]}",
        f"请求的 JSON 内容嵌套超过 {MAX_NESTING} 层",
    ),
    "invalid UTF-8": (b'{"subject": "\xff\xfe"}', NOT_JSON),
    "an encoded surrogate": (
        b'{"subject": "\xed\xa0\x80"}',
        NOT_JSON,
    ),
    "an escaped lone surrogate": (
        b'{"subject": "\\ud800"}',
        "请求的 JSON 内容含有不成对的 UTF-16 代理字符（\\uD800-\\uDFFF）",
    ),
    "a 5,000-digit number": (
        b'{"collective_size": ' + b"9" * 5000 + b"}",
        "请求的 JSON 内容中有位数过多的数字",
    ),
    "cut short": (b'{"subject": "x",', NOT_JSON),
}
"""Bodies no schema can read, and the message of the 400 each gets."""


def test_a_body_that_is_not_readable_json_is_a_bad_request(
    client: FlaskClient, county: County, subtests: pytest.Subtests
) -> None:
    office = Office(client, county)
    case = office.register()

    for kind, (data, message) in UNREADABLE.items():
        with subtests.test(kind):
            answers = [
                post_raw(client, "/cases", data, county.headers("clerk")),
                post_raw(client, f"/cases/{case['id']}/progress", data, county.headers("handler")),
                post_raw(client, "/petitioners/search", data, county.headers("clerk")),
            ]

            for response in answers:
                assert assert_error(response, 400)["message"] == message

    assert ledger_total(client, county) == 1
    assert office.view(case["id"])["version"] == 1


def test_json_that_is_not_an_object_is_invalid_input(client: FlaskClient, county: County) -> None:
    office = Office(client, county)
    case = office.register()

    for data in (b"[]", b'["x"]', b'"text"', b"42", b"true", b"null"):
        for path, who in (("/cases", "clerk"), (f"/cases/{case['id']}/progress", "handler")):
            response = post_raw(client, path, data, county.headers(who))
            assert assert_error(response, 422)["errors"] == {"_schema": ["应为 JSON 对象"]}
    assert ledger_total(client, county) == 1


def test_unknown_fields_are_invalid_input_naming_each_field(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    clerk = county.headers("clerk")
    petitioner = {**registration()["petitioners"][0], "password": "x"}

    top = client.post(f"{API}/cases", json=registration(colour="red"), headers=clerk)
    nested = client.post(f"{API}/cases", json=registration(petitioners=[petitioner]), headers=clerk)
    case = office.register()
    command = office.send("supervisor", case["id"], "flags", {"flag": "urgent", "on": True, "x": 1})
    search = client.post(f"{API}/petitioners/search", json={"email": "a@b.c"}, headers=clerk)

    assert assert_error(top, 422)["errors"] == {"colour": ["不接受此项（未知字段）"]}
    assert assert_error(nested, 422)["errors"] == {
        "petitioners": {"0": {"password": ["不接受此项（未知字段）"]}}
    }
    assert assert_error(command, 422)["errors"] == {"x": ["不接受此项（未知字段）"]}
    assert assert_error(search, 422)["errors"] == {"email": ["不接受此项（未知字段）"]}
    assert ledger_total(client, county) == 1
    assert office.view(case["id"])["version"] == 1


# -- injection-looking text ----------------------------------------------------------------------
def petitioner(text: str) -> dict[str, str]:
    """A petitioner whose every identity field is `text`."""
    return {"name": text, "id_number": text, "phone": text, "address": text}


def lifecycle(text: str, county: County) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
    """Commands (who, path, body) that put `text` into every free-text field, per case.

    `main` goes through handling, response, review, closing, reopening and withdrawal; the
    others end as diverted, not accepted, and with a returned completion report.
    """
    user, unit = county.actors, county.units
    reasoned = {"reason": text}
    return {
        "main": [
            ("dispatcher", "leader", {"leader_id": str(user["leader"].id), **reasoned}),
            ("dispatcher", "forward", {"unit_id": str(unit["housing"]), **reasoned}),
            ("head", "accept", {"handler_id": str(user["handler"].id), **reasoned}),
            ("handler", "start-work", reasoned),
            (
                "handler",
                "visits",
                {"kind": "home_visit", "held_at": now_iso(), "notes": text, **reasoned},
            ),
            ("handler", "progress", {"note": text, **reasoned}),
            ("head", "extend", {"days": 10, "approved_by": text, **reasoned}),
            (
                "clerk",
                "notices",
                {"kind": "receipt", "method": text, "delivered_at": now_iso(), **reasoned},
            ),
            ("supervisor", "supervision-orders", {"due_date": due_in(5), "text": text}),
            ("handler", "supervision-orders/1/answer", {"text": text}),
            ("handler", "dispositions", {"kinds": ["resolved"], "note": text}),
            (
                "handler",
                "respond",
                {"outcome": "supported", "text": text, "delivered_at": now_iso()},
            ),
            ("clerk", "follow-up", {"satisfaction": "satisfied", "note": text}),
            (
                "clerk",
                "petitions",
                {"channel": "phone", "content": text, "petitioners": [petitioner(text)]},
            ),
            ("supervisor", "flags", {"flag": "key_case", "on": True, **reasoned}),
            ("supervisor", "flags", {"flag": "key_case", "on": False, **reasoned}),
            ("clerk", "request-review", reasoned),
            (
                "supervisor",
                "decide-review",
                {"decision": "upheld", "text": text, "delivered_at": now_iso()},
            ),
            ("dispatcher", "close", {"resolution": "settled", **reasoned}),
            ("dispatcher", "reopen", {"approved_by": text, **reasoned}),
            ("clerk", "withdraw", reasoned),
        ],
        "diverted": [("dispatcher", "divert", {"target": text, **reasoned})],
        "not_accepted": [("dispatcher", "not-accept", reasoned)],
        "returned": [
            ("dispatcher", "assign", {"unit_id": str(unit["housing"]), "due_date": due_in(30)}),
            ("head", "accept", {"handler_id": str(user["handler"].id)}),
            ("handler", "start-work", {}),
            ("handler", "submit-report", {"text": text}),
            ("dispatcher", "return-report", reasoned),
            ("dispatcher", "reassign", {"unit_id": str(unit["labour"]), **reasoned}),
        ],
    }


def assert_recorded_verbatim(entry: dict[str, Any], body: dict[str, Any], text: str) -> None:
    """Every field of `body` that held `text` shows it unchanged in the history entry."""
    for name, value in body.items():
        if name == "reason":
            assert entry["reason"] == text, (entry["type"], name)
        elif value == text:
            assert entry["data"][name] == text, (entry["type"], name)
        elif name == "petitioners":
            assert entry["data"][name] == value, (entry["type"], name)


def test_injection_looking_text_in_every_field_is_kept_verbatim_and_never_run(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    numbers: dict[str, str] = {}

    for text in HOSTILE:
        for kind in ("main", "diverted", "not_accepted", "returned"):
            case = office.register(
                subject=text, content=text, location=text, petitioners=[petitioner(text)]
            )
            numbers[case["number"]] = text
            sent = {}
            for who, path, planned in lifecycle(text, county)[kind]:
                # Business times taken as each command is sent: after the step it follows.
                body = {**planned, **{k: now_iso() for k in BUSINESS_TIMES & set(planned)}}
                view = ok(office.send(who, case["id"], path, body))
                sent[view["version"]] = body

            history = {e["version"]: e for e in office.history(case["id"], "clerk")}
            registered = history[1]["data"]
            assert (registered["subject"], registered["content"]) == (text, text), kind
            assert registered["petitioners"] == [petitioner(text)]
            for version, body in sent.items():
                assert_recorded_verbatim(history[version], body, text)
            view = office.view(case["id"], "clerk")
            assert (view["subject"], view["content"], view["location"]) == (text, text, text)
            assert view["petitioners"] == [petitioner(text)]
            if kind == "main":
                assert view["response_text"] == text
                assert view["supervision_orders"][0]["text"] == text
                assert view["supervision_orders"][0]["answer"] == text
            if kind == "diverted":
                assert view["diverted_to"] == text

    # Nothing was executed: the tables are all there, and the next request works as before.
    assert ok(office.send("dispatcher", office.register()["id"], "divert", {"target": "法院"}))
    assert ledger_total(client, county) == len(numbers) + 1
    page = ok(client.get(f"{API}/ledger?page_size=500", headers=county.headers("clerk")))
    for row in page["items"]:
        if row["number"] in numbers:
            text = numbers[row["number"]]
            assert (row["subject"], row["location"]) == (text, text)
            assert {p["name"] for p in row["petitioners"]} == {text}
    assert_workbook_holds_text_only(client, county, numbers)


def assert_workbook_holds_text_only(
    client: FlaskClient, county: County, numbers: dict[str, str]
) -> None:
    """The ledger export opens; every hostile cell is a string cell, none is a formula."""
    response = client.get(f"{API}/ledger.xlsx", headers=county.headers("clerk"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet is not None
    headers = [cell.value for cell in sheet[3]]
    columns = [headers.index(title) for title in ("信访人", "事由", "地点")]
    seen = set()
    for row in sheet.iter_rows(min_row=4):
        assert all(cell.data_type != "f" for cell in row)
        number = row[1].value
        if number not in numbers:
            continue
        seen.add(number)
        names, subject, location = (row[i] for i in columns)
        text = numbers[str(number)]
        assert (subject.value, location.value) == (text, text)
        assert set(str(names.value).split("、")) == {text}
        assert {names.data_type, subject.data_type, location.data_type} == {"s"}
    assert seen == set(numbers)


def test_a_search_with_sql_looking_text_matches_it_literally(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    office.register(subject="x' OR '1'='1 拖欠工资")
    office.register(subject="道路维修")
    clerk = county.headers("clerk")

    def found(q: str) -> list[str]:
        page = ok(client.get(f"{API}/ledger", query_string={"q": q}, headers=clerk))
        return [row["subject"] for row in page["items"]]

    assert found("' OR '1'='1") == ["x' OR '1'='1 拖欠工资"]
    assert found("%' OR 1=1 --") == []
    assert found("'; DROP TABLE ledger_cases; --") == []
    assert len(found("道路")) == 1


# -- guessing tokens -----------------------------------------------------------------------------
def test_too_many_failed_logins_from_one_address_get_429_while_valid_tokens_still_work(
    client: FlaskClient, county: County
) -> None:
    guess = {"Authorization": "Bearer guessed-token"}

    tries = [client.get(f"{API}/me", headers=guess) for _ in range(FAILED_LOGINS_ALLOWED)]
    refused = client.get(f"{API}/me", headers=guess)
    valid = client.get(f"{API}/me", headers=county.headers("clerk"))
    elsewhere = client.get(f"{API}/me", headers=guess, environ_base={"REMOTE_ADDR": "10.9.8.7"})

    for response in tries:
        assert_error(response, 401)
    body = assert_error(refused, 429)
    assert body["status"] == "Too Many Requests"
    assert "登录失败次数过多" in body["message"]
    assert int(refused.headers["Retry-After"]) > 0
    assert ok(valid)["role"] == "clerk"
    assert_error(elsewhere, 401)
