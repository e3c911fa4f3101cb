"""The core of the Case aggregate: its state, registration, and the helpers every phase uses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Self
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate

from domain import deadlines as clocks
from domain.commands import ALLOWED, REASON_REQUIRED
from domain.documents import IssuedDocument
from domain.errors import (
    ACCUSED_UNIT,
    RuleViolationError,
    TransitionError,
    before,
    in_future,
    needs_reason,
)
from domain.values import (
    TERMINAL_STATUSES,
    Actor,
    Category,
    Channel,
    ClockEnd,
    Deadline,
    Decision,
    Disposition,
    Flag,
    Holder,
    Outcome,
    Petitioner,
    Resolution,
    Rule,
    Satisfaction,
    Stamp,
    Status,
)

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
"""County offices count deadlines in China Standard Time."""

CLOCK_SKEW = timedelta(minutes=5)
"""How far into the future a business time may lie (clients' clocks drift)."""

EARLIEST_RECEIPT = datetime(2000, 1, 1, tzinfo=LOCAL_TZ)
"""No petition registered here was received before this (older dates are typing errors)."""


def local_date(moment: datetime) -> date:
    """The calendar date of `moment` in the county's time zone."""
    return moment.astimezone(LOCAL_TZ).date()


def make_stamp(
    actor: Actor,
    *,
    now: datetime,
    occurred_at: datetime | None = None,
    reason: str | None = None,
    on_behalf_of: UUID | None = None,
) -> Stamp:
    """Build the who/when/why of a command; business time may be past, never future."""
    when = occurred_at or now
    if when.tzinfo is None:
        raise RuleViolationError("occurred_at", "发生时间须带时区（如 +08:00）")
    if when > now + CLOCK_SKEW:
        raise RuleViolationError("occurred_at", in_future("occurred_at"))
    text = reason.strip() if reason else None
    return Stamp(
        actor=actor, occurred_at=when, reason=text or None, on_behalf_of=on_behalf_of, now=now
    )


@dataclass(frozen=True)
class SupervisionOrder:
    """A 督办 order: numbered within the case, with its own deadline."""

    n: int
    text: str
    due_date: date
    issued_by: UUID
    answer: str | None = None
    answered_on: date | None = None


class CaseCore(Aggregate):
    """The state of a case and what every phase of its life uses (Case joins the phases)."""

    def __init__(self) -> None:
        """State is set by the creation event\'s apply()."""

    class Event(Aggregate.Event):
        """Base of every case event: who, when, why, and the clocks it moves."""

        actor: Actor
        occurred_at: datetime
        reason: str | None
        on_behalf_of: UUID | None
        deadlines: list[Deadline]

        reopens: ClassVar[bool] = False
        """Whether the event runs ended clocks on again (the same clocks, not new ones)."""

        def apply(self, aggregate: Any) -> None:
            """Store the deadlines the event started, moved or stopped, then change state."""
            case: CaseCore = aggregate
            for deadline in self.deadlines:
                previous = case.deadlines.get(deadline.name)
                # A new clock in the slot keeps the previous one (ended) in the case's past,
                # also one met the day the new one starts (a receipt notice sent the day the
                # case is forwarded); only a clock run on again replaces its ended self.
                if previous is not None and (
                    previous.started_on != deadline.started_on
                    or (not previous.running and deadline.running and not self.reopens)
                ):
                    case.past_deadlines.append(previous)
                case.deadlines[deadline.name] = deadline
            case.updated_at = self.timestamp
            status = case.status
            self.change(case)
            if case.status is not status:
                case.step_at = self.occurred_at

        def change(self, case: CaseCore) -> None:
            """Change the case's state (activities that only record leave it alone)."""

    class Registered(Aggregate.Created):
        """A petition was registered (登记) as a new case."""

        actor: Actor
        occurred_at: datetime
        reason: str | None
        on_behalf_of: UUID | None
        deadlines: list[Deadline]
        number: str
        channel: Channel
        category: Category
        subject: str
        content: str
        petitioners: list[Petitioner]
        location: str | None
        accused_unit_ids: list[UUID]
        collective_size: int | None
        intake_unit_id: UUID | None
        from_risk_id: UUID | None = None
        """The risk (隐患) the case was converted from; absent from earlier records."""

        def apply(self, aggregate: Any) -> None:
            """Set the initial state of the case."""
            case: CaseCore = aggregate
            case.number = self.number
            case.channel = self.channel
            case.category = self.category
            case.subject = self.subject
            case.content = self.content
            case.petitioners = list(self.petitioners)
            case.location = self.location
            case.accused_unit_ids = list(self.accused_unit_ids)
            case.collective_size = self.collective_size
            case.intake_unit_id = self.intake_unit_id
            case.__dict__["converted_from"] = self.from_risk_id
            case.registered_at = self.occurred_at
            case.step_at = self.occurred_at
            case.recorded_at = self.timestamp
            case.updated_at = self.timestamp
            case.status = Status.REGISTERED
            case.mode = "direct"
            case.unit_id = None
            case.handler_id = None
            case.leader_id = None
            case.held_unit_ids = []
            case.sponsor_ids = []
            case.flags = []
            case.deadlines = {d.name: d for d in self.deadlines}
            case.past_deadlines = []
            case.repeat_count = 0
            case.petition_count = 1
            case.objection_pending = False
            case.outcome = None
            case.response_text = None
            case.delivered_on = None
            case.dispositions = []
            case.satisfaction = None
            case.resolution = None
            case.closed_at = None
            case.closed_from = None
            case.merged_into = None
            case.merged_case_ids = []
            case.diverted_to = None
            case.review_decision = None
            case.recheck_decision = None
            case.supervision_orders = []
            case.visit_count = 0
            case.recused_ids = []
            case.recusal_requests = []
            if self.collective_size and self.collective_size >= 5:
                case.flags.append(Flag.COLLECTIVE)

    # -- state (declared for type checkers; set by Registered.apply) -------------------------
    number: str
    channel: Channel
    category: Category
    subject: str
    content: str
    petitioners: list[Petitioner]
    location: str | None
    accused_unit_ids: list[UUID]
    collective_size: int | None
    intake_unit_id: UUID | None
    registered_at: datetime
    step_at: datetime
    """Business time of the last step that moved the case on (a change of status)."""
    recorded_at: datetime
    updated_at: datetime
    status: Status
    mode: str
    unit_id: UUID | None
    handler_id: UUID | None
    leader_id: UUID | None
    held_unit_ids: list[UUID]
    sponsor_ids: list[UUID]
    flags: list[Flag]
    deadlines: dict[str, Deadline]
    past_deadlines: list[Deadline]
    repeat_count: int
    petition_count: int
    objection_pending: bool
    outcome: Outcome | None
    response_text: str | None
    delivered_on: date | None
    dispositions: list[Disposition]
    satisfaction: Satisfaction | None
    resolution: Resolution | None
    closed_at: datetime | None
    closed_from: Status | None
    merged_into: UUID | None
    merged_case_ids: list[UUID]
    diverted_to: str | None
    review_decision: Decision | None
    recheck_decision: Decision | None
    supervision_orders: list[SupervisionOrder]
    visit_count: int
    recused_ids: list[UUID]
    """People who stepped aside (回避): they may no longer act on the case."""
    recusal_requests: list[UUID]
    """People the petitioner asked to step aside, not yet decided."""
    issued_documents: tuple[IssuedDocument, ...]
    """Documents issued with their 文号 (default in domain/lifecycle/documents.py)."""
    typical_text: str | None
    """The supervisor's note on a typical case (典型案例), if marked."""

    # -- creation ----------------------------------------------------------------------------
    @classmethod
    def register(
        cls,
        stamp: Stamp,
        *,
        case_id: UUID,
        number: str,
        channel: Channel,
        category: Category,
        subject: str,
        content: str,
        petitioners: Sequence[Petitioner],
        location: str | None = None,
        accused_unit_ids: Sequence[UUID] = (),
        collective_size: int | None = None,
        from_risk_id: UUID | None = None,
    ) -> Self:
        """Register a petition as a new case; the sorting and notice clocks start."""
        if stamp.occurred_at < EARLIEST_RECEIPT:
            raise RuleViolationError(
                "occurred_at", before("occurred_at", f"{EARLIEST_RECEIPT:%Y-%m-%d}")
            )
        if not subject.strip():
            raise RuleViolationError("subject", "请填写事由")
        if not content.strip():
            raise RuleViolationError("content", "请填写信访内容")
        if not petitioners:
            raise RuleViolationError("petitioners", "至少填写一名信访人")
        if collective_size is not None and collective_size < 1:
            raise RuleViolationError("collective_size", "集体访人数至少为 1")
        today = local_date(stamp.occurred_at)
        started = [
            clocks.start_clock(Rule.SORT_15, today),
            clocks.start_clock(Rule.NOTICE_15, today),
        ]
        return cls._create(
            cls.Registered,
            id=case_id,
            actor=stamp.actor,
            occurred_at=stamp.occurred_at,
            reason=stamp.reason,
            on_behalf_of=stamp.on_behalf_of,
            deadlines=started,
            number=number,
            channel=channel,
            category=category,
            subject=subject.strip(),
            content=content,
            petitioners=list(petitioners),
            location=location,
            accused_unit_ids=list(dict.fromkeys(accused_unit_ids)),
            collective_size=collective_size,
            intake_unit_id=stamp.actor.unit_id,
            from_risk_id=from_risk_id,
        )

    # -- helpers -----------------------------------------------------------------------------
    @property
    def from_risk_id(self) -> UUID | None:
        """The risk (隐患) the case was converted from (docs/risks.md); None for a petition
        registered as such (and in a snapshot stored before risks existed)."""
        found: UUID | None = self.__dict__.get("converted_from")
        return found

    @property
    def holder(self) -> Holder:
        """Who holds the case now."""
        return Holder(unit_id=self.unit_id, handler_id=self.handler_id, leader_id=self.leader_id)

    @property
    def is_terminal(self) -> bool:
        """Whether no further handling is expected."""
        return self.status in TERMINAL_STATUSES

    def _check(self, command: str, stamp: Stamp, *, step: bool = True) -> date:
        """Refuse a command the status does not allow; return its business date.

        A step (a command that moves the case on) happens no earlier than the step it follows;
        an activity (`step=False`: a visit, a note, a notice) no earlier than registration.
        """
        if self.status not in ALLOWED[command]:
            raise TransitionError(command, self.status.value)
        if command in REASON_REQUIRED and not stamp.reason:
            raise RuleViolationError("reason", needs_reason(command))
        self._within("occurred_at", stamp.occurred_at, stamp, step=step)
        return local_date(stamp.occurred_at)

    def _within(self, field: str, moment: datetime, stamp: Stamp, *, step: bool) -> None:
        """Refuse a business time before the step it follows, or later than now (plus skew)."""
        earliest, what = (
            (self.step_at, "上一步办理时间") if step else (self.registered_at, "登记时间")
        )
        if moment < earliest:
            raise RuleViolationError(
                field,
                before(field, f"{what}（{earliest.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}）"),
            )
        if moment > stamp.latest + CLOCK_SKEW:
            raise RuleViolationError(field, in_future(field))

    def _stop(self, on: date, *names: str | Rule) -> list[Deadline]:
        """Meet the running clocks with the given names on `on` (the duty was done)."""
        return self._end(on, ClockEnd.MET, *names)

    def _end(self, on: date, end: ClockEnd, *names: str | Rule) -> list[Deadline]:
        """End the running clocks with the given names on `on` in the way `end`."""
        ended = []
        for name in names:
            key = name.value if isinstance(name, Rule) else name
            deadline = self.deadlines.get(key)
            if deadline is not None and deadline.running:
                ended.append(deadline.stopped(on, self.holder, end))
        return ended

    def _end_all(self, on: date, end: ClockEnd, *, but: Sequence[Rule] = ()) -> list[Deadline]:
        """End every running clock (but those of the rules `but`) in the way `end`."""
        names = [d.name for d in self.deadlines.values() if d.running and d.rule not in but]
        return self._end(on, end, *names)

    def _start(self, on: date, *clocks_started: Deadline) -> list[Deadline]:
        """Start clocks; a clock still running in the same slot is superseded by the new one."""
        superseded = self._end(on, ClockEnd.SUPERSEDED, *(d.name for d in clocks_started))
        return [*superseded, *clocks_started]

    def _record(
        self,
        event_class: type[CaseCore.Event],
        stamp: Stamp,
        deadlines: Iterable[Deadline] = (),
        **data: Any,
    ) -> None:
        self.trigger_event(
            event_class,
            actor=stamp.actor,
            occurred_at=stamp.occurred_at,
            reason=stamp.reason,
            on_behalf_of=stamp.on_behalf_of,
            deadlines=list(deadlines),
            **data,
        )

    def _refuse_accused(self, unit_lineage: Sequence[UUID], field: str = "unit_id") -> None:
        if set(unit_lineage) & set(self.accused_unit_ids):
            raise RuleViolationError(field, ACCUSED_UNIT)

    def _handoff_clocks(self, today: date) -> list[Deadline]:
        """Sorted and sent to a unit: the unit's notice clock and objection window start."""
        return [
            *self._stop(today, Rule.SORT_15),
            *self._start(
                today,
                clocks.start_clock(Rule.NOTICE_15, today),
                clocks.start_clock(Rule.OBJECT_5WD, today),
            ),
        ]

    def _hand_to(self, unit_id: UUID) -> None:
        if self.unit_id != unit_id:
            self.handler_id = None
        self.unit_id = unit_id
        self.objection_pending = False
        if unit_id not in self.held_unit_ids:
            self.held_unit_ids.append(unit_id)

    def _sponsor(self, leader_id: UUID) -> None:
        self.leader_id = leader_id
        if leader_id not in self.sponsor_ids:
            self.sponsor_ids.append(leader_id)

    def _recuse(self, person_id: UUID) -> None:
        # The case must get another handler (or sponsor): the one who stepped aside no longer is.
        self.recused_ids.append(person_id)
        if self.handler_id == person_id:
            self.handler_id = None
        if self.leader_id == person_id:
            self.leader_id = None

    def _unclose(self) -> None:
        # A case asked to be reviewed, rechecked or reopened is open again: no resolution shown.
        self.resolution = None
        self.closed_at = None
        self.closed_from = None


CaseEvent = CaseCore.Event
"""The base of every case event (who, when, why, and the clocks it moves)."""

# At run time a phase is a plain mixin: its events and methods join Case, which the library
# builds from all phases (and which re-declares every event as Case.<Name>, the stored topic).
# For the type checker a phase sees the state and helpers of CaseCore.
if TYPE_CHECKING:
    Phase = CaseCore
else:
    Phase = object
