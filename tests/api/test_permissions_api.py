"""docs/permissions.md is the permission matrix: it agrees with the domain and holds over HTTP."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.test import TestResponse

from domain.commands import CASE_COMMANDS, RegisterCase
from domain.permissions import AUDIT_ROLES, DIRECTORY_READERS
from domain.values import Role
from domain.visibility import SEE_ALL, UNIT_STAFF
from projections.accountability import READY_TO_CLOSE_READERS
from tests.api.helpers import API, Office, assert_refused, command_body, registration
from tests.conftest import County

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
ROLES = ("admin", "clerk", "dispatcher", "unit_head", "handler", "leader", "supervisor", "auditor")
CELLS = frozenset({"✓", "own unit", "sponsored", "—"})

USER_OF = {
    "admin": "admin",
    "clerk": "clerk",
    "dispatcher": "dispatcher",
    "unit_head": "head",
    "handler": "handler",
    "leader": "leader",
    "supervisor": "supervisor",
    "auditor": "auditor",
}
"""The county's user for each role: the housing bureau holds the cases, `leader` sponsors them."""

STRANGER_OF = {"unit_head": "labour_head", "handler": "labour_handler", "leader": "leader2"}
"""Users with the role but without the relationship: another unit, a leader who sponsors nothing."""

STATUS_FOR: dict[str, tuple[str, str]] = {
    "forward": ("registered", "forwarded"),
    "assign": ("registered", "forwarded"),
    "divert": ("registered", "forwarded"),
    "not-accept": ("registered", "forwarded"),
    "merge": ("registered", "forwarded"),
    "accept": ("forwarded", "forwarded"),
    "object": ("forwarded", "forwarded"),
    "objection-decision": ("objected", "forwarded"),
    "start-work": ("accepted", "forwarded"),
    "submit-report": ("in_progress", "assigned"),
    "approve-report": ("report_submitted", "assigned"),
    "return-report": ("report_submitted", "assigned"),
    "request-review": ("responded", "forwarded"),
    "follow-up": ("responded", "forwarded"),
    "close": ("responded", "forwarded"),
    "decide-review": ("under_review", "forwarded"),
    "request-recheck": ("reviewed", "forwarded"),
    "decide-recheck": ("under_recheck", "forwarded"),
    "hearing": ("under_recheck", "forwarded"),
    "reopen": ("closed", "forwarded"),
}
"""The status (and how the case reached the unit) each command needs; others: in_progress."""


@dataclass(frozen=True)
class Row:
    """One row of the documented matrix."""

    method: str
    path: str
    cells: dict[str, str]

    @property
    def endpoint(self) -> str:
        """`METHOD /path` as the document writes it."""
        return f"{self.method} {self.path}"

    @property
    def on_a_case(self) -> bool:
        """Whether the endpoint addresses one case (so invisibility means 404)."""
        return self.path.startswith("/cases/{id}")

    @property
    def on_an_account(self) -> bool:
        """Whether the endpoint addresses one user's account (`{id}` is a user id)."""
        return self.path.startswith("/users/{id}")

    @property
    def command(self) -> str | None:
        """The command path after /cases/{id}/, for command rows."""
        if self.method != "POST" or not self.on_a_case:
            return None
        return self.path.removeprefix("/cases/{id}/").replace("{n}", "1")


def documented_rows() -> list[Row]:
    """The rows of the matrix tables headed `| endpoint |` in docs/permissions.md: the cases and
    the directory, then the registers of work (the risk register's table, headed `| register
    endpoint |`, is tests/api/test_register_permissions_api.py's)."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("| endpoint |")]
    assert starts, "docs/permissions.md has no permission table"
    rows = []
    for start in starts:
        assert [c.strip() for c in lines[start].strip("|").split("|")][1:] == list(ROLES)
        for line in itertools.takewhile(lambda line: line.startswith("|"), lines[start:]):
            match = re.match(r"\| `(GET|POST|DELETE) ([^`]+)` \|(.*)\|$", line)
            if match:
                cells = [c.strip() for c in match.group(3).split("|")]
                assert set(cells) <= CELLS, line
                rows.append(
                    Row(match.group(1), match.group(2), dict(zip(ROLES, cells, strict=True)))
                )
    return rows


REGISTER_PATHS = ("/meetings", "/tasks", "/inspections", "/accountability-records")
"""Rows of the registers of work: tests/api/test_work_register_permissions_api.py checks them."""
ROWS = [row for row in documented_rows() if not row.path.startswith(REGISTER_PATHS)]


# -- the document agrees with the code ---------------------------------------------------------
def expected_cell(role: Role, anyone: frozenset[Role], unit: frozenset[Role], leader: bool) -> str:
    """The cell a role gets from the code's sets."""
    if role in anyone:
        return "✓"
    if role in unit:
        return "own unit"
    if role is Role.LEADER and leader:
        return "sponsored"
    return "—"


def test_the_matrix_has_one_row_per_endpoint_and_every_case_command() -> None:
    endpoints = [row.endpoint for row in ROWS]
    commands = {f"/cases/{{id}}/{c.path.replace('<int:n>', '{n}')}" for c in CASE_COMMANDS}

    assert len(endpoints) == len(set(endpoints))
    assert {row.path for row in ROWS if row.command is not None} == commands
    assert {"POST /cases", "GET /cases/{id}", "GET /cases/{id}/history"} <= set(endpoints)
    assert {"POST /units", "GET /units", "POST /users", "GET /users", "GET /me"} <= set(endpoints)
    assert {
        "POST /users/{id}/disable",
        "POST /users/{id}/enable",
        "POST /users/{id}/role",
        "POST /users/{id}/tokens",
        "GET /users/{id}/tokens",
        "DELETE /users/{id}/tokens/{token_id}",
    } <= set(endpoints)
    assert {"GET /audit/head", "GET /audit/proof/inclusion"} <= set(endpoints)


def test_the_matrix_agrees_with_the_permissions_of_the_code() -> None:
    everyone = frozenset(Role)
    by_path = {c.path.replace("<int:n>", "1"): c for c in CASE_COMMANDS}
    for row in ROWS:
        if row.command is not None:
            rule = by_path[row.command].permission
            sets = (rule.anyone_of, rule.unit_roles, rule.sponsor)
        elif row.endpoint == "POST /cases":
            sets = (RegisterCase.permission.anyone_of, frozenset(), False)
        elif row.on_a_case:
            sets = (SEE_ALL, UNIT_STAFF, True)
        elif row.endpoint in {"POST /units", "POST /users"} or row.on_an_account:
            sets = (frozenset({Role.ADMIN}), frozenset(), False)
        elif row.endpoint == "GET /users":
            sets = (DIRECTORY_READERS, frozenset(), False)
        elif row.path.startswith("/audit/"):
            sets = (AUDIT_ROLES, frozenset(), False)
        elif row.endpoint == "GET /accountability/ready-to-close":
            sets = (READY_TO_CLOSE_READERS, frozenset(), False)
        else:
            sets = (everyone, frozenset(), False)
        expected = {r.value: expected_cell(r, *sets) for r in Role}
        assert row.cells == expected, row.endpoint


# -- the document holds over HTTP --------------------------------------------------------------
@dataclass
class Probe:
    """Sends one row's request as anyone, on a case prepared for it."""

    office: Office
    row: Row
    case_id: str = ""
    body: Any = None
    registered_at: str = ""
    user_id: str = ""
    token_id: str = ""

    def prepare(self) -> None:
        """Drive a fresh case to the status the row's command needs (sponsored by `leader`);
        for an account row, add a user in the state the row needs."""
        if self.row.on_an_account:
            self.prepare_account()
            return
        if not self.row.on_a_case:
            self.body = self.directory_body()
            return
        command = self.row.command
        status, mode = STATUS_FOR.get(command or "", ("in_progress", "forwarded"))
        self.case_id = self.office.drive(status, mode=mode)["id"]
        self.registered_at = self.office.history(self.case_id)[0]["recorded_at"]
        if command is None:
            return
        county = self.office.county
        self.body = command_body(command, county)
        if command == "merge":
            self.body["into_case_id"] = self.office.register()["id"]
        if command.startswith("supervision-orders/"):
            order = command_body("supervision-orders", county)
            issued = self.office.send("supervisor", self.case_id, "supervision-orders", order)
            assert issued.status_code == 200, issued.get_json()
        if command == "recusal-decision":
            asked = command_body("recusal-requests", county)
            requested = self.office.send("clerk", self.case_id, "recusal-requests", asked)
            assert requested.status_code == 200, requested.get_json()

    def prepare_account(self) -> None:
        """A fresh user (disabled for `enable`, with a token for revoking) and the row's body."""
        client, admin = self.office.client, self.office.headers("admin")
        added = client.post(
            f"{API}/users",
            json={
                "name": "何经办",
                "role": "handler",
                "unit_id": str(self.office.county.units["labour"]),
            },
            headers=admin,
        )
        assert added.status_code == 201, added.get_json()
        self.user_id = added.get_json()["id"]
        reason = {"reason": "岗位调整"}
        if self.row.path.endswith("/enable"):
            disabled = client.post(
                f"{API}/users/{self.user_id}/disable", json=reason, headers=admin
            )
            assert disabled.status_code == 200, disabled.get_json()
        if "{token_id}" in self.row.path:
            issued = client.post(f"{API}/users/{self.user_id}/tokens", json={}, headers=admin)
            assert issued.status_code == 201, issued.get_json()
            self.token_id = issued.get_json()["token_id"]
        bodies: dict[str, Any] = {
            "disable": reason,
            "enable": reason,
            "role": {"role": "clerk", **reason},
            "tokens": {},
        }
        self.body = bodies.get(self.row.path.rsplit("/", 1)[-1])

    def directory_body(self) -> Any:
        """The body of a POST outside a case."""
        bodies: dict[str, Any] = {
            "/cases": registration(),
            "/units": {"name": "县水利局"},
            "/users": {"name": "何经办", "role": "clerk", "unit_id": None},
        }
        return bodies.get(self.row.path)

    def send(self, who: str) -> TestResponse:
        """The row's request, as `who`."""
        client, headers = self.office.client, self.office.headers(who)
        target = self.user_id if self.row.on_an_account else self.case_id
        path = self.row.path.replace("{id}", target).replace("{n}", "1")
        path = path.replace("{token_id}", self.token_id).replace("{kind}", "transfer_slip")
        if self.row.command is not None:
            return self.office.send(who, self.case_id, self.row.command, self.body)
        if self.row.method == "POST":
            return client.post(f"{API}{path}", json=self.body, headers=headers)
        if self.row.method == "DELETE":
            return client.delete(f"{API}{path}", headers=headers)
        query = {
            "/cases/{id}?as_of=": {"as_of": self.registered_at},
            "/audit/proof/inclusion": {"index": "0", "tree_size": "1"},
            "/audit/proof/consistency": {"first": "1", "second": "2"},
        }.get(self.row.path, {})
        return client.get(f"{API}{path.split('?')[0]}", query_string=query, headers=headers)

    def trail(self) -> list[dict[str, Any]] | None:
        """The case's history (None off a case)."""
        return self.office.history(self.case_id) if self.row.on_a_case else None


def plan(row: Row) -> tuple[list[tuple[str, int]], list[str]]:
    """Who must be refused (with which status) and who must be let through, for one row."""
    refused: list[tuple[str, int]] = []
    allowed: list[str] = []
    for role in ROLES:
        cell = row.cells[role]
        if cell == "—":
            invisible = row.on_a_case and role == "admin"
            refused.append((USER_OF[role], 404 if invisible else 403))
            continue
        if cell in {"own unit", "sponsored"}:
            refused.append((STRANGER_OF[role], 404 if row.on_a_case else 403))
        allowed.append(USER_OF[role])
    return refused, allowed


def is_routed(client: FlaskClient, row: Row) -> bool:
    """Whether the app serves the row's endpoint at all."""
    path = API + row.path.split("?")[0].replace("{id}", "0" * 32).replace("{n}", "1")
    path = path.replace("{token_id}", "0" * 32).replace("{kind}", "transfer_slip")
    path = path.replace("0" * 32, "00000000-0000-0000-0000-000000000000")
    try:
        client.application.url_map.bind("localhost").match(path, method=row.method)
    except (NotFound, MethodNotAllowed):
        return False
    return True


def test_every_row_of_the_matrix_holds_over_http(
    client: FlaskClient, county: County, subtests: pytest.Subtests
) -> None:
    office = Office(client, county)

    for row in ROWS:
        with subtests.test(row.endpoint):
            assert is_routed(client, row), f"{row.endpoint} is not served"
            probe = Probe(office, row)
            probe.prepare()
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
                    assert response.status_code in {200, 201, 204}, (who, response.get_json())
                assert response.status_code in {200, 201, 204, 409, 422}, (who, response.get_json())
