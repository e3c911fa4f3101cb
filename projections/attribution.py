"""Who answers for a clock: the unit, handler and sponsor who held the case then.

One rule for every list and scorecard. A clock that ended on or before its due date (met on
time, or stopped) belongs to whoever held the case when it ended (the holder the domain stored
with it); a clock that was still running on its due date (met late, missed, overdue) belongs to
whoever held the case at the end of that day (the strip of ledger_holdings). A case not yet
handed to a unit is held by the petition bureau that registered it (its intake unit) and by the
person who brought it there: the clerk who registered it, or the dispatcher who took it back
after an objection was upheld. The rules are written out in docs/accountability.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from domain.values import Deadline
from projections.store import ViewStore


@dataclass(frozen=True)
class Responsible:
    """The unit, handler and sponsoring leader a clock is attributed to (stored hex ids)."""

    unit_id: str | None
    handler_id: str | None
    leader_id: str | None

    def as_held(self) -> dict[str, str | None]:
        """The mapping `disclosure.overdue_item` reads the holder from."""
        return {"unit_id": self.unit_id, "handler_id": self.handler_id, "leader_id": self.leader_id}


def ran_past_due(deadline: Deadline) -> bool:
    """Whether the clock was still running at the end of its due date (so it was missed)."""
    return deadline.met_on is None or deadline.met_on > deadline.due_date


class Strips:
    """The holding intervals of some cases, and their intake units, read once."""

    def __init__(self, rows: Mapping[str, list[Mapping[str, Any]]], intake: Mapping[str, Any]):
        self.rows = rows
        self.intake = intake

    @classmethod
    def load(cls, store: ViewStore, case_ids: Collection[str]) -> Strips:
        """The strips of `case_ids` (hex ids)."""
        unique = sorted(set(case_ids))
        rows: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        intake: dict[str, Any] = {}
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" for _ in chunk)
            for row in store.query(
                f"SELECT * FROM {{p}}ledger_holdings WHERE case_id IN ({marks}) "
                "ORDER BY case_id, seq",
                chunk,
            ):
                rows[row["case_id"]].append(row)
            for row in store.query(
                f"SELECT case_id, intake_unit_id FROM {{p}}ledger_cases WHERE case_id IN ({marks})",
                chunk,
            ):
                intake[row["case_id"]] = row["intake_unit_id"]
        return cls(rows, intake)

    def at(self, case_id: str, day: date) -> Mapping[str, Any] | None:
        """The interval covering the end of `day` (who held the case that evening)."""
        text = day.isoformat()
        found = None
        for held in self.rows.get(case_id, []):
            if held["from_on"] <= text and (held["to_on"] is None or held["to_on"] > text):
                found = held
        return found

    def _bureau_person(self, case_id: str, day: date) -> str | None:
        """Who held the case at the bureau last, on or before `day`."""
        text = day.isoformat()
        person = None
        for held in self.rows.get(case_id, []):
            if held["unit_id"] is None and held["from_on"] <= text:
                person = held["by_id"]
        return person

    def responsible(self, case_id: str, deadline: Deadline) -> Responsible:
        """Who answers for `deadline` of the case (the rule of this module's docstring)."""
        met = deadline.met_by
        if not ran_past_due(deadline) and met is not None and deadline.met_on is not None:
            unit = met.unit_id.hex if met.unit_id else None
            handler = met.handler_id.hex if met.handler_id else None
            leader = met.leader_id.hex if met.leader_id else None
            if unit is None:
                return Responsible(
                    self.intake.get(case_id),
                    handler or self._bureau_person(case_id, deadline.met_on),
                    leader,
                )
            return Responsible(unit, handler, leader)
        held = self.at(case_id, deadline.due_date) or {}
        if held.get("unit_id") is None:
            return Responsible(
                self.intake.get(case_id),
                held.get("handler_id") or held.get("by_id"),
                held.get("leader_id"),
            )
        return Responsible(held["unit_id"], held.get("handler_id"), held.get("leader_id"))


def deadline_unit(store: ViewStore) -> Callable[[UUID, Deadline], UUID | None]:
    """The unit that answers for a deadline of a case, by this module's rule (as the overdue
    list attributes it): what an inspection finding or a 问责 record may name as the unit's."""

    def unit(case_id: UUID, deadline: Deadline) -> UUID | None:
        found = Strips.load(store, [case_id.hex]).responsible(case_id.hex, deadline).unit_id
        return UUID(found) if found else None

    return unit
