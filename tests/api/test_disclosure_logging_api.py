"""Every disclosure is logged (issue 10, H2): ledger pages, the cases ready to close, the agenda
and the backlog log each row whose identity they showed, once per case, in one save per request
(committed before the answer); `?as_of=` reads are logged like the others; an idempotent retry is
answered by the caller's rights now, not those they had at the first answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from domain.application import Xinfang
from tests.api.helpers import API, PETITIONER, Office, command_body, now_iso, ok
from tests.conftest import County


def access_log(client: FlaskClient, county: County, **query: Any) -> list[dict[str, Any]]:
    """GET /audit/access as the auditor (asserting 200)."""
    response = client.get(
        f"{API}/audit/access", query_string=query, headers=county.headers("auditor")
    )
    entries: list[dict[str, Any]] = ok(response)
    return entries


def counting_saves(monkeypatch: pytest.MonkeyPatch, app: Xinfang) -> list[int]:
    """How many aggregates each `app.save` call of the test saved, in order."""
    saves: list[int] = []
    save: Callable[..., Any] = app.save

    def counted(*items: Any, **kwargs: Any) -> Any:
        saves.append(len(items))
        return save(*items, **kwargs)

    monkeypatch.setattr(app, "save", counted)
    return saves


def flagged(office: Office, flag: str) -> dict[str, Any]:
    """A case in progress carrying `flag` (key_case: on the agenda; backlog: in the register)."""
    case = office.drive("in_progress")
    return ok(office.send("dispatcher", case["id"], "flags", {"flag": flag, "on": True}))


@pytest.mark.parametrize(
    ("path", "who", "action", "flag"),
    [
        ("ledger", "clerk", "read_ledger", None),
        ("ledger?as_of", "dispatcher", "read_ledger", None),
        ("accountability/agenda", "supervisor", "read_agenda", "key_case"),
        ("accountability/backlog", "dispatcher", "read_backlog", "backlog"),
    ],
)
def test_each_row_shown_with_identity_is_logged_in_one_event(
    client: FlaskClient,
    county: County,
    *,
    xinfang: Xinfang,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    who: str,
    action: str,
    flag: str | None,
) -> None:
    office = Office(client, county)
    cases = [flagged(office, flag) if flag else office.drive("in_progress") for _ in range(3)]
    saves = counting_saves(monkeypatch, xinfang)

    query = {"as_of": now_iso()} if path.endswith("?as_of") else {}
    url = f"{API}/{path.removesuffix('?as_of')}"
    ok(client.get(url, query_string=query, headers=county.headers(who)))

    assert saves == [1]  # one event for the whole answer: one leaf of the audit tree
    positions = set()
    for case in cases:
        entries = access_log(client, county, case_id=case["id"])
        assert [(e["action"], e["actor"]["role"], e["fields"]) for e in entries] == [
            (action, who, ["petitioner_identity"])
        ]
        positions.add(entries[0]["position"])
    assert len(positions) == 1


def test_a_masked_ledger_page_logs_nothing(client: FlaskClient, county: County) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")
    reassign = {**command_body("reassign", county), "unit_id": str(county.units["labour"])}
    ok(office.send("dispatcher", case["id"], "reassign", reassign))

    page = ok(client.get(f"{API}/ledger", headers=county.headers("handler")))

    assert [row["identity_masked"] for row in page["items"]] == [True]
    assert access_log(client, county, case_id=case["id"]) == []


def test_reading_a_case_as_of_a_past_moment_is_logged(client: FlaskClient, county: County) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")

    ok(office.get(case["id"], "clerk", as_of=now_iso()))

    entries = access_log(client, county, case_id=case["id"])
    assert [(e["action"], e["actor"]["role"]) for e in entries] == [("read_case", "clerk")]


def test_an_idempotent_retry_is_answered_by_the_callers_rights_now(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")
    key = {"Idempotency-Key": "progress-1"}
    body = command_body("progress", county)
    first = ok(office.send("handler", case["id"], "progress", body, **key))
    reassign = {**command_body("reassign", county), "unit_id": str(county.units["labour"])}
    ok(office.send("dispatcher", case["id"], "reassign", reassign))

    retry = ok(office.send("handler", case["id"], "progress", body, **key))

    assert first["petitioners"] == [PETITIONER]
    assert retry["version"] == first["version"]
    assert retry["identity_masked"] is True
    assert retry["petitioners"][0]["name"] == "张*"
    assert PETITIONER["phone"] not in str(retry)
