"""Access rules (issue 10, M): leaders see the cases they sponsor, whatever their unit; a user of
an accused unit gets the answer a case that does not exist gets; `as_of` replays are for the
overseeing roles only, and never more than a few at once."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from flask.testing import FlaskClient

from tests.api.helpers import API, Office, assert_error, command_body, county_day, now_iso, ok
from tests.conftest import County

ACCUSATION = "检举城关镇某干部挪用扶贫资金。"


def new_user(client: FlaskClient, county: County, role: str, unit: str) -> dict[str, Any]:
    """A user created by the admin in `unit`; with `headers` for their token."""
    created: dict[str, Any] = ok_created(
        client.post(
            f"{API}/users",
            json={"name": f"新{role}", "role": role, "unit_id": str(county.units[unit])},
            headers=county.headers("admin"),
        )
    )
    created["headers"] = {"Authorization": f"Bearer {created['token']}"}
    return created


def ok_created(response: Any) -> dict[str, Any]:
    """The JSON body of a 201 answer."""
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def accusing_township(office: Office, status: str = "registered") -> dict[str, Any]:
    """An accusation against 城关镇."""
    return office.drive(
        status,
        sponsor=None,
        category="accusation",
        content=ACCUSATION,
        accused_unit_ids=[str(office.county.units["township"])],
    )


def test_a_leader_of_a_unit_sees_only_the_cases_they_sponsor(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    housing_leader = new_user(client, county, "leader", "housing")
    held = office.drive("in_progress", sponsor=None)
    url = f"{API}/cases/{held['id']}"

    unsponsored = client.get(url, headers=housing_leader["headers"])
    page = ok(client.get(f"{API}/ledger", headers=housing_leader["headers"]))
    visit = {**command_body("visits", county), "kind": "reception"}
    acted = client.post(f"{url}/visits", json=visit, headers=housing_leader["headers"])
    body = {"leader_id": housing_leader["id"], "reason": "包案"}
    ok(office.send("dispatcher", held["id"], "leader", body))
    sponsored = client.get(url, headers=housing_leader["headers"])

    assert_error(unsponsored, 404)
    assert page["total"] == 0
    assert_error(acted, 404)
    assert ok(sponsored)["identity_masked"] is False


def test_merging_into_a_case_accusing_ones_unit_answers_as_for_a_random_id(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    accused_dispatcher = new_user(client, county, "dispatcher", "village")
    accusation = accusing_township(office)
    before = office.history(accusation["id"])
    claim = office.register()
    url = f"{API}/cases/{claim['id']}/merge"

    def merge(into: str) -> Any:
        return client.post(url, json={"into_case_id": into}, headers=accused_dispatcher["headers"])

    into_accusation, into_nothing = merge(accusation["id"]), merge(str(uuid4()))

    assert assert_error(into_accusation, 422) == assert_error(into_nothing, 422)
    assert office.history(accusation["id"]) == before
    assert office.view(claim["id"])["status"] == "registered"


def test_a_leader_of_an_accused_unit_is_refused_as_sponsor_like_an_unknown_user(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    accused_leader = new_user(client, county, "leader", "village")
    accusation = accusing_township(office)

    def sponsor(leader_id: str) -> dict[str, Any]:
        body = {"leader_id": leader_id, "reason": "包案"}
        answer = assert_error(office.send("dispatcher", accusation["id"], "leader", body), 422)
        errors = answer["errors"].items()
        return {
            "errors": {k: [m.replace(leader_id, "ID") for m in v] for k, v in errors},
            "message": answer["message"].replace(leader_id, "ID"),
        }

    assert sponsor(accused_leader["id"]) == sponsor(str(uuid4()))
    assert office.view(accusation["id"])["leader_id"] is None


def test_the_access_log_shows_an_accused_units_auditor_nothing_of_the_accusation(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    accused_auditor = new_user(client, county, "auditor", "township")
    accusation = accusing_township(office)
    office.view(accusation["id"], "clerk")  # a disclosure, logged

    mine = client.get(f"{API}/audit/access", headers=accused_auditor["headers"]).get_json()
    theirs = client.get(f"{API}/audit/access", headers=county.headers("auditor")).get_json()

    assert accusation["id"] in {e["case_id"] for e in theirs}
    assert accusation["id"] not in {e["case_id"] for e in mine}


AS_OF_VIEWS = ["ledger", "ledger.xlsx", "accountability/overdue", "accountability/ready-to-close"]


@pytest.mark.parametrize("view", AS_OF_VIEWS)
def test_only_the_overseeing_roles_may_replay_the_ledger_views(
    client: FlaskClient, county: County, view: str
) -> None:
    office = Office(client, county)
    office.drive("in_progress")
    query = {"as_of": now_iso()}
    refused = ["clerk", "head", "handler", "leader"]
    if view == "accountability/ready-to-close":
        refused = []  # the list itself is for the overseeing roles only (permissions.md)

    for who in refused:
        answer = client.get(f"{API}/{view}", query_string=query, headers=county.headers(who))
        assert_error(answer, 403)
    for who in ("dispatcher", "supervisor", "auditor"):
        response = client.get(f"{API}/{view}", query_string=query, headers=county.headers(who))
        assert response.status_code == 200, response.get_json()


def test_a_draft_bulletin_does_not_single_out_an_accusation_to_the_accused_unit(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    accusing_township(office)
    office.register()
    inside = new_user(client, county, "dispatcher", "township")
    month = county_day()[:7]

    def draft(headers: dict[str, str]) -> dict[str, Any]:
        answer = client.get(f"{API}/reports/monthly/{month}", headers=headers)
        figures: dict[str, Any] = ok(answer)["figures"]
        return figures

    outside = draft(county.headers("dispatcher"))
    accused = draft(inside["headers"])

    township = office.county.units["township"]
    assert outside["received"] == accused["received"] + 1
    assert any(r["count"] == 1 for r in outside["most_complained_units"])
    assert accused["most_complained_units"] == []
    assert str(township) not in str(accused)
