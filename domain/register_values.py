"""Codes and value objects of the registers of work: meetings, tasks, inspections, 问责.

Kept apart from `domain/values.py` (the case's): their Chinese labels are in `domain/labels.py`
(`REGISTER_TABLES`), their stored form in `domain/transcodings.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from uuid import UUID

from domain.values import Actor


class AgendaSource(Enum):
    """Where an item of a meeting's agenda came from."""

    KEY_CASE = "key_case"
    OVERDUE_DEADLINE = "overdue_deadline"
    BACKLOG = "backlog"
    OPEN_TASK = "open_task"
    HIGH_RISK = "high_risk"
    """A high-level risk (隐患, level 重大/较大): drawn by the risk register's source."""


class TaskStatus(Enum):
    """Where a task (任务清单) stands."""

    OPEN = "open"
    REPORTED = "reported"
    """Reported done (报结), waiting for the meeting's office to close it."""
    CLOSED = "closed"
    """Closed (销号) with evidence."""


class TaskOrigin(Enum):
    """What gave a task: a meeting's decision or an inspection's follow-up order."""

    MEETING = "meeting"
    INSPECTION = "inspection"


class TaskLevel(Enum):
    """A task's state against its due date, derived with `today` passed in."""

    OPEN = "open"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    CLOSED_ON_TIME = "closed_on_time"
    CLOSED_LATE = "closed_late"


class CheckItem(Enum):
    """The checklist of the monthly 督查 of 一会议三清单 (每月督查各部门落实情况)."""

    MEETING_HELD = "meeting_held"
    """The unit took part in every weekly joint meeting of the month."""
    LISTS_COMPLETE = "lists_complete"
    """Every task names its leader, unit and person (三清单齐全)."""
    TASKS_ON_TIME = "tasks_on_time"
    """The unit's tasks were reported and closed by their due dates."""
    DEADLINES_KEPT = "deadlines_kept"
    """No deadline of the unit's cases overdue."""
    KEY_CASES_SPONSORED = "key_cases_sponsored"
    """Every key case and 积案 of the unit has a sponsoring leader who received the petitioner."""
    LEDGER_CURRENT = "ledger_current"
    """The unit's 台账 is kept up to date."""


class RecordDecisionKind(Enum):
    """The decisions of 问责 (who decided it is recorded beside)."""

    REMINDER = "reminder"
    CRITICISM = "criticism"
    CIRCULATED = "circulated"
    ADMONITION = "admonition"
    ORGANISATIONAL = "organisational"
    DISCIPLINARY = "disciplinary"
    NONE = "none"
    """Examined, and no one is held accountable."""


@dataclass(frozen=True)
class AgendaItem:
    """One item of a meeting's agenda, by reference: what it shows is read when it is shown
    (and only to a viewer who may see the case), never copied into the meeting."""

    source: AgendaSource
    case_id: UUID | None = None
    task_id: UUID | None = None
    risk_id: UUID | None = None
    slot: str | None = None
    due_date: date | None = None


@dataclass(frozen=True)
class CheckResult:
    """One item of an inspection's checklist and what the inspectors found."""

    item: CheckItem
    passed: bool
    note: str = ""


@dataclass(frozen=True)
class OverdueRef:
    """An overdue record an inspection finding or a 问责 record rests on: one deadline of a
    case (its slot and due date, as the overdue list shows it), or an overdue task."""

    case_id: UUID | None = None
    slot: str | None = None
    due_date: date | None = None
    task_id: UUID | None = None


@dataclass(frozen=True)
class EventRef:
    """One event of a case's history (its version) that a 问责 record rests on."""

    case_id: UUID
    version: int


@dataclass(frozen=True)
class TaskReport:
    """One report on a task, by whom and when."""

    text: str
    completed: bool
    actor: Actor
    occurred_at: datetime


REGISTER_ENUMS: tuple[type[Enum], ...] = (
    AgendaSource,
    TaskStatus,
    TaskOrigin,
    TaskLevel,
    CheckItem,
    RecordDecisionKind,
)
REGISTER_VALUE_OBJECTS: tuple[type[object], ...] = (
    AgendaItem,
    CheckResult,
    OverdueRef,
    EventRef,
    TaskReport,
)
