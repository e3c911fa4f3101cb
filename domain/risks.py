"""The Risk aggregate (隐患): a matter that is not (yet) a petition, from entry to 销号 or case.

A risk is entered in the register (隐患排查台账) with its source, place (乡镇/村), the people
involved (protected exactly like petitioners: domain/visibility.py decides who sees them), its
level, and the three people and units answerable for it — 包案领导, 责任单位, 具体负责人. A risk
lacking any of the three is incomplete ("不漏一人一事") until it is named. 化解 steps are recorded;
a risk ends 已化解销号 (with the evidence, approved by the one who closes it) or converted into a
case, linked both ways. Every event carries the actor, business time and reason (docs/risks.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Self
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.cases import CLOCK_SKEW, LOCAL_TZ, local_date
from domain.errors import (
    RISK_ACCUSED_UNIT,
    DomainError,
    RuleViolationError,
    TransitionError,
    before,
    in_future,
)
from domain.labels import MISSING_DUTY, REGISTER_COMMAND, label_of
from domain.lifecycle.core import EARLIEST_RECEIPT
from domain.values import (
    Actor,
    Petitioner,
    RiskKind,
    RiskLevel,
    RiskSource,
    RiskStatus,
    Stamp,
)
from domain.visibility import Standing

DUTIES = ("leader_id", "unit_id", "handler_id")
"""The three a risk must name: 包案领导, 责任单位, 具体负责人."""


class RiskTransitionError(TransitionError):
    """The risk's status does not allow the command (409)."""

    def __init__(self, command: str, status: str) -> None:
        name = REGISTER_COMMAND.get(RISK_COMMAND.get(command, ""), command)
        DomainError.__init__(
            self, f"隐患当前状态为“{label_of(RiskStatus, status)}”，不能办理“{name}”"
        )
        self.command = command
        self.status = status


RISK_COMMAND = {
    "assign": "AssignRisk",
    "record_step": "RecordRiskStep",
    "resolve": "ResolveRisk",
    "convert": "ConvertRisk",
}
"""The declaration of each command of a risk, by verb (its name is in domain.labels)."""


def risk_number(year: int, n: int) -> str:
    """The human number of the `n`th risk entered in `year` (YH-2026-000012)."""
    return f"YH-{year}-{n:06d}"


@dataclass(frozen=True)
class RiskStep:
    """One 化解 step: what was done, when (business time), by whom."""

    n: int
    text: str
    taken_at: datetime
    actor: Actor


class Risk(Aggregate):
    """A risk from its entry in the register to 销号 or conversion into a case."""

    def __init__(self) -> None:
        """State is set by the creation event's apply()."""

    class Event(Aggregate.Event):
        """Base of every risk event: who, when, why."""

        actor: Actor
        occurred_at: datetime
        reason: str | None
        on_behalf_of: UUID | None

        def apply(self, aggregate: Any) -> None:
            """Change the risk's state."""
            risk: Risk = aggregate
            risk.updated_at = self.timestamp
            self.change(risk)

        def change(self, risk: Risk) -> None:
            """What the event changes."""

    class Registered(Aggregate.Created):
        """A risk was entered in the register (录入隐患)."""

        actor: Actor
        occurred_at: datetime
        reason: str | None
        on_behalf_of: UUID | None
        number: str
        kind: RiskKind
        source: RiskSource
        level: RiskLevel
        subject: str
        description: str
        township_id: UUID
        village: str | None
        people: list[Petitioner]
        headcount: int | None
        accused_unit_ids: list[UUID]
        reporting_unit_id: UUID | None

        def apply(self, aggregate: Any) -> None:
            """Set the initial state."""
            risk: Risk = aggregate
            risk.number = self.number
            risk.kind = self.kind
            risk.source = self.source
            risk.level = self.level
            risk.subject = self.subject
            risk.description = self.description
            risk.township_id = self.township_id
            risk.village = self.village
            risk.people = list(self.people)
            risk.headcount = self.headcount
            risk.accused_unit_ids = list(self.accused_unit_ids)
            risk.reporting_unit_id = self.reporting_unit_id
            risk.found_at = self.occurred_at
            risk.recorded_at = self.timestamp
            risk.updated_at = self.timestamp
            risk.last_at = self.occurred_at
            risk.status = RiskStatus.OPEN
            risk.leader_id = None
            risk.unit_id = None
            risk.handler_id = None
            risk.held_unit_ids = [self.reporting_unit_id] if self.reporting_unit_id else []
            risk.sponsor_ids = []
            risk.steps = []
            risk.resolved_at = None
            risk.evidence = None
            risk.approved_by = None
            risk.case_id = None
            risk.case_number = None
            risk.converted_at = None

    class Assigned(Event):
        """包案领导, 责任单位 and 具体负责人 were named or changed (落实包案责任)."""

        leader_id: UUID | None
        unit_id: UUID | None
        handler_id: UUID | None

        def change(self, risk: Risk) -> None:
            risk.last_at = self.occurred_at
            risk.leader_id = self.leader_id
            risk.unit_id = self.unit_id
            risk.handler_id = self.handler_id
            if self.leader_id is not None and self.leader_id not in risk.sponsor_ids:
                risk.sponsor_ids.append(self.leader_id)
            if self.unit_id is not None and self.unit_id not in risk.held_unit_ids:
                risk.held_unit_ids.append(self.unit_id)

    class StepRecorded(Event):
        """A 化解 step was taken (化解措施)."""

        text: str

        def change(self, risk: Risk) -> None:
            risk.last_at = self.occurred_at
            step = RiskStep(len(risk.steps) + 1, self.text, self.occurred_at, self.actor)
            risk.steps.append(step)

    class Resolved(Event):
        """The risk was defused and closed (已化解销号), on evidence, by its approver."""

        evidence: str

        def change(self, risk: Risk) -> None:
            risk.last_at = self.occurred_at
            risk.status = RiskStatus.RESOLVED
            risk.resolved_at = self.occurred_at
            risk.evidence = self.evidence
            risk.approved_by = self.actor

    class Converted(Event):
        """The risk became a petition: a case was registered from it (转为信访事项)."""

        case_id: UUID
        case_number: str

        def change(self, risk: Risk) -> None:
            risk.last_at = self.occurred_at
            risk.status = RiskStatus.CONVERTED
            risk.case_id = self.case_id
            risk.case_number = self.case_number
            risk.converted_at = self.occurred_at

    # -- state (declared for type checkers; set by Registered.apply) -------------------------
    number: str
    kind: RiskKind
    source: RiskSource
    level: RiskLevel
    subject: str
    description: str
    township_id: UUID
    village: str | None
    people: list[Petitioner]
    headcount: int | None
    accused_unit_ids: list[UUID]
    reporting_unit_id: UUID | None
    """The unit of whoever entered the risk: it answers for it until a 责任单位 is named."""
    found_at: datetime
    recorded_at: datetime
    updated_at: datetime
    last_at: datetime
    """Business time of the last event (a later one may not lie before it)."""
    status: RiskStatus
    leader_id: UUID | None
    unit_id: UUID | None
    handler_id: UUID | None
    held_unit_ids: list[UUID]
    sponsor_ids: list[UUID]
    steps: list[RiskStep]
    resolved_at: datetime | None
    evidence: str | None
    approved_by: Actor | None
    case_id: UUID | None
    case_number: str | None
    converted_at: datetime | None

    # -- creation ----------------------------------------------------------------------------
    @classmethod
    def register(
        cls,
        stamp: Stamp,
        *,
        risk_id: UUID,
        number: str,
        kind: RiskKind,
        source: RiskSource,
        level: RiskLevel,
        subject: str,
        description: str,
        township_id: UUID,
        village: str | None = None,
        people: Sequence[Petitioner] = (),
        headcount: int | None = None,
        accused_unit_ids: Sequence[UUID] = (),
    ) -> Self:
        """Enter a risk in the register; it is incomplete until its three duties are named."""
        if stamp.occurred_at < EARLIEST_RECEIPT:
            raise RuleViolationError(
                "occurred_at", before("occurred_at", f"{EARLIEST_RECEIPT:%Y-%m-%d}")
            )
        if not subject.strip():
            raise RuleViolationError("subject", "请填写隐患事由")
        if not description.strip():
            raise RuleViolationError("description", "请填写基本情况")
        if not people:
            raise RuleViolationError("people", "至少填写一名涉及人员")
        if any(not p.name.strip() for p in people):
            raise RuleViolationError("people", "每名涉及人员都须填写姓名")
        if headcount is not None and headcount < len(people):
            raise RuleViolationError("headcount", "涉及总人数少于所列人员数")
        return cls._create(
            cls.Registered,
            id=risk_id,
            actor=stamp.actor,
            occurred_at=stamp.occurred_at,
            reason=stamp.reason,
            on_behalf_of=stamp.on_behalf_of,
            number=number,
            kind=kind,
            source=source,
            level=level,
            subject=subject.strip(),
            description=description,
            township_id=township_id,
            village=(village or "").strip() or None,
            people=list(people),
            headcount=headcount,
            accused_unit_ids=list(dict.fromkeys(accused_unit_ids)),
            reporting_unit_id=stamp.actor.unit_id,
        )

    # -- derived -----------------------------------------------------------------------------
    @property
    def missing(self) -> list[str]:
        """The duties not yet named (empty when the risk is complete)."""
        return [name for name in DUTIES if getattr(self, name) is None]

    @property
    def incomplete(self) -> bool:
        """Whether the register lists the risk as incomplete (不漏一人一事)."""
        return bool(self.missing)

    @property
    def responsible_unit_id(self) -> UUID | None:
        """The unit answering for the risk: its 责任单位, else the unit that entered it."""
        return self.unit_id if self.unit_id is not None else self.reporting_unit_id

    @property
    def ended_at(self) -> datetime | None:
        """When the risk left the register (销号 or conversion)."""
        return self.resolved_at or self.converted_at

    @property
    def found_on(self) -> date:
        """The county date the risk was found."""
        return local_date(self.found_at)

    def standing(self) -> Standing:
        """What the visibility rule reads of the risk (the same rule as for cases)."""
        return Standing(
            responsible=self.responsible_unit_id,
            sponsor=self.leader_id,
            held=frozenset(self.held_unit_ids),
            sponsors=frozenset(self.sponsor_ids),
            accused=frozenset(self.accused_unit_ids),
        )

    # -- commands ----------------------------------------------------------------------------
    def _check(self, command: str, stamp: Stamp) -> None:
        if self.status is not RiskStatus.OPEN:
            raise RiskTransitionError(command, self.status.value)
        if stamp.occurred_at < self.last_at:
            raise RuleViolationError(
                "occurred_at",
                before(
                    "occurred_at",
                    f"上一步办理时间（{self.last_at.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}）",
                ),
            )
        if stamp.occurred_at > stamp.latest + CLOCK_SKEW:
            raise RuleViolationError("occurred_at", in_future("occurred_at"))

    def _record(self, event_class: type[Risk.Event], stamp: Stamp, **data: Any) -> None:
        self.trigger_event(
            event_class,
            actor=stamp.actor,
            occurred_at=stamp.occurred_at,
            reason=stamp.reason,
            on_behalf_of=stamp.on_behalf_of,
            **data,
        )

    def assign(
        self,
        stamp: Stamp,
        *,
        leader_id: UUID | None = None,
        unit_id: UUID | None = None,
        handler_id: UUID | None = None,
        unit_lineage: Sequence[UUID] = (),
        handler_unit_id: UUID | None = None,
    ) -> None:
        """Name (or change) the 包案领导, 责任单位 and 具体负责人; those not given stay.

        Replacing someone already named needs a reason; a unit the risk accuses cannot answer
        for it; the 具体负责人 works in the 责任单位.
        """
        self._check("assign", stamp)
        given = {"leader_id": leader_id, "unit_id": unit_id, "handler_id": handler_id}
        if all(value is None for value in given.values()):
            raise RuleViolationError("leader_id", "请至少指定包案领导、责任单位或具体负责人之一")
        replaced = [
            name
            for name, value in given.items()
            if value is not None and getattr(self, name) not in (None, value)
        ]
        if set(unit_lineage) & set(self.accused_unit_ids):
            raise RuleViolationError("unit_id", RISK_ACCUSED_UNIT)
        after = {name: value or getattr(self, name) for name, value in given.items()}
        if unit_id is not None and unit_id != self.unit_id and handler_id is None:
            after["handler_id"] = None  # a new unit names its own 具体负责人
        if handler_id is not None and handler_unit_id != after["unit_id"]:
            raise RuleViolationError("handler_id", "具体负责人不是责任单位的工作人员")
        if replaced and not stamp.reason:
            raise RuleViolationError(
                "reason", f"更换{'、'.join(MISSING_DUTY[name] for name in replaced)}须说明理由"
            )
        if all(after[name] == getattr(self, name) for name in DUTIES):
            raise RuleViolationError("leader_id", "所指定的人员和单位均已落实，没有变化")
        self._record(self.Assigned, stamp, **after)

    def record_step(self, stamp: Stamp, *, text: str) -> None:
        """Record a 化解 step taken on the risk."""
        self._check("record_step", stamp)
        if not text.strip():
            raise RuleViolationError("text", "请写明所采取的化解措施")
        self._record(self.StepRecorded, stamp, text=text.strip())

    def resolve(self, stamp: Stamp, *, evidence: str) -> None:
        """Close the risk as defused (已化解销号), on evidence; the actor approves it.

        An incomplete risk cannot be closed: who answered for it must be on record.
        """
        self._check("resolve", stamp)
        if self.missing:
            raise RuleViolationError(
                self.missing[0],
                f"销号前须落实{'、'.join(MISSING_DUTY[name] for name in self.missing)}",
            )
        if not evidence.strip():
            raise RuleViolationError("evidence", "销号须写明化解依据")
        self._record(self.Resolved, stamp, evidence=evidence.strip())

    def convert(self, stamp: Stamp, *, case_id: UUID, case_number: str) -> None:
        """Record that the risk became the case `case_number` (registered in the same save)."""
        self._check("convert", stamp)
        self._record(self.Converted, stamp, case_id=case_id, case_number=case_number)
