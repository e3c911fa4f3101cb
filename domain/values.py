"""Enums and frozen value objects shared by the aggregates and the read side."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import Enum
from uuid import UUID


class Role(Enum):
    """What a user does in the office (domain.md §1)."""

    ADMIN = "admin"
    CLERK = "clerk"
    DISPATCHER = "dispatcher"
    UNIT_HEAD = "unit_head"
    HANDLER = "handler"
    LEADER = "leader"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"


class Channel(Enum):
    """How a petition reached the office."""

    LETTER = "letter"
    VISIT = "visit"
    PHONE = "phone"
    ONLINE = "online"
    EMAIL = "email"
    FAX = "fax"
    HOTLINE_12345 = "hotline_12345"
    LEADER_RECEPTION = "leader_reception"
    TRANSFERRED_FROM_ABOVE = "transferred_from_above"


class Category(Enum):
    """条例 第二十九至三十一条."""

    SUGGESTION = "suggestion"
    ACCUSATION = "accusation"
    CLAIM = "claim"


class Status(Enum):
    """The states of a case (domain.md §3)."""

    REGISTERED = "registered"
    FORWARDED = "forwarded"
    ASSIGNED = "assigned"
    DIVERTED = "diverted"
    NOT_ACCEPTED = "not_accepted"
    MERGED = "merged"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    EXTENDED = "extended"
    REPORT_SUBMITTED = "report_submitted"
    RESPONDED = "responded"
    UNDER_REVIEW = "under_review"
    REVIEWED = "reviewed"
    UNDER_RECHECK = "under_recheck"
    TERMINATED = "terminated"
    CLOSED = "closed"


TERMINAL_STATUSES = frozenset(
    {Status.DIVERTED, Status.NOT_ACCEPTED, Status.MERGED, Status.TERMINATED, Status.CLOSED}
)


class VisitKind(Enum):
    """接访 / 下访 / 约访."""

    RECEPTION = "reception"
    HOME_VISIT = "home_visit"
    APPOINTMENT = "appointment"


class Outcome(Enum):
    """Response outcome (第三十二条)."""

    SUPPORTED = "supported"
    EXPLAINED = "explained"
    NOT_SUPPORTED = "not_supported"


class Disposition(Enum):
    """三到位一处理 (第二十七条)."""

    RESOLVED = "resolved"
    EDUCATED = "educated"
    ASSISTED = "assisted"
    HANDLED_BY_LAW = "handled_by_law"


class Satisfaction(Enum):
    """回访 satisfaction."""

    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    UNSATISFIED = "unsatisfied"


class Resolution(Enum):
    """How a closed case ended."""

    SETTLED = "settled"
    RESOLVED = "resolved"
    UNRESOLVED = "unresolved"
    WITHDRAWN = "withdrawn"


class Decision(Enum):
    """Decision of a review (复查) or recheck (复核) authority."""

    UPHELD = "upheld"
    CHANGED = "changed"
    REVOKED = "revoked"
    REDO = "redo"


class Flag(Enum):
    """Markers supervisors put on a case."""

    KEY_CASE = "key_case"
    BACKLOG = "backlog"
    COLLECTIVE = "collective"
    SKIP_LEVEL = "skip_level"
    URGENT = "urgent"
    SENSITIVE = "sensitive"


class NoticeKind(Enum):
    """Written notices to the petitioner."""

    RECEIPT = "receipt"
    ACCEPTANCE = "acceptance"
    EXTENSION = "extension"
    NOT_ACCEPTED = "not_accepted"
    RESPONSE = "response"
    REVIEW = "review"
    RECHECK = "recheck"
    OTHER = "other"


class DocumentKind(Enum):
    """Documents of a case printed for the petitioner or a unit (docs/documents.md)."""

    ACCEPTANCE_NOTICE = "acceptance_notice"
    NOT_ACCEPTED_NOTICE = "not_accepted_notice"
    EXTENSION_NOTICE = "extension_notice"
    RESPONSE = "response"
    REVIEW_DECISION = "review_decision"
    RECHECK_DECISION = "recheck_decision"
    TRANSFER_SLIP = "transfer_slip"
    DELIVERY_RECEIPT = "delivery_receipt"


class HearingAction(Enum):
    """Start or end of a recheck hearing (pauses the recheck clock)."""

    START = "start"
    END = "end"


class DayUnit(Enum):
    """How a deadline's length is counted."""

    CALENDAR_DAYS = "calendar_days"
    WORKING_DAYS = "working_days"


class Rule(Enum):
    """Deadline rules of domain.md §5."""

    SORT_15 = "sort_15"
    NOTICE_15 = "notice_15"
    OBJECT_5WD = "object_5wd"
    HANDLE_60 = "handle_60"
    ASSIGN_DUE = "assign_due"
    REVIEW_WINDOW_30 = "review_window_30"
    REVIEW_DECIDE_30 = "review_decide_30"
    RECHECK_WINDOW_30 = "recheck_window_30"
    RECHECK_DECIDE_30 = "recheck_decide_30"
    SUPERVISION_DUE = "supervision_due"


WINDOWS = frozenset({Rule.OBJECT_5WD, Rule.REVIEW_WINDOW_30, Rule.RECHECK_WINDOW_30})
"""Rules that are windows for a party to act in (an objection, a request for review or
recheck), not deadlines of the office: they never fall overdue, they expire unused."""


class ClockEnd(Enum):
    """How a clock ended: exactly one way (docs/accountability.md)."""

    MET = "met"
    """The duty was done (on time or late: compare the end day with the due date)."""
    TRANSFERRED = "transferred"
    """The case left the unit that held the duty (reassigned, objection upheld)."""
    WITHDRAWN = "withdrawn"
    MERGED = "merged"
    DIVERTED = "diverted"
    NOT_ACCEPTED = "not_accepted"
    """The case was not accepted, which ends the duties of handling it."""
    SUPERSEDED = "superseded"
    """A new clock took over the same duty (e.g. the receiving unit's notice clock)."""
    WAIVED = "waived"
    """A window its party let pass by acting otherwise (the unit accepted, not objected)."""


class Level(Enum):
    """State of one deadline, derived with `today` passed in."""

    OPEN = "open"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    SEVERELY_OVERDUE = "severely_overdue"
    PAUSED = "paused"
    MET = "met"
    MET_LATE = "met_late"
    STOPPED = "stopped"
    """Stopped (not met) before it was due: not counted as handled, nor as missed."""
    MISSED = "missed"
    """Stopped (not met) after it was due: stays a missed deadline of whoever held it."""
    EXPIRED = "expired"
    """A window that passed unused."""


@dataclass(frozen=True)
class Actor:
    """Who did something, as they were at the time."""

    id: UUID
    name: str
    role: Role
    unit_id: UUID | None


@dataclass(frozen=True)
class Petitioner:
    """A person who petitions; personal information, masked for most viewers."""

    name: str
    id_number: str | None = None
    phone: str | None = None
    address: str | None = None

    def masked(self) -> Petitioner:
        """The same person as shown to viewers who do not need the identity (张*, 138****5678)."""
        return Petitioner(
            name=_keep(self.name, 1, 0) or "",
            id_number=_keep(self.id_number, 4, 4),
            phone=_keep(self.phone, 3, 4),
            address=_keep(self.address, 3, 0),
        )


def _keep(text: str | None, head: int, tail: int) -> str | None:
    """Mask all but `head` leading and `tail` trailing characters."""
    if not text:
        return text
    if len(text) <= head + tail:
        return text[:1] + "*" * (len(text) - 1)
    return text[:head] + "*" * (len(text) - head - tail) + text[len(text) - tail :]


@dataclass(frozen=True)
class Holder:
    """Who held a case at one moment: the responsible unit and its people."""

    unit_id: UUID | None
    handler_id: UUID | None
    leader_id: UUID | None


@dataclass(frozen=True)
class Deadline:
    """A running or stopped clock: computed once when it starts, stored in the event."""

    rule: Rule
    started_on: date
    length: int
    unit: DayUnit
    due_date: date
    provisional: bool = False
    met_on: date | None = None
    """The day the clock ended, however it ended (see `end`)."""
    met_by: Holder | None = None
    """Who held the case when the clock ended."""
    key: str = ""
    extended_days: int = 0
    paused_since: date | None = None
    paused_days: int = 0
    end: ClockEnd | None = None
    """How it ended (None while it runs; an ended clock stored before 2026-12 was met)."""

    @property
    def name(self) -> str:
        """The slot the deadline occupies in a case (rule, or rule plus order number)."""
        return self.key or self.rule.value

    @property
    def running(self) -> bool:
        """Whether the clock has not ended."""
        return self.met_on is None

    @property
    def ended_by(self) -> ClockEnd | None:
        """How the clock ended (None while it runs)."""
        if self.met_on is None:
            return None
        return self.end or ClockEnd.MET

    def met(self, on: date, holder: Holder) -> Deadline:
        """Return this deadline met on `on` while `holder` held the case."""
        return replace(self, met_on=on, met_by=holder, end=ClockEnd.MET)

    def stopped(self, on: date, holder: Holder, end: ClockEnd) -> Deadline:
        """Return this deadline ended on `on` in the way `end`, while `holder` held the case."""
        return replace(self, met_on=on, met_by=holder, end=end)


@dataclass(frozen=True)
class Stamp:
    """Who, when and why of one command: carried into every event."""

    actor: Actor
    occurred_at: datetime
    reason: str | None = None
    on_behalf_of: UUID | None = None
    now: datetime | None = None
    """The system time the command was given at (bounds every business time it carries)."""

    @property
    def latest(self) -> datetime:
        """The latest business time the command may carry: now (or its own time)."""
        return self.now or self.occurred_at


# -- the risk register (隐患排查台账) and campaigns (docs/risks.md, docs/campaigns.md) ----------
class RiskKind(Enum):
    """What a risk (隐患) is: a dispute, a group grievance, a person who may petition."""

    DISPUTE = "dispute"
    GROUP_GRIEVANCE = "group_grievance"
    PERSON_AT_RISK = "person_at_risk"


class RiskSource(Enum):
    """Where a risk was found."""

    SURVEY = "survey"
    """排查: the periodic sweep of townships and departments."""
    GRID = "grid"
    """网格员: a grid worker's report."""
    HOTLINE_12345 = "hotline_12345"
    VISIT_SIGN = "visit_sign"
    """来访苗头: a sign seen at a visit that is not (yet) a petition."""
    REFERRAL = "referral"
    """部门移交: handed over by another department."""


class RiskLevel(Enum):
    """How grave a risk is (一般 / 较大 / 重大)."""

    ORDINARY = "ordinary"
    SERIOUS = "serious"
    GRAVE = "grave"


class RiskStatus(Enum):
    """Where a risk stands: being defused, closed as defused (销号), or now a petition."""

    OPEN = "open"
    RESOLVED = "resolved"
    CONVERTED = "converted"


class CampaignKind(Enum):
    """The county's campaigns on cases and risks."""

    HUNDRED_DAYS = "hundred_days"
    BACKLOG = "backlog"
