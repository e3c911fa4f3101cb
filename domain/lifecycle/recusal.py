"""Recusal (回避, 条例第二十八条): a person with a conflict of interest stops acting on a case."""

from __future__ import annotations

from uuid import UUID

from domain.errors import RuleViolationError
from domain.lifecycle.core import CaseCore, CaseEvent, Phase
from domain.values import Stamp


class Recusal(Phase):
    """Who has stepped aside from the case, and the petitioner's requests that someone should."""

    class RecusalDeclared(CaseEvent):
        """A person stepped aside from the case (declared, or a request was granted)."""

        person_id: UUID

        def change(self, case: CaseCore) -> None:
            case._recuse(self.person_id)

    def declare_recusal(self, stamp: Stamp) -> None:
        """The actor declares a conflict of interest (with a reason) and steps aside."""
        self._check("declare_recusal", stamp, step=False)
        self._refuse_recused_twice(stamp.actor.id)
        self._record(self.RecusalDeclared, stamp, person_id=stamp.actor.id)

    class RecusalRequested(CaseEvent):
        """The petitioner asked that a person step aside from the case."""

        person_id: UUID

        def change(self, case: CaseCore) -> None:
            case.recusal_requests.append(self.person_id)

    def request_recusal(self, stamp: Stamp, *, person_id: UUID) -> None:
        """Record the petitioner's request (with its reason) that `person_id` step aside."""
        self._check("request_recusal", stamp, step=False)
        self._refuse_recused_twice(person_id)
        if person_id in self.recusal_requests:
            raise RuleViolationError("person_id", "对此人的回避申请尚待决定")
        self._record(self.RecusalRequested, stamp, person_id=person_id)

    class RecusalDecided(CaseEvent):
        """A pending request for recusal was decided; granted, the person steps aside."""

        person_id: UUID
        granted: bool

        def change(self, case: CaseCore) -> None:
            case.recusal_requests.remove(self.person_id)
            if self.granted:
                case._recuse(self.person_id)

    def decide_recusal(self, stamp: Stamp, *, person_id: UUID, granted: bool) -> None:
        """Decide the petitioner's request about `person_id` (with a reason)."""
        self._check("decide_recusal", stamp, step=False)
        if person_id not in self.recusal_requests:
            raise RuleViolationError("person_id", "没有待决定的对此人的回避申请")
        if person_id == stamp.actor.id:
            raise RuleViolationError("person_id", "对您本人的回避申请须由他人决定")
        self._record(self.RecusalDecided, stamp, person_id=person_id, granted=granted)

    def _refuse_recused_twice(self, person_id: UUID) -> None:
        if person_id in self.recused_ids:
            raise RuleViolationError("person_id", "此人已回避本事项")
