"""The monthly bulletin 月通报: once published, frozen with the log position it was computed at."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.errors import RuleViolationError
from domain.values import Actor


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
    ) -> Bulletin:
        """Publish the bulletin of `month` computed at log `position`."""
        if position < 1:
            raise RuleViolationError("month", "nothing has been recorded yet")
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
