"""Campaigns (百日攻坚, 积案化解) over HTTP, on both backends (docs/campaigns.md).

A campaign's weekly 调度 snapshot counts what was resolved that week (by business time), what
remains at the week's end by unit and by 包案领导, and who did not report on a remaining target;
its targets are chosen by hand and by rule; the final report sums the period week by week; a
unit a target concerns never learns of it through a campaign.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.api.helpers import API, Office, assert_error, county_day, ok
from tests.api.test_risks_api import Register
from tests.conftest import County

TODAY = datetime.now(UTC)


@pytest.fixture
def office(client: FlaskClient, county: County) -> Office:
    """The API as the county uses it (cases registered quickly)."""
    return Office(client, county)


def ago(days: int) -> str:
    """A business time `days` ago."""
    return (TODAY - timedelta(days=days)).isoformat()


def day_ago(days: int) -> str:
    return county_day(-days)


def risk(register: Register, unit: str, handler: str, **entry: Any) -> dict[str, Any]:
    """A complete risk entered 25 days ago and assigned 24 days ago."""
    entered = register.enter(occurred_at=ago(25), **entry)
    county = register.county
    body = {
        "leader_id": str(county.actors["leader"].id),
        "unit_id": str(county.units[unit]),
        "handler_id": str(county.actors[handler].id),
        "occurred_at": ago(24),
    }
    return ok(register.send("dispatcher", entered["id"], "assign", body))


def launch(client: FlaskClient, county: County, **body: Any) -> dict[str, Any]:
    response = client.post(
        f"{API}/campaigns",
        json={
            "name": "积案化解百日攻坚",
            "kind": "hundred_days",
            "starts_on": day_ago(20),
            "ends_on": day_ago(-79),
            **body,
        },
        headers=county.headers("supervisor"),
    )
    assert response.status_code == 201, response.get_json()
    view: dict[str, Any] = response.get_json()
    return view


def week(
    client: FlaskClient, county: County, campaign: dict[str, Any], n: int, who: str = "supervisor"
) -> dict[str, Any]:
    response = client.get(
        f"{API}/campaigns/{campaign['id']}/weeks/{n}", headers=county.headers(who)
    )
    return ok(response)


def test_the_weekly_snapshot_counts_what_was_resolved_that_week(
    client: FlaskClient, county: County
) -> None:
    register = Register(client, county)
    a = risk(register, "housing", "handler")
    b = risk(register, "housing", "handler")
    d = risk(register, "housing", "handler")
    e = risk(register, "labour", "labour_handler")
    ok(
        register.send(
            "leader", a["id"], "resolve", {"evidence": "调解协议", "occurred_at": ago(18)}
        )
    )
    ok(
        register.send(
            "leader", b["id"], "resolve", {"evidence": "息诉罢访", "occurred_at": ago(10)}
        )
    )
    ok(register.send("handler", d["id"], "steps", {"text": "入户走访", "occurred_at": ago(3)}))
    campaign = launch(client, county, risk_ids=[a["id"], b["id"], d["id"], e["id"]])
    assert campaign["weeks"] == 15

    first, second, third = (week(client, county, campaign, n) for n in (1, 2, 3))

    assert first["resolved_numbers"] == [a["number"]]
    assert first["remaining"] == 3
    assert first["first_day"] == day_ago(20)
    assert first["last_day"] == day_ago(14)
    assert second["resolved_numbers"] == [b["number"]]
    assert second["resolved_before"] == 1
    assert second["remaining"] == 2
    assert third["resolved"] == 0
    assert set(third["remaining_numbers"]) == {d["number"], e["number"]}
    units = {row["unit_name"]: row for row in third["by_unit"]}
    assert units["县住建局"]["remaining"] == 1
    assert units["县住建局"]["not_reported"] == []
    assert units["县人社局"]["not_reported"] == [e["number"]]
    assert third["not_reported_units"] == ["县人社局"]
    (leader,) = third["by_leader"]
    assert leader["leader_name"] == "陈县长"
    assert leader["remaining"] == 2
    assert second["by_unit"][0]["resolved"] + second["by_unit"][1]["resolved"] == 1

    report = ok(
        client.get(f"{API}/campaigns/{campaign['id']}/report", headers=county.headers("supervisor"))
    )
    assert report["resolved_total"] == 2
    assert report["resolution_rate"] == 50.0
    assert [w["resolved"] for w in report["weekly_resolved"][:3]] == [1, 1, 0]
    assert_error(
        client.get(
            f"{API}/campaigns/{campaign['id']}/weeks/16", headers=county.headers("supervisor")
        ),
        404,
    )


def test_targets_are_chosen_by_rule_and_by_hand_and_recorded(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    register = Register(client, county)
    backlog = office.register()
    ok(office.send("dispatcher", backlog["id"], "flags", {"flag": "backlog", "on": True}))
    other = office.register()
    grave = register.enter(level="grave")
    register.enter(level="ordinary")

    campaign = launch(
        client, county, case_flags=["backlog"], risk_levels=["grave"], case_ids=[other["id"]]
    )

    assert {t["number"] for t in campaign["targets"]} == {
        backlog["number"],
        other["number"],
        grave["number"],
    }
    read = ok(client.get(f"{API}/campaigns/{campaign['id']}", headers=county.headers("auditor")))
    assert read["targets"] == campaign["targets"]
    assert read["launched_by"]["name"] == "卫督查"
    listed = ok(client.get(f"{API}/campaigns", headers=county.headers("dispatcher")))["items"]
    assert [c["id"] for c in listed] == [campaign["id"]]


def test_bad_campaigns_get_field_errors_and_nothing_is_launched(
    client: FlaskClient, county: County
) -> None:
    h = county.headers("supervisor")
    base = {
        "name": "百日攻坚",
        "kind": "hundred_days",
        "starts_on": day_ago(0),
        "ends_on": day_ago(-99),
    }
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "case_ids"),
        ({"ends_on": day_ago(1), "risk_ids": []}, "ends_on"),
        ({"case_ids": ["00000000-0000-0000-0000-000000000001"]}, "case_ids"),
        ({"risk_ids": ["00000000-0000-0000-0000-000000000001"]}, "risk_ids"),
        ({"kind": "forever"}, "kind"),
    ]
    for change, field in cases:
        response = client.post(f"{API}/campaigns", json={**base, **change}, headers=h)
        assert field in assert_error(response, 422)["errors"], change
    assert ok(client.get(f"{API}/campaigns", headers=h))["items"] == []
    assert_error(client.post(f"{API}/campaigns", json=base, headers=county.headers("clerk")), 403)
    assert_error(client.get(f"{API}/campaigns", headers=county.headers("admin")), 403)


def test_a_unit_a_target_concerns_never_learns_of_it_through_the_campaign(
    client: FlaskClient, county: County
) -> None:
    register = Register(client, county)
    hidden = register.enter(accused_unit_ids=[str(county.units["labour"])])
    shown = register.enter()
    campaign = launch(client, county, risk_ids=[hidden["id"], shown["id"]])

    theirs = ok(
        client.get(f"{API}/campaigns/{campaign['id']}", headers=county.headers("labour_head"))
    )
    snapshot = week(client, county, campaign, 1, "labour_head")

    assert hidden["number"] not in str(theirs)
    assert snapshot["targets"] == 0  # the clerk's unit holds `shown`: labour sees neither
    assert hidden["number"] not in str(snapshot)
    assert week(client, county, campaign, 1)["targets"] == 2


def test_a_keyed_launch_launches_one_campaign(client: FlaskClient, county: County) -> None:
    risk = Register(client, county).enter()
    body = {
        "name": "百日攻坚",
        "kind": "backlog",
        "starts_on": day_ago(0),
        "ends_on": day_ago(-99),
        "risk_ids": [risk["id"]],
    }
    h = {**county.headers("supervisor"), "Idempotency-Key": "launch-1"}

    first = client.post(f"{API}/campaigns", json=body, headers=h)
    again = client.post(f"{API}/campaigns", json=body, headers=h)
    other = client.post(f"{API}/campaigns", json={**body, "name": "另一个"}, headers=h)

    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert_error(other, 422)
    listed = ok(client.get(f"{API}/campaigns", headers=county.headers("supervisor")))["items"]
    assert len(listed) == 1


def add_targets(
    client: FlaskClient,
    county: County,
    campaign: dict[str, Any],
    who: str = "supervisor",
    **body: Any,
) -> Any:
    return client.post(
        f"{API}/campaigns/{campaign['id']}/targets", json=body, headers=county.headers(who)
    )


def test_targets_added_while_it_runs_count_from_the_day_they_joined(
    client: FlaskClient, county: County, office: Office
) -> None:
    register = Register(client, county)
    a = risk(register, "housing", "handler")
    f = risk(register, "housing", "handler")
    campaign = launch(client, county, risk_ids=[a["id"]], occurred_at=ago(20))
    case = office.register(occurred_at=ago(12))

    added = add_targets(
        client, county, campaign, risk_ids=[f["id"]], case_ids=[case["id"]], occurred_at=ago(9)
    )
    assert added.status_code == 200, added.get_json()
    assert added.headers["ETag"] == '"2"'
    shown = {t["id"]: t for t in added.get_json()["targets"]}
    assert shown[a["id"]]["added_on"] is None
    assert shown[f["id"]]["added_on"] == day_ago(9)
    assert shown[case["id"]]["added_on"] == day_ago(9)
    assert shown[f["id"]]["added_by"]["name"] == "卫督查"
    ok(register.send("leader", f["id"], "resolve", {"evidence": "调解协议", "occurred_at": ago(5)}))

    first, second, third = (week(client, county, campaign, n) for n in (1, 2, 3))
    assert first["targets"] == 1  # nothing added yet in week 1
    assert first["remaining_numbers"] == [a["number"]]
    assert second["targets"] == 3
    assert set(second["remaining_numbers"]) == {a["number"], f["number"], case["number"]}
    assert third["resolved_numbers"] == [f["number"]]
    report = ok(
        client.get(f"{API}/campaigns/{campaign['id']}/report", headers=county.headers("supervisor"))
    )
    assert report["targets"] == 3
    assert [w["resolved"] for w in report["weekly_resolved"][:3]] == [0, 0, 1]


def test_bad_additions_get_field_errors_and_add_nothing(
    client: FlaskClient, county: County, office: Office
) -> None:
    register = Register(client, county)
    a = risk(register, "housing", "handler")
    resolved = risk(register, "housing", "handler")
    ok(register.send("leader", resolved["id"], "resolve", {"evidence": "调解协议"}))
    hidden = office.register(accused_unit_ids=[str(county.units["bureau"])])
    campaign = launch(client, county, risk_ids=[a["id"]])

    def versions() -> int:
        found = client.get(f"{API}/campaigns/{campaign['id']}", headers=county.headers("auditor"))
        version: int = ok(found)["version"]
        return version

    refusals = {
        "nothing": ({}, "case_ids", "至少须有一件"),
        "already": ({"risk_ids": [a["id"]]}, "case_ids", "均已在本专项行动中"),
        "resolved": ({"risk_ids": [resolved["id"]]}, "risk_ids", resolved["number"]),
        "hidden": ({"case_ids": [hidden["id"]]}, "case_ids", "没有此"),
        "unknown": ({"risk_ids": [str(county.units["housing"])]}, "risk_ids", "没有此"),
        "before launch": ({"risk_ids": [a["id"]], "occurred_at": ago(30)}, "occurred_at", "早于"),
        "malformed": ({"case_ids": ["XF-1"]}, "case_ids", ""),
    }
    for label, (body, field, words) in refusals.items():
        refused = assert_error(add_targets(client, county, campaign, who="dispatcher", **body), 422)
        assert field in refused["errors"], (label, refused)
        assert words in str(refused["errors"][field]), (label, refused)
    assert_error(add_targets(client, county, campaign, who="handler", risk_ids=[a["id"]]), 403)
    case = office.register()
    stale = client.post(
        f"{API}/campaigns/{campaign['id']}/targets",
        json={"case_ids": [case["id"]]},
        headers={**county.headers("supervisor"), "If-Match": '"7"'},
    )
    assert_error(stale, 409)
    assert versions() == 1

    ended = launch(
        client,
        county,
        risk_ids=[a["id"]],
        starts_on=day_ago(40),
        ends_on=day_ago(2),
        occurred_at=ago(40),
    )
    late = assert_error(add_targets(client, county, ended, case_ids=[case["id"]]), 422)
    assert "已结束" in late["errors"]["case_ids"][0]
    # A business time inside its period does not reopen a finished campaign.
    earlier = office.register(occurred_at=ago(10))
    backdated = add_targets(client, county, ended, case_ids=[earlier["id"]], occurred_at=ago(3))
    assert "已结束" in assert_error(backdated, 422)["errors"]["case_ids"][0]
    # Nor may a target join before it existed (the case was registered today).
    early = add_targets(client, county, campaign, case_ids=[case["id"]], occurred_at=ago(1))
    assert case["number"] in assert_error(early, 422)["errors"]["occurred_at"][0]

    keyed = {**county.headers("supervisor"), "Idempotency-Key": "add-once"}
    path = f"{API}/campaigns/{campaign['id']}/targets"
    first = client.post(path, json={"case_ids": [case["id"]]}, headers=keyed)
    again = client.post(path, json={"case_ids": [case["id"]]}, headers=keyed)
    assert ok(first)["version"] == ok(again)["version"] == 2
    assert versions() == 2
    other = client.post(path, json={"risk_ids": [a["id"]]}, headers=keyed)
    assert_error(other, 422)

    # A keyed retry is answered as the first request was, even once its target has closed.
    fresh = risk(register, "housing", "handler")
    once = {**county.headers("supervisor"), "Idempotency-Key": "add-risk-once"}
    assert ok(client.post(path, json={"risk_ids": [fresh["id"]]}, headers=once))["version"] == 3
    ok(register.send("leader", fresh["id"], "resolve", {"evidence": "调解协议"}))
    retried = client.post(path, json={"risk_ids": [fresh["id"]]}, headers=once)
    assert ok(retried)["version"] == 3
    assert versions() == 3
