"""The use cases of the registers of work: meetings and tasks (一会议三清单), inspections (督查)
and accountability records (问责). One entry point, `Registers.execute(command, ctx)`, as for
cases: check who may, resolve the ids the command names, run the aggregate's method, save (in the
application's one retry loop, in the one event log, so the audit tree covers every record).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields
from datetime import date
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from domain import tasks as task_rules
from domain import visibility
from domain.application import Context, Xinfang
from domain.cases import Case, make_stamp
from domain.commands.base import Ref
from domain.commands.registers import (
    CloseTask,
    ConveneMeeting,
    RecordCommand,
    RecordDecision,
    ReportTask,
)
from domain.directory import UNIT_ROLES, User
from domain.errors import (
    NotFoundError,
    PermissionDeniedError,
    RuleViolationError,
    StaleVersionError,
)
from domain.meetings import MEETING_READERS, Meeting
from domain.register_values import AgendaItem, TaskOrigin
from domain.tasks import Task
from domain.values import Actor, Role, Stamp

TRecord = TypeVar("TRecord", bound=Aggregate)
AgendaDrawer = Callable[[date], Sequence[AgendaItem]]
"""Draws a meeting's agenda as the county stands, for a meeting held on the given day."""


def no_agenda(held_on: date) -> Sequence[AgendaItem]:
    """An agenda drawer that finds nothing (a desk without a read side: unit tests)."""
    return ()


class Registers:
    """The registers' use cases over the application's event store."""

    def __init__(self, app: Xinfang, draw_agenda: AgendaDrawer = no_agenda) -> None:
        self.app = app
        self.draw_agenda = draw_agenda

    # -- reads ---------------------------------------------------------------------------------
    def _load(self, record_id: UUID, kind: type[TRecord], label: str) -> TRecord:
        found: Aggregate | None
        try:
            found = self.app.repository.get(record_id)
        except AggregateNotFoundError:
            found = None
        if not isinstance(found, kind):
            raise NotFoundError(f"no such {label}")
        return found

    def meeting(self, actor: Actor, meeting_id: UUID) -> Meeting:
        """A meeting, for those who may read meetings (403 for others)."""
        require_meeting_reader(actor)
        return self._load(meeting_id, Meeting, "meeting")

    def task(self, actor: Actor, task_id: UUID) -> Task:
        """A task the actor may see (404 otherwise, as for a task that does not exist)."""
        task = self._load(task_id, Task, "task")
        if not self.sees_task(actor, task):
            raise NotFoundError("no such task")
        return task

    def sees_task(self, actor: Actor, task: Task) -> bool:
        """Whether the task exists for the actor (domain/tasks.py `visible`)."""
        accused: list[UUID] = []
        if task.case_id is not None:
            accused = self._case(task.case_id).accused_unit_ids
        return task_rules.visible(
            actor,
            unit_id=task.unit_id,
            leader_id=task.leader_id,
            accused=accused,
            unit_lineage=self.app.lineage(actor.unit_id),
        )

    def _case(self, case_id: UUID) -> Case:
        return self._load(case_id, Case, "case")

    # -- commands ------------------------------------------------------------------------------
    def execute(self, command: RecordCommand, ctx: Context) -> Aggregate:
        """Run one command of the registers; returns the record it created or changed."""
        handler: Callable[[Any, Context], Aggregate] = getattr(self, f"_{command.verb}")
        if command.needs_reason and not (ctx.reason and ctx.reason.strip()):
            # Checked again by nothing else: the register aggregates take the stamp as given.
            self._require_role(command, ctx.actor)
            raise RuleViolationError("reason", f"'{command.verb}' needs a reason")
        return self.app._retrying(lambda: handler(command, ctx))

    def _stamp(self, ctx: Context) -> Stamp:
        if ctx.on_behalf_of is not None:
            self.app.get_user(ctx.on_behalf_of, field="on_behalf_of")
        return make_stamp(
            ctx.actor,
            now=self.app.clock(),
            occurred_at=ctx.occurred_at,
            reason=ctx.reason,
            on_behalf_of=ctx.on_behalf_of,
        )

    @staticmethod
    def _require_role(command: RecordCommand, actor: Actor) -> None:
        if actor.role not in command.permission.anyone_of:
            msg = f"role '{actor.role.value}' may not '{command.verb}' ({command.record})"
            raise PermissionDeniedError(msg)

    @staticmethod
    def _check_version(ctx: Context, record: Aggregate) -> None:
        if ctx.expected_version is not None and record.version != ctx.expected_version:
            raise StaleVersionError(ctx.expected_version, record.version)

    def _resolve(self, command: RecordCommand, actor: Actor) -> dict[str, Any]:
        """Every id the command names, checked: what it names, by argument name."""
        found: dict[str, Any] = {}
        for spec in fields(command):
            refers: Ref | None = spec.metadata.get("refers")
            value = getattr(command, spec.name)
            if refers is None or value is None:
                continue
            items = value if isinstance(value, list) else [value]
            resolved = [self._referred(refers, item, spec.name, actor) for item in items]
            found[spec.name] = resolved if isinstance(value, list) else resolved[0]
        return found

    def _referred(self, refers: Ref, item_id: UUID, name: str, actor: Actor) -> Any:
        """One referenced record; a case the caller may not see is an id that names nothing."""
        if refers is Ref.UNIT:
            return self.app.get_unit(item_id, field=name)
        if refers is Ref.CASE:
            try:
                return self.app.get_case(actor, item_id)
            except NotFoundError:
                raise RuleViolationError(name, "no such case") from None
        user: User = self.app.get_user(item_id, field=name)
        if refers is Ref.LEADER and user.role is not Role.LEADER:
            raise RuleViolationError(name, f"{user.name} is a {user.role.value}, not leader")
        if refers is Ref.UNIT_STAFF and user.role not in UNIT_ROLES:
            raise RuleViolationError(name, f"{user.name} is a {user.role.value}, not unit staff")
        return user

    # -- 一会议三清单 ---------------------------------------------------------------------------
    def _convene(self, command: ConveneMeeting, ctx: Context) -> Meeting:
        self._require_role(command, ctx.actor)
        self._resolve(command, ctx.actor)
        stamp = self._stamp(ctx)
        meeting = Meeting.convene(
            stamp,
            meeting_id=uuid4(),
            agenda=list(self.draw_agenda(command.held_on)),
            **command.arguments(),
        )
        self.app.save(meeting)
        return meeting

    def _decide(self, command: RecordDecision, ctx: Context) -> Meeting:
        self._require_role(command, ctx.actor)
        meeting = self._load(command.meeting_id, Meeting, "meeting")
        self._check_version(ctx, meeting)
        found = self._resolve(command, ctx.actor)
        handler: User = found["handler_id"]
        if handler.unit_id != command.unit_id:
            raise RuleViolationError("handler_id", f"{handler.name} does not work in that unit")
        case: Case | None = found.get("case_id")
        if case is not None and visibility.is_accused(case, self.app.lineage(command.unit_id)):
            raise RuleViolationError(
                "unit_id", "the case accuses this unit (or its parent): it cannot take the task"
            )
        stamp = self._stamp(ctx)
        task_id = uuid4()
        decision = meeting.decide(stamp, task_id=task_id, **command.arguments())
        task = Task.assign(
            stamp,
            task_id=task_id,
            origin=TaskOrigin.MEETING,
            source_id=meeting.id,
            n=decision.n,
            problem=decision.problem,
            task=decision.task,
            due_date=decision.due_date,
            leader_id=decision.leader_id,
            unit_id=decision.unit_id,
            handler_id=decision.handler_id,
            case_id=decision.case_id,
            risk_id=decision.risk_id,
        )
        self.app.save(meeting, task)
        return meeting

    def _task_command(self, command: RecordCommand, ctx: Context) -> tuple[Task, Stamp]:
        target = command.target()
        assert target is not None
        task = self.task(ctx.actor, target)
        self._check_version(ctx, task)
        task_rules.authorize(command, ctx.actor, task)
        return task, self._stamp(ctx)

    def _report(self, command: ReportTask, ctx: Context) -> Task:
        task, stamp = self._task_command(command, ctx)
        task.report(stamp, **command.arguments())
        self.app.save(task)
        return task

    def _close(self, command: CloseTask, ctx: Context) -> Task:
        task, stamp = self._task_command(command, ctx)
        task.close(stamp, **command.arguments())
        self.app.save(task)
        return task


def require_meeting_reader(actor: Actor) -> None:
    """Refuse meetings to roles outside MEETING_READERS (403)."""
    if actor.role not in MEETING_READERS:
        raise PermissionDeniedError(f"role '{actor.role.value}' may not read meetings")
