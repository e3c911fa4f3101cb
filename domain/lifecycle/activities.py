"""Activities that record without changing status: visits, notices, progress, flags, 督办."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from uuid import UUID

from domain import deadlines as clocks
from domain.errors import RuleViolationError
from domain.identity import joined
from domain.labels import label
from domain.lifecycle.core import CaseCore, CaseEvent, Phase, SupervisionOrder, local_date
from domain.values import (
    Channel,
    Disposition,
    Flag,
    NoticeKind,
    Petitioner,
    Rule,
    Satisfaction,
    Stamp,
    VisitKind,
)

NOTICE_MEETS: dict[NoticeKind, Rule] = {
    NoticeKind.RECEIPT: Rule.NOTICE_15,
    NoticeKind.ACCEPTANCE: Rule.NOTICE_15,
    NoticeKind.NOT_ACCEPTED: Rule.NOTICE_15,
}
"""Notices that meet the notice_15 clock."""


class Activities(Phase):
    """What happens alongside the handling of a case."""

    # -- activities (no change of status) --------------------------------------------------------
    class VisitRecorded(CaseEvent):
        """A reception (接访), home visit (下访) or appointment (约访) took place."""

        kind: VisitKind
        leader_id: UUID | None
        held_at: datetime
        notes: str

        def change(self, case: CaseCore) -> None:
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
        self._check("record_visit", stamp, step=False)
        self._within("held_at", held_at, stamp, step=False)
        self._record(
            self.VisitRecorded, stamp, kind=kind, leader_id=leader_id, held_at=held_at, notes=notes
        )

    class ProgressRecorded(CaseEvent):
        """A note on the investigation."""

        note: str

    def record_progress(self, stamp: Stamp, *, note: str) -> None:
        """Record progress of the investigation."""
        self._check("record_progress", stamp, step=False)
        if not note.strip():
            raise RuleViolationError("note", "请填写办理进展")
        self._record(self.ProgressRecorded, stamp, note=note)

    class PetitionerNotified(CaseEvent):
        """A written notice (告知) reached the petitioner."""

        kind: NoticeKind
        method: str
        delivered_at: datetime

    def notify_petitioner(
        self, stamp: Stamp, *, kind: NoticeKind, method: str, delivered_at: datetime
    ) -> None:
        """Record a notice to the petitioner; receipt/acceptance notices meet notice_15."""
        self._check("notify_petitioner", stamp, step=False)
        if not method.strip():
            raise RuleViolationError("method", "请写明送达方式")
        self._within("delivered_at", delivered_at, stamp, step=False)
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

    class DispositionsRecorded(CaseEvent):
        """三到位一处理: how the matter was dealt with."""

        kinds: list[Disposition]
        note: str

        def change(self, case: CaseCore) -> None:
            for kind in self.kinds:
                if kind not in case.dispositions:
                    case.dispositions.append(kind)

    def record_dispositions(self, stamp: Stamp, *, kinds: Sequence[Disposition], note: str) -> None:
        """Record one or more dispositions (三到位一处理)."""
        self._check("record_dispositions", stamp, step=False)
        if not kinds:
            raise RuleViolationError("kinds", "至少选择一项“三到位一处理”")
        self._record(self.DispositionsRecorded, stamp, kinds=list(dict.fromkeys(kinds)), note=note)

    class FollowedUp(CaseEvent):
        """A follow-up call (回访) with the petitioner's satisfaction."""

        satisfaction: Satisfaction
        note: str

        def change(self, case: CaseCore) -> None:
            case.satisfaction = self.satisfaction

    def record_follow_up(self, stamp: Stamp, *, satisfaction: Satisfaction, note: str) -> None:
        """Record a follow-up (回访) and the satisfaction given."""
        self._check("record_follow_up", stamp, step=False)
        self._record(self.FollowedUp, stamp, satisfaction=satisfaction, note=note)

    class HandlerChanged(CaseEvent):
        """The handler (具体负责人) changed inside the responsible unit."""

        handler_id: UUID

        def change(self, case: CaseCore) -> None:
            case.handler_id = self.handler_id

    def change_handler(self, stamp: Stamp, *, handler_id: UUID) -> None:
        """Hand the case to another handler of the same unit (with a reason)."""
        self._check("change_handler", stamp, step=False)
        if handler_id == self.handler_id:
            raise RuleViolationError("handler_id", "此人已是本事项的具体负责人")
        self._record(self.HandlerChanged, stamp, handler_id=handler_id)

    class LeaderChanged(CaseEvent):
        """The sponsoring leader (包案领导) was designated or changed."""

        leader_id: UUID

        def change(self, case: CaseCore) -> None:
            case._sponsor(self.leader_id)

    def change_leader(self, stamp: Stamp, *, leader_id: UUID) -> None:
        """Designate or change the sponsoring leader (with a reason)."""
        self._check("change_leader", stamp, step=False)
        if leader_id == self.leader_id:
            raise RuleViolationError("leader_id", "此领导已是本事项的包案领导")
        self._record(self.LeaderChanged, stamp, leader_id=leader_id)

    class PetitionLinked(CaseEvent):
        """Another petition (a repeat, 重复信访) about the same matter arrived."""

        channel: Channel
        content: str
        petitioners: list[Petitioner]

        def change(self, case: CaseCore) -> None:
            case.petition_count += 1
            case.repeat_count += 1
            case.petitioners = joined(case.petitioners, self.petitioners)

    def link_petition(
        self,
        stamp: Stamp,
        *,
        channel: Channel,
        content: str,
        petitioners: Sequence[Petitioner],
    ) -> None:
        """Attach a repeat petition about the same matter."""
        self._check("link_petition", stamp, step=False)
        if not content.strip():
            raise RuleViolationError("content", "请填写信访内容")
        self._record(
            self.PetitionLinked,
            stamp,
            channel=channel,
            content=content,
            petitioners=list(petitioners),
        )

    class Flagged(CaseEvent):
        """A flag was put on or taken off."""

        flag: Flag
        on: bool

        def change(self, case: CaseCore) -> None:
            if self.on and self.flag not in case.flags:
                case.flags.append(self.flag)
            elif not self.on and self.flag in case.flags:
                case.flags.remove(self.flag)

    def set_flag(self, stamp: Stamp, *, flag: Flag, on: bool) -> None:
        """Put on or take off a flag; taking one off needs a reason."""
        self._check("set_flag", stamp, step=False)
        if on == (flag in self.flags):
            state = "已" if on else "未"
            raise RuleViolationError("flag", f"事项{state}标记为“{label(flag)}”")
        if not on and not stamp.reason:
            raise RuleViolationError("reason", "取消标记须说明理由")
        self._record(self.Flagged, stamp, flag=flag, on=on)

    class SupervisionOrderIssued(CaseEvent):
        """A supervision order (督办) with its own due date."""

        n: int
        text: str
        due_date: date

        def change(self, case: CaseCore) -> None:
            case.supervision_orders.append(
                SupervisionOrder(
                    n=self.n, text=self.text, due_date=self.due_date, issued_by=self.actor.id
                )
            )

    def issue_supervision_order(self, stamp: Stamp, *, due_date: date, text: str) -> None:
        """Issue a supervision order (督办) that the unit must answer by its due date."""
        today = self._check("issue_supervision_order", stamp, step=False)
        if not text.strip():
            raise RuleViolationError("text", "请填写督办内容")
        n = len(self.supervision_orders) + 1
        clock = clocks.clock_with_due_date(
            Rule.SUPERVISION_DUE, today, due_date, key=f"{Rule.SUPERVISION_DUE.value}#{n}"
        )
        self._record(self.SupervisionOrderIssued, stamp, [clock], n=n, text=text, due_date=due_date)

    class SupervisionOrderAnswered(CaseEvent):
        """The unit answered a supervision order."""

        n: int
        text: str

        def change(self, case: CaseCore) -> None:
            order = case.supervision_orders[self.n - 1]
            case.supervision_orders[self.n - 1] = replace(
                order, answer=self.text, answered_on=local_date(self.occurred_at)
            )

    def answer_supervision_order(self, stamp: Stamp, *, n: int, text: str) -> None:
        """Answer supervision order number `n`."""
        today = self._check("answer_supervision_order", stamp, step=False)
        if not 1 <= n <= len(self.supervision_orders):
            raise RuleViolationError("n", f"本事项没有第 {n} 次督办")
        if self.supervision_orders[n - 1].answer is not None:
            raise RuleViolationError("n", f"第 {n} 次督办已回复")
        if not text.strip():
            raise RuleViolationError("text", "请填写督办回复内容")
        stopped = self._stop(today, f"{Rule.SUPERVISION_DUE.value}#{n}")
        self._record(self.SupervisionOrderAnswered, stamp, stopped, n=n, text=text)
