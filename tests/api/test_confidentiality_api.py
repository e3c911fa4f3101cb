"""Accusations never reach the accused; identity only where it is needed (domain.md §7)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from domain.commands import CASE_COMMANDS
from domain.errors import NO_SUCH_CASE
from projections.disclosure import ACCUSATION_WITHHELD
from tests.api.helpers import API, PETITIONER, Office, assert_error, command_body, ok
from tests.conftest import County

ACCUSATION = "举报城关镇干部在危房改造补助发放中优亲厚友、虚报冒领。"

MASKED = {
    "name": "张*",
    "id_number": "1101**********1234",
    "phone": "138****5678",
    "address": "城关镇*****",
}
"""PETITIONER as viewers who do not need the identity see it."""

SECOND = {"name": "李四", "id_number": None, "phone": "13900001111", "address": None}
SECOND_MASKED = {"name": "李*", "id_number": None, "phone": "139****1111", "address": None}

ACCUSED_USERS = ["township_head", "village_handler"]


def accusing_township(office: Office, status: str = "in_progress") -> dict[str, Any]:
    """An accusation against 城关镇, handled by the housing bureau and sponsored by `leader`."""
    return office.drive(
        status,
        category="accusation",
        content=ACCUSATION,
        accused_unit_ids=[str(office.county.units["township"])],
    )


# -- the accused unit cannot be given the case -----------------------------------------------
def test_an_accusation_cannot_go_to_the_accused_unit_or_a_unit_below_it(
    client: FlaskClient, county: County, subtests: pytest.Subtests
) -> None:
    office = Office(client, county)
    registered = accusing_township(office, "registered")
    handled = accusing_township(office)
    refusal = {"unit_id": ["该单位（或其上级单位）是本事项的被反映单位，不能承办"]}

    for path, case in (("forward", registered), ("assign", registered), ("reassign", handled)):
        for unit in ("township", "village"):
            with subtests.test(path=path, unit=unit):
                body = {**command_body(path, county), "unit_id": str(county.units[unit])}

                response = office.send("dispatcher", case["id"], path, body)

                assert assert_error(response, 422)["errors"] == refusal

    assert office.view(registered["id"])["version"] == registered["version"]
    assert office.view(handled["id"])["version"] == handled["version"]


# -- the accused do not know the case exists ----------------------------------------------------
def test_the_accused_get_not_found_for_the_case_its_history_its_past_and_every_command(
    client: FlaskClient, county: County, subtests: pytest.Subtests
) -> None:
    office = Office(client, county)
    case = accusing_township(office)
    order = command_body("supervision-orders", county)
    ok(office.send("supervisor", case["id"], "supervision-orders", order))
    before = office.history(case["id"])
    registered_at = before[0]["recorded_at"]
    paths = [c.path.replace("<int:n>", "1") for c in CASE_COMMANDS]

    for who in ACCUSED_USERS:
        with subtests.test(who=who, reading=True):
            answers = [
                office.get(case["id"], who),
                office.get(case["id"], who, as_of=registered_at),
                client.get(f"{API}/cases/{case['id']}/history", headers=county.headers(who)),
            ]
            for response in answers:
                body = assert_error(response, 404)
                assert body["message"] == NO_SUCH_CASE
                assert ACCUSATION not in response.text
                assert PETITIONER["name"] not in response.text
        for path in paths:
            with subtests.test(who=who, path=path):
                response = office.send(who, case["id"], path, command_body(path, county))

                assert assert_error(response, 404)["message"] == NO_SUCH_CASE

    assert office.history(case["id"]) == before


def test_even_an_intake_clerk_of_a_unit_below_the_accused_gets_not_found(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    case = accusing_township(office)
    created = client.post(
        f"{API}/users",
        json={"name": "村接访员", "role": "clerk", "unit_id": str(county.units["village"])},
        headers=county.headers("admin"),
    ).get_json()
    headers = {"Authorization": f"Bearer {created['token']}"}

    read = client.get(f"{API}/cases/{case['id']}", headers=headers)
    notice = client.post(
        f"{API}/cases/{case['id']}/notices", json=command_body("notices", county), headers=headers
    )

    assert_error(read, 404)
    assert_error(notice, 404)
    assert office.view(case["id"])["version"] == case["version"]


# -- petitioner identity ---------------------------------------------------------------------
def reassigned_with_new_sponsor(office: Office, **fields: Any) -> dict[str, Any]:
    """A case the housing bureau held and passed to the labour bureau; leader2 took over."""
    case = office.drive("in_progress", **fields)
    county = office.county
    reassign = {**command_body("reassign", county), "unit_id": str(county.units["labour"])}
    ok(office.send("dispatcher", case["id"], "reassign", reassign))
    ok(office.send("dispatcher", case["id"], "leader", command_body("leader", county)))
    link = {**command_body("petitions", county), "petitioners": [PETITIONER, SECOND]}
    return ok(office.send("clerk", case["id"], "petitions", link))


SEES_IDENTITY = [
    "clerk",
    "dispatcher",
    "supervisor",
    "auditor",
    "labour_head",
    "labour_handler",
    "leader2",
]
"""Intake, steering and audit roles; the responsible unit; the present sponsor."""

MASKED_FOR = ["head", "handler", "handler2", "leader"]
"""People of the unit that held the case before, and the former sponsor."""

CANNOT_SEE = ["admin", "township_head", "village_handler"]
"""The admin does not act on cases; units that never held the case do not know it."""


def test_those_who_need_it_see_the_petitioners_identity_and_the_accusation(
    client: FlaskClient, county: County, subtests: pytest.Subtests
) -> None:
    office = Office(client, county)
    case = reassigned_with_new_sponsor(office, category="accusation", content=ACCUSATION)
    linked_content = command_body("petitions", county)["content"]

    for who in SEES_IDENTITY:
        with subtests.test(who=who):
            view = office.view(case["id"], who)
            events = office.history(case["id"], who)

            assert view["identity_masked"] is False
            assert view["petitioners"] == [PETITIONER, SECOND]
            assert view["content"] == ACCUSATION
            assert events[0]["data"]["petitioners"] == [PETITIONER]
            assert events[0]["data"]["content"] == ACCUSATION
            assert events[-1]["type"] == "PetitionLinked"
            assert events[-1]["data"]["petitioners"] == [PETITIONER, SECOND]
            assert events[-1]["data"]["content"] == linked_content


def test_former_holders_see_the_case_with_identity_masked_and_the_accusation_withheld(
    client: FlaskClient, county: County, subtests: pytest.Subtests
) -> None:
    office = Office(client, county)
    case = reassigned_with_new_sponsor(office, category="accusation", content=ACCUSATION)
    events = office.history(case["id"])
    reassigned = next(n for n, e in enumerate(events) if e["type"] == "Reassigned")
    while_they_held_it = events[reassigned - 1]["recorded_at"]
    secrets = (PETITIONER["id_number"], PETITIONER["phone"], "张三", "李四", ACCUSATION)

    for who in MASKED_FOR:
        with subtests.test(who=who):
            now = office.get(case["id"], who)
            past = ok(office.get(case["id"], who, as_of=while_they_held_it))
            trail = client.get(f"{API}/cases/{case['id']}/history", headers=county.headers(who))
            view, events = ok(now), ok(trail)["events"]

            assert view["identity_masked"] is True
            assert view["petitioners"] == [MASKED, SECOND_MASKED]
            assert view["content"] == ACCUSATION_WITHHELD
            assert view["subject"] == case["subject"]
            assert past["petitioners"] == [MASKED]
            assert past["content"] == ACCUSATION_WITHHELD
            assert events[0]["data"]["petitioners"] == [MASKED]
            assert events[0]["data"]["content"] == ACCUSATION_WITHHELD
            assert events[-1]["data"]["petitioners"] == [MASKED, SECOND_MASKED]
            assert events[-1]["data"]["content"] == ACCUSATION_WITHHELD
            for secret in secrets:
                assert secret not in trail.text
                assert secret not in now.text
    with subtests.test("a former sponsor's reception is answered masked"):
        visit = {**command_body("visits", county), "kind": "reception"}

        view = ok(office.send("leader", case["id"], "visits", visit))

        assert view["petitioners"] == [MASKED, SECOND_MASKED]
        assert view["content"] == ACCUSATION_WITHHELD


def test_a_claim_is_masked_but_its_content_is_shown(client: FlaskClient, county: County) -> None:
    office = Office(client, county)
    case = reassigned_with_new_sponsor(office)

    view = office.view(case["id"], "handler")
    events = office.history(case["id"], "handler")

    assert view["petitioners"] == [MASKED, SECOND_MASKED]
    assert view["content"] == case["content"]
    assert events[-1]["data"]["content"] == command_body("petitions", county)["content"]


def test_others_do_not_know_the_case_exists(client: FlaskClient, county: County) -> None:
    office = Office(client, county)
    case = reassigned_with_new_sponsor(office, category="accusation", content=ACCUSATION)
    never_sponsored = office.drive("in_progress")

    for who in CANNOT_SEE:
        history = client.get(f"{API}/cases/{case['id']}/history", headers=county.headers(who))
        assert_error(office.get(case["id"], who), 404)
        assert_error(history, 404)
    assert_error(office.get(never_sponsored["id"], "leader2"), 404)
    assert ok(office.get(never_sponsored["id"], "leader"))["identity_masked"] is False
