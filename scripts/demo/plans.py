"""What a demo case's life will be: a plan of typed commands, and the choices that write it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from domain.cases import local_date
from domain.commands import CaseCommand, LinkPetition, NotifyPetitioner
from domain.values import Actor, Channel, NoticeKind, Petitioner, Status
from scripts.demo.county import County
from scripts.demo.matters import NOTICE_METHODS, Topic


@dataclass(frozen=True)
class Later:
    """An argument known only when the step's time is: e.g. `delivered_at` of a response."""

    make: Callable[[datetime], Any]


def at_step(when: datetime) -> datetime:
    """The step's own time (for delivered_at, held_at)."""
    return when


def days_after(days: int) -> Later:
    """A date `days` after the step's own (for due dates)."""

    def make(when: datetime) -> date:
        return local_date(when) + timedelta(days=days)

    return Later(make)


@dataclass
class Step:
    """One command in a case's life, `days` whole days after the previous one (0: same day).

    It holds the command's class, not the command: the case id and the `Later` arguments are
    known only when the runner gets to the step.
    """

    days: int
    command: type[CaseCommand]
    actor: Actor
    reason: str | None
    args: dict[str, Any]


@dataclass
class Plan:
    """How one case will go: its registration and then its steps in order."""

    target: Status
    topic: Topic
    register: dict[str, Any]
    clerk: Actor
    steps: list[Step] = field(default_factory=list)
    unit: str | None = None

    def add(
        self,
        after: int,
        command: type[CaseCommand],
        actor: Actor,
        reason: str | None = None,
        /,
        **args: Any,
    ) -> None:
        """Append a step `after` days after the previous one."""
        self.steps.append(Step(after, command, actor, reason, args))

    @property
    def total_days(self) -> int:
        """Days from registration to the last step."""
        return sum(step.days for step in self.steps)


class PlanWriter:
    """What every part of the planner shares: the county, its seeded generator, and the steps
    that may come at any point of a case's life (notices, repeat petitions)."""

    def __init__(self, county: County) -> None:
        self.county = county
        self.rng = county.rng

    def chance(self, p: float) -> bool:
        """True with probability p."""
        return self.rng.random() < p

    def days(self, low: int, high: int) -> int:
        """A whole number of days in [low, high]."""
        return self.rng.randint(low, high)

    def notice(self, plan: Plan, kind: NoticeKind, p: float, by: Actor | None = None) -> None:
        """With probability p, the petitioner is told of the step just planned."""
        if self.chance(p):
            plan.add(
                self.days(0, 2),
                NotifyPetitioner,
                by or self.county.pick("clerk", "clerk2"),
                kind=kind,
                method=self.rng.choice(NOTICE_METHODS),
                delivered_at=Later(at_step),
            )

    def maybe_repeat(self, plan: Plan, p: float = 0.12) -> None:
        """With probability p, the petitioner comes back about the same matter."""
        if not self.chance(p):
            return
        c = self.county
        first: Petitioner = plan.register["petitioners"][0]
        plan.add(
            self.days(2, 12),
            LinkPetition,
            c.pick("clerk", "clerk2"),
            channel=self.rng.choice([Channel.VISIT, Channel.PHONE, Channel.HOTLINE_12345]),
            content=f"信访人再次反映“{plan.topic.subject}”问题，询问办理进度，情绪较为激动。",
            petitioners=[first],
        )
