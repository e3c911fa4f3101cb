"""Accountability views over the ledger tables: overdue lists, actors, scorecards, agenda, backlog.

Every figure is a plain query over the views kept by LedgerProjection; "now" is passed in. Who
answers for a clock is projections/attribution.py's rule; the month's scorecards are computed by
projections/scorecards.py (docs/accountability.md defines every figure).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from domain import deadlines as clocks
from domain import permissions
from domain.cases import Case
from domain.errors import PermissionDeniedError, role_may_not
from domain.values import Actor, Level, Role
from domain.visibility import ACCOUNTABILITY_READERS, sees_activity_of
from projections import disclosure
from projections.attribution import Strips
from projections.ledger import OBLIGATIONS, Ledger, deadline_of, ready_to_close_sql
from projections.ledger_projection import stored_kind
from projections.names import Names
from projections.scorecards import (
    MIN_VOLUME,
    Scorecards,
    month_bounds,
    previous_month,
    rate,
)
from projections.sql import Where, member, uuid_of
from projections.store import ViewStore

__all__ = [
    "MIN_VOLUME",
    "Accountability",
    "BacklogRules",
    "month_bounds",
    "previous_month",
    "rate",
    "require_reader",
]

OVERDUE_NOW = frozenset({Level.OVERDUE, Level.SEVERELY_OVERDUE})
"""Deadlines still running past their due date."""
MISSED = OVERDUE_NOW
"""The name the bulletin imports: deadlines overdue now (the historical record is HISTORY)."""
HISTORY = frozenset({*OVERDUE_NOW, Level.MET_LATE, Level.MISSED})
"""Every deadline that was missed: overdue now, met late, or stopped after its due date."""
WATCHED_LEVELS = frozenset({Level.DUE_SOON, *HISTORY})
"""What the overdue list shows: the historical record of missed deadlines, and those due soon."""
READY_TO_CLOSE_READERS = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.AUDITOR})
"""Who may read the list of cases ready to close: the dispatchers who close them, and those who
oversee them."""
OPEN_STATUSES = (
    "registered forwarded assigned accepted in_progress extended report_submitted responded "
    "under_review reviewed under_recheck"
).split()


@dataclass(frozen=True)
class BacklogRules:
    """When a case counts as backlog (积案): domain.md §6.8 defaults, configurable."""

    days_after_acceptance: int = 90
    repeat_petitions: int = 3


class Accountability:
    """Queries that tell supervisors and inspectors who did what, and what was missed."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.store: ViewStore = ledger.store

    # -- overdue and at-risk deadlines -----------------------------------------------------
    def deadline_watch(
        self, viewer: Actor, today: date, *, levels: Iterable[Level] = WATCHED_LEVELS
    ) -> list[dict[str, Any]]:
        """Missed and at-risk deadlines, each with who answers for it (attribution.py).

        A missed deadline stays listed however its clock ended (met late, or stopped after its
        due date by a transfer, withdrawal, merger or diversion); windows and paused clocks are
        never overdue.
        """
        where = self.ledger.visible_to(viewer)
        horizon = (today + timedelta(days=14)).isoformat()
        where.add(
            "(d.met_on IS NULL AND d.current = 1 AND d.due_date <= ?) OR d.met_on > d.due_date",
            horizon,
        )
        rows = self._watched(where, "")
        return self._watch_items(rows, today, frozenset(levels))

    def deadline_page(
        self, viewer: Actor, today: date, page: int, page_size: int
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of `deadline_watch` (its default levels, in its order) and how many in all.

        The levels are decided in the query (a running clock due by the last day that is due
        soon, not paused; or one that ended after its due date), so that only the page's rows
        are read and attributed.
        """
        where = self.ledger.visible_to(viewer)
        soon = clocks.due_soon_until(today, today + timedelta(days=14)).isoformat()
        # The first condition follows from the second; stated, it lets the query use the
        # index of the clocks running or ended late (a partial index of the views' history).
        where.add("d.met_on IS NULL OR d.met_on > d.due_date")
        where.add(
            "(d.met_on IS NULL AND d.current = 1 AND d.paused_since IS NULL AND d.due_date <= ?) "
            "OR d.met_on > d.due_date",
            soon,
        )
        rules = ",".join("?" for _ in OBLIGATIONS)
        total = self.store.query(
            "SELECT COUNT(*) AS n FROM {p}ledger_deadlines d "
            "JOIN {p}ledger_cases c ON c.case_id = d.case_id "
            f"WHERE {where.sql} AND d.rule IN ({rules})",
            [*where.params, *OBLIGATIONS],
        )[0]["n"]
        offset = (page - 1) * page_size
        rows = self._watched(where, f" LIMIT {int(page_size)} OFFSET {int(offset)}")
        return self._watch_items(rows, today, WATCHED_LEVELS), int(total)

    def _watched(self, where: Where, limit: str) -> list[Mapping[str, Any]]:
        """The obligations' rows under `where` (over `ledger_deadlines d` joined to
        `ledger_cases c`), in the list's order."""
        rules = ",".join("?" for _ in OBLIGATIONS)
        return self.store.query(
            "SELECT d.*, c.number, c.subject, c.status AS case_status FROM {p}ledger_deadlines d "
            "JOIN {p}ledger_cases c ON c.case_id = d.case_id "
            f"WHERE {where.sql} AND d.rule IN ({rules}) "
            f"ORDER BY d.due_date, c.number, d.seq{limit}",
            [*where.params, *OBLIGATIONS],
        )

    def _watch_items(
        self, rows: Sequence[Mapping[str, Any]], today: date, wanted: frozenset[Level]
    ) -> list[dict[str, Any]]:
        """The items of the list for `rows` whose level on `today` is one of `wanted`."""
        strips = Strips.load(self.store, [r["case_id"] for r in rows])
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
                held=strips.responsible(row["case_id"], deadline).as_held(),
                names=names,
                orders=orders.get(row["case_id"], 0),
                today=today,
            )
            ended = deadline.ended_by
            item["ended_by"] = ended.value if ended is not None else None
            items.append(item)
        return items

    # -- cases ready to close ----------------------------------------------------------------
    def ready_to_close(self, viewer: Actor, today: date) -> list[dict[str, Any]]:
        """Cases whose windows passed unused, waiting for a dispatcher to close (期满待办结)."""
        permissions.require_role(viewer, READY_TO_CLOSE_READERS, "查看期满待办结的事项")
        where = self.ledger.visible_to(viewer)
        ready, params = ready_to_close_sql(today)
        where.add(ready, *params)
        rows = self.store.query(
            f"SELECT * FROM {{p}}ledger_cases c WHERE {where.sql} ORDER BY received_on, number",
            where.params,
        )
        return self.ledger.present(viewer, rows, today)

    def ready_page(
        self, viewer: Actor, today: date, page: int, page_size: int
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of `ready_to_close` (in its order) and how many in all."""
        permissions.require_role(viewer, READY_TO_CLOSE_READERS, "查看期满待办结的事项")
        where = self.ledger.visible_to(viewer)
        ready, params = ready_to_close_sql(today)
        where.add(ready, *params)
        total = self.store.query(
            f"SELECT COUNT(*) AS n FROM {{p}}ledger_cases c WHERE {where.sql}", where.params
        )[0]["n"]
        rows = self.store.query(
            f"SELECT * FROM {{p}}ledger_cases c WHERE {where.sql} ORDER BY received_on, number "
            f"LIMIT {int(page_size)} OFFSET {int((page - 1) * page_size)}",
            where.params,
        )
        return self.ledger.present(viewer, rows, today), int(total)

    def _supervision_counts(self, case_ids: Sequence[str]) -> dict[str, int]:
        if not case_ids:
            return {}
        unique = sorted(set(case_ids))
        rows = self.store.query(
            "SELECT case_id, COUNT(*) AS n FROM {p}ledger_actions "
            "WHERE type = ? AND case_id IN ("
            + ",".join("?" for _ in unique)
            + ") GROUP BY case_id",
            [stored_kind(Case.SupervisionOrderIssued), *unique],
        )
        return {r["case_id"]: int(r["n"]) for r in rows}

    # -- one person's actions -----------------------------------------------------------------
    def actor_activity(
        self, viewer: Actor, user_id: UUID, start: datetime | None, end: datetime | None
    ) -> list[dict[str, Any]]:
        """Everything one person did on cases, in recorded order (auditors, supervisors, self)."""
        if not sees_activity_of(viewer, user_id):
            raise PermissionDeniedError(role_may_not(viewer.role.value, "查看他人的办理记录"))
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
    def unit_scorecards(self, viewer: Actor, month: str, today: date) -> list[dict[str, Any]]:
        """Per unit, the month's counts beside rates: ranked cards first, then those below the
        minimum sample (rank None), see projections/scorecards.py."""
        month_bounds(month)
        return Scorecards(self.store, Names(self.ledger.app)).units(viewer, month, today)

    def leader_scorecards(self, viewer: Actor, month: str, today: date) -> list[dict[str, Any]]:
        """Per sponsoring leader: the month's visits, and sponsored cases open, overdue and
        finished (化解率), see projections/scorecards.py."""
        month_bounds(month)
        return Scorecards(self.store, Names(self.ledger.app)).leaders(viewer, month, today)

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
            "SELECT case_id FROM {p}ledger_actions WHERE type = ? "
            "AND occurred_on >= ? GROUP BY case_id HAVING COUNT(*) >= 2",
            [stored_kind(Case.PetitionLinked), week_ago],
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
            "overdue": self.deadline_watch(viewer, today, levels=OVERDUE_NOW),
            "stalled_backlog": [
                item
                for item in self.backlog(viewer, today)
                if (item["last_activity_on"] or "") < stale
            ],
            "repeat_spikes": cases(f"case_id IN ({','.join('?' for _ in spike_ids)})", *spike_ids),
        }


def require_reader(viewer: Actor) -> None:
    """Refuse the accountability views to roles outside ACCOUNTABILITY_READERS (the admin)."""
    permissions.require_role(viewer, ACCOUNTABILITY_READERS, "查看责任追究统计")
