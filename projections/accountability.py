"""Accountability views over the ledger tables: overdue lists, actors, scorecards, agenda, backlog.

Every figure is a plain query over the views kept by LedgerProjection; "now" is passed in.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from domain import deadlines as clocks
from domain import permissions
from domain.errors import PermissionDeniedError
from domain.values import Actor, Level, Role
from domain.visibility import (
    ACCOUNTABILITY_READERS,
    sees_activity_of,
    sees_leader_figures,
    sees_unit_figures,
)
from projections import disclosure
from projections.ledger import OBLIGATIONS, Ledger, deadline_of
from projections.names import Names
from projections.sql import Where, member, uuid_of
from projections.store import ViewStore

WATCHED_LEVELS = frozenset({Level.DUE_SOON, Level.OVERDUE, Level.SEVERELY_OVERDUE, Level.MET_LATE})
MISSED = frozenset({Level.OVERDUE, Level.SEVERELY_OVERDUE})
MIN_VOLUME = 10
OPEN_STATUSES = (
    "registered forwarded assigned accepted in_progress extended report_submitted responded "
    "under_review reviewed under_recheck"
).split()


@dataclass(frozen=True)
class BacklogRules:
    """When a case counts as backlog (积案): domain.md §6.8 defaults, configurable."""

    days_after_acceptance: int = 90
    repeat_petitions: int = 3


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
    """A share rounded to 4 places, or None when nothing was due."""
    return round(numerator / denominator, 4) if denominator else None


class Accountability:
    """Queries that tell supervisors and inspectors who did what, and what was missed."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.store: ViewStore = ledger.store

    # -- overdue and at-risk deadlines -----------------------------------------------------
    def deadline_watch(
        self, viewer: Actor, today: date, *, levels: Iterable[Level] = WATCHED_LEVELS
    ) -> list[dict[str, Any]]:
        """Missed and at-risk deadlines, each with who held the case when it fell due."""
        wanted = frozenset(levels)
        where = self.ledger.visible_to(viewer)
        rules = ",".join("?" for _ in OBLIGATIONS)
        horizon = (today + timedelta(days=14)).isoformat()
        rows = self.store.query(
            "SELECT d.*, c.number, c.subject, c.status AS case_status FROM {p}ledger_deadlines d "
            "JOIN {p}ledger_cases c ON c.case_id = d.case_id "
            f"WHERE {where.sql} AND d.rule IN ({rules}) AND ("
            "(d.met_on IS NULL AND d.current = 1 AND d.due_date <= ?) OR d.met_on > d.due_date) "
            "ORDER BY d.due_date, c.number",
            [*where.params, *OBLIGATIONS, horizon],
        )
        holders = self._holders_at([(r["case_id"], r["due_date"]) for r in rows])
        orders = self._supervision_counts([r["case_id"] for r in rows])
        names = Names(self.ledger.app)
        items = []
        for row in rows:
            deadline = deadline_of(row)
            level = clocks.level(deadline, today)
            if level not in wanted:
                continue
            item = disclosure.overdue_item(
                row,
                deadline,
                level=level,
                held=holders.get((row["case_id"], row["due_date"]), {}),
                names=names,
                orders=orders.get(row["case_id"], 0),
                today=today,
            )
            items.append(item)
        return items

    def _holders_at(self, wanted: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Any]:
        """Who held each case at the end of each given day (the strip of ledger_holdings)."""
        case_ids = sorted({case_id for case_id, _ in wanted})
        if not case_ids:
            return {}
        rows = self.store.query(
            "SELECT * FROM {p}ledger_holdings WHERE case_id IN ("
            + ",".join("?" for _ in case_ids)
            + ") ORDER BY case_id, seq",
            case_ids,
        )
        strips: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for row in rows:
            strips[row["case_id"]].append(row)
        found: dict[tuple[str, str], Any] = {}
        for case_id, day in wanted:
            for held in strips.get(case_id, []):
                if held["from_on"] <= day and (held["to_on"] is None or held["to_on"] > day):
                    found[(case_id, day)] = held
        return found

    def _supervision_counts(self, case_ids: Sequence[str]) -> dict[str, int]:
        if not case_ids:
            return {}
        unique = sorted(set(case_ids))
        rows = self.store.query(
            "SELECT case_id, COUNT(*) AS n FROM {p}ledger_actions "
            "WHERE type = 'SupervisionOrderIssued' AND case_id IN ("
            + ",".join("?" for _ in unique)
            + ") GROUP BY case_id",
            unique,
        )
        return {r["case_id"]: int(r["n"]) for r in rows}

    # -- one person's actions -----------------------------------------------------------------
    def actor_activity(
        self, viewer: Actor, user_id: UUID, start: datetime | None, end: datetime | None
    ) -> list[dict[str, Any]]:
        """Everything one person did on cases, in recorded order (auditors, supervisors, self)."""
        if not sees_activity_of(viewer, user_id):
            msg = f"role '{viewer.role.value}' may not see another person's activity"
            raise PermissionDeniedError(msg)
        where = self.ledger.visible_to(viewer)
        where.add("a.actor_id = ?", user_id.hex)
        if start is not None:
            where.add("a.recorded_at >= ?", start.isoformat())
        if end is not None:
            where.add("a.recorded_at <= ?", end.isoformat())
        rows = self.store.query(
            "SELECT a.*, c.number FROM {p}ledger_actions a "
            "JOIN {p}ledger_cases c ON c.case_id = a.case_id "
            f"WHERE {where.sql} ORDER BY a.position",
            where.params,
        )
        return [
            {
                "position": r["position"],
                "case_id": UUID(r["case_id"]),
                "number": r["number"],
                "version": r["version"],
                "type": r["type"],
                "occurred_at": r["occurred_at"],
                "recorded_at": r["recorded_at"],
                "reason": r["reason"],
                "actor_role": r["actor_role"],
                "actor_unit_id": uuid_of(r["actor_unit_id"]),
            }
            for r in rows
        ]

    # -- scorecards ---------------------------------------------------------------------------
    def _actions_in(self, month: str) -> list[Mapping[str, Any]]:
        first, last = month_bounds(month)
        return self.store.query(
            "SELECT * FROM {p}ledger_actions WHERE occurred_on >= ? AND occurred_on <= ?",
            [first.isoformat(), last.isoformat()],
        )

    def _deadlines_due_in(self, month: str, rule: str, today: date) -> list[dict[str, Any]]:
        first, last = month_bounds(month)
        last = min(last, today - timedelta(days=1))
        rows = self.store.query(
            "SELECT * FROM {p}ledger_deadlines WHERE rule = ? AND due_date >= ? AND due_date <= ? "
            "AND (current = 1 OR met_on IS NOT NULL)",
            [rule, first.isoformat(), last.isoformat()],
        )
        holders = self._holders_at([(r["case_id"], r["due_date"]) for r in rows])
        return [
            {**r, "held_unit": holders.get((r["case_id"], r["due_date"]), {}).get("unit_id")}
            for r in rows
        ]

    def unit_scorecards(self, viewer: Actor, month: str, today: date) -> list[dict[str, Any]]:
        """Per unit: counts beside rates (domain.md §6.5); ranked above the minimum volume."""
        month_bounds(month)
        actions = self._actions_in(month)
        by_unit: dict[str, Counter[str]] = defaultdict(Counter)
        handling_days: dict[str, list[int]] = defaultdict(list)
        for a in actions:
            detail = json.loads(a["detail"]) if a["detail"] else {}
            unit = a["unit_id"]
            kind = a["type"]
            if kind in {"Forwarded", "Assigned", "Reassigned"} and unit:
                by_unit[unit]["received"] += 1
            if kind == "Accepted" and unit:
                by_unit[unit]["accepted"] += 1
                if a["prev_unit_id"] is None:
                    by_unit[unit]["received"] += 1
            if kind == "NotAccepted" and unit:
                by_unit[unit]["not_accepted"] += 1
            if kind == "Diverted" and unit:
                by_unit[unit]["diverted"] += 1
            if kind == "Extended" and unit:
                by_unit[unit]["extensions"] += 1
            if kind == "Objected" and unit:
                by_unit[unit]["objections"] += 1
            if kind == "Reassigned" and a["prev_unit_id"]:
                by_unit[a["prev_unit_id"]]["reassigned_away"] += 1
            if kind == "ReportReturned" and unit:
                by_unit[unit]["reports_returned"] += 1
            if kind in {"Responded", "ReportApproved"} and unit:
                by_unit[unit]["responses"] += 1
            if kind == "FollowedUp" and unit:
                by_unit[unit]["rated"] += 1
                if detail.get("satisfaction") in {"satisfied", "basically_satisfied"}:
                    by_unit[unit]["satisfied"] += 1
            if kind == "PetitionLinked" and unit:
                by_unit[unit]["repeat_petitions"] += 1
            if kind == "ReviewDecided" and unit:
                by_unit[unit]["reviews"] += 1
                if detail.get("decision") in {"changed", "revoked"}:
                    by_unit[unit]["changed_on_review"] += 1
        for rule, due_key, kept_key in (
            ("notice_15", "notices_due", "notices_on_time"),
            ("handle_60", "handling_due", "handling_on_time"),
        ):
            for d in self._deadlines_due_in(month, rule, today):
                unit = d["held_unit"]
                if not unit:
                    continue
                by_unit[unit][due_key] += 1
                if d["met_on"] is not None and d["met_on"] <= d["due_date"]:
                    by_unit[unit][kept_key] += 1
                if rule == "handle_60" and d["met_on"] is not None:
                    started = date.fromisoformat(d["started_on"])
                    handling_days[unit].append((date.fromisoformat(d["met_on"]) - started).days)
        overdue = Counter(
            str(item["unit_id"].hex)
            for item in self.deadline_watch(viewer, today, levels=MISSED)
            if item["unit_id"] is not None
        )
        names = Names(self.ledger.app)
        cards = []
        for unit in sorted(set(by_unit) | set(overdue)):
            if not sees_unit_figures(viewer, UUID(unit)):
                continue
            c = by_unit[unit]
            days = sorted(handling_days.get(unit, []))
            card: dict[str, Any] = {
                "unit_id": UUID(unit),
                "unit_name": names.unit(unit),
                "month": month,
                "received": c["received"],
                "accepted": c["accepted"],
                "diverted": c["diverted"],
                "not_accepted": c["not_accepted"],
                "notices_due": c["notices_due"],
                "notices_on_time": c["notices_on_time"],
                "timely_acceptance_rate": rate(c["notices_on_time"], c["notices_due"]),
                "handling_due": c["handling_due"],
                "handling_on_time": c["handling_on_time"],
                "on_time_completion_rate": rate(c["handling_on_time"], c["handling_due"]),
                "extensions": c["extensions"],
                "overdue": overdue[unit],
                "mean_handling_days": round(statistics.fmean(days), 1) if days else None,
                "p90_handling_days": _p90(days),
                "objections": c["objections"],
                "reassigned_away": c["reassigned_away"],
                "reports_returned": c["reports_returned"],
                "responses": c["responses"],
                "rated": c["rated"],
                "participation_rate": rate(c["rated"], c["responses"]),
                "satisfaction_rate": rate(c["satisfied"], c["rated"]),
                "repeat_petitions": c["repeat_petitions"],
                "reviews": c["reviews"],
                "changed_on_review_share": rate(c["changed_on_review"], c["reviews"]),
                "sample": "sufficient" if c["received"] >= MIN_VOLUME else "insufficient sample",
            }
            cards.append(card)
        ranked = [c for c in cards if c["sample"] == "sufficient"]
        ranked.sort(key=lambda c: (-float(c["on_time_completion_rate"] or 0), -int(c["received"])))
        for position, card in enumerate(ranked, start=1):
            card["rank"] = position
        for card in cards:
            card.setdefault("rank", None)
        return cards

    def leader_scorecards(self, viewer: Actor, month: str, today: date) -> list[dict[str, Any]]:
        """Per sponsoring leader: receptions, home visits, appointments; sponsored cases."""
        visits: dict[str, Counter[str]] = defaultdict(Counter)
        for a in self._actions_in(month):
            if a["type"] != "VisitRecorded":
                continue
            detail = json.loads(a["detail"]) if a["detail"] else {}
            leader = detail.get("leader_id") or (
                a["actor_id"] if a["actor_role"] == Role.LEADER.value else None
            )
            if leader:
                visits[leader][detail.get("kind", "reception")] += 1
        sponsored = self.store.query(
            "SELECT leader_id, status, resolution, case_id FROM {p}ledger_cases "
            "WHERE leader_id IS NOT NULL"
        )
        overdue_cases = {
            item["case_id"].hex for item in self.deadline_watch(viewer, today, levels=MISSED)
        }
        cases: dict[str, Counter[str]] = defaultdict(Counter)
        for row in sponsored:
            c = cases[row["leader_id"]]
            if row["status"] in OPEN_STATUSES:
                c["open"] += 1
            if row["case_id"] in overdue_cases:
                c["overdue"] += 1
            if row["status"] in {"closed", "terminated"}:
                c["finished"] += 1
                if row["resolution"] in {"settled", "resolved"}:
                    c["resolved"] += 1
        names = Names(self.ledger.app)
        cards = []
        for leader in sorted(set(visits) | set(cases)):
            if not sees_leader_figures(viewer, UUID(leader)):
                continue
            v, c = visits[leader], cases[leader]
            cards.append(
                {
                    "leader_id": UUID(leader),
                    "leader_name": names.user(leader),
                    "month": month,
                    "receptions": v["reception"],
                    "home_visits": v["home_visit"],
                    "appointments": v["appointment"],
                    "sponsored_open": c["open"],
                    "sponsored_overdue": c["overdue"],
                    "sponsored_finished": c["finished"],
                    "sponsored_resolved": c["resolved"],
                    "resolution_rate": rate(c["resolved"], c["finished"]),
                }
            )
        return cards

    # -- backlog and the weekly agenda ----------------------------------------------------------
    def backlog(
        self, viewer: Actor, today: date, rules: BacklogRules | None = None
    ) -> list[dict[str, Any]]:
        """The backlog register 积案台账: flagged, long open after acceptance, or often repeated."""
        rules = rules or BacklogRules()
        where = self.ledger.visible_to(viewer)
        open_marks = ",".join("?" for _ in OPEN_STATUSES)
        cutoff = (today - timedelta(days=rules.days_after_acceptance)).isoformat()
        where.add(f"status IN ({open_marks})", *OPEN_STATUSES)
        where.add(
            "flags LIKE ? OR (accepted_on IS NOT NULL AND accepted_on < ?) OR repeat_count >= ?",
            member("backlog"),
            cutoff,
            rules.repeat_petitions,
        )
        rows = self.store.query(
            f"SELECT * FROM {{p}}ledger_cases c WHERE {where.sql} ORDER BY received_on",
            where.params,
        )
        items = self.ledger.present(viewer, rows, today)
        for item, row in zip(items, rows, strict=True):
            reasons = []
            if ",backlog," in row["flags"]:
                reasons.append("flagged")
            if row["accepted_on"] and row["accepted_on"] < cutoff:
                reasons.append(
                    f"open more than {rules.days_after_acceptance} days after acceptance"
                )
            if row["repeat_count"] >= rules.repeat_petitions:
                reasons.append(f"{row['repeat_count']} repeat petitions")
            item["backlog_reasons"] = reasons
            item["last_activity_on"] = row["last_activity_on"]
        return items

    def agenda(self, viewer: Actor, today: date) -> dict[str, Any]:
        """The weekly joint-meeting agenda 联席会议调度 (domain.md §6.7)."""
        week_ago = (today - timedelta(days=7)).isoformat()
        stale = (today - timedelta(days=30)).isoformat()

        def cases(extra: str, *params: Any) -> list[dict[str, Any]]:
            where: Where = self.ledger.visible_to(viewer)
            where.add(extra, *params)
            rows = self.store.query(
                f"SELECT * FROM {{p}}ledger_cases c WHERE {where.sql} ORDER BY received_on",
                where.params,
            )
            return self.ledger.present(viewer, rows, today)

        open_marks = ",".join("?" for _ in OPEN_STATUSES)
        spikes = self.store.query(
            "SELECT case_id FROM {p}ledger_actions WHERE type = 'PetitionLinked' "
            "AND occurred_on >= ? GROUP BY case_id HAVING COUNT(*) >= 2",
            [week_ago],
        )
        spike_ids = [r["case_id"] for r in spikes] or ["-"]
        return {
            "week_ending": today.isoformat(),
            "key_cases": cases(
                f"flags LIKE ? AND status IN ({open_marks})", member("key_case"), *OPEN_STATUSES
            ),
            "new_collective_or_skip_level": cases(
                "(flags LIKE ? OR flags LIKE ?) AND received_on >= ?",
                member("collective"),
                member("skip_level"),
                week_ago,
            ),
            "overdue": self.deadline_watch(viewer, today, levels=MISSED),
            "stalled_backlog": [
                item
                for item in self.backlog(viewer, today)
                if (item["last_activity_on"] or "") < stale
            ],
            "repeat_spikes": cases(f"case_id IN ({','.join('?' for _ in spike_ids)})", *spike_ids),
        }


def _p90(values: Sequence[int]) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    return round(statistics.quantiles(values, n=10, method="inclusive")[-1], 1)


def require_reader(viewer: Actor) -> None:
    """Refuse the accountability views to roles outside ACCOUNTABILITY_READERS (the admin)."""
    permissions.require_role(viewer, ACCOUNTABILITY_READERS, "read accountability views")
