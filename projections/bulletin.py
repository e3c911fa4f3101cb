"""The monthly bulletin 月通报 (docs/accountability.md): figures, publishing, recomputing."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain import permissions
from domain.bulletins import Bulletin, BulletinStateError, Standing, require_ended, rolls
from domain.cases import Case
from domain.directory import SYSTEM_ACTOR
from domain.errors import PermissionDeniedError, RuleViolationError, role_may_not
from domain.labels import NO_UNIT, RANKED, label_of, percent, unranked
from domain.values import Actor, Category, Channel, Decision, Level, Role, VisitKind
from domain.visibility import BULLETIN_READERS
from projections.accountability import (
    MIN_VOLUME,
    MISSED,
    Accountability,
    month_bounds,
    previous_month,
)
from projections.campaign_report import bulletin_campaigns
from projections.checkpoints import Checkpoints
from projections.inspection_register import InspectionRegister
from projections.ledger import Ledger
from projections.ledger_projection import stored_kind
from projections.meeting_register import MeetingRegister
from projections.names import Names
from projections.replay import ledger_at, recorded_at
from projections.risk_register import RiskRegister, township_figures
from projections.sealer import PetitionerSealer

FORMAT = 2
"""Version of the figures' shape: 2 has Chinese labels, percentages, the 红榜 and 黑榜."""
TREND_MONTHS = 6
HeadProvider = Callable[[], dict[str, Any] | None]
UNRANKED = unranked(MIN_VOLUME)


def _top(counts: Counter[str], size: int = 10) -> list[tuple[str, int]]:
    """The largest counts, ties in name order (so a replay lists them identically)."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:size]


def _months_back(month: str, count: int) -> list[str]:
    months = [month]
    while len(months) < count:
        months.insert(0, previous_month(months[0]))
    return months


def _coded(enum: type[Enum], counts: Counter[str]) -> list[dict[str, Any]]:
    """Counts by code, in the enum's order, each with its Chinese label."""
    return [
        {"key": member.value, "label": label_of(enum, member.value), "count": counts[member.value]}
        for member in enum
        if counts[member.value]
    ]


def _detail(action: Mapping[str, Any]) -> dict[str, Any]:
    detail: dict[str, Any] = json.loads(action["detail"]) if action["detail"] else {}
    return detail


def _by_a_leader(action: Mapping[str, Any]) -> bool:
    """A visit counts as a leader's when it names one or a leader recorded it (as the leader
    scorecard counts it)."""
    return bool(_detail(action).get("leader_id")) or action["actor_role"] == Role.LEADER.value


class _UnitNames:
    """A unit's name for a figure: the responsible unit, else the bureau that registered the
    case (its sorting and notice duties are the bureau's), never "unknown"."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.names = Names(ledger.app)

    def of(self, unit_id: str | None, intake_unit_id: str | None = None) -> str:
        """The name of `unit_id`, else of `intake_unit_id`, else NO_UNIT."""
        return self.names.unit(unit_id or intake_unit_id) or NO_UNIT

    def intake_units(self, case_ids: Iterable[str]) -> dict[str, str | None]:
        """The unit that registered each case (the bureau, as a rule)."""
        wanted = sorted(set(case_ids))
        if not wanted:
            return {}
        rows = self.ledger.store.query(
            "SELECT case_id, intake_unit_id FROM {p}ledger_cases WHERE case_id IN ("
            + ",".join("?" for _ in wanted)
            + ")",
            wanted,
        )
        return {r["case_id"]: r["intake_unit_id"] for r in rows}


def compute_figures(
    ledger: Ledger, month: str, as_of: date, reader: Actor | None = None
) -> dict[str, Any]:
    """Every figure of the bulletin for `month`, from the given views, as of `as_of`; counted as
    `reader` (default: the all-seeing reader, as a published bulletin is)."""
    month_bounds(month)
    reader = reader or SYSTEM_VIEWER
    accountability = Accountability(ledger)
    store = ledger.store
    units = _UnitNames(ledger)
    months = _months_back(month, TREND_MONTHS)
    first = month_bounds(months[0])[0].isoformat()
    month_first, last = (d.isoformat() for d in month_bounds(month))
    # Counted as the all-seeing reader, through the same visibility filter as every list.
    where = ledger.visible_to(reader)
    where.add("c.received_on >= ? AND c.received_on <= ?", first, last)
    received = store.query(
        "SELECT c.case_id, c.received_on, c.channel, c.category, c.unit_id, c.intake_unit_id, "
        f"c.accused FROM {{p}}ledger_cases c WHERE {where.sql}",
        where.params,
    )
    by_month: dict[str, list[Any]] = {m: [] for m in months}
    for row in received:
        by_month.setdefault(row["received_on"][:7], []).append(row)
    this, before = by_month.get(month, []), by_month.get(previous_month(month), [])

    def totals(
        key: Callable[[Any], str], label: Callable[[str], str] = str
    ) -> list[dict[str, Any]]:
        now = Counter(key(r) for r in this)
        then = Counter(key(r) for r in before)
        return [
            {
                "key": k,
                "label": label(k),
                "count": now[k],
                "previous": then[k],
                "change": now[k] - then[k],
            }
            for k in sorted(set(now) | set(then))
        ]

    complained = Counter(unit for r in this for unit in r["accused"].strip(",").split(",") if unit)
    missed = accountability.deadline_watch(reader, as_of, levels=MISSED)
    intake = units.intake_units(i["case_id"].hex for i in missed if i["unit_name"] is None)
    for item in missed:
        if item["unit_name"] is None:
            item["unit_name"] = units.of(None, intake.get(item["case_id"].hex))
    overdue_units = Counter(i["unit_name"] for i in missed)
    severely = Counter(
        i["unit_id"].hex
        for i in missed
        if i["unit_id"] and i["level"] == Level.SEVERELY_OVERDUE.value
    )
    cards = accountability.unit_scorecards(reader, month, as_of)
    actions = store.query(
        "SELECT case_id, type, detail, actor_role FROM {p}ledger_actions "
        "WHERE occurred_on >= ? AND occurred_on <= ?",
        [month_first, last],
    )
    kinds = Counter(a["type"] for a in actions)

    def tally(kind: str, name: str) -> Counter[str]:
        return Counter(
            str(_detail(a).get(name)) for a in actions if a["type"] == kind and _detail(a).get(name)
        )

    satisfaction = tally(stored_kind(Case.FollowedUp), "satisfaction")
    rated = sum(satisfaction.values())
    content = sum(satisfaction[k] for k in ("satisfied", "basically_satisfied"))
    return {
        "format": FORMAT,
        "month": month,
        "as_of": as_of.isoformat(),
        "received": len(this),
        "received_previous_month": len(before),
        "by_channel": totals(lambda r: r["channel"], lambda k: label_of(Channel, k)),
        "by_category": totals(lambda r: r["category"], lambda k: label_of(Category, k)),
        "by_area": totals(lambda r: units.of(r["unit_id"], r["intake_unit_id"])),
        "trend_by_channel": {
            m: dict(sorted(Counter(r["channel"] for r in by_month.get(m, [])).items()))
            for m in months
        },
        "most_complained_units": [{"unit": units.of(u), "count": n} for u, n in _top(complained)],
        "most_overdue_units": [{"unit": u, "count": n} for u, n in _top(overdue_units)],
        **_unit_rankings(cards, severely),
        "repeat_petitions": kinds[stored_kind(Case.PetitionLinked)],
        "backlog_open": len(accountability.backlog(reader, as_of)),
        **_leader_visits(accountability, month, as_of, actions=actions, received=this),
        "satisfaction": {
            "rated": rated,
            "satisfied": satisfaction["satisfied"],
            "basically_satisfied": satisfaction["basically_satisfied"],
            "unsatisfied": satisfaction["unsatisfied"],
            "percent": percent(content, rated),
        },
        "review_outcomes": _coded(Decision, tally(stored_kind(Case.ReviewDecided), "decision")),
        "recheck_outcomes": _coded(Decision, tally(stored_kind(Case.RecheckDecided), "decision")),
        # The risk register (docs/risks.md): found and resolved by township.
        "risks_by_township": township_figures(ledger.app, store, ledger.sealer, reader, month),
        "typical_cases": typical_cases(ledger, reader, month, units),
        # The registers of work (docs/inspections.md, docs/meetings.md, docs/campaigns.md).
        "typical_inspections": typical_inspections(ledger, month),
        "task_completion": task_completion(ledger, reader, month, as_of),
        "campaign_progress": bulletin_campaigns(
            ledger.app,
            reader,
            *month_bounds(month),
            recorded_at(ledger.app, store.position("ledger")),
        ),
    }


def _meetings(ledger: Ledger) -> MeetingRegister:
    risks = RiskRegister(ledger.app, ledger.store, ledger.sealer)
    return MeetingRegister(ledger.app, ledger.store, Accountability(ledger), risks)


def typical_inspections(ledger: Ledger, month: str) -> list[dict[str, Any]]:
    """The inspections marked 典型案例 in `month` (docs/inspections.md), beside the typical
    cases: the unit inspected, the month inspected and the text written for publication (an
    inspection accuses no one: the bulletin names the unit, draft or published)."""
    return [
        {"unit": row["unit_name"] or NO_UNIT, "month": row["month"], "text": row["text"]}
        for row in InspectionRegister(_meetings(ledger)).typical_inspections(month)
    ]


def task_completion(ledger: Ledger, reader: Actor, month: str, as_of: date) -> list[dict[str, Any]]:
    """任务按期销号 by unit (docs/meetings.md): the 一会议三清单 tasks due in the month (up to
    the day before `as_of`), closed by their due date, late, and the share on time (one
    decimal), counted as `reader` (a draft leaves out the tasks about cases accusing the
    reader's unit)."""
    return [
        {
            "unit": card["unit_name"] or NO_UNIT,
            "tasks_due": card["tasks_due"],
            "tasks_on_time": card["tasks_on_time"],
            "tasks_late": card["tasks_late"],
            "tasks_on_time_percent": percent(card["tasks_on_time"], card["tasks_due"]),
        }
        for card in _meetings(ledger).tasks_completion(reader, month, as_of)
    ]


def typical_cases(
    ledger: Ledger, reader: Actor, month: str, units: _UnitNames
) -> list[dict[str, Any]]:
    """The cases a supervisor marked typical (典型案例) in `month`, in the order marked, each
    with the note of its last marking that month (redacted of the petitioners), counted as
    `reader` (a draft leaves out the cases accusing the reader's unit).

    Its own function, so that other kinds of typical item (inspections) can join the section.
    """
    first, last = (d.isoformat() for d in month_bounds(month))
    where = ledger.visible_to(reader)
    where.add(
        "a.type = ? AND a.occurred_on >= ? AND a.occurred_on <= ?",
        stored_kind(Case.MarkedTypical),
        first,
        last,
    )
    rows = ledger.store.query(
        "SELECT a.position, a.case_id, a.version, c.number, c.category, c.unit_id, "
        "c.intake_unit_id FROM {p}ledger_actions a JOIN {p}ledger_cases c "
        f"ON c.case_id = a.case_id WHERE {where.sql} ORDER BY a.position",
        where.params,
    )
    marked: dict[str, dict[str, Any]] = {}
    for row in rows:
        case_id = UUID(row["case_id"])
        event = next(
            iter(ledger.app.events.get(case_id, gt=row["version"] - 1, lte=row["version"])),
            None,
        )
        case: Case = ledger.app.repository.get(case_id, version=row["version"])
        text = getattr(event, "text", "")
        marked.pop(row["case_id"], None)  # marked again: its last note, in its last place
        marked[row["case_id"]] = {
            "number": row["number"],
            "category": label_of(Category, row["category"]),
            "unit": units.of(row["unit_id"], row["intake_unit_id"]),
            "text": PetitionerSealer.redact(text, case.petitioners) or "",
        }
    return list(marked.values())


def _unit_rankings(
    cards: Sequence[Mapping[str, Any]], severely: Counter[str]
) -> dict[str, list[dict[str, Any]]]:
    """按期率 of every unit (ranked first, in rank order), the 红榜, the 黑榜, units apart."""
    ordered = sorted(cards, key=lambda c: (c["rank"] is None, c["rank"] or 0, c["unit_name"] or ""))
    standings = [
        Standing(
            unit=card["unit_name"] or NO_UNIT,
            rank=card["rank"],
            handling_due=card["handling_due"],
            handling_on_time=card["handling_on_time"],
            overdue=card["overdue"],
            severely_overdue=severely[card["unit_id"].hex],
        )
        for card in ordered
    ]

    def row(standing: Standing) -> dict[str, Any]:
        return {
            "unit": standing.unit,
            "rank": standing.rank,
            "handling_due": standing.handling_due,
            "handling_on_time": standing.handling_on_time,
            "on_time_completion_percent": standing.on_time,
            "overdue": standing.overdue,
            "severely_overdue": standing.severely_overdue,
        }

    judged = rolls(standings)
    return {
        "on_time_rates": [
            {
                "unit": standing.unit,
                "rank": c["rank"],
                "sample": RANKED if c["rank"] is not None else UNRANKED,
                "notices_due": c["notices_due"],
                "notices_on_time": c["notices_on_time"],
                "timely_acceptance_percent": percent(c["notices_on_time"], c["notices_due"]),
                "handling_due": c["handling_due"],
                "handling_on_time": c["handling_on_time"],
                "on_time_completion_percent": percent(c["handling_on_time"], c["handling_due"]),
            }
            for c, standing in zip(ordered, standings, strict=True)
        ],
        "red_list": [row(s) for s in judged.commended],
        "black_list": [{**row(s), "reasons": reasons} for s, reasons in judged.criticised],
        "unranked": [row(s) for s in judged.unranked],
    }


def _leader_visits(
    accountability: Accountability,
    month: str,
    as_of: date,
    *,
    actions: Sequence[Mapping[str, Any]],
    received: Sequence[Mapping[str, Any]],
) -> dict[str, int]:
    """Leader receptions: the leaders' recorded receptions (their scorecards) and the cases
    registered through the 领导接访 channel whose reception no leader's record counts already."""
    leaders = accountability.leader_scorecards(SYSTEM_VIEWER, month, as_of)
    recorded = {
        a["case_id"]
        for a in actions
        if a["type"] == stored_kind(Case.VisitRecorded)
        and _detail(a).get("kind", VisitKind.RECEPTION.value) == VisitKind.RECEPTION.value
        and _by_a_leader(a)
    }
    registered = sum(
        1
        for r in received
        if r["channel"] == Channel.LEADER_RECEPTION.value and r["case_id"] not in recorded
    )
    visits = sum(c["receptions"] for c in leaders)
    return {
        "leader_receptions": visits + registered,
        "leader_receptions_recorded": visits,
        "leader_receptions_registered": registered,
        "leader_home_visits": sum(c["home_visits"] for c in leaders),
        "leader_appointments": sum(c["appointments"] for c in leaders),
    }


SYSTEM_VIEWER = Actor(id=SYSTEM_ACTOR.id, name=SYSTEM_ACTOR.name, role=Role.AUDITOR, unit_id=None)
"""Bulletins count every case: they are computed with an all-seeing reader."""


def draft_reader(viewer: Actor) -> Actor:
    """Who a draft is counted as: every case, but none that accuses the viewer's unit (or a
    unit above it), so a draft read the day an accusation arrives does not single it out to
    the accused unit. A published bulletin is the office's document and counts every case."""
    return replace(SYSTEM_VIEWER, unit_id=viewer.unit_id)


def changes(published: Mapping[str, Any], now: Mapping[str, Any]) -> list[dict[str, Any]]:
    """How the figures differ now from those published; figures of an older shape differ in
    their format only (their leaves cannot be compared one by one)."""
    if published.get("format") != now.get("format"):
        return [{"path": "format", "published": published.get("format"), "now": now["format"]}]
    # A figure added to the shape later (the typical cases) was not part of that document.
    return differences(published, {k: v for k, v in now.items() if k in published})


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

    def __init__(
        self,
        ledger: Ledger,
        head: HeadProvider | None = None,
        checkpoints: Checkpoints | None = None,
    ) -> None:
        self.ledger = ledger
        self.head = head
        self.checkpoints = checkpoints
        """Where a recompute's replay may start from (docs/read-side.md)."""

    def _require_reader(self, viewer: Actor) -> None:
        permissions.require_role(viewer, BULLETIN_READERS, "查看月通报")

    def _as_of(self, month: str, today: date) -> date:
        first, last = month_bounds(month)
        if first > today:
            raise RuleViolationError("month", f"{month} 尚未开始（今天是 {today.isoformat()}）")
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
                "figures": compute_figures(self.ledger, month, as_of, draft_reader(viewer)),
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
            "differences": changes(bulletin.figures, now),
        }

    def publish(self, viewer: Actor, month: str, today: date) -> dict[str, Any]:
        """Freeze the bulletin of `month`, once it has ended, with the log position its figures
        were computed at."""
        if viewer.role is not Role.SUPERVISOR:
            raise PermissionDeniedError(role_may_not(viewer.role.value, "发布月通报"))
        # Refused before anything is computed or stored: an early attempt blocks nothing.
        require_ended(month, today)
        if self.published(month) is not None:
            raise already_published(month)
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
            today=today,
        )
        try:
            app.save(bulletin)
        except IntegrityError:
            raise already_published(month) from None
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
            raise BulletinStateError("recompute", f"{month} 月通报尚未发布，无从复算")
        with ledger_at(
            self.ledger.app, self.ledger.sealer, bulletin.position, self.checkpoints
        ) as past:
            figures = compute_figures(past, month, bulletin.as_of_date)
        return {
            "month": month,
            "position": bulletin.position,
            "figures": figures,
            "identical": figures == bulletin.figures,
            "differences": changes(bulletin.figures, figures),
        }


def already_published(month: str) -> BulletinStateError:
    """The refusal to publish a month twice (the check before, and the store's key after)."""
    return BulletinStateError("publish", f"{month} 月通报已发布，不能重复发布")
