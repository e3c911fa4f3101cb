"""Work queues: each role's cases, most urgent first, with the days left on each deadline.

Rows come from the ledger as the viewer may see them (projections/ledger.py filters them by the
visibility rule and projections/disclosure.py decides what each shows); this module only picks
the statuses each role works on and sorts them: overdue first (severely, then plainly), then due
soon, then the rest, each by due date.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.values import Actor, Level, Role, Status
from projections.ledger import READY_TO_CLOSE, Ledger, LedgerQuery
from projections.meeting_register import MeetingRegister, TaskQuery

S = Status
URGENCY = {
    Level.SEVERELY_OVERDUE.value: 0,
    Level.OVERDUE.value: 1,
    Level.DUE_SOON.value: 2,
    READY_TO_CLOSE: 3,
    Level.OPEN.value: 4,
    Level.PAUSED.value: 5,
}
LAST = 9
QUEUE_SIZE = 500
"""Rows read per section (a section longer than this shows its most urgent 500)."""

HANDLING = (S.ACCEPTED, S.IN_PROGRESS, S.EXTENDED, S.REPORT_SUBMITTED)
TO_ACCEPT = (S.FORWARDED, S.ASSIGNED)
ANSWERED = (S.RESPONDED, S.REVIEWED, S.CLOSED, S.TERMINATED)
OPEN_STATUSES = tuple(
    s for s in Status if s not in {S.DIVERTED, S.NOT_ACCEPTED, S.MERGED, S.TERMINATED, S.CLOSED}
)


@dataclass(frozen=True)
class Section:
    """One list of a work queue."""

    title: str
    statuses: tuple[Status, ...]
    keep: Callable[[Actor, dict[str, Any]], bool] = lambda _actor, _row: True
    hint: str = ""


def _not_rated(_actor: Actor, row: dict[str, Any]) -> bool:
    return row["satisfaction"] is None


def _mine(actor: Actor, row: dict[str, Any]) -> bool:
    return bool(row["handler_id"] == actor.id)


def _not_mine(actor: Actor, row: dict[str, Any]) -> bool:
    return bool(row["handler_id"] != actor.id)


SECTIONS: dict[Role, tuple[Section, ...]] = {
    Role.CLERK: (
        Section("已登记待分办（15日内告知）", (S.REGISTERED,), hint="登记后15日内书面告知信访人"),
        Section("待回访", ANSWERED, _not_rated, hint="已答复、复查或办结而尚未回访的事项"),
    ),
    Role.DISPATCHER: (
        Section("待分办（15日内转送、交办）", (S.REGISTERED,)),
        Section("办结报告待审", (S.REPORT_SUBMITTED,)),
        Section("待办结", (S.RESPONDED, S.REVIEWED)),
        Section("已转送、交办待受理", TO_ACCEPT),
    ),
    Role.UNIT_HEAD: (
        Section("待受理（5个工作日内可提出异议）", TO_ACCEPT),
        Section("本单位办理中", HANDLING),
        Section("复查、复核中", (S.UNDER_REVIEW, S.UNDER_RECHECK)),
    ),
    Role.HANDLER: (
        Section("我承办的事项", HANDLING, _mine),
        Section("本单位其他在办事项", (*TO_ACCEPT, *HANDLING), _not_mine),
    ),
    Role.LEADER: (
        Section("我包案的在办事项", OPEN_STATUSES),
        Section("我包案的已结事项", (S.CLOSED, S.TERMINATED)),
    ),
    Role.SUPERVISOR: (Section("在办事项", OPEN_STATUSES),),
    Role.AUDITOR: (Section("近期有变动的事项", tuple(Status)),),
}


def days_left(deadline: dict[str, Any] | None, today: date) -> int | None:
    """Days until the deadline is due (negative once overdue)."""
    if not deadline:
        return None
    return (date.fromisoformat(deadline["due_date"]) - today).days


def urgency(row: dict[str, Any]) -> tuple[int, str, str]:
    """The sort key of a row: its deadline's state, then its due date, then its number."""
    deadline = row["deadline"]
    if not deadline:
        return (LAST, "9999-12-31", row["number"])
    return (URGENCY.get(deadline["level"], LAST), deadline["due_date"], row["number"])


def section_rows(
    ledger: Ledger, viewer: Actor, section: Section, today: date
) -> list[dict[str, Any]]:
    """A section's rows, most urgent first, each with `days_left`."""
    query = LedgerQuery(
        status=tuple(s.value for s in section.statuses),
        page_size=QUEUE_SIZE,
        sort="updated",
    )
    items, _ = ledger.search(viewer, query, today)
    kept = [row for row in items if section.keep(viewer, row)]
    for row in kept:
        row["days_left"] = days_left(row["deadline"], today)
    if viewer.role is Role.AUDITOR:
        return kept[:50]
    return sorted(kept, key=urgency)


def queue(ledger: Ledger, viewer: Actor, today: date) -> list[tuple[Section, list[dict[str, Any]]]]:
    """The viewer's work queue: each section of their role with its rows."""
    return [
        (section, section_rows(ledger, viewer, section, today))
        for section in SECTIONS.get(viewer.role, ())
    ]


def every_row(sections: Sequence[tuple[Section, list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    """The rows of every section (for the access log)."""
    return [row for _, rows in sections for row in rows]


TASK_OWNERS = frozenset({Role.UNIT_HEAD, Role.HANDLER, Role.LEADER})
"""Roles whose queue lists their open tasks of the 任务清单 (meetings' and inspections')."""


def open_tasks(register: MeetingRegister, viewer: Actor, today: date) -> list[dict[str, Any]]:
    """The open tasks of the user's queue, overdue first, then by due date, read as
    GET /api/v1/tasks reads them: a unit head's are the unit's (`unit_id`), a handler's or a
    leader's those they answer for (`owner`)."""
    if viewer.role not in TASK_OWNERS:
        return []
    if viewer.role is Role.UNIT_HEAD:
        query = TaskQuery(unit_id=viewer.unit_id)
    else:
        query = TaskQuery(owner=viewer.id)
    rows = [t for t in register.tasks(viewer, query, today) if t["status"] != "closed"]
    return sorted(rows, key=lambda t: (not t["overdue"], t["due_date"]))
