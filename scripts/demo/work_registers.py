"""The demo county's registers of work, entered through the same use cases as over the API:
six weekly 联席会议 with their decisions (tasks on the county's open cases), the tasks' reports
and closings (some late, some still overdue), last month's 督查 of the units with the most
overdue tasks (findings linked to those tasks and to overdue deadlines, follow-up orders, one
典型案例), and a 问责 record resting on them. Business times lie in the past, in order."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from domain.application import Context
from domain.cases import LOCAL_TZ, Case, local_date
from domain.commands.registers import (
    CloseTask,
    ConveneMeeting,
    IssueFollowUp,
    MarkInspectionTypical,
    OpenInspection,
    RecordAccountability,
    RecordDecision,
    RecordFinding,
    ReportTask,
)
from domain.directory import SYSTEM_ACTOR, User
from domain.inspections import Inspection
from domain.meetings import Meeting
from domain.register_values import CheckItem, CheckResult, OverdueRef, RecordDecisionKind
from domain.tasks import Task
from domain.values import Actor, Role
from domain.work_registers import WorkRegisters
from projections.attribution import deadline_unit
from projections.bootstrap import Services
from projections.meeting_register import SYSTEM_VIEWER, agenda_drawer

TASKS = (
    "约谈信访人，当面听取诉求，制定化解方案",
    "组织现场核查，形成书面调查意见",
    "落实包案领导接访，限期书面答复信访人",
    "协调相关部门召开专题会，明确责任分工",
    "督促责任单位落实资金，按时兑付到位",
    "开展政策解释和思想疏导，防止矛盾激化",
)
REPORTS = ("已约谈信访人，正在制定方案", "已完成现场核查", "已召开协调会，方案已报县领导")
DONE = ("已书面答复信访人，信访人表示认可", "款项已兑付到位，信访人签字确认", "化解协议已签订")
EVIDENCE = ("答复意见书及送达回证", "兑付凭证及签收单", "化解协议书复印件", "协调会会议纪要")
MEETINGS = 6
"""Weekly meetings, one each Monday, the last this week."""


@dataclass
class RegisterReport:
    """What the demo's registers hold."""

    meetings: int = 0
    tasks: int = 0
    closed: int = 0
    inspections: int = 0
    accountability_records: int = 0


def _at(day: date, hour: int, now: datetime) -> datetime:
    return min(datetime.combine(day, time(hour, 0), LOCAL_TZ), now - timedelta(minutes=1))


class RegisterDemo:
    """Walks the registers' use cases over the demo county's directory and cases."""

    def __init__(self, services: Services, rng: random.Random) -> None:
        self.services = services
        self.app = services.app
        self.rng = rng
        self.now = self.app.clock()
        self.today = local_date(self.now)
        self.desk = WorkRegisters(
            self.app,
            agenda_drawer(services.accountability, services.views, services.risks),
            deadline_unit(services.views),
        )
        users = self.app.users(SYSTEM_ACTOR)
        self.leaders = [u for u in users if u.role is Role.LEADER]
        self.supervisor = next(u for u in users if u.role is Role.SUPERVISOR).as_actor
        self.staff: dict[UUID, list[User]] = {}
        for user in users:
            if user.role in {Role.UNIT_HEAD, Role.HANDLER} and user.unit_id is not None:
                self.staff.setdefault(user.unit_id, []).append(user)
        self.report = RegisterReport()
        self.tasks: list[Task] = []

    def _run(self, command: Any, actor: Actor, when: datetime, reason: str | None = None) -> Any:
        return self.desk.execute(command, Context(actor=actor, occurred_at=when, reason=reason))

    def populate(self) -> RegisterReport:
        """Meetings and their tasks, then last month's inspections and a 问责 record."""
        monday = self.today - timedelta(days=self.today.weekday())
        for week in range(MEETINGS - 1, -1, -1):
            self._meeting(monday - timedelta(weeks=week))
        self._inspections()
        return self.report

    # -- meetings and tasks ----------------------------------------------------------------------
    def _candidates(self, held_on: date) -> list[Case]:
        """Open cases with a unit and somebody there, received before the meeting."""
        self.services.catch_up()
        rows = self.services.ledger.store.query(
            "SELECT case_id FROM {p}ledger_cases WHERE unit_id IS NOT NULL AND status IN "
            "('accepted','in_progress','extended','forwarded','assigned') ORDER BY number"
        )
        cases = []
        for row in rows:
            case: Any = self.app.repository.get(UUID(row["case_id"]))
            if (
                isinstance(case, Case)
                and case.unit_id in self.staff
                and local_date(case.step_at) < held_on
            ):
                cases.append(case)
        return cases

    def _meeting(self, held_on: date) -> None:
        leader = self.rng.choice(self.leaders)
        attendees = [u.id for u in self.rng.sample(self.leaders, k=min(2, len(self.leaders)))]
        when = _at(held_on, 15, self.now)
        meeting: Meeting = self._run(
            ConveneMeeting(
                held_on=held_on,
                title=f"县信访工作联席会议（{held_on:%m月%d日}调度会）",
                chair_id=leader.id,
                attendee_ids=attendees,
                place="县委第二会议室",
            ),
            self.supervisor,
            when,
        )
        self.report.meetings += 1
        candidates = self._candidates(held_on)
        for case in self.rng.sample(candidates, k=min(len(candidates), self.rng.randint(2, 4))):
            assert case.unit_id is not None
            staff = self.staff[case.unit_id]
            handler = next((u for u in staff if u.id == case.handler_id), self.rng.choice(staff))
            sponsor = case.leader_id or self.rng.choice(self.leaders).id
            due = held_on + timedelta(days=self.rng.choice((7, 10, 14, 21)))
            meeting = self._run(
                RecordDecision(
                    meeting_id=meeting.id,
                    problem=f"{case.subject}，群众反映强烈，需加快化解",
                    task=self.rng.choice(TASKS),
                    due_date=due,
                    leader_id=sponsor,
                    unit_id=case.unit_id,
                    handler_id=handler.id,
                    case_id=case.id,
                ),
                self.supervisor,
                when,
            )
            task: Any = self.app.repository.get(meeting.decisions[-1].task_id)
            assert isinstance(task, Task)
            self.report.tasks += 1
            self._work(task, handler.as_actor, held_on)
        self.services.catch_up()

    def _work(self, task: Task, handler: Actor, given: date) -> None:
        """Some tasks are reported on and closed (on time or late), others left open."""
        fate = self.rng.random()
        progress = given + timedelta(days=self.rng.randint(1, 4))
        if progress >= self.today:
            return
        self._run(
            ReportTask(task_id=task.id, text=self.rng.choice(REPORTS)),
            handler,
            _at(progress, 10, self.now),
        )
        if fate < 0.25:
            return  # still open: it returns on every agenda until closed
        done = task.due_date + timedelta(days=self.rng.randint(-5, 4 if fate > 0.8 else 0))
        done = max(done, progress + timedelta(days=1))
        if done >= self.today:
            return
        self._run(
            ReportTask(task_id=task.id, text=self.rng.choice(DONE), completed=True),
            handler,
            _at(done, 11, self.now),
        )
        closing = done + timedelta(days=self.rng.randint(0, 2))
        if closing >= self.today:
            return
        self._run(
            CloseTask(task_id=task.id, evidence=self.rng.choice(EVIDENCE)),
            self.supervisor,
            _at(closing, 16, self.now),
        )
        self.report.closed += 1

    # -- 督查 and 问责 ---------------------------------------------------------------------------
    def _inspections(self) -> None:
        self.services.catch_up()
        month_start = self.today.replace(day=1)
        last_month = (month_start - timedelta(days=1)).strftime("%Y-%m")
        rows = self.services.views.query(
            "SELECT unit_id, task_id, due_date, closed_on FROM {p}register_tasks"
        )
        late: dict[UUID, list[UUID]] = {}
        for row in rows:
            closed = row["closed_on"]
            due = row["due_date"]
            if (closed is None and due < self.today.isoformat()) or (closed and closed > due):
                late.setdefault(UUID(row["unit_id"]), []).append(UUID(row["task_id"]))
        worst = sorted(late, key=lambda u: -len(late[u]))[:3]
        overdue = self.services.accountability.deadline_watch(SYSTEM_VIEWER, self.today)
        for n, unit_id in enumerate(worst):
            self._inspect(unit_id, last_month, late[unit_id], overdue, typical=n == 0)

    def _inspect(
        self,
        unit_id: UUID,
        month: str,
        late: list[UUID],
        overdue: list[dict[str, Any]],
        *,
        typical: bool,
    ) -> None:
        supervisor = self.supervisor
        # Held, found and decided today (Beijing): a deadline due yesterday is overdue at each
        # step, as the watch list computed for today says, even just after midnight.
        opened = max(datetime.combine(self.today, time(0), LOCAL_TZ), self.now - timedelta(hours=3))
        checklist = [
            CheckResult(CheckItem.MEETING_HELD, passed=True),
            CheckResult(CheckItem.LISTS_COMPLETE, passed=True),
            CheckResult(CheckItem.TASKS_ON_TIME, passed=False, note=f"{len(late)}项任务逾期"),
            CheckResult(CheckItem.LEDGER_CURRENT, passed=self.rng.random() < 0.7),
        ]
        inspection: Inspection = self._run(
            OpenInspection(month=month, unit_id=unit_id, held_on=self.today, checklist=checklist),
            supervisor,
            opened,
        )
        self.report.inspections += 1
        refs = [OverdueRef(task_id=t) for t in late[:5]]
        refs += [
            OverdueRef(
                case_id=item["case_id"],
                slot=item["slot"],
                due_date=date.fromisoformat(str(item["due_date"])),
            )
            for item in overdue
            if item["unit_id"] == unit_id and item["level"] in {"overdue", "severely_overdue"}
        ][:3]
        when = opened + (self.now - opened) / 3
        inspection = self._run(
            RecordFinding(
                inspection_id=inspection.id,
                text=f"联席会议交办任务{len(late)}项未按期销号，部分信访事项超期未办",
                overdue=refs,
            ),
            supervisor,
            when,
        )
        staff = self.staff[unit_id]
        self._run(
            IssueFollowUp(
                inspection_id=inspection.id,
                task="一周内完成超期任务清理，逐项说明原因并书面报告",
                due_date=self.today + timedelta(days=7),
                leader_id=self.rng.choice(self.leaders).id,
                handler_id=staff[0].id,
            ),
            supervisor,
            when,
        )
        if not typical:
            return
        unit = self.app.get_unit(unit_id).name
        self._run(
            MarkInspectionTypical(
                inspection_id=inspection.id, text=f"{unit}联席会议交办任务久拖不办"
            ),
            supervisor,
            when,
        )
        self._run(
            RecordAccountability(
                unit_id=unit_id,
                person_id=staff[0].id,
                overdue=refs[:3],
                inspection_id=inspection.id,
                decision=RecordDecisionKind.CIRCULATED,
                decided_by="县纪委监委",
                decided_on=self.today,
                outcome="责令书面检查，全县通报",
            ),
            supervisor,
            when,
            reason="督查发现交办任务超期未办，推诿拖延",
        )
        self.report.accountability_records += 1


def populate_registers(services: Services, seed: int) -> RegisterReport:
    """Fill the registers of an instance whose demo cases are in (and its views caught up)."""
    return RegisterDemo(services, random.Random(seed)).populate()
