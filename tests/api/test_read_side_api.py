"""Reads from the read side (issue 11): read-your-writes after every command with the views caught
up off the request path, ETag and If-None-Match (304), disclosure records of concurrent reads
saved in groups, each committed before its answer."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api import create_app, rendered
from projections.bootstrap import Services, bootstrap
from projections.settings import Settings
from tests.api.helpers import API, PETITIONER, Office, command_body, ok, registration, route
from tests.conftest import County, build_county

MODES = ("reader", "follower")
"""How the views catch up: only when a reader needs them (nothing after a save: a read that
did not wait on the log's position would miss the write), or by the follower thread (served)."""


@pytest.fixture(params=MODES)
def deferred(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Services]:
    """Services whose saves do not catch the views up in the saving thread."""
    follow = request.param == "follower"
    built = bootstrap(settings, inline_projections=False, follow=follow)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def app_and_county(deferred: Services) -> tuple[Flask, County]:
    county = build_county(deferred.app)
    return create_app(deferred, {"TESTING": True}), county


@pytest.fixture
def office(app_and_county: tuple[Flask, County]) -> Office:
    flask_app, county = app_and_county
    return Office(flask_app.test_client(), county)


def access_count(office: Office, case_id: str) -> int:
    response = office.client.get(
        f"{API}/audit/access",
        query_string={"case_id": case_id},
        headers=office.headers("auditor"),
    )
    return len(ok(response))


def assert_reads_own_write(office: Office, view: dict[str, Any], who: str) -> None:
    """Right after a command answered `view`, every read shows it: the case (its ETag), its
    history, its ledger row."""
    case_id, version = view["id"], view["version"]
    response = office.client.get(f"{API}/cases/{case_id}", headers=office.headers(who))
    assert response.status_code == 200, response.get_json()
    assert response.headers["ETag"] == f'"{version}"'
    shown = response.get_json()
    assert (shown["version"], shown["status"]) == (version, view["status"])
    assert shown["deadlines"] == view["deadlines"]
    history = ok(office.client.get(f"{API}/cases/{case_id}/history", headers=office.headers(who)))
    assert history["events"][-1]["version"] == version
    assert [e["version"] for e in history["events"]] == list(range(1, version + 1))
    ledger = ok(
        office.client.get(
            f"{API}/ledger", query_string={"page_size": 200}, headers=office.headers("supervisor")
        )
    )
    (row,) = [r for r in ledger["items"] if r["case_id"] == case_id]
    assert (row["version"], row["status"]) == (version, view["status"])


@pytest.mark.parametrize("status", ["terminated", "closed", "registered", "diverted", "extended"])
def test_every_workflow_command_is_read_back_at_once(office: Office, status: str) -> None:
    view = office.register()
    assert_reads_own_write(office, view, "supervisor")
    leader = {**command_body("leader", office.county)}
    leader["leader_id"] = str(office.county.actors["leader"].id)
    view = ok(office.send("dispatcher", view["id"], "leader", leader))
    assert_reads_own_write(office, view, "supervisor")
    for step in route(status, office.county, "assigned" if status == "closed" else "forwarded"):
        view = ok(office.send(step.who, view["id"], step.path, step.fresh(office.county)))
        assert_reads_own_write(office, view, "supervisor")


ACTIVITIES = [
    ("handler", "visits"),
    ("handler", "progress"),
    ("dispatcher", "notices"),
    ("dispatcher", "flags"),
    ("clerk", "petitions"),
    ("dispatcher", "supervision-orders"),
    ("handler", "supervision-orders/1/answer"),
    ("head", "handler"),
    ("handler2", "dispositions"),
    ("clerk", "recusal-requests"),
    ("dispatcher", "recusal-decision"),
    ("dispatcher", "reassign"),
    ("clerk", "withdraw"),
]


def test_every_activity_command_is_read_back_at_once(office: Office) -> None:
    view = office.drive("in_progress")
    assert_reads_own_write(office, view, "supervisor")
    for who, path in ACTIVITIES:
        body = command_body(path, office.county)
        if path == "recusal-decision":
            body["granted"] = False
        view = ok(office.send(who, view["id"], path, body))
        assert_reads_own_write(office, view, "supervisor")


def test_an_unchanged_case_is_answered_304_and_logs_no_disclosure(office: Office) -> None:
    view = office.drive("in_progress")
    case_id = view["id"]
    url = f"{API}/cases/{case_id}"
    first = office.client.get(url, headers=office.headers("supervisor"))
    etag = first.headers["ETag"]
    assert etag == f'"{view["version"]}"'
    logged = access_count(office, case_id)

    again = office.client.get(url, headers=office.headers("supervisor", **{"If-None-Match": etag}))
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    history = office.client.get(
        f"{url}/history", headers=office.headers("supervisor", **{"If-None-Match": etag})
    )
    assert history.status_code == 304
    assert access_count(office, case_id) == logged  # nothing shown, nothing disclosed

    # Another version in If-None-Match, or none: the case itself, logged.
    other = office.client.get(url, headers=office.headers("supervisor", **{"If-None-Match": '"1"'}))
    assert other.status_code == 200
    assert access_count(office, case_id) == logged + 1

    changed = ok(
        office.send("handler", case_id, "progress", command_body("progress", office.county))
    )
    after = office.client.get(url, headers=office.headers("supervisor", **{"If-None-Match": etag}))
    assert after.status_code == 200
    assert after.headers["ETag"] == f'"{changed["version"]}"' != etag
    assert after.get_json()["version"] == changed["version"]
    history = office.client.get(
        f"{url}/history", headers=office.headers("supervisor", **{"If-None-Match": etag})
    )
    assert history.status_code == 200
    assert history.headers["ETag"] == f'"{changed["version"]}"'


def test_if_none_match_does_not_reveal_a_hidden_case(office: Office) -> None:
    accusation = office.register(
        category="accusation", accused_unit_ids=[str(office.county.units["housing"])]
    )
    headers = office.headers("head", **{"If-None-Match": f'"{accusation["version"]}"'})
    assert office.client.get(f"{API}/cases/{accusation['id']}", headers=headers).status_code == 404
    history = office.client.get(f"{API}/cases/{accusation['id']}/history", headers=headers)
    assert history.status_code == 404


def test_concurrent_disclosing_reads_are_each_logged(
    app_and_county: tuple[Flask, County], deferred: Services
) -> None:
    flask_app, county = app_and_county
    office = Office(flask_app.test_client(), county)
    case = office.drive("in_progress")
    before = access_count(office, case["id"])
    readers, rounds = 8, 5
    start = threading.Barrier(readers)
    statuses: list[int] = []

    def read() -> None:
        client: FlaskClient = flask_app.test_client()
        start.wait()
        for _ in range(rounds):
            response = client.get(f"{API}/cases/{case['id']}", headers=county.headers("supervisor"))
            statuses.append(response.status_code)

    groups_before = deferred.app._group.groups
    threads = [threading.Thread(target=read) for _ in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * (readers * rounds)
    entries = ok(
        office.client.get(
            f"{API}/audit/access",
            query_string={"case_id": case["id"], "limit": 500},
            headers=office.headers("auditor"),
        )
    )
    assert len(entries) - before == readers * rounds
    new = entries[: readers * rounds]
    assert {(e["action"], e["actor"]["role"], tuple(e["fields"])) for e in new} == {
        ("read_case", "supervisor", ("petitioner_identity",))
    }
    # However they were grouped, every record is in the log once.
    assert deferred.app._group.groups - groups_before <= readers * rounds


def test_a_case_view_row_copied_onto_another_case_is_refused_and_the_case_replayed(
    office: Office, deferred: Services, caplog: pytest.LogCaptureFixture
) -> None:
    target, source = office.drive("in_progress"), office.register(subject="另一件事项")
    office.client.get(f"{API}/cases/{source['id']}", headers=office.headers("supervisor"))
    rows = {
        row["case_id"]: row
        for row in deferred.views.query("SELECT case_id, version, state FROM {p}ledger_case_states")
    }
    copied = rows[UUID(source["id"]).hex]
    with deferred.views.transaction() as cursor:
        deferred.views.run(
            cursor,
            "UPDATE {p}ledger_case_states SET state = ?, version = ? WHERE case_id = ?",
            [copied["state"], copied["version"], UUID(target["id"]).hex],
        )

    with caplog.at_level(logging.ERROR):
        shown = ok(
            office.client.get(f"{API}/cases/{target['id']}", headers=office.headers("supervisor"))
        )
        moved = ok(
            office.send(
                "handler", target["id"], "progress", command_body("progress", office.county)
            )
        )
    assert (shown["id"], shown["version"], shown["subject"]) == (
        target["id"],
        target["version"],
        target["subject"],
    )
    assert moved["version"] == target["version"] + 1
    logged = [r.getMessage() for r in caplog.records]
    assert any("the case view could not be read" in m for m in logged), logged
    assert any("the case is replayed instead" in m for m in logged), logged


def test_a_history_renders_only_its_new_entries_and_a_masked_one_anew_when_a_petitioner_joins(
    app_and_county: tuple[Flask, County], deferred: Services
) -> None:
    """A history is kept entry by entry, by the viewer's standing: after one more event only
    that entry is rendered for a viewer who sees the petitioner, and every answer is the one a
    fresh process gives. A masked viewer's kept entries are not shown again once someone else
    petitions in the case: free text naming them is scrubbed in the older entries too."""
    flask_app, county = app_and_county
    office = Office(flask_app.test_client(), county)
    case = office.drive("in_progress")
    reassign = {**command_body("reassign", county), "unit_id": str(county.units["labour"])}
    ok(office.send("dispatcher", case["id"], "reassign", reassign))
    order = {**command_body("supervision-orders", county), "text": "王五反映的情况一并核查"}
    ok(office.send("supervisor", case["id"], "supervision-orders", order))
    table = flask_app.extensions[rendered.EXTENSION]
    url = f"{API}/cases/{case['id']}/history"

    def trail(who: str) -> str:
        response = office.client.get(url, headers=office.headers(who))
        assert response.status_code == 200
        return response.get_data(as_text=True)

    assert "王五" in trail("auditor")
    assert "王五" in trail("handler")  # the former holder: masked, but 王五 petitions in nothing

    link = {**command_body("petitions", county), "petitioners": [PETITIONER, {"name": "王五"}]}
    linked = ok(office.send("clerk", case["id"], "petitions", link))
    before = table.entries_rendered
    seen = trail("auditor")
    assert table.entries_rendered == before + 1  # the new event only
    masked = trail("handler")
    assert table.entries_rendered == before + 1 + linked["version"]  # every entry, afresh

    fresh = Office(create_app(deferred, {"TESTING": True}).test_client(), county)
    for who, body in (("auditor", seen), ("handler", masked)):
        again = fresh.client.get(url, headers=fresh.headers(who))
        assert again.get_data(as_text=True) == body, who
    assert "王五反映的情况一并核查" in seen
    assert "王五" not in masked
    entries = ok(office.client.get(url, headers=office.headers("handler")))["events"]
    assert [e["version"] for e in entries] == list(range(1, linked["version"] + 1))


def test_in_debug_mode_a_history_is_indented_like_every_other_answer(
    app_and_county: tuple[Flask, County], deferred: Services
) -> None:
    """Flask indents its JSON in debug mode; the history, kept entry by entry otherwise, is then
    rendered whole like the rest, with the same content."""
    flask_app, county = app_and_county
    office = Office(flask_app.test_client(), county)
    case = office.drive("in_progress")
    debug = create_app(deferred, {"TESTING": True, "DEBUG": True})
    assert debug.debug
    path = f"{API}/cases/{case['id']}/history"
    indented = debug.test_client().get(path, headers=office.headers("auditor"))
    compact = office.client.get(path, headers=office.headers("auditor"))
    assert indented.status_code == compact.status_code == 200
    assert indented.get_data(as_text=True).startswith('{\n  "case_id"')
    assert b"\n" not in compact.get_data().rstrip(b"\n")
    assert indented.get_json() == compact.get_json()


def test_rendered_answers_are_kept_by_standing_and_every_disclosing_read_is_still_logged(
    app_and_county: tuple[Flask, County],
) -> None:
    """GET case and history answers are kept rendered by (version, whether the viewer sees the
    petitioner): a masked viewer never gets the bytes kept for one who sees, every read that
    shows the identity is logged even when served from the table, a new version is rendered
    afresh."""
    flask_app, county = app_and_county
    office = Office(flask_app.test_client(), county)
    case = office.drive("in_progress")
    reassign = {**command_body("reassign", county), "unit_id": str(county.units["labour"])}
    case = ok(office.send("dispatcher", case["id"], "reassign", reassign))
    table = flask_app.extensions[rendered.EXTENSION]
    url = f"{API}/cases/{case['id']}"
    secret = registration()["petitioners"][0]["id_number"]
    before = access_count(office, case["id"])

    for _ in range(2):
        for path in (url, f"{url}/history"):
            seen = office.client.get(path, headers=office.headers("auditor"))
            masked = office.client.get(path, headers=office.headers("handler"))
            assert seen.status_code == masked.status_code == 200
            assert secret in seen.get_data(as_text=True)
            assert secret not in masked.get_data(as_text=True)
            assert seen.headers["ETag"] == masked.headers["ETag"] == f'"{case["version"]}"'
    assert table.hits >= 4  # the second round came from the table
    assert ok(office.client.get(url, headers=office.headers("handler")))["identity_masked"]
    # Four reads by the auditor showed the identity: four records; the handler's none.
    assert access_count(office, case["id"]) == before + 4

    changed = ok(office.send("dispatcher", case["id"], "flags", command_body("flags", county)))
    view = ok(office.client.get(url, headers=office.headers("auditor")))
    assert view["version"] == changed["version"] == case["version"] + 1
    history = ok(office.client.get(f"{url}/history", headers=office.headers("auditor")))
    assert history["events"][-1]["version"] == changed["version"]
