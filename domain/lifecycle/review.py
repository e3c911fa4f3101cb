"""Review (复查), recheck (复核), closing, reopening, withdrawal and deadline corrections."""

from __future__ import annotations

from datetime import date, datetime

from domain import deadlines as clocks
from domain.errors import RuleViolationError, TransitionError
from domain.labels import label
from domain.lifecycle.core import CaseCore, CaseEvent, Phase, local_date
from domain.values import (
    ClockEnd,
    Deadline,
    Decision,
    HearingAction,
    Resolution,
    Rule,
    Stamp,
    Status,
)


class Review(Phase):
    """The petitioner's remedies after the response, and the end of the case."""

    # -- review (复查) and recheck (复核) ---------------------------------------------------------
    def _window_open(self, command: str, rule: Rule, today: date, from_status: Status) -> Deadline:
        window = self.deadlines.get(rule.value)
        if self.status is Status.CLOSED and self.closed_from is not from_status:
            raise TransitionError(
                command, self.status.value, f"（办结前为“{self._closed_from_name()}”）"
            )
        if window is None or not window.running:
            raise TransitionError(command, self.status.value)
        if today > window.due_date:
            raise RuleViolationError(
                "occurred_at", f"30 日申请期限已于 {window.due_date.isoformat()} 届满"
            )
        return window

    def _closed_from_name(self) -> str:
        return label(self.closed_from) if self.closed_from else "不详"

    class ReviewRequested(CaseEvent):
        """The petitioner asked for a review (复查)."""

        def change(self, case: CaseCore) -> None:
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
        event_class: type[CaseEvent],
        *,
        window: Rule,
        decide: Rule,
        after: Status,
    ) -> None:
        """A petitioner's request inside its 30-day window starts the authority's clock."""
        today = self._check(command, stamp)
        self._window_open(command, window, today, after)
        started = [
            *self._stop(today, window),
            *self._start(today, clocks.start_clock(decide, today)),
        ]
        self._record(event_class, stamp, started)

    class ReviewDecided(CaseEvent):
        """The review authority decided."""

        decision: Decision
        text: str
        delivered_at: datetime

        def change(self, case: CaseCore) -> None:
            case.review_decision = self.decision
            case.status = Status.IN_PROGRESS if self.decision is Decision.REDO else Status.REVIEWED

    def decide_review(
        self, stamp: Stamp, *, decision: Decision, text: str, delivered_at: datetime
    ) -> None:
        """Record the review decision and its delivery to the petitioner: the review clock is
        met then, and the 复核 window starts; `redo` sends the case back with a new 60-day clock."""
        self._check("decide_review", stamp)
        self._within("delivered_at", delivered_at, stamp, step=True)
        delivered = local_date(delivered_at)
        stopped = self._stop(delivered, Rule.REVIEW_DECIDE_30)
        following = (
            clocks.start_clock(Rule.HANDLE_60, delivered)
            if decision is Decision.REDO
            else clocks.start_clock(Rule.RECHECK_WINDOW_30, delivered)
        )
        self._record(
            self.ReviewDecided,
            stamp,
            [*stopped, *self._start(delivered, following)],
            decision=decision,
            text=text,
            delivered_at=delivered_at,
        )

    class RecheckRequested(CaseEvent):
        """The petitioner asked for a recheck (复核)."""

        def change(self, case: CaseCore) -> None:
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

    class HearingHeld(CaseEvent):
        """A recheck hearing (听证) started or ended; the recheck clock pauses meanwhile."""

        action: HearingAction

    def hearing(self, stamp: Stamp, *, action: HearingAction) -> None:
        """Pause (start) or resume (end) the recheck clock for a hearing."""
        today = self._check("hearing", stamp)
        clock = self.deadlines[Rule.RECHECK_DECIDE_30.value]
        if action is HearingAction.START and today > clock.due_date:
            raise RuleViolationError(
                "occurred_at",
                f"复核期限已于 {clock.due_date.isoformat()} 届满：听证不能暂停已超过的期限",
            )
        moved = (
            clocks.pause(clock, today)
            if action is HearingAction.START
            else clocks.resume(clock, today)
        )
        self._record(self.HearingHeld, stamp, [moved], action=action)

    class RecheckDecided(CaseEvent):
        """The recheck authority decided; the matter is final unless redone."""

        decision: Decision
        text: str
        delivered_at: datetime

        def change(self, case: CaseCore) -> None:
            case.recheck_decision = self.decision
            if self.decision is Decision.REDO:
                case.status = Status.IN_PROGRESS
            else:
                case.status = Status.TERMINATED
                case.closed_at = self.occurred_at

    def decide_recheck(
        self, stamp: Stamp, *, decision: Decision, text: str, delivered_at: datetime
    ) -> None:
        """Record the recheck decision and its delivery; anything but `redo` terminates the
        matter (复核终结)."""
        self._check("decide_recheck", stamp)
        self._within("delivered_at", delivered_at, stamp, step=True)
        delivered = local_date(delivered_at)
        clock = self.deadlines[Rule.RECHECK_DECIDE_30.value]
        if clock.paused_since is not None:
            clock = clocks.resume(clock, max(delivered, clock.paused_since))
        stopped = [clock.met(delivered, self.holder)]
        if decision is Decision.REDO:
            stopped += self._start(delivered, clocks.start_clock(Rule.HANDLE_60, delivered))
        self._record(
            self.RecheckDecided,
            stamp,
            stopped,
            decision=decision,
            text=text,
            delivered_at=delivered_at,
        )

    # -- closing ---------------------------------------------------------------------------------
    class Closed(CaseEvent):
        """The case was closed (办结) with a resolution."""

        resolution: Resolution

        def change(self, case: CaseCore) -> None:
            case.closed_from = case.status
            case.status = Status.CLOSED
            case.resolution = self.resolution
            case.closed_at = self.occurred_at

    def close(self, stamp: Stamp, *, resolution: Resolution) -> None:
        """Close a responded or reviewed case; the petitioner's open window stays open."""
        self._check("close", stamp)
        if resolution is Resolution.WITHDRAWN:
            raise RuleViolationError("resolution", "信访人撤回的，请办理“撤回”")
        self._record(self.Closed, stamp, resolution=resolution)

    class Reopened(CaseEvent):
        """A closed or terminated case was reopened (rare, never silent)."""

        approved_by: str

        def change(self, case: CaseCore) -> None:
            case.status = Status.IN_PROGRESS
            case._unclose()

    def reopen(self, stamp: Stamp, *, approved_by: str) -> None:
        """Reopen with a reason and a named approver; a new 60-day clock starts."""
        today = self._check("reopen", stamp)
        if not approved_by.strip():
            raise RuleViolationError("approved_by", "重新启动须写明批准人")
        self._record(
            self.Reopened,
            stamp,
            self._start(today, clocks.start_clock(Rule.HANDLE_60, today)),
            approved_by=approved_by.strip(),
        )

    class Withdrawn(CaseEvent):
        """The petitioner withdrew (撤回) the petition."""

        def change(self, case: CaseCore) -> None:
            case.closed_from = case.status
            case.status = Status.CLOSED
            case.resolution = Resolution.WITHDRAWN
            case.closed_at = self.occurred_at

    def withdraw(self, stamp: Stamp) -> None:
        """Close the case because the petitioner withdrew it; running clocks stop as withdrawn
        (one already overdue stays missed)."""
        today = self._check("withdraw", stamp)
        self._record(self.Withdrawn, stamp, self._end_all(today, ClockEnd.WITHDRAWN))

    # -- corrections -----------------------------------------------------------------------------
    class DeadlinesCorrected(CaseEvent):
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
