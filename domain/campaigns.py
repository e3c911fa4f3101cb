"""Campaigns (专项行动: 百日攻坚, 积案化解) on cases and risks, and their weekly 调度 figures.

A campaign is launched with a name, a kind, a period and its targets: cases and risks chosen by
hand, by rule (cases carrying given flags, open risks at given levels: resolved into ids when it
is launched, so that the set is on record), or both. Its weekly snapshot and final report are
computed here from each target's own events (business time), by `Progress` — pure functions the
read side feeds (docs/campaigns.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Self
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.cases import local_date
from domain.errors import NotFoundError, RuleViolationError
from domain.values import Actor, CampaignKind, Flag, RiskLevel, Stamp

MAX_DAYS = 366
"""No campaign runs longer than a year."""
NO_TARGET = "专项行动至少须有一件目标信访事项或隐患"


@dataclass(frozen=True)
class Addition:
    """Targets added after a campaign's launch: the day (business time), when it was recorded,
    who added them, and their ids."""

    on: date
    recorded_at: datetime
    actor: Actor
    ids: tuple[UUID, ...]


class Campaign(Aggregate):
    """A named campaign with a period and its target cases and risks."""

    def __init__(self) -> None:
        """State is set by the creation event's apply()."""

    class Launched(Aggregate.Created):
        """A campaign was launched (启动专项行动) with its targets."""

        actor: Actor
        occurred_at: datetime
        reason: str | None
        on_behalf_of: UUID | None
        name: str
        kind: CampaignKind
        starts_on: date
        ends_on: date
        case_ids: list[UUID]
        risk_ids: list[UUID]
        case_flags: list[Flag]
        risk_levels: list[RiskLevel]

        def apply(self, aggregate: Any) -> None:
            """Set the campaign's state."""
            campaign: Campaign = aggregate
            campaign.name = self.name
            campaign.kind = self.kind
            campaign.starts_on = self.starts_on
            campaign.ends_on = self.ends_on
            campaign.case_ids = list(self.case_ids)
            campaign.risk_ids = list(self.risk_ids)
            campaign.case_flags = list(self.case_flags)
            campaign.risk_levels = list(self.risk_levels)
            campaign.launched_by = self.actor
            campaign.launched_at = self.occurred_at
            campaign.additions = []

    class TargetsAdded(Aggregate.Event):
        """Targets were added to the running campaign (追加目标): open cases and risks only."""

        actor: Actor
        occurred_at: datetime
        reason: str | None
        on_behalf_of: UUID | None
        case_ids: list[UUID]
        risk_ids: list[UUID]

        def apply(self, aggregate: Any) -> None:
            """Add the targets, noting the day they joined and when that was recorded."""
            campaign: Campaign = aggregate
            campaign.case_ids = [*campaign.case_ids, *self.case_ids]
            campaign.risk_ids = [*campaign.risk_ids, *self.risk_ids]
            campaign.additions = [
                *campaign.additions,
                Addition(
                    on=local_date(self.occurred_at),
                    recorded_at=self.timestamp,
                    actor=self.actor,
                    ids=(*self.case_ids, *self.risk_ids),
                ),
            ]

    name: str
    kind: CampaignKind
    starts_on: date
    ends_on: date
    case_ids: list[UUID]
    risk_ids: list[UUID]
    case_flags: list[Flag]
    """The rule the cases were chosen by (besides those named by hand), if any."""
    risk_levels: list[RiskLevel]
    """The rule the risks were chosen by (open risks at these levels), if any."""
    launched_by: Actor
    launched_at: datetime
    additions: list[Addition]
    """The targets added after the launch, in order."""

    @classmethod
    def launch(
        cls,
        stamp: Stamp,
        *,
        name: str,
        kind: CampaignKind,
        starts_on: date,
        ends_on: date,
        case_ids: Sequence[UUID],
        risk_ids: Sequence[UUID],
        case_flags: Sequence[Flag] = (),
        risk_levels: Sequence[RiskLevel] = (),
    ) -> Self:
        """Launch a campaign on its targets (at least one)."""
        if not name.strip():
            raise RuleViolationError("name", "请填写专项行动名称")
        if ends_on < starts_on:
            raise RuleViolationError("ends_on", "结束日期不能早于开始日期")
        if (ends_on - starts_on).days >= MAX_DAYS:
            raise RuleViolationError("ends_on", f"专项行动最长 {MAX_DAYS} 天")
        if not case_ids and not risk_ids:
            raise RuleViolationError("case_ids", NO_TARGET)
        return cls._create(
            cls.Launched,
            actor=stamp.actor,
            occurred_at=stamp.occurred_at,
            reason=stamp.reason,
            on_behalf_of=stamp.on_behalf_of,
            name=name.strip(),
            kind=kind,
            starts_on=starts_on,
            ends_on=ends_on,
            case_ids=list(dict.fromkeys(case_ids)),
            risk_ids=list(dict.fromkeys(risk_ids)),
            case_flags=list(dict.fromkeys(case_flags)),
            risk_levels=list(dict.fromkeys(risk_levels)),
        )

    def add_targets(
        self, stamp: Stamp, *, case_ids: Sequence[UUID], risk_ids: Sequence[UUID]
    ) -> None:
        """Add targets while the campaign runs: not once its last day is over (by the day the
        addition is recorded, so a backdated business time cannot reopen a finished campaign),
        not with a business time before its launch; those already among its targets are left
        out, and at least one must be new."""
        if stamp.occurred_at < self.launched_at:
            raise RuleViolationError("occurred_at", "追加目标的时间不能早于专项行动启动时间")
        if not self.takes_targets_on(local_date(stamp.latest)):
            raise RuleViolationError("case_ids", "专项行动已结束，不能再追加目标")
        cases = [c for c in dict.fromkeys(case_ids) if c not in self.case_ids]
        risks = [r for r in dict.fromkeys(risk_ids) if r not in self.risk_ids]
        if not cases and not risks:
            message = "所选目标均已在本专项行动中" if case_ids or risk_ids else NO_TARGET
            raise RuleViolationError("case_ids", message)
        self.trigger_event(
            self.TargetsAdded,
            actor=stamp.actor,
            occurred_at=stamp.occurred_at,
            reason=stamp.reason,
            on_behalf_of=stamp.on_behalf_of,
            case_ids=cases,
            risk_ids=risks,
        )

    def takes_targets_on(self, day: date) -> bool:
        """Whether targets may still be added on `day` (the day of recording): up to its last."""
        return day <= self.ends_on

    def addition_of(self, target_id: UUID) -> Addition | None:
        """How a target added after the launch joined (None: a target from the launch)."""
        return next((a for a in self.additions if target_id in a.ids), None)

    def joined_on(self, target_id: UUID) -> date | None:
        """The day a target added after the launch joined (None: a target from the launch)."""
        addition = self.addition_of(target_id)
        return addition.on if addition is not None else None

    def recorded_by(self, target_id: UUID, moment: datetime) -> bool:
        """Whether the target was a target in the log as it stood at `moment` (recorded time)."""
        return all(a.recorded_at <= moment for a in self.additions if target_id in a.ids)

    @property
    def weeks(self) -> int:
        """How many 调度 weeks the period has (week 1 starts on `starts_on`)."""
        return (self.ends_on - self.starts_on).days // 7 + 1

    def week(self, n: int) -> tuple[date, date]:
        """The first and last day of week `n` (the last week ends with the period)."""
        if not 1 <= n <= self.weeks:
            raise NotFoundError(f"本专项行动只有第 1 至第 {self.weeks} 周")
        first = self.starts_on + timedelta(days=7 * (n - 1))
        return first, min(first + timedelta(days=6), self.ends_on)


# -- progress ----------------------------------------------------------------------------------
OPEN = "open"
RESOLVED = "resolved"
ENDED = "ended"
"""How a target stands: still to be resolved, resolved (a case 办结, a risk 化解销号), or ended
otherwise (a case merged, diverted, not accepted, terminated; a risk converted into a case)."""


@dataclass(frozen=True)
class Mark:
    """One event of a target: when it happened (business time), who did it, how it left it."""

    on: date
    actor: Actor
    standing: str


@dataclass(frozen=True)
class Target:
    """A target as the figures need it: who answers for it now, and its events."""

    kind: str
    """`case` or `risk`."""
    id: UUID
    number: str
    unit_id: UUID | None
    leader_id: UUID | None
    marks: Sequence[Mark]
    since: date | None = None
    """The day it was added, if after the launch: no span ending before it counts it."""

    def standing_on(self, day: date) -> str:
        """How the target stood at the end of `day` (by the last event up to that day)."""
        found = OPEN
        for mark in self.marks:
            if mark.on <= day:
                found = mark.standing
        return found

    def reported(self, first: date, last: date) -> bool:
        """Whether its unit or its 包案领导 recorded anything on it between the two days."""
        # Entering the target (its first event) is no report on it.
        return any(
            first <= mark.on <= last
            and (
                (self.unit_id is not None and mark.actor.unit_id == self.unit_id)
                or (self.leader_id is not None and mark.actor.id == self.leader_id)
            )
            for mark in self.marks[1:]
        )


@dataclass
class Tally:
    """The figures of one unit or one leader."""

    resolved: int = 0
    remaining: int = 0
    not_reported: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Figures:
    """A week's (or the whole period's) figures of a campaign."""

    first: date
    last: date
    targets: int
    resolved: list[str]
    """The numbers of the targets resolved in the span."""
    resolved_before: int
    remaining: list[str]
    ended: int
    by_unit: dict[UUID | None, Tally]
    by_leader: dict[UUID | None, Tally]

    @property
    def not_reported_units(self) -> list[UUID | None]:
        """Units with a remaining target they recorded nothing on in the span."""
        return [unit for unit, tally in self.by_unit.items() if tally.not_reported]

    @property
    def not_reported_leaders(self) -> list[UUID | None]:
        """Leaders with a remaining target that neither they nor its unit recorded on."""
        return [leader for leader, tally in self.by_leader.items() if tally.not_reported]


def figures(targets: Sequence[Target], first: date, last: date) -> Figures:
    """What was resolved between `first` and `last` (inclusive), what remains at the end, and
    the same per unit and per 包案领导 (as they stand now), with who did not report; a target
    added after `last` is not yet counted."""
    before = first - timedelta(days=1)
    resolved: list[str] = []
    remaining: list[str] = []
    resolved_before = ended = 0
    by_unit: dict[UUID | None, Tally] = {}
    by_leader: dict[UUID | None, Tally] = {}
    targets = [t for t in targets if t.since is None or t.since <= last]
    for target in targets:
        # A target added later stands, for the campaign, as it stood the day before it joined
        # (a resolution dated before then is not the campaign's).
        start = before if target.since is None else max(before, target.since - timedelta(days=1))
        was, now = target.standing_on(start), target.standing_on(last)
        unit = by_unit.setdefault(target.unit_id, Tally())
        leader = by_leader.setdefault(target.leader_id, Tally())
        if was == RESOLVED:
            resolved_before += 1
        elif now == RESOLVED:
            resolved.append(target.number)
            unit.resolved += 1
            leader.resolved += 1
        if now == ENDED:
            ended += 1
        if now == OPEN:
            remaining.append(target.number)
            unit.remaining += 1
            leader.remaining += 1
            if not target.reported(first, last):
                unit.not_reported.append(target.number)
                leader.not_reported.append(target.number)
    return Figures(
        first=first,
        last=last,
        targets=len(targets),
        resolved=resolved,
        resolved_before=resolved_before,
        remaining=remaining,
        ended=ended,
        by_unit=by_unit,
        by_leader=by_leader,
    )


def marks_of(events: Sequence[Any], standing: Any) -> list[Mark]:
    """The marks of an aggregate's events: each applied in turn, `standing(aggregate)` read."""
    aggregate = None
    found = []
    for event in events:
        aggregate = event.mutate(aggregate)
        found.append(Mark(local_date(event.occurred_at), event.actor, standing(aggregate)))
    return found
