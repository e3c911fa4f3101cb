"""The registers' rows of docs/permissions.md agree with the code and hold over HTTP, row by row,
for every role: the allowed are let through, the others refused (403, or 404 for a record they
may not see), and a refused request records nothing."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from domain.application import Xinfang
from domain.commands.registers import (
    CloseTask,
    ConveneMeeting,
    IssueFollowUp,
    MarkInspectionTypical,
    OpenInspection,
    RecordAccountability,
    RecordCommand,
    RecordDecision,
    RecordFinding,
    ReportTask,
    ReturnTaskReport,
)
from domain.directory import UNIT_ROLES
from domain.inspections import ACCOUNTABILITY_RECORD_READERS, INSPECTION_READERS
from domain.meetings import MEETING_READERS
from domain.tasks import TASK_OVERSEERS
from domain.values import Role
from domain.visibility import OVERSEERS
from tests.api.helpers import API, Office, assert_refused, county_day
from tests.api.test_permissions_api import (
    CELLS,
    DOC,
    REGISTER_PATHS,
    ROLES,
    STRANGER_OF,
    USER_OF,
    Row,
    expected_cell,
)
from tests.conftest import County

SECTION = "## The registers of work"


def work_register_rows() -> list[Row]:
    """The rows of the registers' own table in docs/permissions.md (the section `SECTION`)."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(SECTION))
    at = next(i for i in range(start, len(lines)) if lines[i].startswith("| endpoint |"))
    header = [c.strip() for c in lines[at].strip("|").split("|")][1:]
    assert header == list(ROLES)
    rows = []
    for line in itertools.takewhile(lambda text: text.startswith("|"), lines[at:]):
        match = re.match(r"\| `(GET|POST|DELETE) ([^`]+)` \|(.*)\|$", line)
        if match:
            cells = [c.strip() for c in match.group(3).split("|")]
            assert set(cells) <= CELLS, line
            rows.append(Row(match.group(1), match.group(2), dict(zip(ROLES, cells, strict=True))))
    return rows


ROWS = [row for row in work_register_rows() if row.path.startswith(REGISTER_PATHS)]

COMMANDS: dict[str, type[RecordCommand]] = {
    "POST /meetings": ConveneMeeting,
    "POST /meetings/{id}/decisions": RecordDecision,
    "POST /tasks/{id}/report": ReportTask,
    "POST /tasks/{id}/return": ReturnTaskReport,
    "POST /tasks/{id}/close": CloseTask,
    "POST /inspections": OpenInspection,
    "POST /inspections/{id}/findings": RecordFinding,
    "POST /inspections/{id}/orders": IssueFollowUp,
    "POST /inspections/{id}/typical": MarkInspectionTypical,
    "POST /accountability-records": RecordAccountability,
}
"""The command each POST row issues."""

READS: dict[str, tuple[frozenset[Role], frozenset[Role], bool]] = {
    "GET /meetings": (MEETING_READERS, frozenset(), False),
    "GET /meetings/{id}": (MEETING_READERS, frozenset(), False),
    "GET /meetings/{id}/history": (MEETING_READERS, frozenset(), False),
    "GET /meetings/{id}/minutes.html": (MEETING_READERS, frozenset(), False),
    "GET /meetings/{id}/minutes.xlsx": (MEETING_READERS, frozenset(), False),
    "GET /meetings/{id}/minutes.pdf": (MEETING_READERS, frozenset(), False),
    "GET /tasks": (TASK_OVERSEERS, UNIT_ROLES, True),
    "GET /tasks/{id}": (TASK_OVERSEERS, UNIT_ROLES, True),
    "GET /tasks/{id}/history": (TASK_OVERSEERS, UNIT_ROLES, True),
    "GET /tasks/completion": (OVERSEERS, UNIT_ROLES, False),
    "GET /inspections": (INSPECTION_READERS, frozenset({Role.UNIT_HEAD}), False),
    "GET /inspections/{id}": (INSPECTION_READERS, frozenset({Role.UNIT_HEAD}), False),
    "GET /inspections/{id}/history": (INSPECTION_READERS, frozenset({Role.UNIT_HEAD}), False),
    "GET /accountability-records": (ACCOUNTABILITY_RECORD_READERS, frozenset(), False),
    "GET /accountability-records/{id}": (ACCOUNTABILITY_RECORD_READERS, frozenset(), False),
}
"""Who each read row lets in: roles always, unit roles of the record's unit, its leader."""


def test_the_registers_have_their_rows() -> None:
    endpoints = {row.endpoint for row in ROWS}

    assert set(COMMANDS) | set(READS) <= endpoints


def test_the_rows_agree_with_the_code() -> None:
    for row in ROWS:
        if row.endpoint in COMMANDS:
            rule = COMMANDS[row.endpoint].permission
            sets = (rule.anyone_of, rule.unit_roles, rule.sponsor)
        else:
            sets = READS[row.endpoint]
        expected = {r.value: expected_cell(r, *sets) for r in Role}
        assert row.cells == expected, row.endpoint


@dataclass
class Records:
    """A meeting with a decision about a case of the housing bureau sponsored by `leader`."""

    office: Office
    app: Xinfang
    meeting_id: str = ""
    task_id: str = ""
    inspection_id: str = ""
    record_id: str = ""
    sent: list[str] = field(default_factory=list)

    def prepare(self) -> None:
        """Record the meeting and its decision; report the task done (so `close` applies);
        the first time, the housing bureau's inspection and a 问责 record."""
        self.office.drive("in_progress")
        made = self.post("supervisor", "/meetings", self.meeting_body())
        assert made.status_code == 201, made.get_json()
        self.meeting_id = made.get_json()["id"]
        decided = self.post("supervisor", f"/meetings/{self.meeting_id}/decisions", self.decision())
        assert decided.status_code == 201, decided.get_json()
        self.task_id = decided.get_json()["decisions"][0]["task_id"]
        reported = self.post(
            "handler", f"/tasks/{self.task_id}/report", {"text": "已完成", "completed": True}
        )
        assert reported.status_code == 200, reported.get_json()
        if self.inspection_id:
            return
        inspected = self.post("supervisor", "/inspections", self.inspection("housing"))
        assert inspected.status_code == 201, inspected.get_json()
        self.inspection_id = inspected.get_json()["id"]
        recorded = self.post("supervisor", "/accountability-records", self.accountability())
        assert recorded.status_code == 201, recorded.get_json()
        self.record_id = recorded.get_json()["id"]

    def meeting_body(self) -> dict[str, Any]:
        """A meeting held today, chaired by `leader`."""
        return {
            "held_on": county_day(),
            "title": "联席会议",
            "chair_id": str(self.office.county.actors["leader"].id),
        }

    def decision(self) -> dict[str, Any]:
        """A decision for the housing bureau's handler, sponsored by `leader`."""
        actors, units = self.office.county.actors, self.office.county.units
        return {
            "problem": "工资拖欠",
            "task": "督促结清",
            "due_date": county_day(7),
            "leader_id": str(actors["leader"].id),
            "unit_id": str(units["housing"]),
            "handler_id": str(actors["handler"].id),
        }

    def inspection(self, unit: str) -> dict[str, Any]:
        """The month's inspection of `unit`."""
        return {
            "month": county_day()[:7],
            "unit_id": str(self.office.county.units[unit]),
            "held_on": county_day(),
            "checklist": [{"item": "tasks_on_time", "passed": False}],
        }

    def accountability(self) -> dict[str, Any]:
        """A 问责 record resting on the housing bureau's inspection."""
        return {
            "unit_id": str(self.office.county.units["housing"]),
            "inspection_id": self.inspection_id,
            "decision": "reminder",
            "decided_by": "县纪委监委",
            "decided_on": county_day(),
            "reason": "督查发现任务超期",
        }

    def body(self, row: Row) -> Any:
        """The body of a POST row."""
        actors = self.office.county.actors
        bodies: dict[str, Callable[[], Any]] = {
            "POST /meetings": self.meeting_body,
            "POST /meetings/{id}/decisions": self.decision,
            "POST /tasks/{id}/report": lambda: {"text": "进展"},
            "POST /tasks/{id}/return": lambda: {"reason": "报告缺少签收材料"},
            "POST /tasks/{id}/close": lambda: {"evidence": "签收单"},
            "POST /inspections": lambda: self.inspection("township"),
            "POST /inspections/{id}/findings": lambda: {"text": "任务超期"},
            "POST /inspections/{id}/orders": lambda: {
                "task": "限期整改",
                "due_date": county_day(7),
                "leader_id": str(actors["leader"].id),
                "handler_id": str(actors["handler"].id),
            },
            "POST /inspections/{id}/typical": lambda: {"text": "任务超期未办"},
            "POST /accountability-records": self.accountability,
        }
        return bodies[row.endpoint]()

    def target(self, row: Row) -> str:
        """The id the row's `{id}` stands for."""
        for prefix, record_id in (
            ("/tasks/{id}", self.task_id),
            ("/inspections/{id}", self.inspection_id),
            ("/accountability-records/{id}", self.record_id),
        ):
            if row.path.startswith(prefix):
                return record_id
        return self.meeting_id

    def post(self, who: str, path: str, body: Any) -> TestResponse:
        """POST as `who`."""
        return self.office.client.post(f"{API}{path}", json=body, headers=self.office.headers(who))

    def send(self, who: str, row: Row) -> TestResponse:
        """The row's request as `who`."""
        path = row.path.replace("{id}", self.target(row))
        if row.method == "POST":
            return self.post(who, path, self.body(row))
        query = {"month": county_day()[:7]} if row.path == "/tasks/completion" else {}
        return self.office.client.get(
            f"{API}{path}", query_string=query, headers=self.office.headers(who)
        )

    def position(self) -> int:
        """The end of the event log (a refused request must not move it)."""
        return self.app.recorder.max_notification_id() or 0


def on_a_task(row: Row) -> bool:
    """Whether the row addresses one task (one the caller may not see is 404)."""
    return row.path.startswith("/tasks/{id}")


SEES_THE_TASK = frozenset({"dispatcher", "supervisor", "auditor", "unit_head", "handler", "leader"})
"""Roles whose county user sees the prepared task (overseers, its unit's staff, its leader)."""


def test_every_register_row_holds_over_http(
    client: FlaskClient, county: County, xinfang: Xinfang, subtests: pytest.Subtests
) -> None:
    office = Office(client, county)
    once: dict[str, str] = {}  # one inspection a month: recorded once, read by every row
    for row in ROWS:
        with subtests.test(row.endpoint):
            records = Records(office, xinfang, **once)
            records.prepare()
            once = {"inspection_id": records.inspection_id, "record_id": records.record_id}
            before = records.position()
            allowed: list[str] = []
            for role in ROLES:
                cell = row.cells[role]
                who = USER_OF[role]
                if cell == "—":
                    hidden = on_a_task(row) and role not in SEES_THE_TASK
                    response = records.send(who, row)
                    assert response.status_code == (404 if hidden else 403), (who, row.endpoint)
                    assert_refused(response, response.status_code)
                    continue
                if cell in {"own unit", "sponsored"}:
                    stranger = STRANGER_OF[role]
                    response = records.send(stranger, row)
                    if "{id}" in row.path:
                        # Another unit's task or inspection does not exist for them (404).
                        assert response.status_code == 404, (stranger, response.get_json())
                    else:
                        assert response.status_code == 200, (stranger, response.get_json())
                        shown = [
                            str(i.get("id") or i.get("unit_id")) for i in response.json["items"]
                        ]
                        assert records.task_id not in shown
                        assert str(county.units["housing"]) not in shown
                allowed.append(who)
            assert records.position() == before, "a refused request recorded something"
            for n, who in enumerate(allowed):
                response = records.send(who, row)
                if n == 0:
                    assert response.status_code in {200, 201}, (who, response.get_json())
                assert response.status_code in {200, 201, 409, 422}, (who, response.get_json())
                if row.endpoint == "GET /tasks":
                    assert records.task_id in [i["id"] for i in response.json["items"]], who
