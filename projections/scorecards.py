"""Unit and leader scorecards of one month: every figure scoped to it (docs/accountability.md).

Deadline figures count the clocks falling due in the month (up to yesterday), attributed by
projections/attribution.py; activity figures count the events whose business date lies in the
month; "overdue" counts the clocks still running and overdue at the end of the month. Only a
clock that was met counts as handled.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from domain import deadlines as clocks
from domain.cases import Case
from domain.values import Actor, Level, Role, Rule
from domain.visibility import sees_leader_figures, sees_unit_figures
from projections.attribution import Responsible, Strips
from projections.ledger import OBLIGATIONS, deadline_of
from projections.ledger_projection import stored_kind
from projections.names import Names
from projections.risk_register import unit_risk_figures
from projections.store import ViewStore

MIN_VOLUME = 10
"""Below this many deadlines due in the month a unit is listed apart, never ranked."""

SUFFICIENT = "sufficient"
INSUFFICIENT = "insufficient sample"

DUTIES = (
    ("sorts", Rule.SORT_15, "timely_sorting_rate"),
    ("notices", Rule.NOTICE_15, "timely_acceptance_rate"),
    ("handling", Rule.HANDLE_60, "on_time_completion_rate"),
)
"""The duties a scorecard shows on their own: (figure prefix, rule, name of its rate)."""

ON_TIME = frozenset({Level.MET})
NOT_DUE = frozenset({Level.STOPPED, Level.PAUSED})
"""Levels of a clock due in the month that is not counted as due: stopped before its due date
(the duty went away: neither handled nor missed), or paused (its due date moves)."""

FINISHING = {
    stored_kind(Case.Closed),
    stored_kind(Case.Withdrawn),
    stored_kind(Case.RecheckDecided),
}
RECEIVING = frozenset(
    stored_kind(e) for e in (Case.Registered, Case.Forwarded, Case.Assigned, Case.Reassigned)
)
"""Events by which a unit receives a case."""
RESOLVED = frozenset({"settled", "resolved"})
SATISFIED = frozenset({"satisfied", "basically_satisfied"})


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of `YYYY-MM`."""
    first = date.fromisoformat(f"{month}-01")
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)


def previous_month(month: str) -> str:
    """The month before `YYYY-MM`."""
    first, _ = month_bounds(month)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def rate(numerator: int, denominator: int) -> float | None:
    """A share rounded to 4 places, or None when nothing was counted."""
    return round(numerator / denominator, 4) if denominator else None


def month_end(month: str, today: date) -> date | None:
    """The day "month end" figures are taken at: the last day, or today in the month itself;
    None for a month that has not begun."""
    first, last = month_bounds(month)
    if today < first:
        return None
    return min(last, today)


class Scorecards:
    """The month's figures per unit and per sponsoring leader, from the ledger views."""

    def __init__(self, store: ViewStore, names: Names) -> None:
        self.store = store
        self.names = names

    # -- clocks -------------------------------------------------------------------------------
    def _clocks(self, where: str, params: Sequence[Any]) -> list[Mapping[str, Any]]:
        rules = ",".join("?" for _ in OBLIGATIONS)
        return self.store.query(
            f"SELECT d.* FROM {{p}}ledger_deadlines d WHERE d.rule IN ({rules}) AND {where}",
            [*OBLIGATIONS, *params],
        )

    def due_in(self, month: str, today: date) -> list[tuple[Mapping[str, Any], Level, Responsible]]:
        """Each clock falling due in the month up to yesterday: row, level today, responsible."""
        first, last = month_bounds(month)
        last = min(last, today - timedelta(days=1))
        rows = self._clocks(
            "d.due_date >= ? AND d.due_date <= ?", [first.isoformat(), last.isoformat()]
        )
        strips = Strips.load(self.store, [r["case_id"] for r in rows])
        found = []
        for row in rows:
            deadline = deadline_of(row)
            found.append(
                (row, clocks.level(deadline, today), strips.responsible(row["case_id"], deadline))
            )
        return found

    def overdue_at_end(
        self, month: str, today: date
    ) -> list[tuple[Mapping[str, Any], Responsible]]:
        """The clocks still running and overdue at the end of the month, with who answers."""
        end = month_end(month, today)
        if end is None:
            return []
        day = end.isoformat()
        rows = self._clocks(
            "d.due_date < ? AND (d.met_on IS NULL OR d.met_on > ?) AND d.paused_since IS NULL",
            [day, day],
        )
        strips = Strips.load(self.store, [r["case_id"] for r in rows])
        return [(row, strips.responsible(row["case_id"], deadline_of(row))) for row in rows]

    def _actions(self, month: str) -> list[Mapping[str, Any]]:
        first, last = month_bounds(month)
        return self.store.query(
            "SELECT a.*, c.intake_unit_id FROM {p}ledger_actions a "
            "JOIN {p}ledger_cases c ON c.case_id = a.case_id "
            "WHERE a.occurred_on >= ? AND a.occurred_on <= ? ORDER BY a.position",
            [first.isoformat(), last.isoformat()],
        )

    # -- units --------------------------------------------------------------------------------
    def units(self, viewer: Actor, month: str, today: date) -> list[dict[str, Any]]:
        """Per unit: counts beside rates; ranked by on-time rate above MIN_VOLUME, then apart."""
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        handling_days: dict[str, list[int]] = defaultdict(list)
        for a in self._actions(month):
            _count_action(counts, a)
        for row, level, who in self.due_in(month, today):
            unit = who.unit_id
            if unit is None:
                continue
            c = counts[unit]
            if level in NOT_DUE:
                c["deadlines_stopped"] += level is Level.STOPPED
                continue
            kinds = ["deadlines"] + [k for k, rule, _ in DUTIES if rule.value == row["rule"]]
            for kind in kinds:
                c[f"{kind}_due"] += 1
                c[f"{kind}_on_time" if level in ON_TIME else f"{kind}_late"] += 1
            if row["rule"] == Rule.HANDLE_60.value and level in {Level.MET, Level.MET_LATE}:
                met, started = date.fromisoformat(row["met_on"]), row["started_on"]
                handling_days[unit].append((met - date.fromisoformat(started)).days)
        for _, who in self.overdue_at_end(month, today):
            if who.unit_id is not None:
                counts[who.unit_id]["overdue"] += 1
        # The risk register (docs/risks.md): risks found in a township, defused by a unit.
        for unit, figures in unit_risk_figures(self.store, month).items():
            counts[unit].update(figures)
        cards = [
            _unit_card(unit, self.names.unit(unit), month, counts[unit], handling_days[unit])
            for unit in sorted(counts)
            if sees_unit_figures(viewer, UUID(unit))
        ]
        return ranked(cards)

    # -- leaders ------------------------------------------------------------------------------
    def leaders(self, viewer: Actor, month: str, today: date) -> list[dict[str, Any]]:
        """Per sponsoring leader: visits held in the month, sponsored cases open and overdue at
        its end, sponsored cases finished in it and how many were resolved."""
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        finished: dict[str, tuple[str, bool]] = {}
        for a in self._actions(month):
            detail = json.loads(a["detail"]) if a["detail"] else {}
            if a["type"] == stored_kind(Case.VisitRecorded):
                leader = detail.get("leader_id") or (
                    a["actor_id"] if a["actor_role"] == Role.LEADER.value else None
                )
                if leader:
                    counts[leader][detail.get("kind", "reception")] += 1
            if _finishes(a["type"], detail) and a["leader_id"]:
                # A case finished twice in the month counts once, as it last ended.
                resolved = detail.get("resolution") in RESOLVED
                finished[a["case_id"]] = (a["leader_id"], resolved)
        for leader, resolved in finished.values():
            counts[leader]["finished"] += 1
            counts[leader]["resolved"] += resolved
        end = month_end(month, today)
        if end is not None:
            sponsored = self.store.query(
                "SELECT DISTINCT case_id, leader_id FROM {p}ledger_holdings "
                "WHERE leader_id IS NOT NULL AND ongoing = 1 "
                "AND from_on <= ? AND (to_on IS NULL OR to_on > ?)",
                [end.isoformat(), end.isoformat()],
            )
            for row in sponsored:
                counts[row["leader_id"]]["open"] += 1
        overdue = {
            (row["case_id"], who.leader_id)
            for row, who in self.overdue_at_end(month, today)
            if who.leader_id
        }
        for _, leader in overdue:
            counts[leader]["overdue"] += 1
        return [
            _leader_card(leader, self.names.user(leader), month, counts[leader])
            for leader in sorted(counts)
            if sees_leader_figures(viewer, UUID(leader))
        ]


def _finishes(kind: str, detail: Mapping[str, Any]) -> bool:
    """Whether an event ends the case: closed, withdrawn, or a final recheck decision."""
    if kind == stored_kind(Case.RecheckDecided):
        return detail.get("decision") != "redo"
    return kind in FINISHING


def _count_action(counts: dict[str, Counter[str]], a: Mapping[str, Any]) -> None:
    """Count one event of the month for the unit that held the case (the bureau before any)."""
    detail = json.loads(a["detail"]) if a["detail"] else {}
    kind = a["type"]
    intake = a["intake_unit_id"]
    unit = a["unit_id"] or intake
    if unit is None:
        return
    c = counts[unit]
    if kind in {
        stored_kind(Case.Registered),
        stored_kind(Case.Forwarded),
        stored_kind(Case.Assigned),
        stored_kind(Case.Reassigned),
    }:
        c["received"] += 1
    if kind == stored_kind(Case.Accepted):
        c["accepted"] += 1
        # A unit that took a case straight from the bureau's desk received it then.
        if a["prev_unit_id"] is None and unit != intake:
            c["received"] += 1
    simple = {
        stored_kind(Case.NotAccepted): "not_accepted",
        stored_kind(Case.Diverted): "diverted",
        stored_kind(Case.Extended): "extensions",
        stored_kind(Case.Objected): "objections",
        stored_kind(Case.ReportReturned): "reports_returned",
        stored_kind(Case.Responded): "responses",
        stored_kind(Case.ReportApproved): "responses",
        stored_kind(Case.PetitionLinked): "repeat_petitions",
    }
    if kind in simple:
        c[simple[kind]] += 1
    if kind == stored_kind(Case.Reassigned) and a["prev_unit_id"]:
        counts[a["prev_unit_id"]]["reassigned_away"] += 1
    if kind == stored_kind(Case.FollowedUp):
        c["rated"] += 1
        c["satisfied"] += detail.get("satisfaction") in SATISFIED
    if kind == stored_kind(Case.ReviewDecided):
        c["reviews"] += 1
        c["changed_on_review"] += detail.get("decision") in {"changed", "revoked"}


def _unit_card(
    unit: str, name: str | None, month: str, c: Counter[str], days: list[int]
) -> dict[str, Any]:
    """One unit's card: every rate with its numerator and denominator beside it."""
    days = sorted(days)
    card: dict[str, Any] = {
        "unit_id": UUID(unit),
        "unit_name": name,
        "month": month,
        "received": c["received"],
        "accepted": c["accepted"],
        "diverted": c["diverted"],
        "not_accepted": c["not_accepted"],
    }
    for kind, _, rate_name in (*DUTIES, ("deadlines", None, "on_time_rate")):
        due, on_time = c[f"{kind}_due"], c[f"{kind}_on_time"]
        card.update(
            {
                f"{kind}_due": due,
                f"{kind}_on_time": on_time,
                f"{kind}_late": c[f"{kind}_late"],
                rate_name: rate(on_time, due),
            }
        )
    card.update(
        {
            "deadlines_stopped": c["deadlines_stopped"],
            "overdue": c["overdue"],
            "extensions": c["extensions"],
            "mean_handling_days": round(statistics.fmean(days), 1) if days else None,
            "p90_handling_days": _p90(days),
            "objections": c["objections"],
            "reassigned_away": c["reassigned_away"],
            "reports_returned": c["reports_returned"],
            "responses": c["responses"],
            "rated": c["rated"],
            "participation_rate": rate(c["rated"], c["responses"]),
            "satisfied": c["satisfied"],
            "satisfaction_rate": rate(c["satisfied"], c["rated"]),
            "repeat_petitions": c["repeat_petitions"],
            "reviews": c["reviews"],
            "changed_on_review": c["changed_on_review"],
            "changed_on_review_share": rate(c["changed_on_review"], c["reviews"]),
            "risks_found": c["risks_found"],
            "risks_resolved": c["risks_resolved"],
            "risks_open": c["risks_open"],
            "sample": SUFFICIENT if c["deadlines_due"] >= MIN_VOLUME else INSUFFICIENT,
        }
    )
    return card


def ranked(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The cards with a sufficient sample ranked by on-time rate (then more due first, then
    name), followed by the others, in name order and without a rank."""
    ranking = sorted(
        (c for c in cards if c["sample"] == SUFFICIENT),
        key=lambda c: (
            -float(c["on_time_rate"] or 0),
            -int(c["deadlines_due"]),
            str(c["unit_name"] or ""),
        ),
    )
    for position, card in enumerate(ranking, start=1):
        card["rank"] = position
    apart = sorted(
        (c for c in cards if c["sample"] != SUFFICIENT), key=lambda c: str(c["unit_name"])
    )
    for card in apart:
        card["rank"] = None
    return [*ranking, *apart]


def _leader_card(leader: str, name: str | None, month: str, c: Counter[str]) -> dict[str, Any]:
    return {
        "leader_id": UUID(leader),
        "leader_name": name,
        "month": month,
        "receptions": c["reception"],
        "home_visits": c["home_visit"],
        "appointments": c["appointment"],
        "sponsored_open": c["open"],
        "sponsored_overdue": c["overdue"],
        "sponsored_finished": c["finished"],
        "sponsored_resolved": c["resolved"],
        "resolution_rate": rate(c["resolved"], c["finished"]),
    }


def _p90(values: Sequence[int]) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    return round(statistics.quantiles(values, n=10, method="inclusive")[-1], 1)
