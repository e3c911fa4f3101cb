"""What every aggregate of the registers shares: each event says who, when (business time) and
why, and business times are checked like a case's (never in the future, never before the
record's own start)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import ConflictError, RuleViolationError, before, in_future
from domain.lifecycle.core import CLOCK_SKEW, LOCAL_TZ
from domain.values import Actor, Stamp


class RecordEvent(Aggregate.Event):
    """Base of the events of a register record after its creation: who, when, why."""

    actor: Actor
    occurred_at: datetime
    reason: str | None
    on_behalf_of: UUID | None

    def apply(self, aggregate: Any) -> None:
        """Change the record's state."""
        record: Record = aggregate
        record.updated_at = self.timestamp
        self.change(record)

    def change(self, record: Any) -> None:
        """The change the event makes."""


class Record(Aggregate):
    """Base of the register aggregates (meeting, task, inspection, accountability record)."""

    started_at: datetime
    """Business time of the creation event (no later event may lie before it)."""
    updated_at: datetime

    def _record(self, event_class: type[RecordEvent], stamp: Stamp, **data: Any) -> None:
        self._within(stamp)
        self.trigger_event(
            event_class,
            actor=stamp.actor,
            occurred_at=stamp.occurred_at,
            reason=stamp.reason,
            on_behalf_of=stamp.on_behalf_of,
            **data,
        )

    def _within(self, stamp: Stamp) -> None:
        if stamp.occurred_at < self.started_at:
            earliest = self.started_at.astimezone(LOCAL_TZ)
            raise RuleViolationError(
                "occurred_at",
                before("occurred_at", f"该记录的建立时间（{earliest:%Y-%m-%d %H:%M}）"),
            )
        if stamp.occurred_at > stamp.latest + CLOCK_SKEW:
            raise RuleViolationError("occurred_at", in_future("occurred_at"))


def stamp_data(stamp: Stamp) -> dict[str, Any]:
    """The who/when/why fields of a creation event."""
    return {
        "actor": stamp.actor,
        "occurred_at": stamp.occurred_at,
        "reason": stamp.reason,
        "on_behalf_of": stamp.on_behalf_of,
    }


def needed_text(field: str, text: str, what: str) -> str:
    """A text that says something (a field error naming `field` otherwise)."""
    if not text or not text.strip():
        raise RuleViolationError(field, f"请填写{what}")
    return text.strip()


def conflict(message: str) -> ConflictError:
    """A command the record's present state does not allow (409)."""
    return ConflictError(message)
