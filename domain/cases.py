"""The Case aggregate (信访事项): its state machine, deadlines and activity events."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate

from domain import deadlines as clocks
from domain.errors import RuleViolationError, TransitionError
from domain.values import (
    TERMINAL_STATUSES,
    Actor,
    Category,
    Channel,
    Deadline,
    Decision,
    Disposition,
    Flag,
    HearingAction,
    Holder,
    NoticeKind,
    Outcome,
    Petitioner,
    Resolution,
    Rule,
    Satisfaction,
    Stamp,
    Status,
    VisitKind,
)

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
"""County offices count deadlines in China Standard Time."""

CLOCK_SKEW = timedelta(minutes=5)
"""How far into the future a business time may lie (clients' clocks drift)."""

S = Status
NON_TERMINAL = frozenset(Status) - TERMINAL_STATUSES
ACTIVE = frozenset(
    {S.ACCEPTED, S.IN_PROGRESS, S.EXTENDED, S.REPORT_SUBMITTED, S.UNDER_REVIEW, S.UNDER_RECHECK}
)
HANDLED = frozenset({*ACTIVE, S.RESPONDED, S.REVIEWED, S.CLOSED, S.TERMINATED})

ALLOWED: dict[str, frozenset[Status]] = {
    "forward": frozenset({S.REGISTERED}),
    "assign": frozenset({S.REGISTERED}),
    "divert": frozenset({S.REGISTERED}),
    "not_accept": frozenset({S.REGISTERED, S.FORWARDED, S.ASSIGNED}),
    "merge": frozenset({S.REGISTERED}),
    "accept": frozenset({S.REGISTERED, S.FORWARDED, S.ASSIGNED}),
    "object": frozenset({S.FORWARDED, S.ASSIGNED}),
    "decide_objection": frozenset({S.FORWARDED, S.ASSIGNED}),
    "start_work": frozenset({S.ACCEPTED}),
    "extend": frozenset({S.IN_PROGRESS, S.EXTENDED}),
    "respond": frozenset({S.IN_PROGRESS, S.EXTENDED}),
    "submit_report": frozenset({S.IN_PROGRESS, S.EXTENDED}),
    "reassign": frozenset({S.IN_PROGRESS, S.EXTENDED}),
    "approve_report": frozenset({S.REPORT_SUBMITTED}),
    "return_report": frozenset({S.REPORT_SUBMITTED}),
    "request_review": frozenset({S.RESPONDED, S.CLOSED}),
    "decide_review": frozenset({S.UNDER_REVIEW}),
    "request_recheck": frozenset({S.REVIEWED, S.CLOSED}),
    "hearing": frozenset({S.UNDER_RECHECK}),
    "decide_recheck": frozenset({S.UNDER_RECHECK}),
    "close": frozenset({S.RESPONDED, S.REVIEWED}),
    "reopen": frozenset({S.CLOSED, S.TERMINATED}),
    "withdraw": NON_TERMINAL,
    "record_visit": frozenset(Status) - {S.MERGED, S.DIVERTED, S.NOT_ACCEPTED},
    "record_progress": ACTIVE,
    "notify_petitioner": frozenset(Status) - {S.MERGED},
    "record_dispositions": HANDLED,
    "record_follow_up": frozenset({S.RESPONDED, S.REVIEWED, S.CLOSED, S.TERMINATED}),
    "change_handler": NON_TERMINAL - {S.REGISTERED},
    "change_leader": frozenset(Status) - {S.MERGED, S.DIVERTED, S.NOT_ACCEPTED},
    "link_petition": frozenset(Status) - {S.MERGED},
    "set_flag": frozenset(Status),
    "issue_supervision_order": NON_TERMINAL,
    "answer_supervision_order": frozenset(Status),
    "absorb": frozenset(Status) - TERMINAL_STATUSES | {S.CLOSED},
}
"""Which statuses allow which command: the whole state machine of domain.md §3."""

REASON_REQUIRED = frozenset(
    {
        "not_accept",
        "object",
        "extend",
        "reassign",
        "return_report",
        "reopen",
        "withdraw",
        "change_handler",
        "change_leader",
    }
)
"""Negative or unusual actions that must say why (domain.md §4)."""

NOTICE_MEETS: dict[NoticeKind, Rule] = {
    NoticeKind.RECEIPT: Rule.NOTICE_15,
    NoticeKind.ACCEPTANCE: Rule.NOTICE_15,
    NoticeKind.NOT_ACCEPTED: Rule.NOTICE_15,
}


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
        raise RuleViolationError("occurred_at", "occurred_at needs a time zone offset")
    if when > now + CLOCK_SKEW:
        raise RuleViolationError("occurred_at", "occurred_at lies in the future")
    text = reason.strip() if reason else None
    return Stamp(actor=actor, occurred_at=when, reason=text or None, on_behalf_of=on_behalf_of)


@dataclass(frozen=True)
class SupervisionOrder:
    """A 督办 order: numbered within the case, with its own deadline."""

    n: int
    text: str
    due_date: date
    issued_by: UUID
    answer: str | None = None
    answered_on: date | None = None


class Case(Aggregate):
    """A petition matter from registration to closing; every change is an event."""

    def __init__(self) -> None:
        """State is set by the creation event\'s apply()."""

    class Event(Aggregate.Event):
        """Base of every case event: who, when, why, and the clocks it moves."""

        actor: Actor
        occurred_at: datetime
        reason: str | None
        on_behalf_of: UUID | None
        deadlines: list[Deadline]

        def apply(self, aggregate: Any) -> None:
            """Store the deadlines the event started, moved or stopped, then change state."""
            case: Case = aggregate
            for deadline in self.deadlines:
                previous = case.deadlines.get(deadline.name)
                if previous is not None and previous.started_on != deadline.started_on:
                    case.past_deadlines.append(previous)
                case.deadlines[deadline.name] = deadline
            case.updated_at = self.timestamp
            self.change(case)

        def change(self, case: Case) -> None:
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

        def apply(self, aggregate: Any) -> None:
            """Set the initial state of the case."""
            case: Case = aggregate
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
            case.registered_at = self.occurred_at
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
    ) -> Case:
        """Register a petition as a new case; the sorting and notice clocks start."""
        if not subject.strip():
            raise RuleViolationError("subject", "a case needs a subject")
        if not content.strip():
            raise RuleViolationError("content", "a case needs the content of the petition")
        if not petitioners:
            raise RuleViolationError("petitioners", "a case needs at least one petitioner")
        if collective_size is not None and collective_size < 1:
            raise RuleViolationError("collective_size", "collective_size must be at least 1")
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
        )

    # -- helpers -----------------------------------------------------------------------------
    @property
    def holder(self) -> Holder:
        """Who holds the case now."""
        return Holder(unit_id=self.unit_id, handler_id=self.handler_id, leader_id=self.leader_id)

    @property
    def is_terminal(self) -> bool:
        """Whether no further handling is expected."""
        return self.status in TERMINAL_STATUSES

    def _check(self, command: str, stamp: Stamp) -> date:
        """Refuse a command the status does not allow; return its business date."""
        if self.status not in ALLOWED[command]:
            raise TransitionError(command, self.status.value)
        if command in REASON_REQUIRED and not stamp.reason:
            raise RuleViolationError("reason", f"'{command}' needs a reason")
        if stamp.occurred_at < self.registered_at:
            raise RuleViolationError(
                "occurred_at", "occurred_at lies before the case was registered"
            )
        return local_date(stamp.occurred_at)

    def _stop(self, on: date, *names: str | Rule) -> list[Deadline]:
        """Stop the running clocks with the given names as met on `on`."""
        stopped = []
        for name in names:
            key = name.value if isinstance(name, Rule) else name
            deadline = self.deadlines.get(key)
            if deadline is not None and deadline.met_on is None:
                stopped.append(deadline.met(on, self.holder))
        return stopped

    def _open(self, *rules: Rule) -> list[Deadline]:
        """The running clocks of the given rules."""
        return [d for d in self.deadlines.values() if d.rule in rules and d.met_on is None]

    def _record(
        self,
        event_class: type[Case.Event],
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
            raise RuleViolationError(
                field, "the case accuses this unit (or its parent): it cannot handle the case"
            )

    def _handoff_clocks(self, today: date) -> list[Deadline]:
        return [
            *self._stop(today, Rule.SORT_15),
            clocks.start_clock(Rule.NOTICE_15, today),
            clocks.start_clock(Rule.OBJECT_5WD, today),
        ]

    # -- sorting (分办) -------------------------------------------------------------------------
    class Forwarded(Event):
        """Sent (转送) to the competent unit."""

        unit_id: UUID

        def change(self, case: Case) -> None:
            case.status = Status.FORWARDED
            case.mode = "forwarded"
            case._hand_to(self.unit_id)

    def forward(self, stamp: Stamp, *, unit_id: UUID, unit_lineage: Sequence[UUID]) -> None:
        """Forward (转送) the case to a unit that is not accused by it."""
        today = self._check("forward", stamp)
        self._refuse_accused(unit_lineage)
        self._record(self.Forwarded, stamp, self._handoff_clocks(today), unit_id=unit_id)

    class Assigned(Event):
        """Assigned (交办) to a unit with a deadline and a duty to report back."""

        unit_id: UUID
        due_date: date

        def change(self, case: Case) -> None:
            case.status = Status.ASSIGNED
            case.mode = "assigned"
            case._hand_to(self.unit_id)

    def assign(
        self, stamp: Stamp, *, unit_id: UUID, due_date: date, unit_lineage: Sequence[UUID]
    ) -> None:
        """Assign (交办) the case to a unit that is not accused by it, with a due date."""
        today = self._check("assign", stamp)
        self._refuse_accused(unit_lineage)
        started = [
            *self._handoff_clocks(today),
            clocks.clock_with_due_date(Rule.ASSIGN_DUE, today, due_date),
        ]
        self._record(self.Assigned, stamp, started, unit_id=unit_id, due_date=due_date)

    def _hand_to(self, unit_id: UUID) -> None:
        if self.unit_id != unit_id:
            self.handler_id = None
        self.unit_id = unit_id
        self.objection_pending = False
        if unit_id not in self.held_unit_ids:
            self.held_unit_ids.append(unit_id)

    class Diverted(Event):
        """Routed (分流) to 政法/纪检监察/courts/arbitration/复议."""

        target: str

        def change(self, case: Case) -> None:
            case.status = Status.DIVERTED
            case.diverted_to = self.target

    def divert(self, stamp: Stamp, *, target: str) -> None:
        """Divert the case to another channel of law; it leaves the petition track."""
        today = self._check("divert", stamp)
        if not target.strip():
            raise RuleViolationError("target", "name where the case is diverted to")
        self._record(self.Diverted, stamp, self._stop(today, Rule.SORT_15), target=target.strip())

    class NotAccepted(Event):
        """Not accepted (不予受理), with a reason."""

        def change(self, case: Case) -> None:
            case.status = Status.NOT_ACCEPTED

    def not_accept(self, stamp: Stamp) -> None:
        """Refuse to accept the case (不予受理)."""
        today = self._check("not_accept", stamp)
        stopped = self._stop(today, Rule.SORT_15, Rule.OBJECT_5WD, Rule.ASSIGN_DUE)
        self._record(self.NotAccepted, stamp, stopped)

    class Merged(Event):
        """Merged (并案) into another case, which carries on."""

        into_case_id: UUID

        def change(self, case: Case) -> None:
            case.status = Status.MERGED
            case.merged_into = self.into_case_id

    def merge(self, stamp: Stamp, *, into: Case) -> None:
        """Merge this case into `into`; this case ends, the other records it."""
        today = self._check("merge", stamp)
        if into.id == self.id:
            raise RuleViolationError("into_case_id", "a case cannot be merged into itself")
        if into.status not in ALLOWED["absorb"]:
            raise RuleViolationError(
                "into_case_id", f"case {into.number} is '{into.status.value}' and cannot take more"
            )
        stopped = self._stop(today, Rule.SORT_15, Rule.NOTICE_15)
        self._record(self.Merged, stamp, stopped, into_case_id=into.id)
        into._record(into.Absorbed, stamp, merged_case_id=self.id)

    class Absorbed(Event):
        """Another case was merged into this one."""

        merged_case_id: UUID

        def change(self, case: Case) -> None:
            case.merged_case_ids.append(self.merged_case_id)
            case.petition_count += 1
            case.repeat_count += 1

    # -- acceptance (受理) -----------------------------------------------------------------------
    class Accepted(Event):
        """The responsible unit accepted the case; the 60-day clock runs."""

        unit_id: UUID | None
        handler_id: UUID | None
        leader_id: UUID | None

        def change(self, case: Case) -> None:
            case.status = Status.ACCEPTED
            if self.unit_id is not None:
                case._hand_to(self.unit_id)
            if self.handler_id is not None:
                case.handler_id = self.handler_id
            if self.leader_id is not None:
                case._sponsor(self.leader_id)

    def accept(
        self,
        stamp: Stamp,
        *,
        handler_id: UUID | None = None,
        leader_id: UUID | None = None,
    ) -> None:
        """Accept (受理) the case in the actor's unit."""
        today = self._check("accept", stamp)
        if self.objection_pending:
            raise RuleViolationError("status", "an objection is pending: decide it first")
        unit_id = self.unit_id
        if self.status is Status.REGISTERED:
            unit_id = stamp.actor.unit_id
        self._record(
            self.Accepted,
            stamp,
            [
                *self._stop(today, Rule.SORT_15, Rule.OBJECT_5WD),
                clocks.start_clock(Rule.HANDLE_60, today),
            ],
            unit_id=unit_id,
            handler_id=handler_id,
            leader_id=leader_id,
        )

    def _sponsor(self, leader_id: UUID) -> None:
        self.leader_id = leader_id
        if leader_id not in self.sponsor_ids:
            self.sponsor_ids.append(leader_id)

    class Objected(Event):
        """The unit objected (异议) that the case is not theirs."""

        def change(self, case: Case) -> None:
            case.objection_pending = True

    def object(self, stamp: Stamp) -> None:
        """Object within 5 working days that the case belongs elsewhere."""
        today = self._check("object", stamp)
        if self.objection_pending:
            raise RuleViolationError("status", "an objection is already pending")
        window = self.deadlines.get(Rule.OBJECT_5WD.value)
        if window is None or window.met_on is not None or today > window.due_date:
            raise RuleViolationError(
                "occurred_at", "the 5-working-day window for objections has closed"
            )
        self._record(self.Objected, stamp, self._stop(today, Rule.OBJECT_5WD))

    class ObjectionDecided(Event):
        """The sending office decided an objection; upheld returns the case for sorting."""

        upheld: bool

        def change(self, case: Case) -> None:
            case.objection_pending = False
            if self.upheld:
                case.status = Status.REGISTERED
                case.mode = "direct"
                case.unit_id = None
                case.handler_id = None

    def decide_objection(self, stamp: Stamp, *, upheld: bool) -> None:
        """Decide a pending objection (dispatcher)."""
        today = self._check("decide_objection", stamp)
        if not self.objection_pending:
            raise TransitionError("decide_objection", f"{self.status.value} without objection")
        # Upheld, the case leaves the unit: its assignment clock is frozen as at a reassignment.
        moved = (
            [*self._stop(today, Rule.ASSIGN_DUE), clocks.start_clock(Rule.SORT_15, today)]
            if upheld
            else []
        )
        self._record(self.ObjectionDecided, stamp, moved, upheld=upheld)

    # -- handling (办理) -------------------------------------------------------------------------
    class WorkStarted(Event):
        """Investigation started."""

        def change(self, case: Case) -> None:
            case.status = Status.IN_PROGRESS

    def start_work(self, stamp: Stamp) -> None:
        """Start investigating (办理中)."""
        self._check("start_work", stamp)
        self._record(self.WorkStarted, stamp)

    class Extended(Event):
        """An extension of the 60-day clock was approved (延期)."""

        days: int
        approved_by: str

        def change(self, case: Case) -> None:
            case.status = Status.EXTENDED

    def extend(self, stamp: Stamp, *, days: int, approved_by: str) -> None:
        """Extend handling by `days` (at most 30 in total), approved by a named person."""
        self._check("extend", stamp)
        if not approved_by.strip():
            raise RuleViolationError("approved_by", "an extension needs its approver")
        handle = self.deadlines.get(Rule.HANDLE_60.value)
        if handle is None or handle.met_on is not None:
            raise TransitionError("extend", f"{self.status.value} without a running 60-day clock")
        self._record(
            self.Extended,
            stamp,
            [clocks.extend(handle, days)],
            days=days,
            approved_by=approved_by.strip(),
        )

    class Responded(Event):
        """The response (答复意见) was issued and delivered."""

        outcome: Outcome
        text: str
        delivered_at: datetime

        def change(self, case: Case) -> None:
            case.status = Status.RESPONDED
            case.outcome = self.outcome
            case.response_text = self.text
            case.delivered_on = local_date(self.delivered_at)

    def respond(self, stamp: Stamp, *, outcome: Outcome, text: str, delivered_at: datetime) -> None:
        """Issue the response; the 30-day review window starts at delivery."""
        self._check("respond", stamp)
        if self.mode == "assigned":
            raise TransitionError("respond", f"{self.status.value} (assigned: submit a report)")
        if not text.strip():
            raise RuleViolationError("text", "the response needs its text")
        if delivered_at < self.registered_at:
            raise RuleViolationError("delivered_at", "delivered_at lies before registration")
        if delivered_at > stamp.occurred_at + CLOCK_SKEW:
            raise RuleViolationError("delivered_at", "delivered_at lies after occurred_at")
        delivered = local_date(delivered_at)
        self._record(
            self.Responded,
            stamp,
            [
                *self._stop(delivered, Rule.HANDLE_60),
                clocks.start_clock(Rule.REVIEW_WINDOW_30, delivered),
            ],
            outcome=outcome,
            text=text,
            delivered_at=delivered_at,
        )

    class ReportSubmitted(Event):
        """The completion report (办结报告) of an assigned case went to the assigning office."""

        text: str

        def change(self, case: Case) -> None:
            case.status = Status.REPORT_SUBMITTED
            case.response_text = self.text

    def submit_report(self, stamp: Stamp, *, text: str) -> None:
        """Submit the completion report of an assigned case."""
        today = self._check("submit_report", stamp)
        if self.mode != "assigned":
            raise TransitionError("submit_report", f"{self.status.value} (not an assigned case)")
        if not text.strip():
            raise RuleViolationError("text", "the report needs its text")
        self._record(self.ReportSubmitted, stamp, self._stop(today, Rule.ASSIGN_DUE), text=text)

    class ReportApproved(Event):
        """The assigning office approved the completion report; the case counts as answered."""

        def change(self, case: Case) -> None:
            case.status = Status.RESPONDED
            case.delivered_on = local_date(self.occurred_at)

    def approve_report(self, stamp: Stamp) -> None:
        """Approve a completion report; the review window starts."""
        today = self._check("approve_report", stamp)
        self._record(
            self.ReportApproved,
            stamp,
            [
                *self._stop(today, Rule.HANDLE_60),
                clocks.start_clock(Rule.REVIEW_WINDOW_30, today),
            ],
        )

    class ReportReturned(Event):
        """The completion report was sent back for more work."""

        def change(self, case: Case) -> None:
            case.status = Status.IN_PROGRESS

    def return_report(self, stamp: Stamp) -> None:
        """Return a completion report (with a reason); the assign clock runs again."""
        self._check("return_report", stamp)
        reopened = [replace(d, met_on=None, met_by=None) for d in self._met(Rule.ASSIGN_DUE)]
        self._record(self.ReportReturned, stamp, reopened)

    def _met(self, rule: Rule) -> list[Deadline]:
        return [d for d in self.deadlines.values() if d.rule is rule and d.met_on is not None]

    class Reassigned(Event):
        """The case was moved to another unit (forward or assign again)."""

        unit_id: UUID
        due_date: date | None

        def change(self, case: Case) -> None:
            case.status = Status.ASSIGNED if self.due_date else Status.FORWARDED
            case.mode = "assigned" if self.due_date else "forwarded"
            case._hand_to(self.unit_id)

    def reassign(
        self,
        stamp: Stamp,
        *,
        unit_id: UUID,
        unit_lineage: Sequence[UUID],
        due_date: date | None = None,
    ) -> None:
        """Move the case to another unit; a due date makes it an assignment."""
        today = self._check("reassign", stamp)
        self._refuse_accused(unit_lineage)
        if unit_id == self.unit_id:
            raise RuleViolationError("unit_id", "the case is already with this unit")
        started = [
            *self._stop(today, Rule.HANDLE_60, Rule.ASSIGN_DUE),
            clocks.start_clock(Rule.NOTICE_15, today),
            clocks.start_clock(Rule.OBJECT_5WD, today),
        ]
        if due_date is not None:
            started.append(clocks.clock_with_due_date(Rule.ASSIGN_DUE, today, due_date))
        self._record(self.Reassigned, stamp, started, unit_id=unit_id, due_date=due_date)

    # -- review (复查) and recheck (复核) ---------------------------------------------------------
    def _window_open(self, command: str, rule: Rule, today: date, from_status: Status) -> Deadline:
        window = self.deadlines.get(rule.value)
        if self.status is Status.CLOSED and self.closed_from is not from_status:
            raise TransitionError(command, f"closed from {self._closed_from_name()}")
        if window is None or window.met_on is not None:
            raise TransitionError(command, self.status.value)
        if today > window.due_date:
            raise RuleViolationError(
                "occurred_at", f"the 30-day window closed on {window.due_date.isoformat()}"
            )
        return window

    def _closed_from_name(self) -> str:
        return self.closed_from.value if self.closed_from else "unknown"

    class ReviewRequested(Event):
        """The petitioner asked for a review (复查)."""

        def change(self, case: Case) -> None:
            case.status = Status.UNDER_REVIEW
            case._unclose()

    def request_review(self, stamp: Stamp) -> None:
        """Record the petitioner's request for review, within 30 days of delivery."""
        self._ask(
            "request_review",
            stamp,
            self.ReviewRequested,
            window=Rule.REVIEW_WINDOW_30,
            decide=Rule.REVIEW_DECIDE_30,
            after=Status.RESPONDED,
        )

    def _ask(
        self,
        command: str,
        stamp: Stamp,
        event_class: type[Case.Event],
        *,
        window: Rule,
        decide: Rule,
        after: Status,
    ) -> None:
        """A petitioner's request inside its 30-day window starts the authority's clock."""
        today = self._check(command, stamp)
        self._window_open(command, window, today, after)
        started = [*self._stop(today, window), clocks.start_clock(decide, today)]
        self._record(event_class, stamp, started)

    class ReviewDecided(Event):
        """The review authority decided."""

        decision: Decision
        text: str

        def change(self, case: Case) -> None:
            case.review_decision = self.decision
            case.status = Status.IN_PROGRESS if self.decision is Decision.REDO else Status.REVIEWED

    def decide_review(self, stamp: Stamp, *, decision: Decision, text: str) -> None:
        """Record the review decision; `redo` sends the case back with a new 60-day clock."""
        today = self._check("decide_review", stamp)
        stopped = self._stop(today, Rule.REVIEW_DECIDE_30)
        following = (
            clocks.start_clock(Rule.HANDLE_60, today)
            if decision is Decision.REDO
            else clocks.start_clock(Rule.RECHECK_WINDOW_30, today)
        )
        self._record(self.ReviewDecided, stamp, [*stopped, following], decision=decision, text=text)

    class RecheckRequested(Event):
        """The petitioner asked for a recheck (复核)."""

        def change(self, case: Case) -> None:
            case.status = Status.UNDER_RECHECK
            case._unclose()

    def request_recheck(self, stamp: Stamp) -> None:
        """Record the petitioner's request for recheck, within 30 days of the review."""
        self._ask(
            "request_recheck",
            stamp,
            self.RecheckRequested,
            window=Rule.RECHECK_WINDOW_30,
            decide=Rule.RECHECK_DECIDE_30,
            after=Status.REVIEWED,
        )

    class HearingHeld(Event):
        """A recheck hearing (听证) started or ended; the recheck clock pauses meanwhile."""

        action: HearingAction

    def hearing(self, stamp: Stamp, *, action: HearingAction) -> None:
        """Pause (start) or resume (end) the recheck clock for a hearing."""
        today = self._check("hearing", stamp)
        clock = self.deadlines[Rule.RECHECK_DECIDE_30.value]
        moved = (
            clocks.pause(clock, today)
            if action is HearingAction.START
            else clocks.resume(clock, today)
        )
        self._record(self.HearingHeld, stamp, [moved], action=action)

    class RecheckDecided(Event):
        """The recheck authority decided; the matter is final unless redone."""

        decision: Decision
        text: str

        def change(self, case: Case) -> None:
            case.recheck_decision = self.decision
            if self.decision is Decision.REDO:
                case.status = Status.IN_PROGRESS
            else:
                case.status = Status.TERMINATED
                case.closed_at = self.occurred_at

    def decide_recheck(self, stamp: Stamp, *, decision: Decision, text: str) -> None:
        """Record the recheck decision; anything but `redo` terminates the matter (复核终结)."""
        today = self._check("decide_recheck", stamp)
        clock = self.deadlines[Rule.RECHECK_DECIDE_30.value]
        if clock.paused_since is not None:
            clock = clocks.resume(clock, today)
        stopped = [clock.met(today, self.holder)]
        if decision is Decision.REDO:
            stopped.append(clocks.start_clock(Rule.HANDLE_60, today))
        self._record(self.RecheckDecided, stamp, stopped, decision=decision, text=text)

    # -- closing ---------------------------------------------------------------------------------
    class Closed(Event):
        """The case was closed (办结) with a resolution."""

        resolution: Resolution

        def change(self, case: Case) -> None:
            case.closed_from = case.status
            case.status = Status.CLOSED
            case.resolution = self.resolution
            case.closed_at = self.occurred_at

    def close(self, stamp: Stamp, *, resolution: Resolution) -> None:
        """Close a responded or reviewed case; the petitioner's open window stays open."""
        self._check("close", stamp)
        if resolution is Resolution.WITHDRAWN:
            raise RuleViolationError("resolution", "use withdraw for a withdrawn petition")
        self._record(self.Closed, stamp, resolution=resolution)

    class Reopened(Event):
        """A closed or terminated case was reopened (rare, never silent)."""

        approved_by: str

        def change(self, case: Case) -> None:
            case.status = Status.IN_PROGRESS
            case._unclose()

    def reopen(self, stamp: Stamp, *, approved_by: str) -> None:
        """Reopen with a reason and a named approver; a new 60-day clock starts."""
        today = self._check("reopen", stamp)
        if not approved_by.strip():
            raise RuleViolationError("approved_by", "reopening needs its approver")
        self._record(
            self.Reopened,
            stamp,
            [clocks.start_clock(Rule.HANDLE_60, today)],
            approved_by=approved_by.strip(),
        )

    def _unclose(self) -> None:
        # A case asked to be reviewed, rechecked or reopened is open again: no resolution shown.
        self.resolution = None
        self.closed_at = None
        self.closed_from = None

    class Withdrawn(Event):
        """The petitioner withdrew (撤回) the petition."""

        def change(self, case: Case) -> None:
            case.closed_from = case.status
            case.status = Status.CLOSED
            case.resolution = Resolution.WITHDRAWN
            case.closed_at = self.occurred_at

    def withdraw(self, stamp: Stamp) -> None:
        """Close the case because the petitioner withdrew it; running clocks stop."""
        today = self._check("withdraw", stamp)
        running = [d.name for d in self.deadlines.values() if d.met_on is None]
        self._record(self.Withdrawn, stamp, self._stop(today, *running))

    # -- corrections -----------------------------------------------------------------------------
    class DeadlinesCorrected(Event):
        """Provisional deadlines were computed again after the holiday calendar learnt a year.

        The corrected deadlines travel in `deadlines`; the earlier events keep what was known then.
        """

        slots: list[str]

    def refresh_deadlines(self, stamp: Stamp) -> bool:
        """Correct provisional deadlines whose date the official calendar now changes."""
        changed = []
        for deadline in self.deadlines.values():
            again = clocks.refreshed(deadline)
            if again != deadline:
                changed.append(again)
        if not changed:
            return False
        self._record(self.DeadlinesCorrected, stamp, changed, slots=[d.name for d in changed])
        return True

    # -- activities (no change of status) --------------------------------------------------------
    class VisitRecorded(Event):
        """A reception (接访), home visit (下访) or appointment (约访) took place."""

        kind: VisitKind
        leader_id: UUID | None
        held_at: datetime
        notes: str

        def change(self, case: Case) -> None:
            case.visit_count += 1

    def record_visit(
        self,
        stamp: Stamp,
        *,
        kind: VisitKind,
        leader_id: UUID | None,
        held_at: datetime,
        notes: str,
    ) -> None:
        """Record a visit with the petitioner."""
        self._check("record_visit", stamp)
        if held_at > stamp.occurred_at + CLOCK_SKEW:
            raise RuleViolationError("held_at", "held_at lies in the future")
        self._record(
            self.VisitRecorded, stamp, kind=kind, leader_id=leader_id, held_at=held_at, notes=notes
        )

    class ProgressRecorded(Event):
        """A note on the investigation."""

        note: str

    def record_progress(self, stamp: Stamp, *, note: str) -> None:
        """Record progress of the investigation."""
        self._check("record_progress", stamp)
        if not note.strip():
            raise RuleViolationError("note", "a progress note cannot be empty")
        self._record(self.ProgressRecorded, stamp, note=note)

    class PetitionerNotified(Event):
        """A written notice (告知) reached the petitioner."""

        kind: NoticeKind
        method: str
        delivered_at: datetime

    def notify_petitioner(
        self, stamp: Stamp, *, kind: NoticeKind, method: str, delivered_at: datetime
    ) -> None:
        """Record a notice to the petitioner; receipt/acceptance notices meet notice_15."""
        self._check("notify_petitioner", stamp)
        if not method.strip():
            raise RuleViolationError("method", "say how the notice was delivered")
        if delivered_at > stamp.occurred_at + CLOCK_SKEW:
            raise RuleViolationError("delivered_at", "delivered_at lies in the future")
        rule = NOTICE_MEETS.get(kind)
        stopped = self._stop(local_date(delivered_at), rule) if rule else []
        self._record(
            self.PetitionerNotified,
            stamp,
            stopped,
            kind=kind,
            method=method.strip(),
            delivered_at=delivered_at,
        )

    class DispositionsRecorded(Event):
        """三到位一处理: how the matter was dealt with."""

        kinds: list[Disposition]
        note: str

        def change(self, case: Case) -> None:
            for kind in self.kinds:
                if kind not in case.dispositions:
                    case.dispositions.append(kind)

    def record_dispositions(self, stamp: Stamp, *, kinds: Sequence[Disposition], note: str) -> None:
        """Record one or more dispositions (三到位一处理)."""
        self._check("record_dispositions", stamp)
        if not kinds:
            raise RuleViolationError("kinds", "name at least one disposition")
        self._record(self.DispositionsRecorded, stamp, kinds=list(dict.fromkeys(kinds)), note=note)

    class FollowedUp(Event):
        """A follow-up call (回访) with the petitioner's satisfaction."""

        satisfaction: Satisfaction
        note: str

        def change(self, case: Case) -> None:
            case.satisfaction = self.satisfaction

    def record_follow_up(self, stamp: Stamp, *, satisfaction: Satisfaction, note: str) -> None:
        """Record a follow-up (回访) and the satisfaction given."""
        self._check("record_follow_up", stamp)
        self._record(self.FollowedUp, stamp, satisfaction=satisfaction, note=note)

    class HandlerChanged(Event):
        """The handler (具体负责人) changed inside the responsible unit."""

        handler_id: UUID

        def change(self, case: Case) -> None:
            case.handler_id = self.handler_id

    def change_handler(self, stamp: Stamp, *, handler_id: UUID) -> None:
        """Hand the case to another handler of the same unit (with a reason)."""
        self._check("change_handler", stamp)
        if handler_id == self.handler_id:
            raise RuleViolationError("handler_id", "this person already handles the case")
        self._record(self.HandlerChanged, stamp, handler_id=handler_id)

    class LeaderChanged(Event):
        """The sponsoring leader (包案领导) was designated or changed."""

        leader_id: UUID

        def change(self, case: Case) -> None:
            case._sponsor(self.leader_id)

    def change_leader(self, stamp: Stamp, *, leader_id: UUID) -> None:
        """Designate or change the sponsoring leader (with a reason)."""
        self._check("change_leader", stamp)
        if leader_id == self.leader_id:
            raise RuleViolationError("leader_id", "this leader already sponsors the case")
        self._record(self.LeaderChanged, stamp, leader_id=leader_id)

    class PetitionLinked(Event):
        """Another petition (a repeat, 重复信访) about the same matter arrived."""

        channel: Channel
        content: str
        petitioners: list[Petitioner]

        def change(self, case: Case) -> None:
            case.petition_count += 1
            case.repeat_count += 1
            known = {p.id_number or p.name for p in case.petitioners}
            for person in self.petitioners:
                if (person.id_number or person.name) not in known:
                    case.petitioners.append(person)

    def link_petition(
        self,
        stamp: Stamp,
        *,
        channel: Channel,
        content: str,
        petitioners: Sequence[Petitioner],
    ) -> None:
        """Attach a repeat petition about the same matter."""
        self._check("link_petition", stamp)
        if not content.strip():
            raise RuleViolationError("content", "the petition needs its content")
        self._record(
            self.PetitionLinked,
            stamp,
            channel=channel,
            content=content,
            petitioners=list(petitioners),
        )

    class Flagged(Event):
        """A flag was put on or taken off."""

        flag: Flag
        on: bool

        def change(self, case: Case) -> None:
            if self.on and self.flag not in case.flags:
                case.flags.append(self.flag)
            elif not self.on and self.flag in case.flags:
                case.flags.remove(self.flag)

    def set_flag(self, stamp: Stamp, *, flag: Flag, on: bool) -> None:
        """Put on or take off a flag; taking one off needs a reason."""
        self._check("set_flag", stamp)
        if on == (flag in self.flags):
            state = "already" if on else "not"
            raise RuleViolationError("flag", f"the case is {state} flagged '{flag.value}'")
        if not on and not stamp.reason:
            raise RuleViolationError("reason", "taking a flag off needs a reason")
        self._record(self.Flagged, stamp, flag=flag, on=on)

    class SupervisionOrderIssued(Event):
        """A supervision order (督办) with its own due date."""

        n: int
        text: str
        due_date: date

        def change(self, case: Case) -> None:
            case.supervision_orders.append(
                SupervisionOrder(
                    n=self.n, text=self.text, due_date=self.due_date, issued_by=self.actor.id
                )
            )

    def issue_supervision_order(self, stamp: Stamp, *, due_date: date, text: str) -> None:
        """Issue a supervision order (督办) that the unit must answer by its due date."""
        today = self._check("issue_supervision_order", stamp)
        if not text.strip():
            raise RuleViolationError("text", "a supervision order needs its text")
        n = len(self.supervision_orders) + 1
        clock = clocks.clock_with_due_date(
            Rule.SUPERVISION_DUE, today, due_date, key=f"{Rule.SUPERVISION_DUE.value}#{n}"
        )
        self._record(self.SupervisionOrderIssued, stamp, [clock], n=n, text=text, due_date=due_date)

    class SupervisionOrderAnswered(Event):
        """The unit answered a supervision order."""

        n: int
        text: str

        def change(self, case: Case) -> None:
            order = case.supervision_orders[self.n - 1]
            case.supervision_orders[self.n - 1] = replace(
                order, answer=self.text, answered_on=local_date(self.occurred_at)
            )

    def answer_supervision_order(self, stamp: Stamp, *, n: int, text: str) -> None:
        """Answer supervision order number `n`."""
        today = self._check("answer_supervision_order", stamp)
        if not 1 <= n <= len(self.supervision_orders):
            raise RuleViolationError("n", f"the case has no supervision order {n}")
        if self.supervision_orders[n - 1].answer is not None:
            raise RuleViolationError("n", f"supervision order {n} is already answered")
        if not text.strip():
            raise RuleViolationError("text", "the answer needs its text")
        stopped = self._stop(today, f"{Rule.SUPERVISION_DUE.value}#{n}")
        self._record(self.SupervisionOrderAnswered, stamp, stopped, n=n, text=text)
