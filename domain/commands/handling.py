"""Declarations of handling (办理): investigation, visits, extension, response, reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from domain.commands.base import (
    DISPATCH,
    ENDED_ELSEWHERE,
    EVERY_STATUS,
    UNIT_HEAD,
    UNIT_STAFF,
    CaseCommand,
    Permission,
    Ref,
    S,
    arg,
    name_arg,
    text_arg,
    unit_arg,
)
from domain.values import (
    Outcome,
    VisitKind,
)


# -- handling (办理) -----------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class StartWork(
    CaseCommand,
    path="start-work",
    verb="start_work",
    summary="Start investigating",
    allowed_in=frozenset({S.ACCEPTED}),
    may=Permission(unit_roles=UNIT_STAFF),
):
    """Start investigating (办理中)."""


@dataclass(frozen=True, kw_only=True)
class RecordVisit(
    CaseCommand,
    path="visits",
    verb="record_visit",
    summary="Record a visit (接访/下访/约访)",
    allowed_in=EVERY_STATUS - ENDED_ELSEWHERE,
    may=Permission(unit_roles=UNIT_STAFF, sponsor=True),
):
    """Record a reception (接访), home visit (下访) or appointment (约访) with the petitioner."""

    kind: VisitKind = arg("reception, home visit or appointment", example=VisitKind.RECEPTION)
    leader_id: UUID | None = arg("the leader who took part", default=None, refers=Ref.LEADER)
    held_at: datetime = arg("when the visit took place")
    notes: str = text_arg("what was said and agreed", optional=True, example="当面听取诉求")

    def leader_may(self, sponsors: bool) -> bool:
        """A leader may record a reception on any case, other visits on sponsored cases."""
        return sponsors or self.kind is VisitKind.RECEPTION


@dataclass(frozen=True, kw_only=True)
class Extend(
    CaseCommand,
    path="extend",
    verb="extend",
    summary="Extend handling (延期, ≤30 days in total)",
    allowed_in=frozenset({S.IN_PROGRESS, S.EXTENDED}),
    may=Permission(unit_roles=UNIT_HEAD),
    needs_reason=True,
):
    """Extend the 60-day clock by up to 30 days in total, approved by a named person."""

    days: int = arg("days added to the deadline", min_value=1, max_value=30, example=15)
    approved_by: str = name_arg("who approved the extension", "县住建局局长")


@dataclass(frozen=True, kw_only=True)
class Respond(
    CaseCommand,
    path="respond",
    verb="respond",
    summary="Issue the response (答复)",
    allowed_in=frozenset({S.IN_PROGRESS, S.EXTENDED}),
    may=Permission(unit_roles=UNIT_STAFF),
):
    """Issue the response (答复意见); the 30-day review window starts at delivery."""

    outcome: Outcome = arg("第三十二条 outcome", example=Outcome.EXPLAINED)
    text: str = text_arg("the response", example="经调查，现答复如下")
    delivered_at: datetime = arg("when the response reached the petitioner")


@dataclass(frozen=True, kw_only=True)
class SubmitReport(
    CaseCommand,
    path="submit-report",
    verb="submit_report",
    summary="Submit the completion report",
    allowed_in=frozenset({S.IN_PROGRESS, S.EXTENDED}),
    may=Permission(unit_roles=UNIT_STAFF),
):
    """Submit the completion report (办结报告) of an assigned case."""

    text: str = text_arg("the completion report", example="已办结，报告如下")


@dataclass(frozen=True, kw_only=True)
class ApproveReport(
    CaseCommand,
    path="approve-report",
    verb="approve_report",
    summary="Approve the completion report",
    allowed_in=frozenset({S.REPORT_SUBMITTED}),
    may=Permission(anyone_of=DISPATCH),
):
    """Approve a completion report; the review window starts."""


@dataclass(frozen=True, kw_only=True)
class ReturnReport(
    CaseCommand,
    path="return-report",
    verb="return_report",
    summary="Return the completion report",
    allowed_in=frozenset({S.REPORT_SUBMITTED}),
    may=Permission(anyone_of=DISPATCH),
    needs_reason=True,
):
    """Return a completion report for more work (with a reason)."""


@dataclass(frozen=True, kw_only=True)
class Reassign(
    CaseCommand,
    path="reassign",
    verb="reassign",
    summary="Move the case to another unit",
    allowed_in=frozenset({S.IN_PROGRESS, S.EXTENDED}),
    may=Permission(anyone_of=DISPATCH),
    needs_reason=True,
):
    """Move the case to another unit; a due date makes it an assignment."""

    unit_id: UUID = unit_arg("the unit that takes the case over")
    due_date: date | None = arg("a due date makes it an assignment (交办)", default=None)
