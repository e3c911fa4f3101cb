"""One disclosure module: the endpoints serialise what projections/disclosure.py shows and logs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask.testing import FlaskClient

from api.schemas import CaseSchema
from projections.disclosure import CASE_FIELDS
from tests.api.helpers import API, Office, assert_error, command_body, ok
from tests.conftest import County

RESTRICTED = {"id", "version", "identity_masked", "petitioners", "content", "deadlines"}
"""Fields of the case view the disclosure module derives instead of copying."""


def access_log(client: FlaskClient, county: County, who: str, **query: Any) -> list[Any]:
    """GET /audit/access as `who` (asserting 200)."""
    response = client.get(f"{API}/audit/access", query_string=query, headers=county.headers(who))
    assert response.status_code == 200, response.get_json()
    entries: list[Any] = response.get_json()
    return entries


def test_the_case_view_fills_every_field_of_the_case_schema() -> None:
    assert set(CaseSchema().fields) == {*CASE_FIELDS, *RESTRICTED}
    assert not RESTRICTED & set(CASE_FIELDS)


def test_a_past_view_is_logged_as_it_was_shown_by_todays_standing(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")
    while_housing_held_it = datetime.now(UTC).isoformat()
    reassign = {**command_body("reassign", county), "unit_id": str(county.units["labour"])}
    ok(office.send("dispatcher", case["id"], "reassign", reassign))

    past = ok(office.get(case["id"], "handler", as_of=while_housing_held_it))

    assert past["identity_masked"] is True
    handler = str(county.actors["handler"].id)
    assert access_log(client, county, "auditor", actor_id=handler) == []


def test_the_access_log_withholds_cases_that_accuse_the_readers_unit(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    created = client.post(
        f"{API}/users",
        json={"name": "镇纪委书记", "role": "auditor", "unit_id": str(county.units["village"])},
        headers=county.headers("admin"),
    )
    assert created.status_code == 201, created.get_json()
    county.tokens["village_auditor"] = created.get_json()["token"]
    accusation = office.register(
        category="accusation",
        content="检举城关镇某干部虚报冒领补助。",
        accused_unit_ids=[str(county.units["township"])],
    )
    claim = office.register()
    office.view(accusation["id"], "clerk")
    office.view(claim["id"], "clerk")

    everyone = access_log(client, county, "auditor")
    below_the_accused = access_log(client, county, "village_auditor")

    assert {e["case_id"] for e in everyone} == {accusation["id"], claim["id"]}
    assert [e["case_id"] for e in below_the_accused] == [claim["id"]]
    assert_error(office.get(accusation["id"], "village_auditor"), 404)
