"""The monthly bulletin 月通报 (domain.md §6.9): figures, publishing, recomputation, differences."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain import permissions
from domain.bulletins import Bulletin
from domain.directory import SYSTEM_ACTOR
from domain.errors import PermissionDeniedError, RuleViolationError, TransitionError
from domain.values import Actor, Level, Role
from domain.visibility import BULLETIN_READERS
from projections.accountability import MISSED, Accountability, month_bounds, previous_month, rate
from projections.ledger import Ledger
from projections.names import Names
from projections.replay import ledger_at

TREND_MONTHS = 6
HeadProvider = Callable[[], dict[str, Any] | None]


def _top(counts: Counter[str], size: int = 10) -> list[tuple[str, int]]:
    """The largest counts, ties in name order (so a replay lists them identically)."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:size]


def _months_back(month: str, count: int) -> list[str]:
    months = [month]
    while len(months) < count:
        months.insert(0, previous_month(months[0]))
    return months


def compute_figures(ledger: Ledger, month: str, as_of: date) -> dict[str, Any]:
    """Every figure of the bulletin for `month`, from the given views, as of `as_of`."""
    month_bounds(month)
    reader = SYSTEM_VIEWER
    accountability = Accountability(ledger)
    store = ledger.store
    names = Names(ledger.app)
    months = _months_back(month, TREND_MONTHS)
    first = month_bounds(months[0])[0].isoformat()
    last = month_bounds(month)[1].isoformat()
    # Counted as the all-seeing reader, through the same visibility filter as every list.
    where = ledger.visible_to(reader)
    where.add("c.received_on >= ? AND c.received_on <= ?", first, last)
    received = store.query(
        "SELECT c.received_on, c.channel, c.category, c.unit_id, c.intake_unit_id, c.accused "
        f"FROM {{p}}ledger_cases c WHERE {where.sql}",
        where.params,
    )
    by_month: dict[str, list[Any]] = {m: [] for m in months}
    for row in received:
        by_month.setdefault(row["received_on"][:7], []).append(row)
    this, before = by_month.get(month, []), by_month.get(previous_month(month), [])

    def totals(key: Callable[[Any], str | None]) -> list[dict[str, Any]]:
        now = Counter(key(r) or "unknown" for r in this)
        then = Counter(key(r) or "unknown" for r in before)
        return [
            {"key": k, "count": now[k], "previous": then[k], "change": now[k] - then[k]}
            for k in sorted(set(now) | set(then))
        ]

    complained = Counter(unit for r in this for unit in r["accused"].strip(",").split(",") if unit)
    missed = accountability.deadline_watch(reader, as_of, levels=MISSED)
    overdue_units = Counter(i["unit_name"] or "unknown" for i in missed)
    cards = accountability.unit_scorecards(reader, month, as_of)
    leaders = accountability.leader_scorecards(reader, month, as_of)
    actions = store.query(
        "SELECT type, detail FROM {p}ledger_actions WHERE occurred_on >= ? AND occurred_on <= ?",
        [month_bounds(month)[0].isoformat(), last],
    )
    kinds = Counter(a["type"] for a in actions)
    satisfaction = Counter(
        json.loads(a["detail"]).get("satisfaction") for a in actions if a["type"] == "FollowedUp"
    )
    reviews = Counter(
        json.loads(a["detail"]).get("decision") for a in actions if a["type"] == "ReviewDecided"
    )
    rechecks = Counter(
        json.loads(a["detail"]).get("decision") for a in actions if a["type"] == "RecheckDecided"
    )
    rated = sum(satisfaction.values())
    red, yellow = [], []
    for card in cards:
        severe = any(
            i["level"] == Level.SEVERELY_OVERDUE.value and i["unit_name"] == card["unit_name"]
            for i in missed
        )
        on_time = card["on_time_completion_rate"]
        entry = {
            "unit": card["unit_name"],
            "on_time_completion_rate": on_time,
            "overdue": card["overdue"],
        }
        if severe or (on_time is not None and on_time < 0.6 and card["handling_due"] >= 3):
            red.append(entry)
        elif card["overdue"] > 0 or (on_time is not None and on_time < 0.8):
            yellow.append(entry)
    return {
        "month": month,
        "as_of": as_of.isoformat(),
        "received": len(this),
        "received_previous_month": len(before),
        "by_channel": totals(lambda r: r["channel"]),
        "by_category": totals(lambda r: r["category"]),
        "by_area": totals(lambda r: names.unit(r["unit_id"] or r["intake_unit_id"])),
        "trend_by_channel": {
            m: dict(sorted(Counter(r["channel"] for r in by_month.get(m, [])).items()))
            for m in months
        },
        "most_complained_units": [{"unit": names.unit(u), "count": n} for u, n in _top(complained)],
        "most_overdue_units": [{"unit": u, "count": n} for u, n in _top(overdue_units)],
        "on_time_rates": [
            {
                "unit": c["unit_name"],
                "timely_acceptance_rate": c["timely_acceptance_rate"],
                "on_time_completion_rate": c["on_time_completion_rate"],
                "sample": c["sample"],
            }
            for c in cards
        ],
        "red_list": red,
        "yellow_list": yellow,
        "repeat_petitions": kinds["PetitionLinked"],
        "backlog_open": len(accountability.backlog(reader, as_of)),
        "leader_receptions": sum(c["receptions"] for c in leaders),
        "leader_home_visits": sum(c["home_visits"] for c in leaders),
        "leader_appointments": sum(c["appointments"] for c in leaders),
        "satisfaction": {
            "rated": rated,
            "satisfied": satisfaction["satisfied"],
            "basically_satisfied": satisfaction["basically_satisfied"],
            "unsatisfied": satisfaction["unsatisfied"],
            "rate": rate(satisfaction["satisfied"] + satisfaction["basically_satisfied"], rated),
        },
        "review_outcomes": dict(sorted((k, v) for k, v in reviews.items() if k)),
        "recheck_outcomes": dict(sorted((k, v) for k, v in rechecks.items() if k)),
    }


SYSTEM_VIEWER = Actor(id=SYSTEM_ACTOR.id, name=SYSTEM_ACTOR.name, role=Role.AUDITOR, unit_id=None)
"""Bulletins count every case: they are computed with an all-seeing reader."""


def differences(old: Any, new: Any, path: str = "") -> list[dict[str, Any]]:
    """Where two figure trees differ, leaf by leaf."""
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in sorted(set(old) | set(new)):
            found += differences(old.get(key), new.get(key), f"{path}.{key}" if path else key)
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        found = []
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            found += differences(a, b, f"{path}[{index}]")
        return found
    return [] if old == new else [{"path": path, "published": old, "now": new}]


class Bulletins:
    """Computes, publishes and re-checks monthly bulletins."""

    def __init__(self, ledger: Ledger, head: HeadProvider | None = None) -> None:
        self.ledger = ledger
        self.head = head

    def _require_reader(self, viewer: Actor) -> None:
        permissions.require_role(viewer, BULLETIN_READERS, "read bulletins")

    def _as_of(self, month: str, today: date) -> date:
        last = month_bounds(month)[1]
        if month_bounds(month)[0] > today:
            raise RuleViolationError("month", f"{month} has not begun yet")
        return min(last + timedelta(days=1), today)

    def published(self, month: str) -> Bulletin | None:
        """The published bulletin of `month`, if any."""
        try:
            bulletin: Bulletin = self.ledger.app.repository.get(Bulletin.id_for(month))
        except AggregateNotFoundError:
            return None
        return bulletin

    def get(self, viewer: Actor, month: str, today: date) -> dict[str, Any]:
        """The published bulletin with any later differences, or a draft computed now."""
        self._require_reader(viewer)
        bulletin = self.published(month)
        if bulletin is None:
            as_of = self._as_of(month, today)
            return {
                "month": month,
                "published": False,
                "position": self.ledger.store.position("ledger"),
                "figures": compute_figures(self.ledger, month, as_of),
                "differences": [],
            }
        now = compute_figures(self.ledger, month, bulletin.as_of_date)
        return {
            "month": month,
            "published": True,
            "published_at": bulletin.published_at.isoformat(),
            "published_by": bulletin.published_by.name,
            "position": bulletin.position,
            "head": bulletin.head,
            "figures": bulletin.figures,
            "differences": differences(bulletin.figures, now),
        }

    def publish(self, viewer: Actor, month: str, today: date) -> dict[str, Any]:
        """Freeze the bulletin of `month` with the log position its figures were computed at."""
        if viewer.role is not Role.SUPERVISOR:
            msg = f"role '{viewer.role.value}' may not publish bulletins"
            raise PermissionDeniedError(msg)
        if self.published(month) is not None:
            raise TransitionError("publish", f"{month} already published")
        as_of = self._as_of(month, today)
        app = self.ledger.app
        position, figures = self._stable_figures(month, as_of)
        bulletin = Bulletin.publish(
            month=month,
            position=position,
            as_of_date=as_of,
            figures=figures,
            head=self.head() if self.head else None,
            actor=viewer,
            occurred_at=app.clock(),
        )
        try:
            app.save(bulletin)
        except IntegrityError:
            raise TransitionError("publish", f"{month} already published") from None
        return self.get(viewer, month, today)

    def _stable_figures(self, month: str, as_of: date) -> tuple[int, dict[str, Any]]:
        """Figures and the log position they reflect (recomputed if the views moved meanwhile)."""
        store = self.ledger.store
        while True:
            position = store.position("ledger")
            figures = compute_figures(self.ledger, month, as_of)
            if store.position("ledger") == position:
                return position, figures

    def recompute(self, viewer: Actor, month: str) -> dict[str, Any]:
        """Replay the log up to the published position and compute the figures again."""
        self._require_reader(viewer)
        bulletin = self.published(month)
        if bulletin is None:
            raise TransitionError("recompute", f"{month} not published")
        with ledger_at(self.ledger.app, self.ledger.sealer, bulletin.position) as past:
            figures = compute_figures(past, month, bulletin.as_of_date)
        return {
            "month": month,
            "position": bulletin.position,
            "figures": figures,
            "identical": figures == bulletin.figures,
            "differences": differences(bulletin.figures, figures),
        }
