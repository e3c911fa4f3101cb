"""The registers' view: one row per meeting, task, inspection and accountability record, fed
from the log exactly once (projections/runner.py), each row derived from its aggregate's own state
(every event applied by its own apply()). The queries over it are projections/meeting_register.py
and projections/inspection_register.py.

Texts about a case are stored redacted of its petitioners: the views keep no identity.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from domain.application import Xinfang
from domain.cases import local_date
from domain.inspections import AccountabilityRecord, Inspection
from domain.meetings import Meeting
from domain.tasks import Task
from projections.runner import Item, Projection
from projections.sealer import PetitionerSealer
from projections.sql import hex_id, id_list
from projections.store import ViewStore


def topic_of(aggregate: type[Any]) -> str:
    """What the topics of an aggregate's events start with."""
    return f"{aggregate.__module__}:{aggregate.__qualname__}."


REGISTER_TABLES = (
    """CREATE TABLE IF NOT EXISTS {p}register_tasks (
        task_id TEXT PRIMARY KEY, origin TEXT NOT NULL, source_id TEXT NOT NULL, n {int} NOT NULL,
        problem TEXT NOT NULL, task TEXT NOT NULL, due_date TEXT NOT NULL, leader_id TEXT NOT NULL,
        unit_id TEXT NOT NULL, handler_id TEXT NOT NULL, case_id TEXT, risk_id TEXT,
        status TEXT NOT NULL, assigned_on TEXT NOT NULL, closed_on TEXT, closed_by_id TEXT,
        reports {int} NOT NULL, last_report_on TEXT, version {int} NOT NULL,
        updated_at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS register_tasks_unit ON {p}register_tasks (unit_id)",
    "CREATE INDEX IF NOT EXISTS register_tasks_due ON {p}register_tasks (due_date)",
    """CREATE TABLE IF NOT EXISTS {p}register_meetings (
        meeting_id TEXT PRIMARY KEY, held_on TEXT NOT NULL, title TEXT NOT NULL,
        chair_id TEXT NOT NULL, agenda_items {int} NOT NULL, decisions {int} NOT NULL,
        recorded_at TEXT NOT NULL, version {int} NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS {p}register_inspections (
        inspection_id TEXT PRIMARY KEY, month TEXT NOT NULL, unit_id TEXT NOT NULL,
        held_on TEXT NOT NULL, failed_items {int} NOT NULL, findings {int} NOT NULL,
        orders {int} NOT NULL, typical_text TEXT, typical_on TEXT, version {int} NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS {p}register_accountability (
        record_id TEXT PRIMARY KEY, unit_id TEXT NOT NULL, person_id TEXT,
        decision TEXT NOT NULL, decided_by TEXT NOT NULL, decided_on TEXT NOT NULL,
        inspection_id TEXT, case_ids TEXT NOT NULL, basis {int} NOT NULL,
        recorded_on TEXT NOT NULL, version {int} NOT NULL)""",
)
INSPECTION_COLUMNS = (
    "inspection_id month unit_id held_on failed_items findings orders typical_text typical_on "
    "version"
).split()
ACCOUNTABILITY_COLUMNS = (
    "record_id unit_id person_id decision decided_by decided_on inspection_id case_ids basis "
    "recorded_on version"
).split()
MEETING_COLUMNS = (
    "meeting_id held_on title chair_id agenda_items decisions recorded_at version".split()
)
TASK_COLUMNS = (
    "task_id origin source_id n problem task due_date leader_id unit_id handler_id case_id "
    "risk_id status assigned_on closed_on closed_by_id reports last_report_on version updated_at"
).split()


class RegisterProjection(Projection):
    """Maintains register_tasks, register_meetings, register_inspections and
    register_accountability: one row per record, from the aggregates' own state."""

    name = "registers"
    tables = REGISTER_TABLES
    drops = (
        "register_tasks",
        "register_meetings",
        "register_inspections",
        "register_accountability",
    )

    def __init__(self, app: Xinfang) -> None:
        self.app = app
        self._records: dict[UUID, Any] = {}

    def _advance(self, event: Any) -> Any:
        record_id, version = event.originator_id, event.originator_version
        record = self._records.get(record_id)
        if isinstance(
            event,
            Task.Assigned | Meeting.Convened | Inspection.Opened | AccountabilityRecord.Recorded,
        ):
            record = event.mutate(None)
        else:
            if record is None or record.version != version - 1:
                record = self.app.repository.get(record_id, version=version - 1)
            event.mutate(record)
        self._records[record_id] = record
        return record

    def apply(self, store: ViewStore, cursor: Any, batch: Sequence[Item]) -> None:
        """Upsert the row of every record the batch touched (other events are not decoded)."""
        touched: dict[type[Any], dict[UUID, Any]] = {kind: {} for kind in self.writers}
        for item in batch:
            topic = item.notification.topic
            for kind in self.writers:
                if topic.startswith(topic_of(kind)):
                    record = self._advance(item.event)
                    touched[kind][record.id] = record
        for kind, (table, columns, row_of) in self.writers.items():
            rows = [[row_of(r)[c] for c in columns] for r in touched[kind].values()]
            _upsert(store, cursor, table, columns, rows)

    @property
    def writers(self) -> dict[type[Any], tuple[str, Sequence[str], Any]]:
        """Per aggregate: its table, columns and row."""
        return {
            Task: ("register_tasks", TASK_COLUMNS, self._row),
            Meeting: ("register_meetings", MEETING_COLUMNS, _meeting_row),
            Inspection: ("register_inspections", INSPECTION_COLUMNS, _inspection_row),
            AccountabilityRecord: (
                "register_accountability",
                ACCOUNTABILITY_COLUMNS,
                _accountability_row,
            ),
        }

    def _row(self, task: Task) -> dict[str, Any]:
        people = task_people(self.app, task)
        last = task.reports[-1].occurred_at if task.reports else None
        return {
            "task_id": task.id.hex,
            "origin": task.origin.value,
            "source_id": task.source_id.hex,
            "n": task.n,
            # The views keep no identity: texts about a case or a risk are stored redacted of
            # its people.
            "problem": PetitionerSealer.redact(task.problem, people),
            "task": PetitionerSealer.redact(task.task, people),
            "due_date": task.due_date.isoformat(),
            "leader_id": task.leader_id.hex,
            "unit_id": task.unit_id.hex,
            "handler_id": task.handler_id.hex,
            "case_id": hex_id(task.case_id),
            "risk_id": hex_id(task.risk_id),
            "status": task.status.value,
            "assigned_on": local_date(task.assigned_at).isoformat(),
            "closed_on": task.closed_on.isoformat() if task.closed_on else None,
            "closed_by_id": hex_id(task.closed_by.id) if task.closed_by else None,
            "reports": len(task.reports),
            "last_report_on": local_date(last).isoformat() if last else None,
            "version": task.version,
            "updated_at": task.updated_at.isoformat(),
        }


def _upsert(
    store: ViewStore, cursor: Any, table: str, columns: Sequence[str], rows: list[list[Any]]
) -> None:
    if not rows:
        return
    placeholders = ",".join("?" for _ in columns)
    updates = ",".join(f"{c} = excluded.{c}" for c in columns[1:])
    store.run_many(
        cursor,
        f"INSERT INTO {{p}}{table} VALUES ({placeholders}) "
        f"ON CONFLICT ({columns[0]}) DO UPDATE SET {updates}",
        rows,
    )


def _meeting_row(meeting: Meeting) -> dict[str, Any]:
    return {
        "meeting_id": meeting.id.hex,
        "held_on": meeting.held_on.isoformat(),
        "title": meeting.title,
        "chair_id": meeting.chair_id.hex,
        "agenda_items": len(meeting.agenda),
        "decisions": len(meeting.decisions),
        "recorded_at": meeting.recorded_at.isoformat(),
        "version": meeting.version,
    }


def _inspection_row(inspection: Inspection) -> dict[str, Any]:
    typical = inspection.typical
    return {
        "inspection_id": inspection.id.hex,
        "month": inspection.month,
        "unit_id": inspection.unit_id.hex,
        "held_on": inspection.held_on.isoformat(),
        "failed_items": sum(1 for c in inspection.checklist if not c.passed),
        "findings": len(inspection.findings),
        "orders": len(inspection.orders),
        "typical_text": typical.text if typical else None,
        "typical_on": local_date(typical.occurred_at).isoformat() if typical else None,
        "version": inspection.version,
    }


def _accountability_row(record: AccountabilityRecord) -> dict[str, Any]:
    cases = [r.case_id for r in record.overdue if r.case_id] + [e.case_id for e in record.events]
    return {
        "record_id": record.id.hex,
        "unit_id": record.unit_id.hex,
        "person_id": hex_id(record.person_id),
        "decision": record.decision.value,
        "decided_by": record.decided_by,
        "decided_on": record.decided_on.isoformat(),
        "inspection_id": hex_id(record.inspection_id),
        "case_ids": id_list(list(dict.fromkeys(cases))),
        "basis": len(record.overdue) + len(record.events) + (1 if record.inspection_id else 0),
        "recorded_on": local_date(record.recorded_at).isoformat(),
        "version": record.version,
    }


def people_of(app: Xinfang, case_ids: Sequence[UUID], risk_ids: Sequence[UUID] = ()) -> list[Any]:
    """The petitioners of these cases and the people of these risks (what texts shown with them
    are redacted of)."""
    people: list[Any] = []
    for case_id in dict.fromkeys(case_ids):
        people += app.repository.get(case_id).petitioners
    for risk_id in dict.fromkeys(risk_ids):
        people += app.repository.get(risk_id).people
    return people


def task_people(app: Xinfang, task: Task) -> list[Any]:
    """The people a task's texts are redacted of: its case's petitioners and its risk's people."""
    cases = [task.case_id] if task.case_id is not None else []
    return people_of(app, cases, [task.risk_id] if task.risk_id is not None else [])
