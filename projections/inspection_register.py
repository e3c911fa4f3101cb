"""The read side of 督查 and 问责: the inspection and accountability-record views and lists, and
the month's typical inspections (典型案例) for the bulletin.

A record links the overdue records and events it rests on; each viewer is shown the links about
cases they may see (domain/visibility.py, through the ledger's SQL twin), and texts redacted of
the petitioners of the cases linked (the registers never show an identity).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from domain import labels
from domain.errors import PermissionDeniedError, role_may_not
from domain.inspections import (
    INSPECTION_READERS,
    AccountabilityRecord,
    Inspection,
    reads_inspections,
)
from domain.register_values import EventRef, OverdueRef, RecordDecisionKind
from domain.values import Actor, Petitioner, Rule
from projections import disclosure
from projections.meeting_register import SYSTEM_VIEWER, MeetingRegister, record_history, task_row
from projections.names import Names
from projections.register_projection import people_of
from projections.scorecards import month_bounds
from projections.sql import Where, uuid_of


@dataclass(frozen=True)
class InspectionQuery:
    """Filters of the inspection list."""

    month: str | None = None
    unit_id: UUID | None = None
    typical: bool | None = None


class InspectionRegister:
    """Views and lists of inspections and 问责 records."""

    def __init__(self, meetings: MeetingRegister) -> None:
        self.meetings = meetings
        self.app = meetings.app
        self.store = meetings.store

    # -- shared: the links, as the viewer may see them -------------------------------------------
    def _people(self, case_ids: Sequence[UUID]) -> list[Petitioner]:
        people: list[Petitioner] = people_of(self.app, case_ids)
        return people

    def _overdue_views(
        self,
        viewer: Actor,
        refs: Sequence[OverdueRef],
        cases: Mapping[UUID, Mapping[str, Any]],
        names: Names,
        today: date,
    ) -> list[dict[str, Any]]:
        tasks = self.meetings.task_rows([r.task_id for r in refs if r.task_id])
        views = []
        for ref in refs:
            if ref.task_id is not None:
                row = tasks.get(ref.task_id)
                if row is None or (row["case_id"] and uuid_of(row["case_id"]) not in cases):
                    continue
                views.append(
                    {"kind": "task", "task_id": ref.task_id, "task": task_row(row, names, today)}
                )
                continue
            case = cases.get(ref.case_id) if ref.case_id else None
            if case is None:
                continue
            rule = ref.slot.split("#")[0] if ref.slot else None
            views.append(
                {
                    "kind": "deadline",
                    "case_id": ref.case_id,
                    "case_number": case["number"],
                    "slot": ref.slot,
                    "rule_label": labels.label_of(Rule, rule),
                    "due_date": ref.due_date,
                }
            )
        return views

    def _case_ids(self, refs: Sequence[OverdueRef], events: Sequence[EventRef] = ()) -> list[UUID]:
        ids = [r.case_id for r in refs if r.case_id is not None]
        ids += [e.case_id for e in events]
        rows = self.meetings.task_rows([r.task_id for r in refs if r.task_id])
        ids += [UUID(r["case_id"]) for r in rows.values() if r["case_id"]]
        return list(dict.fromkeys(ids))

    # -- inspections -------------------------------------------------------------------------------
    def inspection_view(self, viewer: Actor, inspection: Inspection, today: date) -> dict[str, Any]:
        """The inspection: checklist, findings with their links, orders, 典型案例."""
        names = Names(self.app)
        refs = [r for f in inspection.findings for r in f.overdue]
        case_ids = self._case_ids(refs)
        cases = self.meetings.visible_cases(viewer, case_ids)
        people = self._people(case_ids)
        orders = self.meetings.task_rows([o.task_id for o in inspection.orders])
        typical = inspection.typical
        return {
            "id": inspection.id,
            "month": inspection.month,
            "facts": self._facts(inspection, today),
            "unit_id": inspection.unit_id,
            "unit_name": names.unit(inspection.unit_id.hex),
            "held_on": inspection.held_on,
            "checklist": [
                {
                    "item": c.item.value,
                    "label": labels.label(c.item),
                    "passed": c.passed,
                    "note": c.note,
                }
                for c in inspection.checklist
            ],
            "findings": [
                {
                    "n": f.n,
                    "text": disclosure.scrub(f.text, people),
                    "overdue": self._overdue_views(viewer, f.overdue, cases, names, today),
                    "recorded_by": f.actor,
                    "occurred_at": f.occurred_at,
                }
                for f in inspection.findings
            ],
            "orders": [
                {
                    "n": o.n,
                    "task_id": o.task_id,
                    "task": o.task,
                    "due_date": o.due_date,
                    "task_status": orders[o.task_id]["status"] if o.task_id in orders else "open",
                    "recorded_by": o.actor,
                    "occurred_at": o.occurred_at,
                }
                for o in inspection.orders
            ],
            "typical": None
            if typical is None
            else {
                "text": disclosure.scrub(typical.text, people),
                "marked_by": typical.actor,
                "marked_at": typical.occurred_at,
            },
            "recorded_by": inspection.recorded_by,
            "version": inspection.version,
        }

    def inspection_history(
        self, inspection: Inspection, view: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        """Every event of the inspection in order, each with what the inspection `view` shown
        to its reader (`inspection_view`) holds of it: the checklist as recorded, each finding
        (its overdue records those the reader may see, its text redacted), each order, the
        典型案例 mark."""
        findings = {f["n"]: f for f in view["findings"]}
        orders = {o["n"]: o for o in view["orders"]}
        opened = ("month", "unit_id", "unit_name", "held_on", "checklist")
        people = self._people(self._case_ids([r for f in inspection.findings for r in f.overdue]))

        def what(event: Any) -> Mapping[str, Any] | None:
            if isinstance(event, Inspection.Opened):
                return {name: view[name] for name in opened}
            if isinstance(event, Inspection.FindingRecorded):
                return findings.get(event.finding.n)
            if isinstance(event, Inspection.FollowUpOrdered):
                return orders.get(event.order.n)
            if isinstance(event, Inspection.MarkedTypical):
                typical: Mapping[str, Any] = view["typical"]
                return typical
            return None

        return record_history(self.app, inspection.id, what, people)

    def _facts(self, inspection: Inspection, today: date) -> dict[str, Any]:
        """What the registers say of the unit's month, beside the checklist: its tasks falling
        due in the month and those closed on time (as `completion`), and its tasks open past
        their due date today."""
        unit = inspection.unit_id
        cards = self.meetings.tasks_completion(SYSTEM_VIEWER, inspection.month, today)
        card = next((c for c in cards if c["unit_id"] == unit), None)
        late = self.store.query(
            "SELECT COUNT(*) AS n FROM {p}register_tasks WHERE unit_id = ? AND status <> ? "
            "AND due_date < ?",
            [unit.hex, "closed", today.isoformat()],
        )
        return {
            "tasks_due": card["tasks_due"] if card else 0,
            "tasks_on_time": card["tasks_on_time"] if card else 0,
            "task_on_time_text": card["task_on_time_text"] if card else labels.rate_text(0, 0),
            "tasks_overdue_now": int(late[0]["n"]),
        }

    def inspections(self, viewer: Actor, query: InspectionQuery) -> list[dict[str, Any]]:
        """The inspections the viewer may read (overseers all, a unit head their unit's)."""
        where = Where()
        if not reads_inspections(viewer):
            raise PermissionDeniedError(role_may_not(viewer.role.value, "查看督查记录"))
        if viewer.role not in INSPECTION_READERS:
            where.add("unit_id = ?", viewer.unit_id.hex if viewer.unit_id else "-")
        if query.month is not None:
            where.add("month = ?", query.month)
        if query.unit_id is not None:
            where.add("unit_id = ?", query.unit_id.hex)
        if query.typical is not None:
            where.add("typical_text IS NOT NULL" if query.typical else "typical_text IS NULL")
        rows = self.store.query(
            f"SELECT * FROM {{p}}register_inspections WHERE {where.sql} "
            "ORDER BY month DESC, held_on DESC, inspection_id",
            where.params,
        )
        names = Names(self.app)
        return [
            {
                "id": UUID(r["inspection_id"]),
                "month": r["month"],
                "unit_id": UUID(r["unit_id"]),
                "unit_name": names.unit(r["unit_id"]),
                "held_on": date.fromisoformat(r["held_on"]),
                "failed_items": r["failed_items"],
                "findings": r["findings"],
                "orders": r["orders"],
                "typical": r["typical_text"] is not None,
                "version": r["version"],
            }
            for r in rows
        ]

    def typical_inspections(self, month: str) -> list[dict[str, Any]]:
        """The inspections marked 典型案例 in `month`, with their short texts (for the bulletin;
        the texts are written for publication and name no petitioner)."""
        first, last = month_bounds(month)
        rows = self.store.query(
            "SELECT inspection_id, month, unit_id, typical_text, typical_on "
            "FROM {p}register_inspections WHERE typical_on >= ? AND typical_on <= ? "
            "ORDER BY typical_on, month, inspection_id",
            [first.isoformat(), last.isoformat()],
        )
        names = Names(self.app)
        return [
            {
                "inspection_id": UUID(r["inspection_id"]),
                "month": r["month"],
                "unit_name": names.unit(r["unit_id"]),
                "text": r["typical_text"],
                "marked_on": r["typical_on"],
            }
            for r in rows
        ]

    # -- 问责 -------------------------------------------------------------------------------------
    def accountability_view(
        self, viewer: Actor, record: AccountabilityRecord, today: date
    ) -> dict[str, Any]:
        """The 问责 record with the records it rests on (those the viewer may see)."""
        names = Names(self.app)
        case_ids = self._case_ids(record.overdue, record.events)
        cases = self.meetings.visible_cases(viewer, case_ids)
        people = self._people(case_ids)
        events = []
        for ref in record.events:
            case = cases.get(ref.case_id)
            if case is None:
                continue
            (event,) = self.app.events.get(ref.case_id, gt=ref.version - 1, lte=ref.version)
            kind = type(event).__name__
            events.append(
                {
                    "case_id": ref.case_id,
                    "case_number": case["number"],
                    "version": ref.version,
                    "type": kind,
                    "type_label": labels.event_label(kind),
                    "occurred_at": getattr(event, "occurred_at", None),
                    "actor": getattr(event, "actor", None),
                }
            )
        inspection = None
        if record.inspection_id is not None:
            rows = self.store.query(
                "SELECT * FROM {p}register_inspections WHERE inspection_id = ?",
                [record.inspection_id.hex],
            )
            inspection = {
                "id": record.inspection_id,
                "month": rows[0]["month"] if rows else None,
                "unit_name": names.unit(rows[0]["unit_id"]) if rows else None,
            }
        return {
            "id": record.id,
            "unit_id": record.unit_id,
            "unit_name": names.unit(record.unit_id.hex),
            "person_id": record.person_id,
            "person_name": names.user(record.person_id.hex) if record.person_id else None,
            "overdue": self._overdue_views(viewer, record.overdue, cases, names, today),
            "events": events,
            "inspection": inspection,
            "decision": record.decision.value,
            "decision_label": labels.label(record.decision),
            "decided_by": record.decided_by,
            "decided_on": record.decided_on,
            "outcome": disclosure.scrub(record.outcome, people),
            "reason": disclosure.scrub(record.basis_text, people),
            "recorded_by": record.recorded_by,
            "recorded_at": record.recorded_at,
            "version": record.version,
        }

    def accountability_records(
        self, unit_id: UUID | None = None, month: str | None = None
    ) -> list[dict[str, Any]]:
        """The 问责 records, latest decision first (the caller checked the viewer may read)."""
        where = Where()
        if unit_id is not None:
            where.add("unit_id = ?", unit_id.hex)
        if month is not None:
            first, last = month_bounds(month)
            where.add("decided_on >= ? AND decided_on <= ?", first.isoformat(), last.isoformat())
        rows = self.store.query(
            f"SELECT * FROM {{p}}register_accountability WHERE {where.sql} "
            "ORDER BY decided_on DESC, recorded_on DESC, record_id",
            where.params,
        )
        names = Names(self.app)
        return [
            {
                "id": UUID(r["record_id"]),
                "unit_id": UUID(r["unit_id"]),
                "unit_name": names.unit(r["unit_id"]),
                "person_name": names.user(r["person_id"]),
                "decision": r["decision"],
                "decision_label": labels.label_of(RecordDecisionKind, r["decision"]),
                "decided_by": r["decided_by"],
                "decided_on": date.fromisoformat(r["decided_on"]),
                "basis": r["basis"],
                "version": r["version"],
            }
            for r in rows
        ]


def bulletin_typical_inspections(register: InspectionRegister, month: str) -> list[Any]:
    """The bulletin's hook: the month's inspections marked 典型案例 (the documents helper's
    典型案例 section prints them beside the typical cases)."""
    return register.typical_inspections(month)
