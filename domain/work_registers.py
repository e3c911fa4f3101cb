"""The use cases of the registers of work: meetings and tasks (一会议三清单), inspections (督查)
and accountability records (问责). One entry point, `WorkRegisters.execute(command, ctx)`, as for
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

from domain import deadlines as clocks
from domain import tasks as task_rules
from domain import visibility
from domain.application import Context, Xinfang
from domain.cases import Case, make_stamp
from domain.commands.base import Ref
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
from domain.directory import UNIT_ROLES, RequestRecord, User
from domain.errors import (
    ACCUSED_UNIT,
    KEY_REUSED_FOR_OTHER_REQUEST,
    KEY_REUSED_WITH_OTHER_BODY,
    NO_SUCH_CASE,
    RISK_ACCUSED_UNIT,
    ConflictError,
    IdempotencyKeyReusedError,
    NotFoundError,
    PermissionDeniedError,
    RuleViolationError,
    StaleVersionError,
    needs_reason,
    no_such,
    role_may_not,
    wrong_role,
)
from domain.inspections import (
    ACCOUNTABILITY_RECORD_READERS,
    OVERDUE_LEVELS,
    AccountabilityRecord,
    Inspection,
    reads_inspections,
    sees_inspection,
)
from domain.labels import REGISTER_COMMAND, label_of
from domain.lifecycle.core import local_date
from domain.meetings import MEETING_READERS, Meeting
from domain.register_values import AgendaItem, EventRef, OverdueRef, TaskLevel, TaskOrigin
from domain.registers import Registers
from domain.risks import Risk
from domain.tasks import Task
from domain.values import Actor, Deadline, Role, Rule, Stamp

TRecord = TypeVar("TRecord", bound=Aggregate)
AgendaDrawer = Callable[[date], Sequence[AgendaItem]]
"""Draws a meeting's agenda as the county stands, for a meeting held on the given day."""
DeadlineUnit = Callable[[UUID, Deadline], UUID | None]
"""The unit that answers for a deadline of a case (the read side's attribution rule, the one the
overdue list uses: projections/attribution.py)."""


def no_agenda(held_on: date) -> Sequence[AgendaItem]:
    """An agenda drawer that finds nothing (a desk without a read side: unit tests)."""
    return ()


class WorkRegisters:
    """The registers' use cases over the application's event store."""

    def __init__(
        self,
        app: Xinfang,
        draw_agenda: AgendaDrawer = no_agenda,
        deadline_unit: DeadlineUnit | None = None,
    ) -> None:
        self.app = app
        self.draw_agenda = draw_agenda
        self.deadline_unit = deadline_unit

    # -- reads ---------------------------------------------------------------------------------
    def _load(self, record_id: UUID, kind: type[TRecord], label: str) -> TRecord:
        found: Aggregate | None
        try:
            found = self.app.repository.get(record_id)
        except AggregateNotFoundError:
            found = None
        if not isinstance(found, kind):
            raise NotFoundError(no_such(label))
        return found

    def meeting(self, actor: Actor, meeting_id: UUID) -> Meeting:
        """A meeting, for those who may read meetings (403 for others)."""
        require_meeting_reader(actor)
        return self._load(meeting_id, Meeting, "会议")

    def task(self, actor: Actor, task_id: UUID) -> Task:
        """A task the actor may see (404 otherwise, as for a task that does not exist)."""
        task = self._load(task_id, Task, "任务")
        if not self.sees_task(actor, task):
            raise NotFoundError(no_such("任务"))
        return task

    def sees_task(self, actor: Actor, task: Task) -> bool:
        """Whether the task exists for the actor (domain/tasks.py `visible`)."""
        accused: list[UUID] = []
        if task.case_id is not None:
            accused += self._case(task.case_id).accused_unit_ids
        if task.risk_id is not None:
            accused += self._load(task.risk_id, Risk, "隐患").accused_unit_ids
        return task_rules.visible(
            actor,
            unit_id=task.unit_id,
            leader_id=task.leader_id,
            accused=accused,
            unit_lineage=self.app.lineage(actor.unit_id),
        )

    def _case(self, case_id: UUID) -> Case:
        return self._load(case_id, Case, "信访事项")

    # -- commands ------------------------------------------------------------------------------
    def execute(self, command: RecordCommand, ctx: Context) -> Aggregate:
        """Run one command of the registers; returns the record it created or changed.

        Retried if another writer got there first; a keyed request (Idempotency-Key) is applied
        at most once, a retry answered with the record as the first answer left it.
        """
        handler: Callable[[Any, Context], list[Aggregate]] = getattr(self, f"_{command.verb}")
        if command.needs_reason and not (ctx.reason and ctx.reason.strip()):
            self._require_role(command, ctx.actor)
            raise RuleViolationError("reason", needs_reason(command_name(command)))
        asked = ctx.fingerprint(command)

        def attempt() -> Aggregate:
            replayed = self._replay(command, ctx, asked)
            if replayed is not None:
                return replayed
            changed = handler(command, ctx)
            result = changed[0]
            changed += RequestRecord.kept(
                ctx.actor.id, ctx.idempotency_key, request_name(command), result, asked
            )
            self.app.save(*changed)
            return result

        return self.app._retrying(attempt)

    def _replay(self, command: RecordCommand, ctx: Context, asked: str) -> Aggregate | None:
        """The first result of this keyed request, if it was applied (None without a key)."""
        if not ctx.idempotency_key:
            return None
        try:
            record: Aggregate = self.app.repository.get(
                RequestRecord.id_for(ctx.actor.id, ctx.idempotency_key)
            )
        except AggregateNotFoundError:
            return None
        if not isinstance(record, RequestRecord) or record.command != request_name(command):
            raise IdempotencyKeyReusedError(KEY_REUSED_FOR_OTHER_REQUEST)
        if record.fingerprint != asked:
            raise IdempotencyKeyReusedError(KEY_REUSED_WITH_OTHER_BODY)
        first: Aggregate = self.app.repository.get(record.case_id, version=record.case_version)
        if isinstance(first, Task) and not self.sees_task(ctx.actor, self.task_now(first.id)):
            raise NotFoundError(no_such("任务"))
        return first

    def task_now(self, task_id: UUID) -> Task:
        """A task as it stands now (no visibility check: the caller's)."""
        return self._load(task_id, Task, "任务")

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
            what = f"办理“{command_name(command)}”"
            raise PermissionDeniedError(role_may_not(actor.role.value, what))

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
        """One referenced record; a case or risk the caller may not see is an id that names
        nothing (the same 422 as an unknown id)."""
        if refers is Ref.UNIT:
            return self.app.get_unit(item_id, field=name)
        if refers is Ref.CASE:
            try:
                return self.app.get_case(actor, item_id)
            except NotFoundError:
                raise RuleViolationError(name, NO_SUCH_CASE) from None
        if refers is Ref.RISK:
            try:
                return Registers(self.app).get_risk(actor, item_id)
            except NotFoundError:
                raise RuleViolationError(name, no_such("隐患")) from None
        user: User = self.app.get_user(item_id, field=name)
        if refers is Ref.LEADER and user.role is not Role.LEADER:
            raise RuleViolationError(name, wrong_role(user.name, user.role, {Role.LEADER}))
        if refers is Ref.UNIT_STAFF and user.role not in UNIT_ROLES:
            raise RuleViolationError(name, wrong_role(user.name, user.role, UNIT_ROLES))
        return user

    # -- 一会议三清单 ---------------------------------------------------------------------------
    def _convene(self, command: ConveneMeeting, ctx: Context) -> list[Aggregate]:
        self._require_role(command, ctx.actor)
        self._resolve(command, ctx.actor)
        stamp = self._stamp(ctx)
        meeting = Meeting.convene(
            stamp,
            meeting_id=uuid4(),
            agenda=list(self.draw_agenda(command.held_on)),
            **command.arguments(),
        )
        return [meeting]

    def _decide(self, command: RecordDecision, ctx: Context) -> list[Aggregate]:
        self._require_role(command, ctx.actor)
        meeting = self._load(command.meeting_id, Meeting, "会议")
        self._check_version(ctx, meeting)
        found = self._resolve(command, ctx.actor)
        handler: User = found["handler_id"]
        if handler.unit_id != command.unit_id:
            raise RuleViolationError("handler_id", f"{handler.name}不是该单位的工作人员")
        case: Case | None = found.get("case_id")
        lineage = self.app.lineage(command.unit_id)
        if case is not None and visibility.is_accused(case, lineage):
            raise RuleViolationError("unit_id", ACCUSED_UNIT)
        risk: Risk | None = found.get("risk_id")
        if risk is not None and visibility.accused_in(risk.standing(), lineage):
            raise RuleViolationError("unit_id", RISK_ACCUSED_UNIT)
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
        return [meeting, task]

    def _task_command(self, command: RecordCommand, ctx: Context) -> tuple[Task, Stamp]:
        target = command.target()
        assert target is not None
        task = self.task(ctx.actor, target)
        self._check_version(ctx, task)
        task_rules.authorize(command, ctx.actor, task)
        return task, self._stamp(ctx)

    def _report(self, command: ReportTask, ctx: Context) -> list[Aggregate]:
        task, stamp = self._task_command(command, ctx)
        task.report(stamp, **command.arguments())
        return [task]

    def _return_report(self, command: ReturnTaskReport, ctx: Context) -> list[Aggregate]:
        task, stamp = self._task_command(command, ctx)
        task.return_report(stamp)
        return [task]

    def _close(self, command: CloseTask, ctx: Context) -> list[Aggregate]:
        task, stamp = self._task_command(command, ctx)
        task.close(stamp, **command.arguments())
        return [task]

    # -- 督查 ---------------------------------------------------------------------------------
    def inspection(self, actor: Actor, inspection_id: UUID) -> Inspection:
        """An inspection the actor may read (overseers; the inspected unit's head): 403 for a
        role that reads none, 404 for another unit's head (as for an inspection not recorded)."""
        if not reads_inspections(actor):
            raise PermissionDeniedError(role_may_not(actor.role.value, "查看督查记录"))
        inspection = self._load(inspection_id, Inspection, "督查记录")
        if not sees_inspection(actor, inspection.unit_id):
            raise NotFoundError(no_such("督查记录"))
        return inspection

    def _inspect(self, command: OpenInspection, ctx: Context) -> list[Aggregate]:
        self._require_role(command, ctx.actor)
        self._resolve(command, ctx.actor)
        stamp = self._stamp(ctx)
        inspection = Inspection.open(stamp, **command.arguments())
        try:
            self.app.repository.get(inspection.id)
        except AggregateNotFoundError:
            return [inspection]
        msg = f"该单位 {command.month} 的督查已有记录（每月一次）"
        raise ConflictError(msg)

    def _inspection_command(self, command: RecordCommand, ctx: Context) -> Inspection:
        self._require_role(command, ctx.actor)
        target = command.target()
        assert target is not None
        inspection = self._load(target, Inspection, "督查记录")
        self._check_version(ctx, inspection)
        return inspection

    def _find(self, command: RecordFinding, ctx: Context) -> list[Aggregate]:
        inspection = self._inspection_command(command, ctx)
        stamp = self._stamp(ctx)
        today = local_date(stamp.occurred_at)
        self._check_overdue(command.overdue, ctx.actor, today, inspection.unit_id)
        inspection.find(stamp, text=command.text, overdue=command.overdue)
        return [inspection]

    def _order(self, command: IssueFollowUp, ctx: Context) -> list[Aggregate]:
        inspection = self._inspection_command(command, ctx)
        found = self._resolve(command, ctx.actor)
        handler: User = found["handler_id"]
        if handler.unit_id != inspection.unit_id:
            msg = f"{handler.name}不是被督查单位的工作人员"
            raise RuleViolationError("handler_id", msg)
        stamp = self._stamp(ctx)
        task_id = uuid4()
        order = inspection.order(
            stamp, task_id=task_id, task=command.task, due_date=command.due_date
        )
        task = Task.assign(
            stamp,
            task_id=task_id,
            origin=TaskOrigin.INSPECTION,
            source_id=inspection.id,
            n=order.n,
            problem=f"{inspection.month} 督查整改",
            task=order.task,
            due_date=order.due_date,
            leader_id=command.leader_id,
            unit_id=inspection.unit_id,
            handler_id=command.handler_id,
        )
        return [inspection, task]

    def _mark_typical(self, command: MarkInspectionTypical, ctx: Context) -> list[Aggregate]:
        inspection = self._inspection_command(command, ctx)
        inspection.mark_typical(self._stamp(ctx), text=command.text)
        return [inspection]

    def _check_overdue(
        self, refs: Sequence[OverdueRef], actor: Actor, today: date, unit_id: UUID
    ) -> None:
        """Every record named is an overdue record of `unit_id` that the actor may see (a field
        error on `overdue` otherwise).

        A deadline: its case, slot and due date, overdue, met late or missed on `today`, and
        answered for by the unit (as the overdue list attributes it: `deadline_unit`); a task:
        overdue or closed late, and the unit's task. A case or task the actor may not see names
        nothing.
        """
        for ref in refs:
            if ref.task_id is not None and ref.case_id is None:
                try:
                    task = self.task(actor, ref.task_id)
                except NotFoundError:
                    raise RuleViolationError("overdue", no_such("任务")) from None
                if task.level(today) not in {TaskLevel.OVERDUE, TaskLevel.CLOSED_LATE}:
                    raise RuleViolationError("overdue", "该任务没有超期")
                if task.unit_id != unit_id:
                    raise RuleViolationError("overdue", "该任务属于其他单位")
                continue
            if ref.case_id is None or ref.slot is None or ref.due_date is None or ref.task_id:
                msg = "请指明一项期限（case_id、slot、due_date）或一项任务（task_id）"
                raise RuleViolationError("overdue", msg)
            case = self._seen_case(actor, ref.case_id, "overdue")
            clocks_run = [*case.past_deadlines, *case.deadlines.values()]
            matching = [d for d in clocks_run if d.name == ref.slot and d.due_date == ref.due_date]
            late = [d for d in matching if clocks.level(d, today) in OVERDUE_LEVELS]
            slot = f"{case.number}的“{label_of(Rule, ref.slot)}”（{ref.due_date} 到期）"
            if not late:
                msg = f"{slot}不是超期记录"
                raise RuleViolationError("overdue", msg)
            if self.deadline_unit is None:
                raise RuleViolationError("overdue", "此处无法查明该期限属于哪个单位")
            if all(self.deadline_unit(case.id, d) != unit_id for d in late):
                msg = f"{slot}是其他单位的记录"
                raise RuleViolationError("overdue", msg)

    def _seen_case(self, actor: Actor, case_id: UUID, field: str) -> Case:
        try:
            return self.app.get_case(actor, case_id)
        except NotFoundError:
            raise RuleViolationError(field, NO_SUCH_CASE) from None

    # -- 问责 ---------------------------------------------------------------------------------
    def accountability_record(self, actor: Actor, record_id: UUID) -> AccountabilityRecord:
        """A 问责 record (supervisors, auditors: 403 for others)."""
        require_accountability_reader(actor)
        return self._load(record_id, AccountabilityRecord, "问责记录")

    def _hold_accountable(self, command: RecordAccountability, ctx: Context) -> list[Aggregate]:
        self._require_role(command, ctx.actor)
        self._resolve(command, ctx.actor)
        stamp = self._stamp(ctx)
        today = local_date(stamp.occurred_at)
        self._check_overdue(command.overdue, ctx.actor, today, command.unit_id)
        self._check_events(command.events, ctx.actor)
        if command.inspection_id is not None:
            try:
                self._load(command.inspection_id, Inspection, "督查记录")
            except NotFoundError:
                raise RuleViolationError("inspection_id", no_such("督查记录")) from None
        record = AccountabilityRecord.record(stamp, record_id=uuid4(), **command.arguments())
        return [record]

    def _check_events(self, refs: Sequence[EventRef], actor: Actor) -> None:
        for ref in refs:
            case = self._seen_case(actor, ref.case_id, "events")
            if not 1 <= ref.version <= case.version:
                msg = f"{case.number}没有第 {ref.version} 条办理记录（共 {case.version} 条）"
                raise RuleViolationError("events", msg)


def command_name(command: RecordCommand) -> str:
    """The Chinese name of a register command (its verb when it has none)."""
    return REGISTER_COMMAND.get(type(command).__name__, command.verb)


def request_name(command: RecordCommand) -> str:
    """How a register command is named in idempotency records (never as a case command)."""
    return f"{command.record}:{command.verb}"


def require_accountability_reader(actor: Actor) -> None:
    """Refuse 问责 records to roles outside ACCOUNTABILITY_RECORD_READERS (403)."""
    if actor.role not in ACCOUNTABILITY_RECORD_READERS:
        raise PermissionDeniedError(role_may_not(actor.role.value, "查看问责记录"))


def require_meeting_reader(actor: Actor) -> None:
    """Refuse meetings to roles outside MEETING_READERS (403)."""
    if actor.role not in MEETING_READERS:
        raise PermissionDeniedError(role_may_not(actor.role.value, "查看联席会议"))
