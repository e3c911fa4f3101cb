"""The read side of 一会议三清单: the task register (a view fed from the log, exactly once), the
queues and filters over it, the agenda's sources, the meeting and task views, the minutes'
three lists, and task completion on time by unit.

Who sees a task is domain/tasks.py's rule (`visible`); `task_filter` is its SQL twin over
`register_tasks t` (joined to the case's ledger row `c` and the risk's register row `r`).
Texts of meetings and tasks are shown redacted of the petitioners of the case and the people of
the risk they are about, to every viewer: the registers never show an identity (the case and the
risk do, and log it).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from domain import labels
from domain.application import Xinfang
from domain.directory import SYSTEM_ACTOR, UNIT_ROLES
from domain.errors import PermissionDeniedError, role_may_not
from domain.meetings import Meeting
from domain.register_values import AgendaItem, AgendaSource, TaskLevel, TaskStatus
from domain.tasks import TASK_OVERSEERS, Task, task_level
from domain.tasks import require_reader as require_task_reader
from domain.values import Actor, RiskLevel, Role
from domain.visibility import OVERSEERS
from projections import disclosure
from projections.accountability import OVERDUE_NOW, Accountability
from projections.names import Names
from projections.register_projection import people_of, task_people
from projections.risk_register import RiskRegister
from projections.scorecards import month_bounds, rate
from projections.sql import Where, hex_id, member, uuid_of
from projections.store import ViewStore

SYSTEM_VIEWER = Actor(id=SYSTEM_ACTOR.id, name=SYSTEM_ACTOR.name, role=Role.AUDITOR, unit_id=None)
"""Agendas are drawn and the bulletin's figures counted as the all-seeing reader."""


# -- who sees which task (the SQL twin of domain.tasks.visible) --------------------------------
def task_filter(viewer: Actor, unit_lineage: Collection[UUID]) -> Where:
    """The rows of `register_tasks t` (LEFT JOIN ledger_cases c, risk_register r) the viewer
    may know exist."""
    where = Where()
    for unit_id in unit_lineage:
        where.add("c.accused IS NULL OR c.accused NOT LIKE ?", member(unit_id))
        where.add("r.accused IS NULL OR r.accused NOT LIKE ?", member(unit_id))
    if viewer.role in TASK_OVERSEERS:
        return where
    if viewer.role in UNIT_ROLES:
        where.add("t.unit_id = ?", hex_id(viewer.unit_id) or "-")
    elif viewer.role is Role.LEADER:
        where.add("t.leader_id = ?", viewer.id.hex)
    else:
        where.add("1=0")
    return where


TASK_FROM = (
    "{p}register_tasks t LEFT JOIN {p}ledger_cases c ON c.case_id = t.case_id "
    "LEFT JOIN {p}risk_register r ON r.risk_id = t.risk_id"
)


@dataclass(frozen=True)
class TaskQuery:
    """Filters of the task list: whose queue, which unit, which status, overdue or not."""

    owner: UUID | None = None
    unit_id: UUID | None = None
    status: TaskStatus | None = None
    overdue: bool | None = None
    meeting_id: UUID | None = None


# -- the agenda's sources ------------------------------------------------------------------------
@dataclass(frozen=True)
class AgendaContext:
    """What an agenda source reads: the accountability views, the view store, the risk
    register, the meeting day."""

    accountability: Accountability
    store: ViewStore
    risks: RiskRegister
    held_on: date


AgendaSourceFn = Callable[[AgendaContext], list[AgendaItem]]


def key_cases(ctx: AgendaContext) -> list[AgendaItem]:
    """Open key cases (重点信访案件)."""
    agenda = ctx.accountability.agenda(SYSTEM_VIEWER, ctx.held_on)
    return [AgendaItem(AgendaSource.KEY_CASE, case_id=r["case_id"]) for r in agenda["key_cases"]]


def overdue_deadlines(ctx: AgendaContext) -> list[AgendaItem]:
    """The office's deadlines overdue now, as the overdue list shows them."""
    items = ctx.accountability.deadline_watch(SYSTEM_VIEWER, ctx.held_on, levels=OVERDUE_NOW)
    return [
        AgendaItem(
            AgendaSource.OVERDUE_DEADLINE,
            case_id=i["case_id"],
            slot=i["slot"],
            due_date=date.fromisoformat(str(i["due_date"])),
        )
        for i in items
    ]


def backlog_cases(ctx: AgendaContext) -> list[AgendaItem]:
    """The backlog register 积案 (flagged, long open, often repeated)."""
    rows = ctx.accountability.backlog(SYSTEM_VIEWER, ctx.held_on)
    return [AgendaItem(AgendaSource.BACKLOG, case_id=r["case_id"]) for r in rows]


def open_tasks(ctx: AgendaContext) -> list[AgendaItem]:
    """Every task of earlier meetings and inspections not yet closed: it comes back by itself
    until it is closed (销号), overdue or not."""
    rows = ctx.store.query(
        "SELECT task_id, case_id, risk_id, due_date FROM {p}register_tasks WHERE status <> ? "
        "AND assigned_on <= ? ORDER BY due_date, assigned_on, n, task_id",
        [TaskStatus.CLOSED.value, ctx.held_on.isoformat()],
    )
    return [
        AgendaItem(
            AgendaSource.OPEN_TASK,
            task_id=UUID(r["task_id"]),
            case_id=uuid_of(r["case_id"]),
            risk_id=uuid_of(r["risk_id"]),
            due_date=date.fromisoformat(r["due_date"]),
        )
        for r in rows
    ]


def high_risks(ctx: AgendaContext) -> list[AgendaItem]:
    """The risk register's open risks of level 重大 (RiskLevel.GRAVE), in register order."""
    rows = ctx.risks.open_risks(SYSTEM_VIEWER, RiskLevel.GRAVE)
    return [AgendaItem(AgendaSource.HIGH_RISK, risk_id=UUID(r.row["risk_id"])) for r in rows]


AGENDA_SOURCES: list[AgendaSourceFn] = [
    key_cases,
    overdue_deadlines,
    backlog_cases,
    high_risks,
    open_tasks,
]
"""The sources of a meeting's agenda, in the order it lists them."""


def agenda_drawer(
    accountability: Accountability,
    store: ViewStore,
    risks: RiskRegister,
    sources: Sequence[AgendaSourceFn] | None = None,
) -> Callable[[date], list[AgendaItem]]:
    """The agenda drawer the meeting use case calls when a meeting is recorded."""

    def draw(held_on: date) -> list[AgendaItem]:
        ctx = AgendaContext(accountability, store, risks, held_on)
        return [item for source in sources or AGENDA_SOURCES for item in source(ctx)]

    return draw


# -- the register's queries and views --------------------------------------------------------------
class MeetingRegister:
    """Queries and views of meetings and tasks, filtered by the rules of domain/tasks.py and
    domain/visibility.py."""

    def __init__(
        self, app: Xinfang, store: ViewStore, accountability: Accountability, risks: RiskRegister
    ) -> None:
        self.app = app
        self.store = store
        self.ledger = accountability.ledger
        self.risks = risks

    # -- tasks ---------------------------------------------------------------------------------
    def tasks(self, viewer: Actor, query: TaskQuery, today: date) -> list[dict[str, Any]]:
        """The tasks the viewer may see, filtered; each as `task_row` shows it."""
        require_task_reader(viewer)
        where = task_filter(viewer, self.app.lineage(viewer.unit_id))
        if query.owner is not None:
            where.add("t.handler_id = ? OR t.leader_id = ?", query.owner.hex, query.owner.hex)
        if query.unit_id is not None:
            where.add("t.unit_id = ?", query.unit_id.hex)
        if query.status is not None:
            where.add("t.status = ?", query.status.value)
        if query.meeting_id is not None:
            where.add("t.source_id = ?", query.meeting_id.hex)
        if query.overdue is not None:
            late = "t.status <> ? AND t.due_date < ?"
            where.add(late if query.overdue else f"NOT ({late})", "closed", today.isoformat())
        rows = self.store.query(
            f"SELECT t.*, c.number FROM {TASK_FROM} WHERE {where.sql} "
            "ORDER BY t.due_date, t.assigned_on, t.n, t.task_id",
            where.params,
        )
        names = Names(self.app)
        links = self.risk_numbers(viewer, [uuid_of(r["risk_id"]) for r in rows])
        return [task_row(row, names, today, links) for row in rows]

    def risk_numbers(self, viewer: Actor, risk_ids: Collection[UUID | None]) -> dict[UUID, str]:
        """The numbers of those of `risk_ids` the viewer may see (the risks' visibility rule):
        a task or a decision shows its link to a risk only to them."""
        return {
            rid: found.row["number"] for rid, found in self.risks.seen(viewer, risk_ids).items()
        }

    def task_rows(self, task_ids: Sequence[UUID]) -> dict[UUID, Mapping[str, Any]]:
        """The register rows of these tasks (any viewer: the caller filters)."""
        if not task_ids:
            return {}
        ids = [t.hex for t in task_ids]
        rows = self.store.query(
            f"SELECT t.*, c.number FROM {TASK_FROM} WHERE t.task_id IN "
            f"({','.join('?' for _ in ids)})",
            ids,
        )
        return {UUID(r["task_id"]): r for r in rows}

    def task_view(self, viewer: Actor, task: Task, today: date) -> dict[str, Any]:
        """One task with its reports and closing (the caller checked the viewer sees it); its
        link to a risk only if the viewer may see the risk."""
        names = Names(self.app)
        people = task_people(self.app, task)
        level = task.level(today)
        number = self._case_numbers([task.case_id]).get(task.case_id) if task.case_id else None
        seen = self.risk_numbers(viewer, [task.risk_id])
        risk_number = seen.get(task.risk_id) if task.risk_id else None
        return {
            "id": task.id,
            "origin": task.origin.value,
            "source_id": task.source_id,
            "n": task.n,
            "problem": disclosure.scrub(task.problem, people),
            "task": disclosure.scrub(task.task, people),
            "due_date": task.due_date,
            **_people_named(names, task.leader_id, task.unit_id, task.handler_id),
            "case_id": task.case_id,
            "case_number": number,
            "risk_id": task.risk_id if risk_number else None,
            "risk_number": risk_number,
            "status": task.status.value,
            "status_label": labels.label(task.status),
            "level": level.value,
            "level_label": labels.label(level),
            "overdue": level is TaskLevel.OVERDUE,
            "days_over": _days_over(task.due_date, task.closed_on, today),
            "reports": [
                {
                    "text": disclosure.scrub(r.text, people),
                    "completed": r.completed,
                    "actor": r.actor,
                    "occurred_at": r.occurred_at,
                }
                for r in task.reports
            ],
            "evidence": disclosure.scrub(task.evidence, people),
            "closed_by": task.closed_by,
            "closed_at": task.closed_at,
            "assigned_at": task.assigned_at,
            "version": task.version,
        }

    def task_history(self, task: Task) -> list[dict[str, Any]]:
        """Every event of the task, in order: who (as they were), both times, why, and what,
        its texts redacted of the case's petitioners (the caller checked the viewer sees it)."""
        people = task_people(self.app, task)

        def what(event: Any) -> dict[str, Any]:
            return {
                name: disclosure.scrub(getattr(event, name), people)
                for name in getattr(event, "__dataclass_fields__", {})
                if name not in disclosure.STAMP_FIELDS
            }

        return record_history(self.app, task.id, what, people)

    def meeting_history(self, meeting: Meeting, view: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every event of the meeting its reader may see, in order, each with what the meeting
        `view` shown to them holds of it (`meeting_view`: read once, its disclosures logged
        once): the meeting and its agenda as recorded, each decision (one about a case or a
        risk the reader may not see is left out, as the view leaves it out)."""
        decisions = {d["n"]: d for d in view["decisions"]}
        convened = ("title", "held_on", "place", "chair_id", "chair_name", "attendees", "agenda")
        people = self.meeting_people(meeting)

        def what(event: Any) -> dict[str, Any] | None:
            if isinstance(event, Meeting.Convened):
                return {name: view[name] for name in convened}
            if isinstance(event, Meeting.DecisionRecorded):
                return decisions.get(event.decision.n)
            return None

        return record_history(self.app, meeting.id, what, people)

    def meeting_people(self, meeting: Meeting) -> list[Any]:
        """Everyone any text of the meeting may name: the petitioners of every case and the
        people of every risk on its agenda, in its decisions or behind their tasks, whoever
        reads it (a reason typed at the meeting is redacted of all of them for every reader)."""
        items: list[Any] = [*meeting.agenda, *meeting.decisions]
        tasks = self.task_rows([i.task_id for i in items if i.task_id is not None])
        cases = [i.case_id for i in items if i.case_id is not None]
        cases += [uuid_of(t["case_id"]) for t in tasks.values() if t["case_id"]]
        risks = [i.risk_id for i in items if i.risk_id is not None]
        risks += [uuid_of(t["risk_id"]) for t in tasks.values() if t["risk_id"]]
        return people_of(
            self.app, [c for c in cases if c is not None], [r for r in risks if r is not None]
        )

    def _case_numbers(self, case_ids: Sequence[UUID | None]) -> dict[UUID | None, str]:
        ids = sorted({c.hex for c in case_ids if c is not None})
        if not ids:
            return {}
        rows = self.store.query(
            "SELECT case_id, number FROM {p}ledger_cases WHERE case_id IN "
            f"({','.join('?' for _ in ids)})",
            ids,
        )
        return {UUID(r["case_id"]): r["number"] for r in rows}

    # -- meetings ------------------------------------------------------------------------------
    def visible_cases(
        self, viewer: Actor, case_ids: Collection[UUID | None]
    ) -> dict[UUID, Mapping[str, Any]]:
        """The ledger rows of those of `case_ids` the viewer may know exist."""
        ids = sorted({c.hex for c in case_ids if c is not None})
        if not ids:
            return {}
        where = self.ledger.visible_to(viewer)
        where.add(f"c.case_id IN ({','.join('?' for _ in ids)})", *ids)
        rows = self.store.query(
            f"SELECT * FROM {{p}}ledger_cases c WHERE {where.sql}", where.params
        )
        return {UUID(r["case_id"]): r for r in rows}

    def meeting_view(self, viewer: Actor, meeting: Meeting, today: date) -> dict[str, Any]:
        """The meeting as the viewer is shown it: every agenda item and decision but those
        about a case or a risk the viewer may not see (a leader sees those about the cases and
        risks they sponsor); the people of a risk on the agenda as projections/disclosure.py
        shows them (logged)."""
        names = Names(self.app)
        task_ids = [i.task_id for i in meeting.agenda if i.task_id is not None]
        task_ids += [d.task_id for d in meeting.decisions]
        tasks = self.task_rows(task_ids)
        about = [i.case_id for i in meeting.agenda] + [d.case_id for d in meeting.decisions]
        cases = self.visible_cases(viewer, about)
        named = [i.risk_id for i in meeting.agenda] + [d.risk_id for d in meeting.decisions]
        named += [uuid_of(t["risk_id"]) for t in tasks.values()]
        risks = self.risks.seen(viewer, named)
        links = {rid: found.row["number"] for rid, found in risks.items()}

        shown = _shown_among(cases, risks)
        items = [item for item in meeting.agenda if shown(item)]
        on_agenda = {
            i.risk_id: risks[i.risk_id]
            for i in items
            if i.source is AgendaSource.HIGH_RISK and i.risk_id is not None
        }
        disclosed = disclosure.meeting_risks(self.app, viewer, on_agenda)
        agenda = [
            self._agenda_item(item, cases, tasks, names, today, risks=disclosed, links=links)
            for item in items
        ]
        decisions = []
        for d in meeting.decisions:
            if not shown(d):
                continue
            row = tasks.get(d.task_id)
            decisions.append(
                {
                    "n": d.n,
                    # The register's row holds the texts redacted of the case's people.
                    "problem": row["problem"] if row else d.problem,
                    "task": row["task"] if row else d.task,
                    "due_date": d.due_date,
                    **_people_named(names, d.leader_id, d.unit_id, d.handler_id),
                    "case_id": d.case_id,
                    "case_number": cases[d.case_id]["number"] if d.case_id else None,
                    "risk_id": d.risk_id,
                    "risk_number": links.get(d.risk_id) if d.risk_id else None,
                    "task_id": d.task_id,
                    "task_status": row["status"] if row else TaskStatus.OPEN.value,
                    "task_level": _row_level(row, today).value if row else None,
                    "recorded_by": d.actor,
                    "occurred_at": d.occurred_at,
                }
            )
        return {
            "id": meeting.id,
            "title": meeting.title,
            "held_on": meeting.held_on,
            "place": meeting.place,
            "chair_id": meeting.chair_id,
            "chair_name": names.user(meeting.chair_id.hex),
            "attendees": [{"id": a, "name": names.user(a.hex)} for a in meeting.attendee_ids],
            "recorded_by": meeting.recorded_by,
            "recorded_at": meeting.recorded_at,
            "agenda": agenda,
            "decisions": decisions,
            "version": meeting.version,
        }

    def _agenda_item(
        self,
        item: AgendaItem,
        cases: Mapping[UUID, Mapping[str, Any]],
        tasks: Mapping[UUID, Mapping[str, Any]],
        names: Names,
        today: date,
        *,
        risks: Mapping[UUID, Mapping[str, Any]],
        links: Mapping[UUID, str],
    ) -> dict[str, Any]:
        case = cases.get(item.case_id) if item.case_id else None
        task = tasks.get(item.task_id) if item.task_id else None
        risk = risks.get(item.risk_id) if item.risk_id else None
        view: dict[str, Any] = {
            "source": item.source.value,
            "source_label": labels.label(item.source),
            "case_id": item.case_id,
            "case_number": case["number"] if case else None,
            # The ledger stores the subject redacted of the petitioners.
            "subject": case["subject"] if case else None,
            "case_status": case["status"] if case else None,
            "unit_name": names.unit(case["unit_id"]) if case else None,
            "leader_name": names.user(case["leader_id"]) if case else None,
            "slot": item.slot,
            "due_date": item.due_date,
            "task_id": item.task_id,
            "risk_id": item.risk_id,
            "risk_number": links.get(item.risk_id) if item.risk_id else None,
            "risk_level": None,
            "risk_level_label": None,
            "township_name": None,
            "identity_masked": None,
            "task": None,
        }
        if risk is not None:
            # As projections/disclosure.py shows the risk's row to this viewer (logged there).
            view.update(
                subject=risk["subject"],
                unit_name=risk["unit_name"],
                leader_name=risk["leader_name"],
                risk_level=risk["level"],
                risk_level_label=labels.label_of(RiskLevel, risk["level"]),
                township_name=risk["township_name"],
                identity_masked=risk["identity_masked"],
            )
        if task is not None:
            view["task"] = task_row(task, names, today, links)
        return view

    def minutes(self, viewer: Actor, meeting: Meeting, today: date) -> dict[str, Any]:
        """The 会议纪要: the meeting and its three lists, as the viewer is shown them."""
        view = self.meeting_view(viewer, meeting, today)
        decisions = view["decisions"]
        return {
            **view,
            "problems": [
                {
                    "n": d["n"],
                    "problem": d["problem"],
                    "case_number": d["case_number"],
                    "risk_number": d["risk_number"],
                }
                for d in decisions
            ],
            "tasks": [
                {
                    "n": d["n"],
                    "task": d["task"],
                    "due_date": d["due_date"],
                    "status": labels.label(TaskStatus(d["task_status"])),
                }
                for d in decisions
            ],
            "responsibilities": [
                {
                    "n": d["n"],
                    "leader_name": d["leader_name"],
                    "unit_name": d["unit_name"],
                    "handler_name": d["handler_name"],
                }
                for d in decisions
            ],
        }

    def meetings(self, viewer: Actor | None = None) -> list[dict[str, Any]]:
        """Every meeting, latest first (the caller checked the viewer may read meetings), with
        the agenda items and decisions the viewer would be shown of each (those about a case
        or a risk they may not see are not counted, so no count hints at them; no viewer: the
        console, every one)."""
        rows = self.store.query(
            "SELECT * FROM {p}register_meetings ORDER BY held_on DESC, recorded_at DESC, meeting_id"
        )
        names = Names(self.app)
        counted = self._shown_counts(viewer, [UUID(r["meeting_id"]) for r in rows])
        found = []
        for r in rows:
            shown = counted.get(UUID(r["meeting_id"]), (r["agenda_items"], r["decisions"]))
            found.append(
                {
                    "id": UUID(r["meeting_id"]),
                    "title": r["title"],
                    "held_on": date.fromisoformat(r["held_on"]),
                    "chair_name": names.user(r["chair_id"]),
                    "agenda_items": shown[0],
                    "decisions": shown[1],
                    "version": r["version"],
                }
            )
        return found

    def _shown_counts(
        self, viewer: Actor | None, meeting_ids: Sequence[UUID]
    ) -> dict[UUID, tuple[int, int]]:
        """Per meeting, how many agenda items and decisions the viewer may be shown (the rule
        of `meeting_view`); empty without a viewer (every one is counted)."""
        if viewer is None or not meeting_ids:
            return {}
        meetings: list[Meeting] = [self.app.repository.get(m) for m in meeting_ids]
        items: list[Any] = [i for m in meetings for i in [*m.agenda, *m.decisions]]
        pairs = [(i.case_id, i.risk_id) for i in items]
        cases = self.visible_cases(viewer, [c for c, _ in pairs])
        risks = self.risks.seen(viewer, [r for _, r in pairs])
        shown = _shown_among(cases, risks)
        return {m.id: (sum(map(shown, m.agenda)), sum(map(shown, m.decisions))) for m in meetings}

    # -- completion on time by unit ------------------------------------------------------------
    def completion(self, viewer: Actor, month: str, today: date) -> list[dict[str, Any]]:
        """Per unit, the tasks falling due in the month and those closed by their due date.

        As the scorecards count deadlines (docs/accountability.md §6): tasks due in [first,
        cutoff] (cutoff = min(last, today − 1)); on time = closed on or before the due date;
        late = the others (closed late or still open past it). Overseers see every unit, staff
        their own; a task about a case accusing the viewer's unit is left out.
        """
        if viewer.role not in OVERSEERS and viewer.role not in UNIT_ROLES:
            raise PermissionDeniedError(role_may_not(viewer.role.value, "查看任务统计"))
        return self.tasks_completion(viewer, month, today)

    def tasks_completion(self, viewer: Actor, month: str, today: date) -> list[dict[str, Any]]:
        """The figures of `completion` over the tasks the viewer may see, for any viewer."""
        first, last = month_bounds(month)
        cutoff = min(last, today - timedelta(days=1))
        where = task_filter(viewer, self.app.lineage(viewer.unit_id))
        where.add("t.due_date >= ? AND t.due_date <= ?", first.isoformat(), cutoff.isoformat())
        rows = self.store.query(
            f"SELECT t.unit_id, t.due_date, t.closed_on FROM {TASK_FROM} WHERE {where.sql}",
            where.params,
        )
        names = Names(self.app)
        by_unit: dict[str, dict[str, Any]] = {}
        for row in rows:
            unit = row["unit_id"]
            card = by_unit.setdefault(
                unit,
                {
                    "unit_id": UUID(unit),
                    "unit_name": names.unit(unit),
                    "tasks_due": 0,
                    "tasks_on_time": 0,
                    "tasks_late": 0,
                },
            )
            card["tasks_due"] += 1
            on_time = row["closed_on"] is not None and row["closed_on"] <= row["due_date"]
            card["tasks_on_time" if on_time else "tasks_late"] += 1
        cards = sorted(by_unit.values(), key=lambda c: c["unit_name"] or "")
        for card in cards:
            card["task_on_time_rate"] = rate(card["tasks_on_time"], card["tasks_due"])
            card["task_on_time_text"] = labels.rate_text(card["tasks_on_time"], card["tasks_due"])
        return cards


TASK_FIGURES = ("tasks_due", "tasks_on_time", "tasks_late", "task_on_time_rate")


def add_task_completion(
    register: MeetingRegister,
    viewer: Actor,
    cards: Sequence[dict[str, Any]],
    month: str,
    today: date,
) -> None:
    """Put the month's task figures (任务按期销号) on each unit scorecard, counted over the tasks
    the viewer may see (0 and None where the unit had no task due)."""
    found = {c["unit_id"]: c for c in register.tasks_completion(viewer, month, today)}
    for card in cards:
        figures = found.get(card["unit_id"])
        for name in TASK_FIGURES:
            card[name] = figures[name] if figures else (None if name.endswith("rate") else 0)


def bulletin_task_completion(register: MeetingRegister, month: str, today: date) -> list[Any]:
    """The month bulletin's figure 任务按期销号 by unit (counted as the all-seeing reader): the
    hook the bulletin calls."""
    return register.completion(SYSTEM_VIEWER, month, today)


def task_row(
    row: Mapping[str, Any],
    names: Names,
    today: date,
    risk_numbers: Mapping[UUID, str] | None = None,
) -> dict[str, Any]:
    """One task of a list, as any viewer who may see it is shown it; its link to a risk only
    if the risk is among `risk_numbers` (those the viewer may see: MeetingRegister.risk_numbers)."""
    level = _row_level(row, today)
    risk_id = uuid_of(row["risk_id"])
    risk_number = (risk_numbers or {}).get(risk_id) if risk_id else None
    closed_on = date.fromisoformat(row["closed_on"]) if row["closed_on"] else None
    due = date.fromisoformat(row["due_date"])
    return {
        "id": UUID(row["task_id"]),
        "origin": row["origin"],
        "source_id": UUID(row["source_id"]),
        "n": row["n"],
        "problem": row["problem"],
        "task": row["task"],
        "due_date": due,
        **_people_named(
            names, UUID(row["leader_id"]), UUID(row["unit_id"]), UUID(row["handler_id"])
        ),
        "case_id": uuid_of(row["case_id"]),
        "case_number": row.get("number"),
        "risk_id": risk_id if risk_number else None,
        "risk_number": risk_number,
        "status": row["status"],
        "status_label": labels.label(TaskStatus(row["status"])),
        "level": level.value,
        "level_label": labels.label(level),
        "overdue": level is TaskLevel.OVERDUE,
        "days_over": _days_over(due, closed_on, today),
        "reports": row["reports"],
        "last_report_on": row["last_report_on"],
        "closed_on": closed_on,
        "version": row["version"],
    }


def _row_level(row: Mapping[str, Any], today: date) -> TaskLevel:
    closed = date.fromisoformat(row["closed_on"]) if row["closed_on"] else None
    return task_level(date.fromisoformat(row["due_date"]), closed, today)


def _days_over(due: date, closed_on: date | None, today: date) -> int:
    return max(0, ((closed_on or today) - due).days)


def _people_named(names: Names, leader: UUID, unit: UUID, handler: UUID) -> dict[str, Any]:
    return {
        "leader_id": leader,
        "leader_name": names.user(leader.hex),
        "unit_id": unit,
        "unit_name": names.unit(unit.hex),
        "handler_id": handler,
        "handler_name": names.user(handler.hex),
    }


def _shown_among(cases: Collection[UUID], risks: Collection[UUID]) -> Callable[[Any], bool]:
    """Whether an agenda item or a decision is shown to a reader who may see these cases and
    risks: unless it is about a case or a risk outside them."""

    def shown(item: Any) -> bool:
        return (item.case_id is None or item.case_id in cases) and (
            item.risk_id is None or item.risk_id in risks
        )

    return shown


def record_history(
    app: Xinfang,
    record_id: UUID,
    what: Callable[[Any], Mapping[str, Any] | None],
    people: Sequence[Any],
) -> list[dict[str, Any]]:
    """The trail of a register record (a task, a meeting, an inspection): each of its events in
    order with who did it (as they were), both times, why (redacted of `people`) and `what`
    the event shows this viewer (an event `what` answers None for is left out)."""
    entries = []
    for event in app.events.get(record_id):
        data = what(event)
        if data is None:
            continue
        kind = type(event).__qualname__
        entries.append(
            {
                "version": event.originator_version,
                "type": kind,
                "type_label": labels.REGISTER_EVENT.get(kind, kind),
                "recorded_at": getattr(event, "timestamp", None),
                "occurred_at": getattr(event, "occurred_at", None),
                "actor": getattr(event, "actor", None),
                "reason": disclosure.scrub(getattr(event, "reason", None), people),
                "on_behalf_of": getattr(event, "on_behalf_of", None),
                "data": disclosure.plain(dict(data)),
            }
        )
    return entries
