"""督查 and 问责: the monthly inspection of a unit's implementation of 一会议三清单 (a checklist,
findings linked to the overdue records they rest on, follow-up orders, 典型案例), and the
accountability record 问责 (who, on what basis, the decision and its outcome).

What counts as an overdue record is the accountability rule's (docs/accountability.md §4): a
deadline of the office overdue, met late or missed, or a task overdue or closed late.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Self
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.errors import MONTH_FORMAT, RuleViolationError, in_future
from domain.lifecycle.core import local_date
from domain.record_base import Record, RecordEvent, conflict, needed_text, stamp_data
from domain.register_values import CheckResult, EventRef, OverdueRef, RecordDecisionKind
from domain.values import Actor, Level, Role, Stamp

R = Role
INSPECTION_READERS = frozenset({R.DISPATCHER, R.SUPERVISOR, R.AUDITOR})
"""Who reads every inspection; the head of the inspected unit reads its own (`sees_inspection`)."""
ACCOUNTABILITY_RECORD_READERS = frozenset({R.SUPERVISOR, R.AUDITOR})
"""Who reads 问责 records: the office that records them and the oversight (纪检监察)."""
OVERDUE_LEVELS = frozenset({Level.OVERDUE, Level.SEVERELY_OVERDUE, Level.MET_LATE, Level.MISSED})
"""The levels of a deadline that make it an overdue record (the overdue list's history)."""
MONTH = re.compile(r"(19|20)[0-9]{2}-(0[1-9]|1[0-2])")


def reads_inspections(actor: Actor) -> bool:
    """Whether the actor's role reads any inspection (the overseers, a unit head their unit's):
    the others are refused (403) whatever the inspection, so the answer tells them nothing."""
    return actor.role in INSPECTION_READERS or actor.role is R.UNIT_HEAD


def sees_inspection(actor: Actor, unit_id: UUID) -> bool:
    """Whether the actor may read an inspection of `unit_id`: for a reader who may not, it does
    not exist (404, as for a month with none: the ids follow from unit and month)."""
    return actor.role in INSPECTION_READERS or (
        actor.role is R.UNIT_HEAD and actor.unit_id == unit_id
    )


def inspection_id(unit_id: UUID, month: str) -> UUID:
    """The one inspection of a unit in a month has this id (a second one is refused)."""
    return uuid5(NAMESPACE_URL, f"xinfang:inspection:{unit_id.hex}:{month}")


@dataclass(frozen=True)
class Finding:
    """A finding of an inspection and the overdue records it rests on."""

    n: int
    text: str
    overdue: list[OverdueRef]
    actor: Actor
    occurred_at: datetime


@dataclass(frozen=True)
class FollowUp:
    """A follow-up order (整改要求): the task it put in the unit's queue."""

    n: int
    task_id: UUID
    task: str
    due_date: date
    actor: Actor
    occurred_at: datetime


@dataclass(frozen=True)
class Typical:
    """The inspection marked as a 典型案例, with the text the bulletin prints."""

    text: str
    actor: Actor
    occurred_at: datetime


class Inspection(Record):
    """One month's 督查 of one unit."""

    def __init__(self) -> None:
        """State is set by the creation event's apply()."""

    class Opened(Aggregate.Created):
        """The month's inspection of a unit, with its checklist."""

        actor: Actor
        occurred_at: datetime
        reason: str | None
        on_behalf_of: UUID | None
        month: str
        unit_id: UUID
        held_on: date
        checklist: list[CheckResult]

        def apply(self, aggregate: Any) -> None:
            """Set the inspection's initial state."""
            inspection: Inspection = aggregate
            inspection.month = self.month
            inspection.unit_id = self.unit_id
            inspection.held_on = self.held_on
            inspection.checklist = list(self.checklist)
            inspection.findings = []
            inspection.orders = []
            inspection.typical = None
            inspection.recorded_by = self.actor
            inspection.started_at = self.occurred_at
            inspection.updated_at = self.timestamp

    class FindingRecorded(RecordEvent):
        """A finding, linked to the overdue records it rests on."""

        finding: Finding

        def change(self, record: Any) -> None:
            """Add the finding."""
            inspection: Inspection = record
            inspection.findings = [*inspection.findings, self.finding]

    class FollowUpOrdered(RecordEvent):
        """A follow-up order; its task was put in the unit's queue."""

        order: FollowUp

        def change(self, record: Any) -> None:
            """Add the order."""
            inspection: Inspection = record
            inspection.orders = [*inspection.orders, self.order]

    class MarkedTypical(RecordEvent):
        """The inspection was marked a 典型案例."""

        typical: Typical

        def change(self, record: Any) -> None:
            """Keep the text the bulletin prints."""
            inspection: Inspection = record
            inspection.typical = self.typical

    month: str
    unit_id: UUID
    held_on: date
    checklist: list[CheckResult]
    findings: list[Finding]
    orders: list[FollowUp]
    typical: Typical | None
    recorded_by: Actor

    @classmethod
    def open(
        cls,
        stamp: Stamp,
        *,
        month: str,
        unit_id: UUID,
        held_on: date,
        checklist: Sequence[CheckResult],
    ) -> Self:
        """The inspection of `unit_id` for `month`, held no earlier than the month began."""
        if MONTH.fullmatch(month) is None:
            raise RuleViolationError("month", MONTH_FORMAT)
        if held_on < date.fromisoformat(f"{month}-01"):
            raise RuleViolationError("held_on", "督查日期不能早于所督查的月份")
        if held_on > local_date(stamp.latest):
            raise RuleViolationError("held_on", in_future("held_on"))
        items = [c.item for c in checklist]
        if not items:
            raise RuleViolationError("checklist", "督查清单至少须有一项")
        if len(set(items)) != len(items):
            raise RuleViolationError("checklist", "督查清单中有重复的项目")
        return cls._create(
            cls.Opened,
            id=inspection_id(unit_id, month),
            **stamp_data(stamp),
            month=month,
            unit_id=unit_id,
            held_on=held_on,
            checklist=[CheckResult(c.item, c.passed, c.note.strip()) for c in checklist],
        )

    def find(self, stamp: Stamp, *, text: str, overdue: Sequence[OverdueRef]) -> Finding:
        """Record a finding (the caller checked that each record it names is overdue)."""
        finding = Finding(
            n=len(self.findings) + 1,
            text=needed_text("text", text, "督查发现的问题"),
            overdue=list(dict.fromkeys(overdue)),
            actor=stamp.actor,
            occurred_at=stamp.occurred_at,
        )
        self._record(self.FindingRecorded, stamp, finding=finding)
        return finding

    def order(self, stamp: Stamp, *, task_id: UUID, task: str, due_date: date) -> FollowUp:
        """Record a follow-up order; its task (created beside it) is `task_id`."""
        if due_date < local_date(stamp.occurred_at):
            raise RuleViolationError("due_date", "整改期限不能早于下达要求的日期")
        order = FollowUp(
            n=len(self.orders) + 1,
            task_id=task_id,
            task=needed_text("task", task, "整改要求"),
            due_date=due_date,
            actor=stamp.actor,
            occurred_at=stamp.occurred_at,
        )
        self._record(self.FollowUpOrdered, stamp, order=order)
        return order

    def mark_typical(self, stamp: Stamp, *, text: str) -> None:
        """Mark the inspection a 典型案例 (once)."""
        if self.typical is not None:
            raise conflict("该督查已列为典型案例")
        typical = Typical(needed_text("text", text, "典型意义"), stamp.actor, stamp.occurred_at)
        self._record(self.MarkedTypical, stamp, typical=typical)


class AccountabilityRecord(Record):
    """A 问责 record: who, on what basis (linked), the decision and its outcome."""

    def __init__(self) -> None:
        """State is set by the creation event's apply()."""

    class Recorded(Aggregate.Created):
        """Someone was (or was not) held accountable, on the basis linked."""

        actor: Actor
        occurred_at: datetime
        reason: str | None
        on_behalf_of: UUID | None
        unit_id: UUID
        person_id: UUID | None
        overdue: list[OverdueRef]
        events: list[EventRef]
        inspection_id: UUID | None
        decision: RecordDecisionKind
        decided_by: str
        decided_on: date
        outcome: str

        def apply(self, aggregate: Any) -> None:
            """Set the record's state."""
            record: AccountabilityRecord = aggregate
            record.unit_id = self.unit_id
            record.person_id = self.person_id
            record.overdue = list(self.overdue)
            record.events = list(self.events)
            record.inspection_id = self.inspection_id
            record.decision = self.decision
            record.decided_by = self.decided_by
            record.decided_on = self.decided_on
            record.outcome = self.outcome
            record.basis_text = self.reason or ""
            record.recorded_by = self.actor
            record.recorded_at = self.occurred_at
            record.started_at = self.occurred_at
            record.updated_at = self.timestamp

    unit_id: UUID
    person_id: UUID | None
    overdue: list[OverdueRef]
    events: list[EventRef]
    inspection_id: UUID | None
    decision: RecordDecisionKind
    decided_by: str
    decided_on: date
    outcome: str
    basis_text: str
    recorded_by: Actor
    recorded_at: datetime

    @classmethod
    def record(
        cls,
        stamp: Stamp,
        *,
        record_id: UUID,
        unit_id: UUID,
        person_id: UUID | None,
        overdue: Sequence[OverdueRef],
        events: Sequence[EventRef],
        inspection_id: UUID | None,
        decision: RecordDecisionKind,
        decided_by: str,
        decided_on: date,
        outcome: str,
    ) -> Self:
        """A 问责 record; it rests on at least one overdue record, event or inspection."""
        if not overdue and not events and inspection_id is None:
            raise RuleViolationError("overdue", "问责须以超期记录、办理记录或督查为依据")
        if decided_on > local_date(stamp.latest):
            raise RuleViolationError("decided_on", in_future("decided_on"))
        if not stamp.reason:
            raise RuleViolationError("reason", "请写明问责理由")
        return cls._create(
            cls.Recorded,
            id=record_id,
            **stamp_data(stamp),
            unit_id=unit_id,
            person_id=person_id,
            overdue=list(dict.fromkeys(overdue)),
            events=list(dict.fromkeys(events)),
            inspection_id=inspection_id,
            decision=decision,
            decided_by=needed_text("decided_by", decided_by, "决定机关"),
            decided_on=decided_on,
            outcome=outcome.strip(),
        )
