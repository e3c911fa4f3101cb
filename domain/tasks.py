"""A task of the 任务清单 (from a meeting's decision or an inspection's follow-up order): who
answers for it, its reports, and its closing (销号) with evidence.

Who sees a task and who may act on it is stated here once (`visible`, `authorize`); the SQL twin
over the register's rows is `projections/meeting_register.py` (`task_filter`).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Any, Self
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import deadlines as clocks
from domain.commands.registers import RecordCommand
from domain.directory import UNIT_ROLES
from domain.errors import PermissionDeniedError, RuleViolationError, before, role_may_not
from domain.labels import REGISTER_COMMAND
from domain.lifecycle.core import local_date
from domain.record_base import Record, RecordEvent, conflict, needed_text, stamp_data
from domain.register_values import TaskLevel, TaskOrigin, TaskReport, TaskStatus
from domain.values import Actor, Role, Stamp

R = Role
TASK_OVERSEERS = frozenset({R.DISPATCHER, R.SUPERVISOR, R.AUDITOR})
"""Roles that see every task (but one about a case accusing their unit)."""
TASK_READERS = TASK_OVERSEERS | UNIT_ROLES | {R.LEADER}
"""Roles that have task queues to read (others, the clerk and the admin, are refused)."""
DUE_SOON_DAYS = 3
"""A task is due soon from this many working days before its due date (as a case's clocks)."""


class Task(Record):
    """One task of the 任务清单, with its 责任清单 (leader, unit, person)."""

    def __init__(self) -> None:
        """State is set by the creation event's apply()."""

    class Assigned(Aggregate.Created):
        """A task was put in the queue of its unit and person."""

        actor: Actor
        occurred_at: datetime
        reason: str | None
        on_behalf_of: UUID | None
        origin: TaskOrigin
        source_id: UUID
        n: int
        problem: str
        task: str
        due_date: date
        leader_id: UUID
        unit_id: UUID
        handler_id: UUID
        case_id: UUID | None
        risk_id: UUID | None

        def apply(self, aggregate: Any) -> None:
            """Set the task's initial state."""
            task: Task = aggregate
            task.origin = self.origin
            task.source_id = self.source_id
            task.n = self.n
            task.problem = self.problem
            task.task = self.task
            task.due_date = self.due_date
            task.leader_id = self.leader_id
            task.unit_id = self.unit_id
            task.handler_id = self.handler_id
            task.case_id = self.case_id
            task.risk_id = self.risk_id
            task.assigned_at = self.occurred_at
            task.started_at = self.occurred_at
            task.updated_at = self.timestamp
            task.status = TaskStatus.OPEN
            task.reports = []
            task.evidence = None
            task.closed_by = None
            task.closed_at = None

    class Reported(RecordEvent):
        """Its unit (or leader) reported on the task; `completed` reports it done (报结)."""

        text: str
        completed: bool

        def change(self, record: Any) -> None:
            """Keep the report; a completion report waits to be closed."""
            task: Task = record
            task.reports = [
                *task.reports,
                TaskReport(self.text, self.completed, self.actor, self.occurred_at),
            ]
            if self.completed:
                task.status = TaskStatus.REPORTED

    class ReportReturned(RecordEvent):
        """The completion report was returned (退回), with the reason: the task is open again."""

        def change(self, record: Any) -> None:
            """Back to open: the returned report stays among the reports."""
            task: Task = record
            task.status = TaskStatus.OPEN

    class Closed(RecordEvent):
        """The task was closed (销号) with its evidence."""

        evidence: str

        def change(self, record: Any) -> None:
            """The task is done."""
            task: Task = record
            task.status = TaskStatus.CLOSED
            task.evidence = self.evidence
            task.closed_by = self.actor
            task.closed_at = self.occurred_at

    origin: TaskOrigin
    source_id: UUID
    n: int
    problem: str
    task: str
    due_date: date
    leader_id: UUID
    unit_id: UUID
    handler_id: UUID
    case_id: UUID | None
    risk_id: UUID | None
    assigned_at: datetime
    status: TaskStatus
    reports: list[TaskReport]
    evidence: str | None
    closed_by: Actor | None
    closed_at: datetime | None

    @classmethod
    def assign(
        cls,
        stamp: Stamp,
        *,
        task_id: UUID,
        origin: TaskOrigin,
        source_id: UUID,
        n: int,
        problem: str,
        task: str,
        due_date: date,
        leader_id: UUID,
        unit_id: UUID,
        handler_id: UUID,
        case_id: UUID | None = None,
        risk_id: UUID | None = None,
    ) -> Self:
        """A new task (its source checked the due date against the day it was given)."""
        return cls._create(
            cls.Assigned,
            id=task_id,
            **stamp_data(stamp),
            origin=origin,
            source_id=source_id,
            n=n,
            problem=needed_text("problem", problem, "问题"),
            task=needed_text("task", task, "任务"),
            due_date=due_date,
            leader_id=leader_id,
            unit_id=unit_id,
            handler_id=handler_id,
            case_id=case_id,
            risk_id=risk_id,
        )

    def report(self, stamp: Stamp, *, text: str, completed: bool = False) -> None:
        """Report on the task (not once it is closed)."""
        if self.status is TaskStatus.CLOSED:
            raise conflict("该任务已销号，不能再报告进展")
        self._record(
            self.Reported, stamp, text=needed_text("text", text, "报告内容"), completed=completed
        )

    def return_report(self, stamp: Stamp) -> None:
        """Return (退回) the report of the task done, which the stamp's reason says is not."""
        self._require_reported(
            closed="该任务已销号，不能退回", open_="该任务尚未报结，没有可退回的报告"
        )
        self._require_after_last_report(stamp)
        self._record(self.ReportReturned, stamp)

    def close(self, stamp: Stamp, *, evidence: str) -> None:
        """Close (销号) a task reported done, with the evidence that it was."""
        self._require_reported(closed="该任务已销号", open_="该任务尚未报结，暂不能销号")
        proof = needed_text("evidence", evidence, "销号依据")
        self._require_after_last_report(stamp)
        self._record(self.Closed, stamp, evidence=proof)

    def _require_reported(self, *, closed: str, open_: str) -> None:
        """Refuse (409) unless the task waits, reported done: `closed` says why once it is
        closed, `open_` while it is not reported done."""
        if self.status is TaskStatus.CLOSED:
            raise conflict(closed)
        if self.status is not TaskStatus.REPORTED:
            raise conflict(open_)

    def _require_after_last_report(self, stamp: Stamp) -> None:
        if stamp.occurred_at < self.reports[-1].occurred_at:
            raise RuleViolationError("occurred_at", before("occurred_at", "最近一次报告的时间"))

    # -- derived ---------------------------------------------------------------------------------
    @property
    def closed_on(self) -> date | None:
        """The county date it was closed."""
        return local_date(self.closed_at) if self.closed_at is not None else None

    def level(self, today: date) -> TaskLevel:
        """Where the task stands against its due date (a closed one: on time or late)."""
        return task_level(self.due_date, self.closed_on, today)


def task_level(due_date: date, closed_on: date | None, today: date) -> TaskLevel:
    """The level of a task due on `due_date` and closed on `closed_on` (None: still open).

    As a case's deadlines (docs/accountability.md §2): overdue from the day after the due date,
    due soon from three working days before it; a task closed after its due date stays late.
    """
    if closed_on is not None:
        return TaskLevel.CLOSED_ON_TIME if closed_on <= due_date else TaskLevel.CLOSED_LATE
    if today > due_date:
        return TaskLevel.OVERDUE
    if due_date <= clocks.add_working_days(today, DUE_SOON_DAYS)[0]:
        return TaskLevel.DUE_SOON
    return TaskLevel.OPEN


# -- who sees a task, who may act on it ------------------------------------------------------------
def visible(
    actor: Actor,
    *,
    unit_id: UUID,
    leader_id: UUID,
    accused: Collection[UUID],
    unit_lineage: Collection[UUID],
) -> bool:
    """Whether a task exists for the actor (others get 404).

    Overseers see every task; the staff of its unit and its responsible leader see it; nobody of
    a unit accused by the task's case or concerned by its risk (`accused`: both), or of a unit
    below one, sees it, whatever the role.
    """
    if not set(accused).isdisjoint(unit_lineage):
        return False
    if actor.role in TASK_OVERSEERS:
        return True
    if actor.role in UNIT_ROLES:
        return actor.unit_id == unit_id
    return actor.role is R.LEADER and actor.id == leader_id


def authorize(command: RecordCommand, actor: Actor, task: Task) -> None:
    """Refuse unless the command's declaration lets `actor` act on this task."""
    if not may(type(command), actor, task):
        name = REGISTER_COMMAND.get(type(command).__name__, command.verb)
        raise PermissionDeniedError(role_may_not(actor.role.value, f"对此任务办理“{name}”"))


def may(declaration: type[RecordCommand], actor: Actor, task: Task) -> bool:
    """Whether the declaration lets `actor` act on this task (the rule `authorize` applies;
    the web pages offer a task's forms by it)."""
    rule = declaration.permission
    return (
        actor.role in rule.anyone_of
        or (actor.role in rule.unit_roles and actor.unit_id == task.unit_id)
        or (rule.sponsor and actor.role is R.LEADER and actor.id == task.leader_id)
    )


def require_reader(actor: Actor) -> None:
    """Refuse the task lists to roles outside TASK_READERS (403)."""
    if actor.role not in TASK_READERS:
        raise PermissionDeniedError(role_may_not(actor.role.value, "查看任务清单"))
