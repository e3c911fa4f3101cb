"""Queries over the ledger views (台账): search, the same petitioner's cases, current deadlines.

A case whose windows passed unused shows the deadline state `ready_to_close` (期满待办结).

Which rows a viewer may know exist is decided by projections/visibility.py (the SQL twin of
domain/visibility.py); what each row shows them, by projections/disclosure.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from domain import deadlines as clocks
from domain import permissions
from domain.application import Xinfang
from domain.identity import IDENTITY_KINDS
from domain.values import WINDOWS, Actor, ClockEnd, DayUnit, Deadline, Holder, Level, Rule, Status
from domain.visibility import IDENTITY_ROLES
from projections import disclosure
from projections.ledger_tables import bigrams
from projections.names import Names
from projections.sealer import PetitionerSealer
from projections.sql import Where, uuid_of
from projections.store import ViewStore
from projections.visibility import case_filter

COMMON_GRAM = 50_000
"""A bigram held by this many cases is no guide: the search reads every case's text instead."""
PROBED = 8
"""How many of a query's bigrams are counted to find the rarest (each count costs up to ~1 ms
at county scale for a common one, and a query may have 199)."""
FEW_MATCHES = 2_000
"""Up to this many matches a search's page is sorted from them, beyond it the page order is
walked (SQLite; PostgreSQL's planner chooses by its statistics)."""

OBLIGATIONS = tuple(r.value for r in Rule if r not in WINDOWS)
"""Deadlines the office must meet (the windows for a party to act in are not obligations)."""

READY_TO_CLOSE = "ready_to_close"
"""The ledger's deadline state of a case whose windows passed unused (期满待办结)."""
READY_STATUSES = (Status.RESPONDED.value, Status.REVIEWED.value)
READY_WINDOWS = (Rule.REVIEW_WINDOW_30.value, Rule.RECHECK_WINDOW_30.value)
"""A case answered (or reviewed) whose window for asking a review (or recheck) expired unused,
with no deadline of the office still running, waits only for a dispatcher to close it."""

SORTS = {
    "received_on": "received_on, number",
    "-received_on": "received_on DESC, number DESC",
    "number": "number",
    "-number": "number DESC",
    "status": "status, number",
    "updated": "updated_at DESC, number DESC",
}


@dataclass(frozen=True)
class LedgerQuery:
    """Filters, paging and sorting of the ledger."""

    status: tuple[str, ...] = ()
    unit_id: UUID | None = None
    category: str | None = None
    channel: str | None = None
    flag: str | None = None
    overdue: bool | None = None
    q: str | None = None
    received_from: date | None = None
    received_to: date | None = None
    ready_to_close: bool | None = None
    number: str | None = None
    """One case by its number (the pages look a typed number up among the visible cases)."""
    page: int = 1
    page_size: int = 50
    sort: str = "-received_on"


class Ledger:
    """Queries over the ledger views, filtered and disclosed by the rules of domain.md §7."""

    def __init__(self, app: Xinfang, store: ViewStore, sealer: PetitionerSealer) -> None:
        self.app = app
        self.store = store
        self.sealer = sealer

    def visible_to(self, viewer: Actor) -> Where:
        """The rows of `ledger_cases c` the viewer may know exist (projections/visibility.py)."""
        return case_filter(viewer, self.app.lineage(viewer.unit_id))

    def search(
        self, viewer: Actor, query: LedgerQuery, today: date
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of ledger rows and the total matching."""
        where = self.visible_to(viewer)
        if query.status:
            where.add(f"status IN ({','.join('?' for _ in query.status)})", *query.status)
        if query.unit_id is not None:
            where.add("unit_id = ?", query.unit_id.hex)
        if query.number is not None:
            where.add("number = ?", query.number)
        if query.category:
            where.add("category = ?", query.category)
        if query.channel:
            where.add("channel = ?", query.channel)
        if query.flag:
            where.add(
                "c.case_id IN (SELECT case_id FROM {p}ledger_flags WHERE flag = ?)", query.flag
            )
        if query.received_from:
            where.add("received_on >= ?", query.received_from.isoformat())
        if query.received_to:
            where.add("received_on <= ?", query.received_to.isoformat())
        if query.overdue is not None:
            # The earliest due date of a running obligation, kept on the row by the projection
            # (a paused clock is never overdue: its due date moves by the paused days).
            day = today.isoformat()
            if query.overdue:
                where.add("overdue_due < ?", day)
            else:
                where.add("(overdue_due IS NULL OR overdue_due >= ?)", day)
        if query.ready_to_close is not None:
            ready, params = ready_to_close_sql(today)
            where.add(ready if query.ready_to_close else f"NOT ({ready})", *params)
        sqlite = self.store.dialect == "sqlite" and self.store.stored
        text = query.q.lower() if query.q else None
        walked = where.copy()
        if text:
            walked.add(*contains(self.store.dialect, "searchable", text))
        # Two ways to the matches: `walk` tests the case rows (each text read) in an index, `led`
        # starts from the cases of one bigram of the text.
        walk = (_cases(sqlite, query.flag), walked)
        led = walk
        # A text search's candidates: the cases holding the query's rarest bigram
        # (ledger_grams). The past (`as_of`) keeps no bigrams: it reads every text.
        gram = self._rarest_gram(text) if text and self.store.stored else None
        if text and gram is not None:
            by_gram = where.copy()
            by_gram.add("g.gram = ?", gram)
            if len(text) > 2:  # a query of two characters is its own bigram: nothing to test
                by_gram.add(*contains(self.store.dialect, "searchable", text))
            led = (
                f"{{p}}ledger_grams g JOIN {_cases(sqlite, True)} ON c.case_id = g.case_id",
                by_gram,
            )
        source, counted = led
        total = self.store.query(
            f"SELECT COUNT(*) AS n FROM {source} WHERE {counted.sql}", counted.params
        )[0]["n"]
        # A page of few matches is sorted from the matches; of many, the page order is walked
        # (newest first) and stops after the page, testing each case's text on the way.
        cases, where = walk if sqlite and total > FEW_MATCHES else led
        order = SORTS.get(query.sort, SORTS["-received_on"])
        offset = (query.page - 1) * query.page_size
        # The page's keys first, then its rows: the rows skipped by OFFSET are walked in an
        # index (on SQLite by rowid, often without reading the table), not read whole and
        # thrown away (page 100 read 4,950 wide rows to show 50).
        key = "rowid" if sqlite else "case_id"
        rows = self.store.query(
            f"SELECT * FROM {{p}}ledger_cases WHERE {key} IN (SELECT c.{key} FROM "
            f"{cases} WHERE {where.sql} ORDER BY {order} "
            f"LIMIT {int(query.page_size)} OFFSET {int(offset)}) ORDER BY {order}",
            where.params,
        )
        return self.present(viewer, rows, today), int(total)

    def _rarest_gram(self, text: str) -> str | None:
        """The bigram of `text` held by the fewest cases, or None if `text` has none or every
        one of them is so common that reading every case's text costs less."""
        grams = sorted(bigrams(text))
        if not grams:
            return None
        # A long query (a pasted sentence) probes a spread of PROBED of its bigrams, not all.
        grams = grams[:: -(-len(grams) // PROBED)]
        counts = self.store.query(
            "SELECT "
            + ", ".join(
                f"(SELECT COUNT(*) FROM (SELECT 1 FROM {{p}}ledger_grams WHERE gram = ? "
                f"LIMIT {COMMON_GRAM}) t{n}) AS n{n}"
                for n in range(len(grams))
            ),
            grams,
        )[0]
        held, rarest = min((int(counts[f"n{n}"]), gram) for n, gram in enumerate(grams))
        return rarest if held < COMMON_GRAM else None

    def present(
        self, viewer: Actor, rows: Sequence[Mapping[str, Any]], today: date
    ) -> list[dict[str, Any]]:
        """Ledger rows as the viewer may see them (projections/disclosure.py decides what)."""
        deadlines = self._current_deadlines([r["case_id"] for r in rows])
        names = Names(self.app)
        items = []
        for row in rows:
            clocks_of = deadlines.get(row["case_id"], [])
            running = [d for d in clocks_of if d.running and d.rule.value in OBLIGATIONS]
            window = expired_window(row["status"], clocks_of, today)
            current = min(running, key=lambda d: d.due_date) if running else window
            people = self.sealer.open(row["petitioners"])
            sealed = row["sealed_text"]
            item = disclosure.ledger_row(
                viewer,
                row,
                petitioners=people,
                texts=self.sealer.open_text(sealed) if sealed is not None else {},
                deadline=current,
                names=names,
                today=today,
            )
            if window is not None and item["deadline"] is not None:
                item["deadline"]["level"] = READY_TO_CLOSE
            items.append(item)
        return items

    def same_person(
        self, viewer: Actor, identity: Mapping[str, str | None], today: date
    ) -> list[dict[str, Any]]:
        """Earlier cases of the same petitioner (同人), found by name, ID number or phone."""
        permissions.require_role(viewer, IDENTITY_ROLES, "按身份信息查询")
        digests = [
            digest
            for kind in IDENTITY_KINDS
            if (value := identity.get(kind))
            and (digest := self.sealer.digest(kind, value)) is not None
        ]
        if not digests:
            return []
        where = self.visible_to(viewer)
        marks = ",".join("?" for _ in digests)
        where.add(
            f"case_id IN (SELECT case_id FROM {{p}}ledger_identities WHERE digest IN ({marks}))",
            *digests,
        )
        rows = self.store.query(
            f"SELECT * FROM {{p}}ledger_cases c WHERE {where.sql} ORDER BY received_on, number",
            where.params,
        )
        return self.present(viewer, rows, today)

    def _current_deadlines(self, case_ids: Sequence[str]) -> dict[str, list[Deadline]]:
        if not case_ids:
            return {}
        rows = self.store.query(
            "SELECT * FROM {p}ledger_deadlines WHERE current = 1 AND case_id IN ("
            + ",".join("?" for _ in case_ids)
            # In the case's order: of two clocks due the same day, the first is shown (the
            # same on both backends, live and as of a moment).
            + ") ORDER BY case_id, seq",
            list(case_ids),
        )
        found: dict[str, list[Deadline]] = {}
        for row in rows:
            found.setdefault(row["case_id"], []).append(deadline_of(row))
        return found


def _cases(sqlite: bool, by_key: object) -> str:
    """The ledger's case rows as a query reads them; `by_key`: the rows are found by id (a
    flag's cases, a bigram's) rather than walked in an order.

    Without statistics SQLite looks such ids up in the primary key and reads every case's row for
    its date; the covering index gives the date and the accusations with the id (5× faster for
    `flag=`).
    """
    return "{p}ledger_cases c" + (" INDEXED BY ledger_cases_key_order" if sqlite and by_key else "")


def contains(dialect: str, column: str, text: str) -> tuple[str, str]:
    """The condition that `column` holds `text` as a substring, and its parameter.

    The same as `column LIKE '%text%'` with the text's % and _ taken literally (`searchable`
    and the query are both lower-cased, so SQLite's ASCII case folding of LIKE never applies),
    without LIKE's pattern matching: `instr` on SQLite, `strpos` on PostgreSQL.
    """
    function = "instr" if dialect == "sqlite" else "strpos"
    return f"{function}({column}, ?) > 0", text


def ready_to_close_sql(today: date) -> tuple[str, tuple[Any, ...]]:
    """The rows of `ledger_cases c` ready to close on `today` (SQL twin of `expired_window`)."""
    statuses = ",".join("?" for _ in READY_STATUSES)
    windows = ",".join("?" for _ in READY_WINDOWS)
    rules = ",".join("?" for _ in OBLIGATIONS)
    running = (
        "SELECT 1 FROM {p}ledger_deadlines w WHERE w.case_id = c.case_id AND w.current = 1 "
        "AND w.met_on IS NULL"
    )
    clause = (
        f"c.status IN ({statuses}) "
        f"AND EXISTS ({running} AND w.rule IN ({windows}) AND w.due_date < ?) "
        f"AND NOT EXISTS ({running} AND w.rule IN ({rules}))"
    )
    return clause, (*READY_STATUSES, *READY_WINDOWS, today.isoformat(), *OBLIGATIONS)


def expired_window(status: str, deadlines: Sequence[Deadline], today: date) -> Deadline | None:
    """The window that expired unused if the case is ready to close on `today`, else None."""
    if status not in READY_STATUSES:
        return None
    if any(d.running and d.rule.value in OBLIGATIONS for d in deadlines):
        return None
    expired = [
        d
        for d in deadlines
        if d.rule.value in READY_WINDOWS and d.running and clocks.level(d, today) is Level.EXPIRED
    ]
    return min(expired, key=lambda d: d.due_date) if expired else None


def deadline_of(row: Mapping[str, Any]) -> Deadline:
    """A Deadline value from a ledger_deadlines row: how it ended, its pause and extensions."""
    met_on = _date(row["met_on"])
    return Deadline(
        rule=Rule(row["rule"]),
        started_on=date.fromisoformat(row["started_on"]),
        length=row["length"],
        unit=DayUnit(row["unit"]),
        due_date=date.fromisoformat(row["due_date"]),
        provisional=bool(row["provisional"]),
        met_on=met_on,
        met_by=Holder(
            unit_id=uuid_of(row["met_unit_id"]),
            handler_id=uuid_of(row["met_handler_id"]),
            leader_id=uuid_of(row["met_leader_id"]),
        )
        if met_on is not None
        else None,
        key=row["slot"],
        extended_days=row["extended_days"],
        paused_since=_date(row["paused_since"]),
        paused_days=row["paused_days"],
        end=ClockEnd(row["end_kind"]) if row["end_kind"] else None,
    )


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None
