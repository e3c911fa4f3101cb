"""Declarations of the county's registers of work: 一会议三清单 (meetings, decisions, tasks),
督查 (inspections) and 问责 (accountability records). One frozen dataclass per command.

They are declared like the case commands (`domain/commands/base.py`): the fields are the
arguments (with a description, bounds and an example each), the class keywords say where the
command is served, whether it must give a reason and who may issue it. The id of the record a
command applies to is a path argument (`in_path=True`); `record` names the kind of record.
For a command on a task, `Permission.unit_roles` means the staff of the task's responsible unit
and `Permission.sponsor` the task's responsible leader (see `domain/tasks.py`, `authorize`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from domain.commands.base import (
    STEERING,
    UNIT_STAFF,
    Command,
    Permission,
    R,
    Ref,
    arg,
    name_arg,
    text_arg,
    unit_arg,
)
from domain.register_values import CheckResult, EventRef, OverdueRef, RecordDecisionKind

REVIEWERS = frozenset({R.SUPERVISOR})
"""Who records inspections and accountability decisions (督查室, on behalf of the authority)."""


@dataclass(frozen=True, kw_only=True)
class RecordCommand(Command):
    """Base of every command of the registers: `verb` is the use case, `record` the kind."""

    verb: ClassVar[str]
    record: ClassVar[str]

    def __init_subclass__(cls, *, verb: str = "", record: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if verb:
            cls.verb = verb
            cls.record = record

    def arguments(self) -> dict[str, Any]:
        """The command's own arguments (not the id of the record it applies to)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.metadata["in_path"]}

    def target(self) -> UUID | None:
        """The id of the record the command applies to (None for one creating a record)."""
        for spec in fields(self):
            if spec.metadata["in_path"]:
                value: UUID = getattr(self, spec.name)
                return value
        return None


# -- 一会议三清单 -------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class ConveneMeeting(
    RecordCommand,
    path="meetings",
    verb="convene",
    record="meeting",
    summary="Record a weekly joint meeting (联席会议); its agenda is drawn automatically",
    may=Permission(anyone_of=STEERING),
):
    """Record the weekly 联席会议: date, chair and attendees. The agenda is drawn from the key
    cases, overdue deadlines, 积案 and the open tasks of earlier meetings, as they stand when
    the meeting is recorded."""

    held_on: date = arg("the day the meeting was held", example="2026-11-30")
    title: str = name_arg("the meeting's title", "县信访工作联席会议第48次调度会")
    chair_id: UUID = arg("the leader who chaired it", refers=Ref.LEADER)
    attendee_ids: list[UUID] = arg(
        "who attended (users of the directory)", default=[], max_items=200, refers=Ref.PERSON
    )
    place: str = arg("where it was held", default="", max_length=200, example="县委第二会议室")


@dataclass(frozen=True, kw_only=True)
class RecordDecision(
    RecordCommand,
    path="decisions",
    verb="decide",
    record="meeting",
    summary="Record a decision: the problem, the task, and who answers for it (三清单)",
    may=Permission(anyone_of=STEERING),
):
    """One decision of the meeting: the problem (问题清单), what is to be done by when (任务清单)
    and the leader, unit and person answerable (责任清单). It puts a task in the handler's
    queue."""

    meeting_id: UUID = arg("the meeting", in_path=True)
    problem: str = text_arg("the problem (问题清单)", example="某小区逾期交房，业主多次集体上访")
    task: str = text_arg("what is to be done (任务清单)", example="督促开发商制定交房方案并公示")
    due_date: date = arg("by when", example="2026-12-15")
    leader_id: UUID = arg("the leader answerable (包案领导)", refers=Ref.LEADER)
    unit_id: UUID = unit_arg("the unit answerable (责任单位)")
    handler_id: UUID = arg("the person answerable (具体负责人) in that unit", refers=Ref.UNIT_STAFF)
    case_id: UUID | None = arg("the case the decision is about", default=None, refers=Ref.CASE)
    risk_id: UUID | None = arg(
        "the risk (隐患) the decision is about", default=None, refers=Ref.RISK
    )


@dataclass(frozen=True, kw_only=True)
class ReportTask(
    RecordCommand,
    path="report",
    verb="report",
    record="task",
    summary="Report on a task (progress, or done and waiting to be closed)",
    may=Permission(unit_roles=UNIT_STAFF, sponsor=True),
):
    """Report what was done; `completed` reports the task done (报结), for the meeting's office
    to close with evidence."""

    task_id: UUID = arg("the task", in_path=True)
    text: str = text_arg("what was done", example="已约谈开发商，交房方案已公示")
    completed: bool = arg("whether the task is done (报结)", default=False)


@dataclass(frozen=True, kw_only=True)
class ReturnTaskReport(
    RecordCommand,
    path="return",
    verb="return_report",
    record="task",
    summary="Return a task's completion report (退回): the task is open again",
    may=Permission(anyone_of=STEERING),
    needs_reason=True,
):
    """Return (退回) a report of a task done (报结) that does not show it done, saying why: the
    task is open again with its due date unchanged, for its unit to finish and report again."""

    task_id: UUID = arg("the task", in_path=True)


@dataclass(frozen=True, kw_only=True)
class CloseTask(
    RecordCommand,
    path="close",
    verb="close",
    record="task",
    summary="Close a reported task (销号) with its evidence",
    may=Permission(anyone_of=STEERING),
):
    """Close (销号) a task reported done, naming the evidence that it was."""

    task_id: UUID = arg("the task", in_path=True)
    evidence: str = text_arg(
        "the evidence that the task was done", example="交房方案公示照片及业主签收表"
    )


# -- 督查 ------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class OpenInspection(
    RecordCommand,
    path="inspections",
    verb="inspect",
    record="inspection",
    summary="Record a monthly inspection (督查) of a unit with its checklist",
    may=Permission(anyone_of=REVIEWERS),
):
    """Record the month's inspection of one unit's implementation of 一会议三清单: the checklist
    and what was found on each item."""

    month: str = arg("the month inspected (YYYY-MM)", max_length=7, example="2026-11")
    unit_id: UUID = unit_arg("the unit inspected")
    held_on: date = arg("the day of the inspection", example="2026-11-28")
    checklist: list[CheckResult] = arg("each item and its result", min_items=1, max_items=50)


@dataclass(frozen=True, kw_only=True)
class RecordFinding(
    RecordCommand,
    path="findings",
    verb="find",
    record="inspection",
    summary="Record a finding, linked to the overdue records it rests on",
    may=Permission(anyone_of=REVIEWERS),
):
    """A finding of the inspection, with the overdue deadlines and tasks it rests on."""

    inspection_id: UUID = arg("the inspection", in_path=True)
    text: str = text_arg("what was found", example="2件交办事项超期未办结")
    overdue: list[OverdueRef] = arg("the overdue records it rests on", default=[], max_items=100)


@dataclass(frozen=True, kw_only=True)
class IssueFollowUp(
    RecordCommand,
    path="orders",
    verb="order",
    record="inspection",
    summary="Order a follow-up (整改): a task in the unit's queue",
    may=Permission(anyone_of=REVIEWERS),
):
    """A follow-up order (整改要求): a task for the inspected unit, answered and closed like a
    meeting's task."""

    inspection_id: UUID = arg("the inspection", in_path=True)
    task: str = text_arg("what is to be put right", example="一周内完成超期事项清理并报告")
    due_date: date = arg("by when", example="2026-12-10")
    leader_id: UUID = arg("the leader answerable", refers=Ref.LEADER)
    handler_id: UUID = arg("the person answerable in the unit", refers=Ref.UNIT_STAFF)


@dataclass(frozen=True, kw_only=True)
class MarkInspectionTypical(
    RecordCommand,
    path="typical",
    verb="mark_typical",
    record="inspection",
    summary="Mark the inspection a 典型案例 with a short text",
    may=Permission(anyone_of=REVIEWERS),
):
    """Mark the inspection as a typical case (典型案例) of 不担当、不作为, for the bulletin."""

    inspection_id: UUID = arg("the inspection", in_path=True)
    text: str = arg(
        "the short text the bulletin prints", max_length=500, example="某局督办件超期未办"
    )


# -- 问责 ------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class RecordAccountability(
    RecordCommand,
    path="accountability-records",
    verb="hold_accountable",
    record="accountability_record",
    summary="Record a 问责 decision, linked to the records it rests on",
    may=Permission(anyone_of=REVIEWERS),
    needs_reason=True,
):
    """Record who is held accountable, on what basis (overdue records, events of cases, an
    inspection), the decision and its outcome. The supervisor records the decision of the
    authority (纪检监察, 组织部门) that took it."""

    unit_id: UUID = unit_arg("the unit held accountable")
    person_id: UUID | None = arg("the person held accountable", default=None, refers=Ref.PERSON)
    overdue: list[OverdueRef] = arg("the overdue records it rests on", default=[], max_items=100)
    events: list[EventRef] = arg("events of cases it rests on", default=[], max_items=100)
    inspection_id: UUID | None = arg("the inspection it rests on", default=None)
    decision: RecordDecisionKind = arg("the decision", example=RecordDecisionKind.CRITICISM)
    decided_by: str = name_arg("the authority that decided", "县纪委监委")
    decided_on: date = arg("the day of the decision", example="2026-11-30")
    outcome: str = text_arg("the outcome", optional=True, example="责令书面检查")


MEETING_COMMANDS = (ConveneMeeting, RecordDecision)
TASK_COMMANDS = (ReportTask, ReturnTaskReport, CloseTask)
INSPECTION_COMMANDS = (OpenInspection, RecordFinding, IssueFollowUp, MarkInspectionTypical)
ACCOUNTABILITY_COMMANDS = (RecordAccountability,)
REGISTER_COMMANDS: tuple[type[RecordCommand], ...] = (
    *MEETING_COMMANDS,
    *TASK_COMMANDS,
    *INSPECTION_COMMANDS,
    *ACCOUNTABILITY_COMMANDS,
)
"""Every command of the registers."""
