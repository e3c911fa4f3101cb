"""The weekly joint meeting 联席会议 of 一会议三清单: date, chair, attendees, the agenda drawn
when it is recorded, and its decisions (each the 问题清单, 任务清单 and 责任清单 of one task).

Who may read a meeting: MEETING_READERS; each reader is shown only the agenda items and decisions
about cases they may see (projections/meeting_register.py applies it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Self
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import RuleViolationError, in_future
from domain.lifecycle.core import LOCAL_TZ, local_date
from domain.record_base import Record, RecordEvent, needed_text, stamp_data
from domain.register_values import AgendaItem
from domain.values import Actor, Role, Stamp

R = Role
MEETING_READERS = frozenset({R.DISPATCHER, R.SUPERVISOR, R.AUDITOR, R.LEADER})
"""Who may read meetings and their minutes: the office that runs them, the oversight, and the
county leaders who chair and attend them."""


@dataclass(frozen=True)
class MeetingDecision:
    """One decision: the problem, the task, who answers for it, and the task it created."""

    n: int
    problem: str
    task: str
    due_date: date
    leader_id: UUID
    unit_id: UUID
    handler_id: UUID
    case_id: UUID | None
    risk_id: UUID | None
    task_id: UUID
    actor: Actor
    occurred_at: datetime


class Meeting(Record):
    """A 联席会议 and its three lists."""

    def __init__(self) -> None:
        """State is set by the creation event's apply()."""

    class Convened(Aggregate.Created):
        """A meeting was recorded, with the agenda drawn for it."""

        actor: Actor
        occurred_at: datetime
        reason: str | None
        on_behalf_of: UUID | None
        held_on: date
        title: str
        chair_id: UUID
        attendee_ids: list[UUID]
        place: str
        agenda: list[AgendaItem]

        def apply(self, aggregate: Any) -> None:
            """Set the meeting's initial state."""
            meeting: Meeting = aggregate
            meeting.held_on = self.held_on
            meeting.title = self.title
            meeting.chair_id = self.chair_id
            meeting.attendee_ids = list(self.attendee_ids)
            meeting.place = self.place
            meeting.agenda = list(self.agenda)
            meeting.decisions = []
            # Its decisions were taken at the meeting: they may carry the meeting's day.
            meeting.started_at = min(
                self.occurred_at, datetime.combine(self.held_on, time(0), LOCAL_TZ)
            )
            meeting.recorded_at = self.timestamp
            meeting.updated_at = self.timestamp
            meeting.recorded_by = self.actor

    class DecisionRecorded(RecordEvent):
        """A decision of the meeting; its task was put in the handler's queue."""

        decision: MeetingDecision

        def change(self, record: Any) -> None:
            """Add the decision to the three lists."""
            meeting: Meeting = record
            meeting.decisions = [*meeting.decisions, self.decision]

    held_on: date
    title: str
    chair_id: UUID
    attendee_ids: list[UUID]
    place: str
    agenda: list[AgendaItem]
    decisions: list[MeetingDecision]
    recorded_at: datetime
    recorded_by: Actor

    @classmethod
    def convene(
        cls,
        stamp: Stamp,
        *,
        meeting_id: UUID,
        held_on: date,
        title: str,
        chair_id: UUID,
        attendee_ids: Sequence[UUID],
        place: str,
        agenda: Sequence[AgendaItem],
    ) -> Self:
        """Record a meeting held on `held_on` (not a future day)."""
        if held_on > local_date(stamp.latest):
            raise RuleViolationError("held_on", in_future("held_on"))
        return cls._create(
            cls.Convened,
            id=meeting_id,
            **stamp_data(stamp),
            held_on=held_on,
            title=needed_text("title", title, "会议标题"),
            chair_id=chair_id,
            attendee_ids=list(dict.fromkeys(attendee_ids)),
            place=place.strip(),
            agenda=list(agenda),
        )

    def decide(
        self,
        stamp: Stamp,
        *,
        task_id: UUID,
        problem: str,
        task: str,
        due_date: date,
        leader_id: UUID,
        unit_id: UUID,
        handler_id: UUID,
        case_id: UUID | None,
        risk_id: UUID | None,
    ) -> MeetingDecision:
        """Record a decision; its task (created beside it, `task_id`) is numbered in the meeting."""
        if due_date < self.held_on:
            raise RuleViolationError("due_date", "期限不能早于会议日期")
        decision = MeetingDecision(
            n=len(self.decisions) + 1,
            problem=needed_text("problem", problem, "问题"),
            task=needed_text("task", task, "任务"),
            due_date=due_date,
            leader_id=leader_id,
            unit_id=unit_id,
            handler_id=handler_id,
            case_id=case_id,
            risk_id=risk_id,
            task_id=task_id,
            actor=stamp.actor,
            occurred_at=stamp.occurred_at,
        )
        self._record(self.DecisionRecorded, stamp, decision=decision)
        return decision
