"""Sorting (分办) and acceptance (受理): forward, assign, divert, refuse, merge, accept, object."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from domain import deadlines as clocks
from domain.commands import ABSORBING
from domain.errors import RuleViolationError, TransitionError
from domain.identity import joined
from domain.labels import label
from domain.lifecycle.core import CaseCore, CaseEvent, Phase
from domain.values import (
    ClockEnd,
    Petitioner,
    Rule,
    Stamp,
    Status,
)


class Sorting(Phase):
    """From registration to acceptance by the responsible unit."""

    # -- sorting (分办) -------------------------------------------------------------------------
    class Forwarded(CaseEvent):
        """Sent (转送) to the competent unit."""

        unit_id: UUID

        def change(self, case: CaseCore) -> None:
            case.status = Status.FORWARDED
            case.mode = "forwarded"
            case._hand_to(self.unit_id)

    def forward(self, stamp: Stamp, *, unit_id: UUID, unit_lineage: Sequence[UUID]) -> None:
        """Forward (转送) the case to a unit that is not accused by it."""
        today = self._check("forward", stamp)
        self._refuse_accused(unit_lineage)
        self._record(self.Forwarded, stamp, self._handoff_clocks(today), unit_id=unit_id)

    class Assigned(CaseEvent):
        """Assigned (交办) to a unit with a deadline and a duty to report back."""

        unit_id: UUID
        due_date: date

        def change(self, case: CaseCore) -> None:
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

    class Diverted(CaseEvent):
        """Routed (分流) to 政法/纪检监察/courts/arbitration/复议."""

        target: str

        def change(self, case: CaseCore) -> None:
            case.status = Status.DIVERTED
            case.diverted_to = self.target

    def divert(self, stamp: Stamp, *, target: str) -> None:
        """Divert the case to another channel of law (第三十一条); it leaves the petition track.

        From registration it is a sorting decision; a case already accepted that turns out to
        belong to a court or another organ is diverted with a reason. Its clocks stop as diverted.
        """
        today = self._check("divert", stamp)
        if not target.strip():
            raise RuleViolationError("target", "请写明分流去向")
        if self.status is not Status.REGISTERED and not stamp.reason:
            raise RuleViolationError("reason", "已受理的事项分流须说明理由")
        ended = [
            *self._stop(today, Rule.SORT_15),
            *self._end_all(today, ClockEnd.DIVERTED, but=[Rule.SORT_15]),
        ]
        self._record(self.Diverted, stamp, ended, target=target.strip())

    class NotAccepted(CaseEvent):
        """Not accepted (不予受理), with a reason."""

        def change(self, case: CaseCore) -> None:
            case.status = Status.NOT_ACCEPTED

    def not_accept(self, stamp: Stamp) -> None:
        """Refuse to accept the case (不予受理)."""
        today = self._check("not_accept", stamp)
        # The not-accepted notice (notice_15) is still owed to the petitioner.
        stopped = [
            *self._stop(today, Rule.SORT_15),
            *self._end(today, ClockEnd.NOT_ACCEPTED, Rule.OBJECT_5WD, Rule.ASSIGN_DUE),
        ]
        self._record(self.NotAccepted, stamp, stopped)

    class Merged(CaseEvent):
        """Merged (并案) into another case, which carries on."""

        into_case_id: UUID

        def change(self, case: CaseCore) -> None:
            case.status = Status.MERGED
            case.merged_into = self.into_case_id

    def merge(self, stamp: Stamp, *, into: CaseCore) -> None:
        """Merge this case into `into`, which carries on; `into` then absorbs it (see absorb)."""
        today = self._check("merge", stamp)
        if into.id == self.id:
            raise RuleViolationError("into_case_id", "事项不能并入其自身")
        self._refuse_absorbing(into)
        stopped = self._end_all(today, ClockEnd.MERGED)
        self._record(self.Merged, stamp, stopped, into_case_id=into.id)

    def absorb(self, stamp: Stamp, *, merged: CaseCore) -> None:
        """Take in a case that was just merged into this one (the other half of `merge`):
        its petitioners and petitions join this case."""
        self._refuse_absorbing(self)
        if merged.merged_into != self.id:
            raise RuleViolationError("into_case_id", f"事项 {merged.number} 并未并入本事项")
        self._record(
            self.Absorbed,
            stamp,
            merged_case_id=merged.id,
            petitioners=list(merged.petitioners),
            petitions=merged.petition_count,
        )

    @staticmethod
    def _refuse_absorbing(into: CaseCore) -> None:
        if into.status not in ABSORBING:
            raise RuleViolationError(
                "into_case_id",
                f"事项 {into.number} 当前状态为“{label(into.status)}”，不能再并入其他事项",
            )

    class Absorbed(CaseEvent):
        """Another case was merged into this one."""

        merged_case_id: UUID
        petitioners: list[Petitioner]
        petitions: int

        def change(self, case: CaseCore) -> None:
            case.merged_case_ids.append(self.merged_case_id)
            case.petition_count += self.petitions
            case.repeat_count += self.petitions
            case.petitioners = joined(case.petitioners, self.petitioners)

    # -- acceptance (受理) -----------------------------------------------------------------------
    class Accepted(CaseEvent):
        """The responsible unit accepted the case; the 60-day clock runs."""

        unit_id: UUID | None
        handler_id: UUID | None
        leader_id: UUID | None

        def change(self, case: CaseCore) -> None:
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
            raise RuleViolationError("status", "尚有异议待决定，请先作出异议决定")
        unit_id = self.unit_id
        if self.status is Status.REGISTERED:
            unit_id = stamp.actor.unit_id
        self._record(
            self.Accepted,
            stamp,
            [
                *self._stop(today, Rule.SORT_15),
                *self._end(today, ClockEnd.WAIVED, Rule.OBJECT_5WD),
                *self._start(today, clocks.start_clock(Rule.HANDLE_60, today)),
            ],
            unit_id=unit_id,
            handler_id=handler_id,
            leader_id=leader_id,
        )

    class Objected(CaseEvent):
        """The unit objected (异议) that the case is not theirs."""

        def change(self, case: CaseCore) -> None:
            case.objection_pending = True

    def object(self, stamp: Stamp) -> None:
        """Object within 5 working days that the case belongs elsewhere."""
        today = self._check("object", stamp)
        if self.objection_pending:
            raise RuleViolationError("status", "已有异议待决定")
        window = self.deadlines.get(Rule.OBJECT_5WD.value)
        if window is None or not window.running or today > window.due_date:
            raise RuleViolationError("occurred_at", "提出异议的 5 个工作日期限已过")
        self._record(self.Objected, stamp, self._stop(today, Rule.OBJECT_5WD))

    class ObjectionDecided(CaseEvent):
        """The sending office decided an objection; upheld returns the case for sorting."""

        upheld: bool

        def change(self, case: CaseCore) -> None:
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
            raise TransitionError("decide_objection", self.status.value, "且没有待决定的异议")
        # Upheld, the case leaves the unit: its clocks end as at a reassignment, sorting again.
        moved = (
            [
                *self._end(today, ClockEnd.TRANSFERRED, Rule.ASSIGN_DUE, Rule.NOTICE_15),
                *self._start(today, clocks.start_clock(Rule.SORT_15, today)),
            ]
            if upheld
            else []
        )
        self._record(self.ObjectionDecided, stamp, moved, upheld=upheld)
