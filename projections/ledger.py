"""The case ledger 台账 and its companions: deadlines, who-held-the-case strips, actor actions.

Rows are derived from the Case aggregate's own state (see CaseStates), so the read side and the
write side apply one logic. Petitioner identity is stored encrypted (AES-GCM, instance key);
accusation content is not copied into the views at all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment

from domain import deadlines as deadlines_mod
from domain import permissions
from domain.application import Xinfang
from domain.cases import Case, local_date
from domain.values import Actor, Category, DayUnit, Deadline, Holder, Petitioner, Role, Rule
from projections.runner import CaseStates, Item, Projection
from projections.store import ViewStore

LEDGER_TABLES = (
    """CREATE TABLE IF NOT EXISTS {p}ledger_cases (
        case_id TEXT PRIMARY KEY, number TEXT NOT NULL, received_on TEXT NOT NULL,
        registered_at TEXT NOT NULL, channel TEXT NOT NULL, category TEXT NOT NULL,
        subject TEXT NOT NULL, searchable TEXT NOT NULL, petitioners {blob} NOT NULL,
        location TEXT, intake_unit_id TEXT, unit_id TEXT, leader_id TEXT, handler_id TEXT,
        status TEXT NOT NULL, mode TEXT NOT NULL, flags TEXT NOT NULL, accused TEXT NOT NULL,
        held TEXT NOT NULL, sponsors TEXT NOT NULL, repeat_count {int} NOT NULL, outcome TEXT,
        dispositions TEXT NOT NULL,
        satisfaction TEXT, resolution TEXT, closed_on TEXT, accepted_on TEXT,
        last_activity_on TEXT NOT NULL, version {int} NOT NULL, updated_at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS ledger_cases_status ON {p}ledger_cases (status)",
    "CREATE INDEX IF NOT EXISTS ledger_cases_unit ON {p}ledger_cases (unit_id)",
    "CREATE INDEX IF NOT EXISTS ledger_cases_received ON {p}ledger_cases (received_on)",
    """CREATE TABLE IF NOT EXISTS {p}ledger_deadlines (
        case_id TEXT NOT NULL, slot TEXT NOT NULL, started_on TEXT NOT NULL, rule TEXT NOT NULL,
        length {int} NOT NULL, unit TEXT NOT NULL, due_date TEXT NOT NULL,
        provisional {int} NOT NULL, met_on TEXT, met_unit_id TEXT, met_handler_id TEXT,
        met_leader_id TEXT, current {int} NOT NULL,
        PRIMARY KEY (case_id, slot, started_on))""",
    "CREATE INDEX IF NOT EXISTS ledger_deadlines_due ON {p}ledger_deadlines (due_date)",
    """CREATE TABLE IF NOT EXISTS {p}ledger_holdings (
        case_id TEXT NOT NULL, seq {int} NOT NULL, unit_id TEXT, handler_id TEXT, leader_id TEXT,
        from_on TEXT NOT NULL, to_on TEXT, PRIMARY KEY (case_id, seq))""",
    """CREATE TABLE IF NOT EXISTS {p}ledger_actions (
        position {bigint} PRIMARY KEY, case_id TEXT NOT NULL, version {int} NOT NULL,
        type TEXT NOT NULL, actor_id TEXT NOT NULL, actor_name TEXT NOT NULL,
        actor_role TEXT NOT NULL, actor_unit_id TEXT, occurred_at TEXT NOT NULL,
        occurred_on TEXT NOT NULL, recorded_at TEXT NOT NULL, reason TEXT, unit_id TEXT,
        handler_id TEXT, leader_id TEXT, prev_unit_id TEXT, detail TEXT)""",
    "CREATE INDEX IF NOT EXISTS ledger_actions_actor ON {p}ledger_actions (actor_id, recorded_at)",
    """CREATE TABLE IF NOT EXISTS {p}ledger_identities (
        digest TEXT NOT NULL, case_id TEXT NOT NULL, kind TEXT NOT NULL,
        PRIMARY KEY (case_id, digest))""",
    "CREATE INDEX IF NOT EXISTS ledger_identities_digest ON {p}ledger_identities (digest)",
)
LEDGER_DROPS = (
    "ledger_cases",
    "ledger_deadlines",
    "ledger_holdings",
    "ledger_actions",
    "ledger_identities",
)

OBLIGATIONS = tuple(
    r.value
    for r in Rule
    if r not in {Rule.REVIEW_WINDOW_30, Rule.RECHECK_WINDOW_30, Rule.OBJECT_5WD}
)
"""Deadlines the office must meet (the petitioner's own windows are not obligations)."""

CASE_COLUMNS = (
    "case_id number received_on registered_at channel category subject searchable petitioners "
    "location intake_unit_id unit_id leader_id handler_id status mode flags accused held "
    "sponsors repeat_count outcome dispositions satisfaction resolution closed_on accepted_on "
    "last_activity_on version updated_at"
).split()


CASE_TOPIC = f"{Case.__module__}:{Case.__qualname__}."
"""Topics of the Case aggregate's events start with this."""


def _chunks(items: Sequence[str], size: int) -> list[Sequence[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _id(value: UUID | None) -> str | None:
    return value.hex if value is not None else None


def _ids(values: Sequence[Any]) -> str:
    """A list stored as `,a,b,` so that `LIKE '%,a,%'` finds a member."""
    return "," + ",".join(str(getattr(v, "value", None) or _id(v)) for v in values) + ","


DETAIL_FIELDS = (
    "kind",
    "outcome",
    "decision",
    "satisfaction",
    "flag",
    "on",
    "days",
    "upheld",
    "leader_id",
    "resolution",
)


def _detail(event: Any) -> str | None:
    """The few event fields the scorecards count by (visit kind, outcome, decision, ...)."""
    found = {name: _scalar(getattr(event, name)) for name in DETAIL_FIELDS if hasattr(event, name)}
    return json.dumps(found, sort_keys=True) if found else None


def _scalar(value: Any) -> Any:
    if isinstance(value, UUID):
        return value.hex
    return getattr(value, "value", value)


def _day(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return local_date(value).isoformat()
    return value.isoformat()


IDENTITY_KINDS = ("name", "id_number", "phone")


def normalise(kind: str, value: str) -> str:
    """The comparable form of a name, ID number or phone (同人 matching)."""
    text = unicodedata.normalize("NFKC", value).strip()
    if kind == "phone":
        digits = "".join(ch for ch in text if ch.isdigit())
        return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits
    if kind == "id_number":
        return "".join(text.split()).upper()
    return "".join(text.split())


class PetitionerSealer:
    """Keeps petitioner identity out of the read models in clear.

    Identity is stored encrypted (AES-GCM, the instance key); repeat petitioners (同人) are found
    through keyed hashes (HMAC-SHA256) of the normalised name, ID number and phone.
    """

    def __init__(self, key: str) -> None:
        self.cipher = AESCipher(Environment(env={"CIPHER_KEY": key}))
        self._hmac_key = hmac.new(
            base64.b64decode(key), b"xinfang:identity-index", hashlib.sha256
        ).digest()

    def digest(self, kind: str, value: str) -> str | None:
        """The keyed hash of one identity value (None for a blank one)."""
        normal = normalise(kind, value)
        if not normal:
            return None
        message = f"{kind}:{normal}".encode()
        return hmac.new(self._hmac_key, message, hashlib.sha256).hexdigest()

    def digests(self, petitioners: Sequence[Petitioner]) -> set[tuple[str, str]]:
        """(digest, kind) of every identity value of the petitioners."""
        found = set()
        for person in petitioners:
            for kind in IDENTITY_KINDS:
                value = getattr(person, kind)
                digest = self.digest(kind, value) if value else None
                if digest:
                    found.add((digest, kind))
        return found

    @staticmethod
    def redact(text: str, petitioners: Sequence[Petitioner]) -> str:
        """`text` with every petitioner's name, ID number and phone blanked out."""
        for person in petitioners:
            for kind in IDENTITY_KINDS:
                value = getattr(person, kind)
                if value and value.strip():
                    text = text.replace(value.strip(), "＊")
        return text

    def seal(self, petitioners: Sequence[Petitioner]) -> bytes:
        """Encrypt the petitioners."""
        plain = json.dumps([asdict(p) for p in petitioners], ensure_ascii=False)
        return self.cipher.encrypt(plain.encode())

    def open(self, sealed: bytes) -> list[Petitioner]:
        """Decrypt the petitioners."""
        return [Petitioner(**p) for p in json.loads(self.cipher.decrypt(bytes(sealed)))]


class LedgerProjection(Projection):
    """Maintains ledger_cases, ledger_deadlines, ledger_holdings and ledger_actions."""

    name = "ledger"
    tables = LEDGER_TABLES
    drops = LEDGER_DROPS

    def __init__(self, app: Xinfang, sealer: PetitionerSealer) -> None:
        self.states = CaseStates(app)
        self.sealer = sealer

    def apply(self, store: ViewStore, cursor: Any, batch: Sequence[Item]) -> None:
        """Advance the touched cases through the batch; write their rows once each."""
        touched: dict[UUID, Case] = {}
        active_on: dict[UUID, str] = {}
        changes: dict[UUID, list[tuple[Holder, str, bool]]] = {}
        actions: list[tuple[Any, ...]] = []
        for item in batch:
            # Other aggregates' events (directory, requests, bulletins) are not even decoded.
            if not item.notification.topic.startswith(CASE_TOPIC):
                continue
            advanced = self.states.advance(item.event)
            if advanced is None:
                continue
            case = advanced.case
            touched[case.id] = case
            event: Any = item.event
            day = _day(event.occurred_at) or ""
            # Progress counts when it happened (business time), not when it was typed in.
            active_on[case.id] = max(active_on.get(case.id, ""), day)
            actions.append(
                (
                    item.position,
                    case.id.hex,
                    event.originator_version,
                    type(event).__name__,
                    event.actor.id.hex,
                    event.actor.name,
                    event.actor.role.value,
                    _id(event.actor.unit_id),
                    event.occurred_at.isoformat(),
                    day,
                    event.timestamp.isoformat(),
                    # Staff may name the petitioner in a reason: the views keep no identity.
                    self.sealer.redact(event.reason, case.petitioners) if event.reason else None,
                    _id(case.unit_id),
                    _id(case.handler_id),
                    _id(case.leader_id),
                    _id(advanced.holder_before.unit_id) if advanced.holder_before else None,
                    _detail(event),
                )
            )
            if advanced.holder_before != case.holder:
                is_new = advanced.holder_before is None
                changes.setdefault(case.id, []).append((case.holder, day, is_new))
        # A write first: on SQLite a transaction that starts by reading cannot later write if
        # another process wrote meanwhile ("database is locked" instead of waiting its turn).
        store.run_many(
            cursor,
            "INSERT INTO {p}ledger_actions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            actions,
        )
        self._write_holdings(store, cursor, changes)
        self._write_cases(store, cursor, touched, active_on)

    @staticmethod
    def _write_holdings(
        store: ViewStore, cursor: Any, changes: dict[UUID, list[tuple[Holder, str, bool]]]
    ) -> None:
        """Close each case's open holding interval and add the new ones (who held it, when)."""
        known = [case_id.hex for case_id, steps in changes.items() if not steps[0][2]]
        last_seq: dict[str, int] = {}
        for chunk in _chunks(known, 500):
            rows = store.fetch(
                cursor,
                "SELECT case_id, MAX(seq) AS seq FROM {p}ledger_holdings WHERE case_id IN ("
                + ",".join("?" for _ in chunk)
                + ") GROUP BY case_id",
                chunk,
            )
            last_seq.update({row["case_id"]: int(row["seq"]) for row in rows})
        closing, opening = [], []
        for case_id, steps in changes.items():
            seq = last_seq.get(case_id.hex, 0)
            if seq:
                closing.append((steps[0][1], case_id.hex))
            for index, (holder, since, _) in enumerate(steps):
                seq += 1
                until = steps[index + 1][1] if index + 1 < len(steps) else None
                opening.append(
                    (
                        case_id.hex,
                        seq,
                        _id(holder.unit_id),
                        _id(holder.handler_id),
                        _id(holder.leader_id),
                        since,
                        until,
                    )
                )
        store.run_many(
            cursor,
            "UPDATE {p}ledger_holdings SET to_on = ? WHERE case_id = ? AND to_on IS NULL",
            closing,
        )
        store.run_many(cursor, "INSERT INTO {p}ledger_holdings VALUES (?,?,?,?,?,?,?)", opening)

    def _write_cases(
        self,
        store: ViewStore,
        cursor: Any,
        cases: dict[UUID, Case],
        active_on: dict[UUID, str],
    ) -> None:
        """Upsert the rows of the touched cases and replace their deadlines and identities."""
        if not cases:
            return
        placeholders = ",".join("?" for _ in CASE_COLUMNS)
        updates = ",".join(
            f"{c} = excluded.{c}" for c in CASE_COLUMNS[1:] if c != "last_activity_on"
        )
        # The latest business date of any event so far: a late entry never moves it back.
        updates += (
            ", last_activity_on = CASE WHEN excluded.last_activity_on > "
            "ledger_cases.last_activity_on THEN excluded.last_activity_on "
            "ELSE ledger_cases.last_activity_on END"
        )
        rows, deadlines, identities = [], [], []
        for case_id, case in cases.items():
            row = {**self.case_row(case), "last_activity_on": active_on[case_id]}
            rows.append([row[c] for c in CASE_COLUMNS])
            deadlines += [self._deadline_row(case, d, current=False) for d in case.past_deadlines]
            deadlines += [
                self._deadline_row(case, d, current=True) for d in case.deadlines.values()
            ]
            identities += [
                (digest, case_id.hex, kind)
                for digest, kind in sorted(self.sealer.digests(case.petitioners))
            ]
        keys = [(case_id.hex,) for case_id in cases]
        store.run_many(
            cursor,
            f"INSERT INTO {{p}}ledger_cases ({','.join(CASE_COLUMNS)}) VALUES ({placeholders}) "
            f"ON CONFLICT (case_id) DO UPDATE SET {updates}",
            rows,
        )
        store.run_many(cursor, "DELETE FROM {p}ledger_deadlines WHERE case_id = ?", keys)
        store.run_many(
            cursor, "INSERT INTO {p}ledger_deadlines VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", deadlines
        )
        store.run_many(cursor, "DELETE FROM {p}ledger_identities WHERE case_id = ?", keys)
        store.run_many(cursor, "INSERT INTO {p}ledger_identities VALUES (?,?,?)", identities)

    @staticmethod
    def _deadline_row(case: Case, d: Deadline, *, current: bool) -> tuple[Any, ...]:
        met = d.met_by
        return (
            case.id.hex,
            d.name,
            d.started_on.isoformat(),
            d.rule.value,
            d.length,
            d.unit.value,
            d.due_date.isoformat(),
            int(d.provisional),
            _day(d.met_on),
            _id(met.unit_id) if met else None,
            _id(met.handler_id) if met else None,
            _id(met.leader_id) if met else None,
            int(current),
        )

    def case_row(self, case: Case) -> dict[str, Any]:
        """The ledger row of a case (petitioners sealed, accusation content left out).

        `last_activity_on` is not a state of the case: the projection adds it from the events.
        """
        searchable = case.subject
        if case.category is not Category.ACCUSATION:
            searchable = f"{case.subject}\n{case.content}"
        searchable = self.sealer.redact(searchable, case.petitioners)
        accepted = case.deadlines.get("handle_60")
        return {
            "case_id": case.id.hex,
            "number": case.number,
            "received_on": _day(case.registered_at),
            "registered_at": case.registered_at.isoformat(),
            "channel": case.channel.value,
            "category": case.category.value,
            "subject": case.subject,
            "searchable": searchable.lower(),
            "petitioners": self.sealer.seal(case.petitioners),
            "location": case.location,
            "intake_unit_id": _id(case.intake_unit_id),
            "unit_id": _id(case.unit_id),
            "leader_id": _id(case.leader_id),
            "handler_id": _id(case.handler_id),
            "status": case.status.value,
            "mode": case.mode,
            "flags": _ids(case.flags),
            "accused": _ids(case.accused_unit_ids),
            "held": _ids(case.held_unit_ids),
            "sponsors": _ids(case.sponsor_ids),
            "repeat_count": case.repeat_count,
            "outcome": case.outcome.value if case.outcome else None,
            "dispositions": _ids(case.dispositions),
            "satisfaction": case.satisfaction.value if case.satisfaction else None,
            "resolution": case.resolution.value if case.resolution else None,
            "closed_on": _day(case.closed_at),
            "accepted_on": accepted.started_on.isoformat() if accepted else None,
            "version": case.version,
            "updated_at": case.updated_at.isoformat(),
        }


# -- queries -----------------------------------------------------------------------------------
SORTS = {
    "received_on": "received_on, number",
    "-received_on": "received_on DESC, number DESC",
    "number": "number",
    "-number": "number DESC",
    "status": "status, number",
    "updated": "updated_at DESC",
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
    page: int = 1
    page_size: int = 50
    sort: str = "-received_on"


@dataclass
class Where:
    """A WHERE clause under construction."""

    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, clause: str, *params: Any) -> None:
        """AND one more condition."""
        self.clauses.append(clause)
        self.params.extend(params)

    @property
    def sql(self) -> str:
        """The clause, or always-true."""
        return " AND ".join(f"({c})" for c in self.clauses) or "1=1"


def literal(text: str) -> str:
    """`text` for a LIKE pattern with `ESCAPE '\\'`: its % and _ match only themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def member(value: UUID | str) -> str:
    """A LIKE pattern for one member of a `,a,b,` list column."""
    return f"%,{value.hex if isinstance(value, UUID) else value},%"


class Ledger:
    """Queries over the ledger views, with the visibility and masking rules of domain.md §7."""

    def __init__(self, app: Xinfang, store: ViewStore, sealer: PetitionerSealer) -> None:
        self.app = app
        self.store = store
        self.sealer = sealer

    def visibility(self, viewer: Actor) -> Where:
        """Rows the viewer may know exist (mirrors domain.permissions.can_see).

        Columns are those of ledger_cases under the alias `c`, as every query joins it.
        """
        where = Where()
        for unit_id in self.app.lineage(viewer.unit_id):
            where.add("c.accused NOT LIKE ?", member(unit_id))
        if viewer.role in permissions.SEE_ALL:
            return where
        mine = viewer.unit_id.hex if viewer.unit_id else "-"
        if viewer.role is Role.LEADER:
            where.add("c.sponsors LIKE ? OR c.held LIKE ?", member(viewer.id), member(mine))
        elif viewer.role in permissions.UNIT:
            where.add(
                "COALESCE(c.unit_id, c.intake_unit_id) = ? OR c.held LIKE ?", mine, member(mine)
            )
        else:
            where.add("1=0")
        return where

    @staticmethod
    def sees_identity(viewer: Actor, row: Mapping[str, Any]) -> bool:
        """Whether the viewer sees this row's petitioners unmasked (domain.permissions)."""
        return permissions.identity_shown(
            viewer,
            responsible=_uuid(row["unit_id"] or row["intake_unit_id"]),
            sponsor=_uuid(row["leader_id"]),
        )

    def search(
        self, viewer: Actor, query: LedgerQuery, today: date
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of ledger rows and the total matching."""
        where = self.visibility(viewer)
        if query.status:
            where.add(f"status IN ({','.join('?' for _ in query.status)})", *query.status)
        if query.unit_id is not None:
            where.add("unit_id = ?", query.unit_id.hex)
        if query.category:
            where.add("category = ?", query.category)
        if query.channel:
            where.add("channel = ?", query.channel)
        if query.flag:
            where.add("flags LIKE ?", member(query.flag))
        if query.q:
            where.add("searchable LIKE ? ESCAPE '\\'", f"%{literal(query.q.lower())}%")
        if query.received_from:
            where.add("received_on >= ?", query.received_from.isoformat())
        if query.received_to:
            where.add("received_on <= ?", query.received_to.isoformat())
        if query.overdue is not None:
            rules = ",".join("?" for _ in OBLIGATIONS)
            exists = (
                "EXISTS (SELECT 1 FROM {p}ledger_deadlines d WHERE d.case_id = c.case_id "
                "AND d.current = 1 AND d.met_on IS NULL AND d.due_date < ? "
                f"AND d.rule IN ({rules}))"
            )
            where.add(exists if query.overdue else f"NOT {exists}", today.isoformat(), *OBLIGATIONS)
        total = self.store.query(
            f"SELECT COUNT(*) AS n FROM {{p}}ledger_cases c WHERE {where.sql}", where.params
        )[0]["n"]
        order = SORTS.get(query.sort, SORTS["-received_on"])
        offset = (query.page - 1) * query.page_size
        rows = self.store.query(
            f"SELECT * FROM {{p}}ledger_cases c WHERE {where.sql} ORDER BY {order} "
            f"LIMIT {int(query.page_size)} OFFSET {int(offset)}",
            where.params,
        )
        return self.present(viewer, rows, today), int(total)

    def present(
        self, viewer: Actor, rows: Sequence[Mapping[str, Any]], today: date
    ) -> list[dict[str, Any]]:
        """Ledger rows as the viewer may see them (identity masked per domain.md §7)."""
        deadlines = self._current_deadlines([r["case_id"] for r in rows])
        names = Names(self.app)
        items = []
        for row in rows:
            people = self.sealer.open(row["petitioners"])
            sees = self.sees_identity(viewer, row)
            if not sees:
                people = [p.masked() for p in people]
            mine = deadlines.get(row["case_id"], [])
            running = [d for d in mine if d.met_on is None and d.rule.value in OBLIGATIONS]
            current = min(running, key=lambda d: d.due_date) if running else None
            items.append(
                {
                    "case_id": UUID(row["case_id"]),
                    "number": row["number"],
                    "received_on": row["received_on"],
                    "channel": row["channel"],
                    "category": row["category"],
                    "petitioners": [asdict(p) for p in people],
                    "identity_masked": not sees,
                    "subject": row["subject"],
                    "location": row["location"],
                    "unit_id": _uuid(row["unit_id"]),
                    "unit_name": names.unit(row["unit_id"]),
                    "leader_id": _uuid(row["leader_id"]),
                    "leader_name": names.user(row["leader_id"]),
                    "handler_id": _uuid(row["handler_id"]),
                    "handler_name": names.user(row["handler_id"]),
                    "status": row["status"],
                    "deadline": None
                    if current is None
                    else {
                        "rule": current.rule.value,
                        "due_date": current.due_date.isoformat(),
                        "level": deadlines_mod.level(current, today).value,
                        "provisional": current.provisional,
                        "days_over": deadlines_mod.days_over(current, today),
                    },
                    "flags": _members(row["flags"]),
                    "repeat_count": row["repeat_count"],
                    "outcome": row["outcome"],
                    "dispositions": _members(row["dispositions"]),
                    "satisfaction": row["satisfaction"],
                    "resolution": row["resolution"],
                    "closed_on": row["closed_on"],
                    "version": row["version"],
                }
            )
        return items

    def same_person(
        self, viewer: Actor, identity: Mapping[str, str | None], today: date
    ) -> list[dict[str, Any]]:
        """Earlier cases of the same petitioner (同人), found by name, ID number or phone."""
        permissions.require_role(viewer, permissions.IDENTITY_ROLES, "search by identity")
        digests = [
            digest
            for kind in IDENTITY_KINDS
            if (value := identity.get(kind))
            and (digest := self.sealer.digest(kind, value)) is not None
        ]
        if not digests:
            return []
        where = self.visibility(viewer)
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
            + ")",
            list(case_ids),
        )
        found: dict[str, list[Deadline]] = {}
        for row in rows:
            found.setdefault(row["case_id"], []).append(deadline_of(row))
        return found


def deadline_of(row: Mapping[str, Any]) -> Deadline:
    """A Deadline value from a ledger_deadlines row."""
    return Deadline(
        rule=Rule(row["rule"]),
        started_on=date.fromisoformat(row["started_on"]),
        length=row["length"],
        unit=DayUnit(row["unit"]),
        due_date=date.fromisoformat(row["due_date"]),
        provisional=bool(row["provisional"]),
        met_on=date.fromisoformat(row["met_on"]) if row["met_on"] else None,
        key=row["slot"],
    )


def _uuid(hex_id: str | None) -> UUID | None:
    return UUID(hex_id) if hex_id else None


def _members(column: str) -> list[str]:
    return [v for v in column.strip(",").split(",") if v]


class Names:
    """Display names of units and users, looked up once per request."""

    def __init__(self, app: Xinfang) -> None:
        self.app = app
        self._cache: dict[str, str | None] = {}

    def _name(self, hex_id: str | None) -> str | None:
        if not hex_id:
            return None
        if hex_id not in self._cache:
            try:
                item: object = self.app.repository.get(UUID(hex_id))
                self._cache[hex_id] = getattr(item, "name", None)
            except AggregateNotFoundError:
                self._cache[hex_id] = None
        return self._cache[hex_id]

    def unit(self, hex_id: str | None) -> str | None:
        """A unit's name."""
        return self._name(hex_id)

    def user(self, hex_id: str | None) -> str | None:
        """A user's name."""
        return self._name(hex_id)
