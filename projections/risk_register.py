"""The risk register's read side (隐患排查台账): its table, fed exactly once from the log, and
the queries of the register, the monthly 排查 report and the meetings' agenda.

A row is derived from the Risk aggregate's own state after the batch's last event of that risk
(the write side's logic, not a second one). The people involved are stored sealed (AES-GCM, the
instance key), the subject redacted of them and, whole, sealed; the columns the visibility rule
reads are named as in `ledger_cases`, so the SQL twin of domain/visibility.py
(projections/visibility.py `case_filter`, alias `r`→`c`) applies to risks unchanged.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from domain.application import Xinfang
from domain.cases import local_date
from domain.risks import Risk
from domain.values import Actor, Petitioner, RiskLevel, RiskStatus
from projections.names import Names
from projections.runner import AggregateStates, Item, Projection
from projections.sealer import PetitionerSealer
from projections.sql import Where, hex_id, id_list, literal
from projections.store import ViewStore
from projections.visibility import case_filter, unaccused_filter

RISK_TOPIC = f"{Risk.__module__}:{Risk.__qualname__}."
"""Topics of the Risk aggregate's events start with this."""

RISK_TABLES = (
    """CREATE TABLE IF NOT EXISTS {p}risk_register (
        risk_id TEXT PRIMARY KEY, number TEXT NOT NULL, kind TEXT NOT NULL,
        source TEXT NOT NULL, level TEXT NOT NULL, status TEXT NOT NULL,
        subject TEXT NOT NULL, township_id TEXT NOT NULL, village TEXT,
        intake_unit_id TEXT, unit_id TEXT, leader_id TEXT, handler_id TEXT,
        incomplete {int} NOT NULL, missing TEXT NOT NULL,
        accused TEXT NOT NULL, held TEXT NOT NULL, sponsors TEXT NOT NULL,
        people {blob} NOT NULL, sealed_text {blob} NOT NULL, people_count {int} NOT NULL,
        headcount {int}, steps {int} NOT NULL, last_step_on TEXT,
        found_on TEXT NOT NULL, resolved_on TEXT, converted_on TEXT,
        approved_by TEXT, case_id TEXT, case_number TEXT,
        version {int} NOT NULL, updated_at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS risk_register_found ON {p}risk_register (found_on)",
    "CREATE INDEX IF NOT EXISTS risk_register_township ON {p}risk_register (township_id)",
)
RISK_DROPS = ("risk_register",)


def _day(moment: Any) -> str | None:
    return local_date(moment).isoformat() if moment is not None else None


class RiskRegisterProjection(Projection):
    """Maintains risk_register: one row per risk, as its aggregate now stands."""

    name = "risk_register"
    tables = RISK_TABLES
    drops = RISK_DROPS

    def __init__(self, app: Xinfang, sealer: PetitionerSealer) -> None:
        self.app = app
        self.sealer = sealer
        self.states = AggregateStates(app, Risk)

    def apply(self, store: ViewStore, cursor: Any, batch: Sequence[Item]) -> None:
        """Write each touched risk's row once, as the risk stood after the batch."""
        last: dict[UUID, Risk] = {}
        for item in batch:
            # Other aggregates' events are not even decoded.
            if not item.notification.topic.startswith(RISK_TOPIC):
                continue
            risk = self.states.advance(item.event)
            assert isinstance(risk, Risk)
            last[risk.id] = risk
        if not last:
            return
        rows = [self._row(risk) for risk in last.values()]
        # A write first (SQLite: a transaction that starts by reading cannot write later).
        store.run_many(
            cursor,
            "DELETE FROM {p}risk_register WHERE risk_id = ?",
            [(risk_id.hex,) for risk_id in last],
        )
        marks = ",".join("?" for _ in rows[0])
        store.run_many(cursor, f"INSERT INTO {{p}}risk_register VALUES ({marks})", rows)

    def _row(self, risk: Risk) -> tuple[Any, ...]:
        return (
            risk.id.hex,
            risk.number,
            risk.kind.value,
            risk.source.value,
            risk.level.value,
            risk.status.value,
            self.sealer.redact(risk.subject, risk.people),
            risk.township_id.hex,
            risk.village,
            hex_id(risk.reporting_unit_id),
            hex_id(risk.unit_id),
            hex_id(risk.leader_id),
            hex_id(risk.handler_id),
            int(risk.incomplete),
            ",".join(risk.missing),
            id_list(risk.accused_unit_ids),
            id_list(risk.held_unit_ids),
            id_list(risk.sponsor_ids),
            self.sealer.seal(risk.people),
            self.sealer.seal_text({"subject": risk.subject}),
            len(risk.people),
            risk.headcount,
            len(risk.steps),
            _day(risk.steps[-1].taken_at) if risk.steps else None,
            risk.found_on.isoformat(),
            _day(risk.resolved_at),
            _day(risk.converted_at),
            risk.approved_by.name if risk.approved_by else None,
            hex_id(risk.case_id),
            risk.case_number,
            risk.version,
            risk.updated_at.isoformat(),
        )


@dataclass(frozen=True)
class RiskQuery:
    """The filters of GET /risks (each optional)."""

    status: RiskStatus | None = None
    level: RiskLevel | None = None
    township_id: UUID | None = None
    unit_id: UUID | None = None
    incomplete: bool | None = None
    found_from: date | None = None
    found_to: date | None = None
    q: str | None = None
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class RegisterRow:
    """A row of the register with the people it names (opened; disclosure masks them)."""

    row: Mapping[str, Any]
    people: list[Petitioner]
    subject: str


class RiskRegister:
    """Queries of the risk register, each limited to the risks the viewer may know exist."""

    def __init__(self, app: Xinfang, store: ViewStore, sealer: PetitionerSealer) -> None:
        self.app = app
        self.store = store
        self.sealer = sealer

    def _rows(
        self, viewer: Actor | None, query: RiskQuery, *, page: bool = True
    ) -> tuple[list[RegisterRow], int]:
        # No viewer: the console operator, who holds the instance folder (keys included) and
        # from whom no risk is hidden (projections/disclosure.py OPERATOR: people masked).
        where = Where() if viewer is None else case_filter(viewer, self.app.lineage(viewer.unit_id))
        if query.status is not None:
            where.add("c.status = ?", query.status.value)
        if query.level is not None:
            where.add("c.level = ?", query.level.value)
        if query.township_id is not None:
            where.add("c.township_id = ?", query.township_id.hex)
        if query.unit_id is not None:
            where.add("c.unit_id = ?", query.unit_id.hex)
        if query.incomplete is not None:
            where.add("c.incomplete = ?", int(query.incomplete))
        if query.found_from is not None:
            where.add("c.found_on >= ?", query.found_from.isoformat())
        if query.found_to is not None:
            where.add("c.found_on <= ?", query.found_to.isoformat())
        if query.q:
            where.add("c.subject LIKE ? ESCAPE '\\'", f"%{literal(query.q)}%")
        total = self.store.query(
            f"SELECT COUNT(*) AS n FROM {{p}}risk_register c WHERE {where.sql}", where.params
        )[0]["n"]
        window = " LIMIT ? OFFSET ?" if page else ""
        params = [*where.params, *((query.limit, query.offset) if page else ())]
        rows = self.store.query(
            f"SELECT * FROM {{p}}risk_register c WHERE {where.sql} "
            f"ORDER BY c.found_on, c.number{window}",
            params,
        )
        return [self._opened(row) for row in rows], int(total)

    def _opened(self, row: Mapping[str, Any]) -> RegisterRow:
        texts = self.sealer.open_text(row["sealed_text"])
        return RegisterRow(row, self.sealer.open(row["people"]), texts["subject"] or "")

    def search(self, viewer: Actor, query: RiskQuery) -> tuple[list[RegisterRow], int]:
        """One page of the register and the total matching."""
        return self._rows(viewer, query)

    def export(self, viewer: Actor, query: RiskQuery) -> list[RegisterRow]:
        """Every matching row (for a workbook)."""
        return self._rows(viewer, query, page=False)[0]

    def console(self, query: RiskQuery) -> list[RegisterRow]:
        """Every matching row, unfiltered (for `xinfang risks`: shown as the operator)."""
        return self._rows(None, query, page=False)[0]

    def open_risks(self, viewer: Actor, level: RiskLevel | None = None) -> list[RegisterRow]:
        """The risks still being defused (at `level`, if given) that the viewer may see.

        For the weekly 联席会议's agenda (high-level risks: `level=RiskLevel.GRAVE`).
        """
        return self.export(viewer, RiskQuery(status=RiskStatus.OPEN, level=level))

    def seen(self, viewer: Actor, risk_ids: Collection[UUID | None]) -> dict[UUID, RegisterRow]:
        """The rows of those of `risk_ids` the viewer may know exist (the visibility rule's SQL
        twin, as every query here): for the meetings and tasks that name a risk."""
        ids = sorted({r.hex for r in risk_ids if r is not None})
        if not ids:
            return {}
        where = case_filter(viewer, self.app.lineage(viewer.unit_id))
        where.add(f"c.risk_id IN ({','.join('?' for _ in ids)})", *ids)
        rows = self.store.query(
            f"SELECT * FROM {{p}}risk_register c WHERE {where.sql}", where.params
        )
        return {UUID(row["risk_id"]): self._opened(row) for row in rows}

    def monthly(self, viewer: Actor, month: str) -> list[dict[str, Any]]:
        """The month's 排查 report (`YYYY-MM`): per township and level, the risks found in the
        month, those closed as defused and converted in it, and those open and incomplete at
        its end, counted over the risks the viewer may see."""
        first = date.fromisoformat(f"{month}-01")
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        start, end = first.isoformat(), following.isoformat()
        where = case_filter(viewer, self.app.lineage(viewer.unit_id))
        rows = self.store.query(
            "SELECT c.township_id, c.level, c.found_on, c.resolved_on, c.converted_on, "
            "c.incomplete FROM {p}risk_register c "
            f"WHERE {where.sql} AND c.found_on < ?",
            [*where.params, end],
        )
        figures: dict[tuple[str, str], dict[str, int]] = {}
        for row in rows:
            key = (row["township_id"], row["level"])
            counts = figures.setdefault(
                key, {"found": 0, "resolved": 0, "converted": 0, "open": 0, "incomplete": 0}
            )
            if row["found_on"] >= start:
                counts["found"] += 1
            if row["resolved_on"] and start <= row["resolved_on"] < end:
                counts["resolved"] += 1
            if row["converted_on"] and start <= row["converted_on"] < end:
                counts["converted"] += 1
            ended = row["resolved_on"] or row["converted_on"]
            if ended is None or ended >= end:
                counts["open"] += 1
                # Incompleteness is known as the risk stands now (the view keeps no past).
                counts["incomplete"] += int(row["incomplete"])
        return [
            {"township_id": UUID(township), "level": level, **counts}
            for (township, level), counts in sorted(figures.items())
        ]


def township_figures(
    app: Xinfang, store: ViewStore, sealer: PetitionerSealer, reader: Actor, month: str
) -> list[dict[str, Any]]:
    """The month bulletin's 隐患排查化解 figures: per township (by name), the risks found, closed as
    defused and converted in the month, and those open at its end, counted as `reader`."""
    rows = RiskRegister(app, store, sealer).monthly(reader, month)
    names = Names(app)
    totals: dict[str, dict[str, int]] = {}
    for row in rows:
        name = names.unit(row["township_id"].hex) or row["township_id"].hex
        counts = totals.setdefault(name, {"found": 0, "resolved": 0, "converted": 0, "open": 0})
        for key in counts:
            counts[key] += row[key]
    return [{"township": name, **counts} for name, counts in sorted(totals.items())]


def unit_risk_figures(store: ViewStore, month: str) -> dict[str, dict[str, int]]:
    """The unit scorecards' risk figures of `month`, by unit (hex id): `risks_found` (risks
    found in the month in the township the unit is), `risks_resolved` (closed as defused in the
    month by the unit as 责任单位), `risks_open` (open at the month's end with the unit as
    责任单位)."""
    first = date.fromisoformat(f"{month}-01")
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    start, end = first.isoformat(), following.isoformat()
    rows = store.query(
        "SELECT township_id, unit_id, found_on, resolved_on, converted_on "
        "FROM {p}risk_register WHERE found_on < ?",
        [end],
    )
    found: dict[str, dict[str, int]] = {}

    def add(unit: str | None, name: str) -> None:
        if unit:
            counts = found.setdefault(
                unit, {"risks_found": 0, "risks_resolved": 0, "risks_open": 0}
            )
            counts[name] += 1

    for row in rows:
        if row["found_on"] >= start:
            add(row["township_id"], "risks_found")
        if row["resolved_on"] and start <= row["resolved_on"] < end:
            add(row["unit_id"], "risks_resolved")
        ended = row["resolved_on"] or row["converted_on"]
        if ended is None or ended >= end:
            add(row["unit_id"], "risks_open")
    return found


def accusing_risks(
    store: ViewStore, unit_lineage: Sequence[UUID], ids: Sequence[UUID]
) -> set[UUID]:
    """Those of `ids` that are risks concerning one of `unit_lineage` (hidden there, whatever
    the role: the access log leaves their entries out, as for cases)."""
    if not unit_lineage or not ids:
        return set()
    where = unaccused_filter(unit_lineage)
    hexes = sorted(i.hex for i in ids)
    rows = store.query(
        f"SELECT c.risk_id FROM {{p}}risk_register c WHERE NOT ({where.sql}) "
        f"AND c.risk_id IN ({','.join('?' for _ in hexes)})",
        [*where.params, *hexes],
    )
    return {UUID(row["risk_id"]) for row in rows}
