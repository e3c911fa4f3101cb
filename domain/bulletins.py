"""The monthly bulletin 月通报: when it may be published, its 红榜 and 黑榜, its frozen record."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.errors import DomainError, RuleViolationError, TransitionError
from domain.labels import percent, rate_text
from domain.values import Actor

COMMEND_FROM = 90.0
"""按期办结率 (percent) a unit needs at least, with no overdue item, to be on the 红榜."""
CRITICISE_BELOW = 60.0
"""按期办结率 (percent) below which a unit is on the 黑榜 (通报批评)."""
JUDGED_FROM = 3
"""Deadlines falling due in the month a rate needs before it commends or criticises."""


def first_day_after(month: str) -> date:
    """The day after the last day of `YYYY-MM`: from then on the month has ended."""
    first = date.fromisoformat(f"{month}-01")
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def require_ended(month: str, today: date) -> None:
    """Refuse a month that has not ended yet on `today` (the county's date, Asia/Shanghai)."""
    after = first_day_after(month)
    if today < after:
        msg = (
            f"{month} 尚未结束（今天是 {today.isoformat()}，按县里时间）："
            f"月通报须待该月结束后发布，{after.isoformat()} 起可发布"
        )
        raise RuleViolationError("month", msg)


class BulletinStateError(TransitionError):
    """A bulletin is already published, or not yet (409), said in words people read."""

    def __init__(self, command: str, message: str) -> None:
        DomainError.__init__(self, message)
        self.command = command
        self.status = message


@dataclass(frozen=True)
class Standing:
    """One unit's month as the 红榜 and 黑榜 judge it (counts from its scorecard)."""

    unit: str
    rank: int | None
    """Its place in the scorecard ranking; None below the minimum sample (never ranked)."""
    handling_due: int
    handling_on_time: int
    overdue: int
    severely_overdue: int

    @property
    def on_time(self) -> float | None:
        """按期办结率 as a percentage with one decimal."""
        return percent(self.handling_on_time, self.handling_due)

    @property
    def judged(self) -> bool:
        """Whether enough deadlines fell due for the rate to commend or criticise."""
        return self.handling_due >= JUDGED_FROM


@dataclass(frozen=True)
class Rolls:
    """The 红榜 (best first), the 黑榜 with its reasons (worst first), units listed apart."""

    commended: list[Standing] = field(default_factory=list)
    criticised: list[tuple[Standing, list[str]]] = field(default_factory=list)
    unranked: list[Standing] = field(default_factory=list)


def criticisms(standing: Standing) -> list[str]:
    """Why a ranked unit is criticised (通报批评); empty if it is not."""
    found = []
    rate = standing.on_time
    if standing.judged and rate is not None and rate < CRITICISE_BELOW:
        on_time = rate_text(standing.handling_on_time, standing.handling_due)
        found.append(f"按期办结率 {on_time}，低于 {CRITICISE_BELOW:.0f}%")
    if standing.severely_overdue:
        found.append(f"严重超期 {standing.severely_overdue} 件")
    return found


def commended(standing: Standing) -> bool:
    """Whether a ranked unit is commended: a judged rate of COMMEND_FROM or more, none overdue."""
    rate = standing.on_time
    return (
        standing.judged
        and rate is not None
        and rate >= COMMEND_FROM
        and standing.overdue == 0
        and standing.severely_overdue == 0
    )


def rolls(standings: Iterable[Standing]) -> Rolls:
    """Sort the units of a month onto the 红榜, the 黑榜, or apart (below the minimum sample)."""
    result = Rolls()
    for standing in standings:
        if standing.rank is None:
            result.unranked.append(standing)
        elif commended(standing):
            result.commended.append(standing)
        elif reasons := criticisms(standing):
            result.criticised.append((standing, reasons))
    result.commended.sort(key=lambda s: (s.rank, s.unit))
    # Worst first: the lowest rate, then the most overdue items; a unit without a rate to judge
    # (criticised for a severely overdue item only) after every rate.
    result.criticised.sort(
        key=lambda item: (
            item[0].on_time if item[0].judged and item[0].on_time is not None else 101.0,
            -item[0].severely_overdue,
            -item[0].overdue,
            item[0].unit,
        )
    )
    result.unranked.sort(key=lambda s: s.unit)
    return result


class Bulletin(Aggregate):
    """A published monthly bulletin; corrections are new events, never edits."""

    def __init__(self) -> None:
        """State is set by the creation event's apply()."""

    class Published(Aggregate.Created):
        """The bulletin of a month was published with its figures."""

        month: str
        position: int
        as_of_date: date
        figures: dict[str, Any]
        head: dict[str, Any] | None
        actor: Actor
        occurred_at: datetime

        def apply(self, aggregate: Any) -> None:
            """Freeze the figures."""
            bulletin: Bulletin = aggregate
            bulletin.month = self.month
            bulletin.position = self.position
            bulletin.as_of_date = self.as_of_date
            bulletin.figures = self.figures
            bulletin.head = self.head
            bulletin.published_by = self.actor
            bulletin.published_at = self.occurred_at

    month: str
    position: int
    as_of_date: date
    figures: dict[str, Any]
    head: dict[str, Any] | None
    published_by: Actor
    published_at: datetime

    @staticmethod
    def id_for(month: str) -> UUID:
        """One bulletin per month."""
        return uuid5(NAMESPACE_URL, f"xinfang:bulletin:{month}")

    @classmethod
    def publish(
        cls,
        *,
        month: str,
        position: int,
        as_of_date: date,
        figures: dict[str, Any],
        head: dict[str, Any] | None,
        actor: Actor,
        occurred_at: datetime,
        today: date,
    ) -> Bulletin:
        """Publish the bulletin of `month`, which has ended by `today`, computed at `position`."""
        require_ended(month, today)
        if position < 1:
            raise RuleViolationError("month", "尚无任何记录，无法发布月通报")
        return cls._create(
            cls.Published,
            id=cls.id_for(month),
            month=month,
            position=position,
            as_of_date=as_of_date,
            figures=figures,
            head=head,
            actor=actor,
            occurred_at=occurred_at,
        )
