"""Handling (办理): investigation, extension, response, completion report, reassignment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from uuid import UUID

from domain import deadlines as clocks
from domain.errors import RuleViolationError, TransitionError
from domain.lifecycle.core import CaseCore, CaseEvent, Phase, local_date
from domain.values import (
    ClockEnd,
    Deadline,
    Outcome,
    Rule,
    Stamp,
    Status,
)


class Handling(Phase):
    """From acceptance to the response (or the approved completion report)."""

    # -- handling (办理) -------------------------------------------------------------------------
    class WorkStarted(CaseEvent):
        """Investigation started."""

        def change(self, case: CaseCore) -> None:
            case.status = Status.IN_PROGRESS

    def start_work(self, stamp: Stamp) -> None:
        """Start investigating (办理中)."""
        self._check("start_work", stamp)
        self._record(self.WorkStarted, stamp)

    class Extended(CaseEvent):
        """An extension of the 60-day clock was approved (延期)."""

        days: int
        approved_by: str

        def change(self, case: CaseCore) -> None:
            case.status = Status.EXTENDED

    def extend(self, stamp: Stamp, *, days: int, approved_by: str) -> None:
        """Extend handling by `days` (at most 30 in total), approved by a named person before
        the deadline it extends: a deadline already missed stays missed."""
        today = self._check("extend", stamp)
        if not approved_by.strip():
            raise RuleViolationError("approved_by", "延期须写明批准人")
        handle = self.deadlines.get(Rule.HANDLE_60.value)
        if handle is None or not handle.running:
            raise TransitionError("extend", self.status.value, "且没有正在计时的 60 日办理期限")
        if today > handle.due_date:
            raise RuleViolationError(
                "occurred_at",
                f"60 日办理期限已于 {handle.due_date.isoformat()} 届满：延期须在期限届满前批准",
            )
        self._record(
            self.Extended,
            stamp,
            [clocks.extend(handle, days)],
            days=days,
            approved_by=approved_by.strip(),
        )

    class Responded(CaseEvent):
        """The response (答复意见) was issued and delivered."""

        outcome: Outcome
        text: str
        delivered_at: datetime

        def change(self, case: CaseCore) -> None:
            case.status = Status.RESPONDED
            case.outcome = self.outcome
            case.response_text = self.text
            case.delivered_on = local_date(self.delivered_at)

    def respond(self, stamp: Stamp, *, outcome: Outcome, text: str, delivered_at: datetime) -> None:
        """Issue the response; the 30-day review window starts at delivery."""
        self._check("respond", stamp)
        if self.mode == "assigned":
            raise TransitionError("respond", self.status.value, "（交办事项请提交办结报告）")
        if not text.strip():
            raise RuleViolationError("text", "请填写答复正文")
        self._within("delivered_at", delivered_at, stamp, step=True)
        self._record(
            self.Responded,
            stamp,
            self._answered(delivered_at),
            outcome=outcome,
            text=text,
            delivered_at=delivered_at,
        )

    def _answered(self, delivered_at: datetime) -> list[Deadline]:
        """The response reached the petitioner: the 60-day clock is met that day, and the
        30-day window for asking a review (复查) starts."""
        delivered = local_date(delivered_at)
        return [
            *self._stop(delivered, Rule.HANDLE_60),
            *self._start(delivered, clocks.start_clock(Rule.REVIEW_WINDOW_30, delivered)),
        ]

    class ReportSubmitted(CaseEvent):
        """The completion report (办结报告) of an assigned case went to the assigning office."""

        text: str

        def change(self, case: CaseCore) -> None:
            case.status = Status.REPORT_SUBMITTED
            case.response_text = self.text

    def submit_report(self, stamp: Stamp, *, text: str) -> None:
        """Submit the completion report of an assigned case."""
        today = self._check("submit_report", stamp)
        if self.mode != "assigned":
            raise TransitionError("submit_report", self.status.value, "（非交办事项）")
        if not text.strip():
            raise RuleViolationError("text", "请填写办结报告正文")
        self._record(self.ReportSubmitted, stamp, self._stop(today, Rule.ASSIGN_DUE), text=text)

    class ReportApproved(CaseEvent):
        """The assigning office approved the completion report and answered the petitioner."""

        outcome: Outcome
        delivered_at: datetime

        def change(self, case: CaseCore) -> None:
            case.status = Status.RESPONDED
            case.outcome = self.outcome
            case.delivered_on = local_date(self.delivered_at)

    def approve_report(self, stamp: Stamp, *, outcome: Outcome, delivered_at: datetime) -> None:
        """Approve a completion report with the outcome (第三十二条) told to the petitioner;
        every window starts at that delivery, not at the approval."""
        self._check("approve_report", stamp)
        self._within("delivered_at", delivered_at, stamp, step=True)
        self._record(
            self.ReportApproved,
            stamp,
            self._answered(delivered_at),
            outcome=outcome,
            delivered_at=delivered_at,
        )

    class ReportReturned(CaseEvent):
        """The completion report was sent back for more work."""

        reopens = True

        def change(self, case: CaseCore) -> None:
            case.status = Status.IN_PROGRESS

    def return_report(self, stamp: Stamp) -> None:
        """Return a completion report (with a reason); the assign clock runs again."""
        self._check("return_report", stamp)
        # The report did not do the duty: the same clock runs on, its due date unchanged.
        reopened = [
            replace(d, met_on=None, met_by=None, end=None) for d in self._met(Rule.ASSIGN_DUE)
        ]
        self._record(self.ReportReturned, stamp, reopened)

    def _met(self, rule: Rule) -> list[Deadline]:
        return [d for d in self.deadlines.values() if d.rule is rule and d.met_on is not None]

    class Reassigned(CaseEvent):
        """The case was moved to another unit (forward or assign again)."""

        unit_id: UUID
        due_date: date | None

        def change(self, case: CaseCore) -> None:
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
            raise RuleViolationError("unit_id", "事项已在该单位办理")
        # The first unit's clocks end as transferred: not handled, and missed if already overdue.
        started = [
            *self._end(today, ClockEnd.TRANSFERRED, Rule.HANDLE_60, Rule.ASSIGN_DUE),
            *self._start(
                today,
                clocks.start_clock(Rule.NOTICE_15, today),
                clocks.start_clock(Rule.OBJECT_5WD, today),
            ),
        ]
        if due_date is not None:
            started.append(clocks.clock_with_due_date(Rule.ASSIGN_DUE, today, due_date))
        self._record(self.Reassigned, stamp, started, unit_id=unit_id, due_date=due_date)
