"""The registers' rows of docs/permissions.md (risks, campaigns) agree with the declarations
and hold over HTTP.

Each row is sent as every role, on a fresh risk whose 责任单位 is the housing bureau, whose
具体负责人 is its handler and whose 包案领导 is `leader`; users with the role but without the tie
(another unit, another leader) must get 404, every user of a unit the risk concerns 404 too, and
a refused request must record nothing.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from api.risks import RISK_READERS
from domain.commands.campaigns import AddCampaignTargets, LaunchCampaign
from domain.commands.risks import RISK_COMMANDS, RegisterRisk
from domain.registers import CAMPAIGN_READERS
from domain.values import Role
from domain.visibility import SEE_ALL, UNIT_STAFF
from tests.api.helpers import API, assert_refused, county_today, ok
from tests.api.test_permissions_api import ROLES, STRANGER_OF, USER_OF, expected_cell
from tests.api.test_risks_api import Register, risk_body
from tests.conftest import County

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
HEADER = "| register endpoint |"


@dataclass(frozen=True)
class Row:
    """One row of the registers' table."""

    method: str
    path: str
    cells: dict[str, str]

    @property
    def on_a_risk(self) -> bool:
        return self.path.startswith("/risks/{id}")

    @property
    def on_a_campaign(self) -> bool:
        return self.path.startswith("/campaigns/{id}")

    @property
    def command(self) -> str | None:
        if self.method != "POST" or not self.on_a_risk:
            return None
        return self.path.removeprefix("/risks/{id}/")


def register_rows() -> list[Row]:
    """The rows of the registers' table in docs/permissions.md."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    header = next(line for line in lines if line.startswith(HEADER))
    assert [c.strip() for c in header.strip("|").split("|")][1:] == list(ROLES)
    rows = []
    table = itertools.takewhile(lambda line: line.startswith("|"), lines[lines.index(header) :])
    for line in table:
        match = re.match(r"\| `(GET|POST) ([^`]+)` \|(.*)\|$", line)
        if match:
            cells = [c.strip() for c in match.group(3).split("|")]
            rows.append(Row(match.group(1), match.group(2), dict(zip(ROLES, cells, strict=True))))
    return rows


ROWS = register_rows()
BODIES: dict[str, dict[str, Any]] = {
    "steps": {"text": "镇村干部入户走访"},
    "resolve": {"evidence": "双方签订调解协议书"},
    "convert": {"channel": "visit", "category": "claim"},
}


def test_the_table_has_a_row_per_endpoint_and_agrees_with_the_declarations() -> None:
    endpoints = [f"{row.method} {row.path}" for row in ROWS]
    commands = {c.path: c for c in RISK_COMMANDS}

    assert len(endpoints) == len(set(endpoints))
    assert {row.command for row in ROWS if row.command} == set(commands)
    assert {"POST /risks", "GET /risks", "GET /risks/{id}"} <= set(endpoints)
    assert {
        "POST /campaigns",
        "POST /campaigns/{id}/targets",
        "GET /campaigns/{id}",
        "GET /campaigns/{id}/weeks/{n}",
    } <= set(endpoints)
    for row in ROWS:
        if row.command is not None:
            rule = commands[row.command].permission
            sets = (rule.anyone_of, rule.unit_roles, rule.sponsor)
        elif row.path == "/risks" and row.method == "POST":
            sets = (RegisterRisk.permission.anyone_of, frozenset(), False)
        elif row.on_a_risk:
            sets = (SEE_ALL, UNIT_STAFF, True)
        elif row.path == "/campaigns" and row.method == "POST":
            sets = (LaunchCampaign.permission.anyone_of, frozenset(), False)
        elif row.path == "/campaigns/{id}/targets":
            sets = (AddCampaignTargets.permission.anyone_of, frozenset(), False)
        elif row.path.startswith("/campaigns"):
            sets = (CAMPAIGN_READERS, frozenset(), False)
        else:
            sets = (RISK_READERS, frozenset(), False)
        assert row.cells == {r.value: expected_cell(r, *sets) for r in Role}, row.path


class Probe:
    """Sends one row's request as anyone, on a risk prepared for it."""

    def __init__(self, client: FlaskClient, county: County, row: Row, **entry: Any) -> None:
        self.client = client
        self.county = county
        self.row = row
        self.register = Register(client, county)
        risk = self.register.enter(**entry)
        self.risk_id = risk["id"]
        if row.on_a_risk and not entry.get("accused_unit_ids"):
            self.register.assign(
                self.risk_id, leader_id="leader", unit_id="housing", handler_id="handler"
            )
        self.campaign_id = ""
        if row.on_a_campaign:
            launched = client.post(
                f"{API}/campaigns", json=self.campaign(), headers=county.headers("supervisor")
            )
            assert launched.status_code == 201, launched.get_json()
            self.campaign_id = launched.get_json()["id"]

    def campaign(self) -> dict[str, Any]:
        today = county_today()
        return {
            "name": "百日攻坚",
            "kind": "hundred_days",
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=99)).isoformat(),
            "risk_ids": [self.risk_id],
        }

    def body(self) -> dict[str, Any] | None:
        if self.row.command == "assign":
            return {"leader_id": str(self.county.actors["leader2"].id), "reason": "领导调整"}
        if self.row.command is not None:
            return dict(BODIES[self.row.command])
        if self.row.path == "/campaigns":
            return self.campaign()
        if self.row.path == "/campaigns/{id}/targets":
            return {"risk_ids": [self.register.enter()["id"]]}  # a new open risk each time
        if self.row.method == "POST":
            return risk_body(self.county)
        return None

    def send(self, who: str) -> TestResponse:
        headers = self.county.headers(who)
        target = self.campaign_id if self.row.on_a_campaign else self.risk_id
        path = API + self.row.path.replace("{id}", target).replace("{n}", "1")
        if self.row.method == "POST":
            return self.client.post(path, json=self.body(), headers=headers)
        query = {"month": "2026-01"} if self.row.path == "/risks/report" else {}
        return self.client.get(path, query_string=query, headers=headers)

    def trail(self) -> list[dict[str, Any]]:
        history: list[dict[str, Any]] = ok(self.register.get(self.risk_id))["history"]
        return history


def plan(row: Row) -> tuple[list[tuple[str, int]], list[str]]:
    """Who must be refused (with which status) and who must be let through."""
    refused: list[tuple[str, int]] = []
    allowed: list[str] = []
    for role in ROLES:
        cell = row.cells[role]
        if cell == "—":
            refused.append((USER_OF[role], 404 if row.on_a_risk and role == "admin" else 403))
            continue
        if cell in {"own unit", "sponsored"}:
            refused.append((STRANGER_OF[role], 404))
        allowed.append(USER_OF[role])
    return refused, allowed


def test_every_row_holds_over_http(
    client: FlaskClient, county: County, subtests: pytest.Subtests
) -> None:
    for row in ROWS:
        with subtests.test(f"{row.method} {row.path}"):
            probe = Probe(client, county, row)
            before = probe.trail()
            refused, allowed = plan(row)

            for who, status in refused:
                response = probe.send(who)
                assert response.status_code == status, (who, response.get_json())
                assert_refused(response, status)
            assert probe.trail() == before, "a refused request recorded something"

            for n, who in enumerate(allowed):
                response = probe.send(who)
                if n == 0:
                    assert response.status_code in {200, 201}, (who, response.get_json())
                assert response.status_code in {200, 201, 409, 422}, (who, response.get_json())


def test_a_unit_the_risk_concerns_gets_404_on_every_row_about_it(
    client: FlaskClient, county: County, subtests: pytest.Subtests
) -> None:
    labour = str(county.units["labour"])
    for row in ROWS:
        if not row.on_a_risk:
            continue
        with subtests.test(f"{row.method} {row.path}"):
            probe = Probe(client, county, row, accused_unit_ids=[labour])
            before = probe.trail()
            for who in ("labour_head", "labour_handler"):
                response = probe.send(who)
                assert response.status_code == 404, (who, response.get_json())
            assert probe.trail() == before
