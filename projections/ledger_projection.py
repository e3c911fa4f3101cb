"""The ledger projection: writes the case rows, deadlines, holdings, actions and identity hashes.

Rows are derived from the Case aggregate's own state (see CaseStates), so the read side and the
write side apply one logic. Petitioner identity is stored encrypted (AES-GCM, instance key);
accusation content is not copied into the views at all.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import OperationalError, ProgrammingError

from domain.application import Xinfang
from domain.cases import Case, local_date
from domain.values import WINDOWS, Category, Deadline, Holder
from projections.case_views import STATE_QUERY, decode, state_row
from projections.ledger_tables import (
    CASE_COLUMNS,
    HOLDING_COLUMNS,
    LEDGER_DROPS,
    LEDGER_TABLES,
    bigrams,
)
from projections.runner import CaseStates, Item, Projection
from projections.sealer import PetitionerSealer
from projections.sql import hex_id, id_list, members
from projections.store import ViewStore
from projections.temporal import versions

logger = logging.getLogger(__name__)


def stored_kind(event_class: type) -> str:
    """The kind an action of this event class is stored under in ledger_actions.type."""
    return event_class.__name__


CASE_TOPIC = f"{Case.__module__}:{Case.__qualname__}."
"""Topics of the Case aggregate's events start with this."""


SHAPE_PROBES = (
    ("ledger_cases", "sealed_text, overdue_due"),
    ("ledger_flags", "flag, case_id"),
    ("ledger_deadlines", "seq, end_kind, paused_since"),
    ("ledger_holdings", "ongoing, by_id"),
    ("ledger_cases_history", "valid_from, valid_to"),
    ("ledger_grams", "gram, case_id"),
)
"""Columns of the present shape of the tables (absent from a ledger of an earlier release)."""


HISTORY_MARKS = ",".join("?" * (len(CASE_COLUMNS) + 2))
"""The parameters of a ledger_cases_history row: the case row, valid_from, valid_to."""


@dataclass(frozen=True)
class Version:
    """A case's rows after one event: what the history keeps (docs/read-side.md)."""

    position: int
    row: list[Any]
    """The ledger_cases row (CASE_COLUMNS), `last_activity_on` as of the batch so far."""
    deadlines: dict[int, tuple[Any, ...]]
    """The ledger_deadlines rows by `seq`."""
    flags: dict[str, tuple[Any, ...]]
    """The ledger_flags rows by flag."""


@dataclass(frozen=True)
class Step:
    """Who held a case after one event, whether it was still open, when, and who acted."""

    holder: Holder
    ongoing: bool
    day: str
    by: str
    new: bool
    position: int
    """The log position of the event."""

    @property
    def state(self) -> tuple[Any, ...]:
        """What a holding interval records: unit, handler, sponsor (hex ids) and openness."""
        h = self.holder
        return (hex_id(h.unit_id), hex_id(h.handler_id), hex_id(h.leader_id), self.ongoing)


def _chunks(items: Sequence[str], size: int) -> list[Sequence[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


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


def case_topics() -> tuple[str, ...]:
    """The stored topics of every event class of the Case aggregate."""
    return tuple(
        sorted(
            f"{CASE_TOPIC}{name}"
            for name in dir(Case)
            if isinstance(getattr(Case, name), type)
            and issubclass(getattr(Case, name), Case.Event | Case.Registered)
        )
    )


class LedgerProjection(Projection):
    """Maintains ledger_cases, ledger_deadlines, ledger_holdings and ledger_actions."""

    name = "ledger"
    tables = LEDGER_TABLES
    drops = LEDGER_DROPS
    topics = case_topics()

    def __init__(self, app: Xinfang, sealer: PetitionerSealer, *, history: bool = True) -> None:
        self.states = CaseStates(app)
        self.history = history
        """Whether the history tables are written (`as_of`); a replay's scratch views leave
        them empty."""
        self.sealer = sealer
        self.defer_states = False
        """A rebuild share sets this: each case's state row is written once, at the end
        (`write_deferred_states`), not after every batch that touched the case."""
        self._deferred: dict[UUID, Case] = {}
        self._sealed: dict[UUID, tuple[tuple[Any, ...], dict[str, Any]]] = {}
        """The redacted and sealed columns of the cases of the batch under way (`_texts`)."""

    def write_deferred_states(self, store: ViewStore, cursor: Any) -> None:
        """Write the state rows held back by `defer_states`."""
        self._write_states(store, cursor, self._deferred)
        self._deferred = {}

    def _write_states(self, store: ViewStore, cursor: Any, cases: dict[UUID, Case]) -> None:
        store.run_many(
            cursor,
            "INSERT INTO {p}ledger_case_states VALUES (?,?,?,?) ON CONFLICT (case_id) DO UPDATE "
            "SET version = excluded.version, topic = excluded.topic, state = excluded.state",
            [state_row(self.states.app.mapper, case) for case in cases.values()],
        )

    def _held(self, store: ViewStore, cursor: Any, case_id: UUID) -> Case | None:
        """The case as the case view holds it, read in the batch's transaction."""
        rows = store.fetch(cursor, STATE_QUERY, [case_id.hex])
        if not rows:
            return None
        try:
            return decode(self.states.app.mapper, case_id, rows[0])
        except Exception:
            # A row that fails its integrity check: the case is replayed from the log instead.
            logger.warning("case view row of %s unreadable; replaying the case", case_id)
            return None

    def create(self, store: ViewStore) -> None:
        """Create the tables; tables of an older shape are dropped first, to be rebuilt.

        The views are derived from the log: a ledger written by an earlier release (before every
        clock was kept with its end kind) is emptied with its position in one transaction, and
        catching up rebuilds it.
        """
        try:
            with store.transaction() as cursor:
                for table, columns in SHAPE_PROBES:
                    store.run(cursor, f"SELECT {columns} FROM {{p}}{table} WHERE 1 = 0")
        except (OperationalError, ProgrammingError):  # no ledger yet, or one of an older shape
            # Probed first: an index of the present shape cannot be made on an older table.
            self.drop(store)
        super().create(store)

    def apply(self, store: ViewStore, cursor: Any, batch: Sequence[Item]) -> None:
        """Advance the touched cases through the batch; write their rows once each."""
        touched: dict[UUID, Case] = {}

        def held(case_id: UUID) -> Case | None:
            return self._held(store, cursor, case_id)

        active_on: dict[UUID, str] = {}
        steps: dict[UUID, list[Step]] = {}
        actions: list[tuple[Any, ...]] = []
        earlier: dict[UUID, list[Version]] = {}
        """The versions of cases with several events in the batch, but for the last."""
        last_at: dict[UUID, int] = {}
        for item in batch:
            # Other aggregates' events (directory, requests, bulletins) are not even decoded.
            if not item.notification.topic.startswith(CASE_TOPIC):
                continue
            before = touched.get(item.event.originator_id)
            if before is not None and self.history:
                # The case's state after its previous event of this batch, before this one
                # changes it in place: the history keeps every version, not one per batch.
                earlier.setdefault(before.id, []).append(
                    self._version(before, last_at[before.id], active_on[before.id])
                )
            advanced = self.states.advance(item.event, held)
            if advanced is None:
                continue
            case = advanced.case
            touched[case.id] = case
            last_at[case.id] = item.position
            event: Any = item.event
            day = _day(event.occurred_at) or ""
            # Progress counts when it happened (business time), not when it was typed in.
            active_on[case.id] = max(active_on.get(case.id, ""), day)
            actions.append(
                (
                    item.position,
                    case.id.hex,
                    event.originator_version,
                    stored_kind(type(event)),
                    event.actor.id.hex,
                    event.actor.name,
                    event.actor.role.value,
                    hex_id(event.actor.unit_id),
                    event.occurred_at.isoformat(),
                    day,
                    event.timestamp.isoformat(),
                    # Staff may name the petitioner in a reason: the views keep no identity.
                    self.sealer.redact(event.reason, case.petitioners) if event.reason else None,
                    hex_id(case.unit_id),
                    hex_id(case.handler_id),
                    hex_id(case.leader_id),
                    hex_id(advanced.holder_before.unit_id) if advanced.holder_before else None,
                    _detail(event),
                )
            )
            steps.setdefault(case.id, []).append(
                Step(
                    holder=case.holder,
                    ongoing=not case.is_terminal,
                    day=day,
                    by=event.actor.id.hex,
                    new=advanced.holder_before is None,
                    position=item.position,
                )
            )
        # A write first: on SQLite a transaction that starts by reading cannot later write if
        # another process wrote meanwhile ("database is locked" instead of waiting its turn).
        store.run_many(
            cursor,
            "INSERT INTO {p}ledger_actions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            actions,
        )
        self._write_holdings(store, cursor, steps, history=self.history)
        final = {
            case_id: self._version(case, last_at[case_id], active_on[case_id])
            for case_id, case in touched.items()
        }
        new = {case_id for case_id, seen in steps.items() if seen[0].new}
        live = self._live_rows(store, cursor, [key.hex for key in final if key not in new])
        if self.history:
            self._write_history(store, cursor, earlier, final, new, live=live)
        self._write_grams(store, cursor, final, live)
        self._write_cases(store, cursor, touched, final)
        self._sealed.clear()

    def _version(self, case: Case, position: int, active_on: str) -> Version:
        """The case's rows as they stand (after its event at `position`)."""
        row = {**self.case_row(case), "last_activity_on": active_on}
        # Every clock the case ran: the past ones (superseded, transferred...) first.
        clocks = [(d, False) for d in case.past_deadlines]
        clocks += [(d, True) for d in case.deadlines.values()]
        deadlines = [
            self._deadline_row(case, seq, d, current=current)
            for seq, (d, current) in enumerate(clocks, start=1)
        ]
        return Version(
            position=position,
            row=[row[c] for c in CASE_COLUMNS],
            deadlines={d[1]: d for d in deadlines},
            flags={flag: (flag, case.id.hex) for flag in members(id_list(case.flags))},
        )

    @staticmethod
    def _live_rows(
        store: ViewStore, cursor: Any, known: Sequence[str]
    ) -> dict[str, Mapping[str, Any]]:
        """What the history and the bigram index compare with in the live case rows of the
        batch's cases that have one (read once, before the batch writes them), by case id."""
        rows: dict[str, Mapping[str, Any]] = {}
        for chunk in _chunks(known, 500):
            marks = ",".join("?" for _ in chunk)
            for found in store.fetch(
                cursor,
                "SELECT case_id, last_activity_on, flags, searchable FROM {p}ledger_cases "
                f"WHERE case_id IN ({marks})",
                chunk,
            ):
                rows[found["case_id"]] = found
        return rows

    @staticmethod
    def _write_history(
        store: ViewStore,
        cursor: Any,
        earlier: dict[UUID, list[Version]],
        final: dict[UUID, Version],
        new: set[UUID],
        *,
        live: Mapping[str, Mapping[str, Any]],
    ) -> None:
        """Add the versions of the batch's cases to the history tables, closing those they
        replace (`live`: the live rows, read before the batch writes them)."""
        known = [case_id.hex for case_id in final if case_id not in new]
        activity = {key: row["last_activity_on"] for key, row in live.items()}
        flags = {key: {f: (f, key) for f in members(row["flags"])} for key, row in live.items()}
        deadlines: dict[str, dict[int, tuple[Any, ...]]] = {}
        for chunk in _chunks(known, 500):
            marks = ",".join("?" for _ in chunk)
            for found in store.fetch(
                cursor, f"SELECT * FROM {{p}}ledger_deadlines WHERE case_id IN ({marks})", chunk
            ):
                values = tuple(found.values())
                deadlines.setdefault(found["case_id"], {})[int(found["seq"])] = values
        at = CASE_COLUMNS.index("last_activity_on")
        case_closes: list[tuple[Any, ...]] = []
        case_rows: list[list[Any]] = []
        deadline_closes: list[tuple[Any, ...]] = []
        deadline_rows: list[list[Any]] = []
        flag_closes: list[tuple[Any, ...]] = []
        flag_rows: list[list[Any]] = []
        for case_id, last in final.items():
            key = case_id.hex
            seen = [*earlier.get(case_id, []), last]
            if case_id not in new:
                case_closes.append((seen[0].position, key))
            # The latest business date of any event so far, as the live row keeps it.
            latest = activity.get(key, "")
            for index, version in enumerate(seen):
                row = list(version.row)
                latest = max(latest, row[at])
                row[at] = latest
                following = seen[index + 1].position if index + 1 < len(seen) else None
                case_rows.append([*row, version.position, following])
            ended, added = versions(
                deadlines.get(key, {}), [(v.position, v.deadlines) for v in seen]
            )
            deadline_closes += [(position, key, seq) for position, seq in ended]
            deadline_rows += added
            unflagged, flagged = versions(flags.get(key, {}), [(v.position, v.flags) for v in seen])
            flag_closes += [(position, flag, key) for position, flag in unflagged]
            flag_rows += flagged
        store.run_many(
            cursor,
            "UPDATE {p}ledger_cases_history SET valid_to = ? "
            "WHERE case_id = ? AND valid_to IS NULL",
            case_closes,
        )
        store.run_many(
            cursor,
            f"INSERT INTO {{p}}ledger_cases_history VALUES ({HISTORY_MARKS})",
            case_rows,
        )
        store.run_many(
            cursor,
            "UPDATE {p}ledger_deadlines_history SET valid_to = ? "
            "WHERE case_id = ? AND seq = ? AND valid_to IS NULL",
            deadline_closes,
        )
        store.run_many(
            cursor,
            "INSERT INTO {p}ledger_deadlines_history "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            deadline_rows,
        )
        store.run_many(
            cursor,
            "UPDATE {p}ledger_flags_history SET valid_to = ? "
            "WHERE flag = ? AND case_id = ? AND valid_to IS NULL",
            flag_closes,
        )
        store.run_many(cursor, "INSERT INTO {p}ledger_flags_history VALUES (?,?,?,?)", flag_rows)

    @staticmethod
    def _write_holdings(
        store: ViewStore, cursor: Any, steps: dict[UUID, list[Step]], *, history: bool
    ) -> None:
        """Close each case's open holding interval where its holder or openness changed, and
        add the new intervals (who held it, when, still open or not, who moved it there)."""
        known = [case_id.hex for case_id, seen in steps.items() if not seen[0].new]
        last: dict[str, tuple[int, tuple[Any, ...]]] = {}
        open_rows: dict[str, Mapping[str, Any]] = {}
        for chunk in _chunks(known, 500):
            rows = store.fetch(
                cursor,
                "SELECT h.* FROM {p}ledger_holdings h WHERE h.to_on IS NULL AND h.case_id IN ("
                + ",".join("?" for _ in chunk)
                + ")",
                chunk,
            )
            for row in rows:
                held = (row["unit_id"], row["handler_id"], row["leader_id"], bool(row["ongoing"]))
                last[row["case_id"]] = (int(row["seq"]), held)
                open_rows[row["case_id"]] = row
        closing, opening = [], []
        # The history (docs/read-side.md): an interval's version while open, then once closed.
        closes: list[tuple[Any, ...]] = []
        versions_added: list[tuple[Any, ...]] = []
        for case_id, seen in steps.items():
            seq, state = last.get(case_id.hex, (0, ()))
            changes: list[tuple[tuple[Any, ...], Step]] = []
            for step in seen:
                now = step.state
                if now != state:
                    changes.append((now, step))
                    state = now
            if not changes:
                continue
            if seq:
                first = changes[0][1]
                closing.append((first.day, case_id.hex))
                closes.append((first.position, case_id.hex, seq))
                held_row = open_rows[case_id.hex]
                closed = [held_row[c] for c in HOLDING_COLUMNS[:-1]]
                versions_added.append((*closed, first.day, first.position, None))
            for index, (now, step) in enumerate(changes):
                seq += 1
                after = changes[index + 1][1] if index + 1 < len(changes) else None
                until = after.day if after is not None else None
                opening.append((case_id.hex, seq, *now[:3], int(now[3]), step.by, step.day, until))
                values = (case_id.hex, seq, *now[:3], int(now[3]), step.by, step.day)
                if after is None:
                    versions_added.append((*values, None, step.position, None))
                else:
                    versions_added.append((*values, None, step.position, after.position))
                    versions_added.append((*values, after.day, after.position, None))
        store.run_many(
            cursor,
            "UPDATE {p}ledger_holdings SET to_on = ? WHERE case_id = ? AND to_on IS NULL",
            closing,
        )
        store.run_many(cursor, "INSERT INTO {p}ledger_holdings VALUES (?,?,?,?,?,?,?,?,?)", opening)
        if history:
            store.run_many(
                cursor,
                "UPDATE {p}ledger_holdings_history SET valid_to = ? "
                "WHERE case_id = ? AND seq = ? AND valid_to IS NULL",
                closes,
            )
            store.run_many(
                cursor,
                "INSERT INTO {p}ledger_holdings_history VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                versions_added,
            )

    @staticmethod
    def _write_grams(
        store: ViewStore,
        cursor: Any,
        final: dict[UUID, Version],
        live: Mapping[str, Mapping[str, Any]],
    ) -> None:
        """Index the search text of the new cases and of those whose text changed (its
        bigrams, ledger_grams), compared with the `live` rows read before the batch."""
        at = CASE_COLUMNS.index("searchable")
        texts = {case_id.hex: version.row[at] for case_id, version in final.items()}
        before = {key: row["searchable"] for key, row in live.items()}
        changed = [key for key, text in texts.items() if before.get(key) != text]
        store.run_many(
            cursor,
            "DELETE FROM {p}ledger_grams WHERE case_id = ?",
            [(key,) for key in changed if key in before],
        )
        store.run_many(
            cursor,
            "INSERT INTO {p}ledger_grams VALUES (?,?)",
            [(gram, key) for key in changed for gram in sorted(bigrams(texts[key]))],
        )

    def _write_cases(
        self,
        store: ViewStore,
        cursor: Any,
        cases: dict[UUID, Case],
        final: dict[UUID, Version],
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
        rows: list[list[Any]] = []
        deadlines: list[tuple[Any, ...]] = []
        identities = []
        for case_id, case in cases.items():
            rows.append(final[case_id].row)
            deadlines += final[case_id].deadlines.values()
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
            cursor,
            "INSERT INTO {p}ledger_deadlines VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            deadlines,
        )
        if self.defer_states:
            self._deferred.update(cases)
        else:
            self._write_states(store, cursor, cases)
        store.run_many(cursor, "DELETE FROM {p}ledger_flags WHERE case_id = ?", keys)
        store.run_many(
            cursor,
            "INSERT INTO {p}ledger_flags VALUES (?,?)",
            [flag for version in final.values() for flag in version.flags.values()],
        )
        store.run_many(cursor, "DELETE FROM {p}ledger_identities WHERE case_id = ?", keys)
        store.run_many(cursor, "INSERT INTO {p}ledger_identities VALUES (?,?,?)", identities)

    @staticmethod
    def _deadline_row(case: Case, seq: int, d: Deadline, *, current: bool) -> tuple[Any, ...]:
        met = d.met_by
        ended = d.ended_by
        return (
            case.id.hex,
            seq,
            d.name,
            d.started_on.isoformat(),
            d.rule.value,
            d.length,
            d.unit.value,
            d.due_date.isoformat(),
            int(d.provisional),
            d.extended_days,
            _day(d.paused_since),
            d.paused_days,
            _day(d.met_on),
            ended.value if ended is not None else None,
            hex_id(met.unit_id) if met else None,
            hex_id(met.handler_id) if met else None,
            hex_id(met.leader_id) if met else None,
            int(current),
        )

    def _texts(self, case: Case) -> dict[str, Any]:
        """The case's redacted and sealed columns (subject, search text, place, petitioners).

        Kept for the batch under way (`_sealed`, keyed by what they are made of): the history
        takes a case's row after each of its events in a batch, and most events change none of
        these, whose redaction and sealing (AES-GCM) are a row's dearest part.
        """
        people = case.petitioners
        source = (tuple(people), case.subject, case.content, case.location, case.category)
        held = self._sealed.get(case.id)
        if held is not None and held[0] == source:
            return held[1]
        subject = self.sealer.redact(case.subject, people)
        searchable = subject
        if case.category is not Category.ACCUSATION:
            searchable = f"{subject}\n{self.sealer.redact(case.content, people)}"
        texts = {
            "subject": subject,
            "searchable": searchable.lower(),
            "petitioners": self.sealer.seal(people),
            "location": self.sealer.redact(case.location, people) if case.location else None,
            "sealed_text": self.sealer.seal_text(
                {"subject": case.subject, "location": case.location}
            ),
        }
        self._sealed[case.id] = (source, texts)
        return texts

    def case_row(self, case: Case) -> dict[str, Any]:
        """The ledger row of a case (petitioners sealed, accusation content left out).

        `last_activity_on` is not a state of the case: the projection adds it from the events.
        """
        # The views hold no identity in clear (docs/audit.md, "Masked means masked"): the
        # subject, the place and the search text are stored with the petitioners blanked out.
        texts = self._texts(case)
        subject, searchable = texts["subject"], texts["searchable"]
        accepted = case.deadlines.get("handle_60")
        return {
            "case_id": case.id.hex,
            "number": case.number,
            "received_on": _day(case.registered_at),
            "registered_at": case.registered_at.isoformat(),
            "channel": case.channel.value,
            "category": case.category.value,
            "subject": subject,
            "searchable": searchable,
            "petitioners": texts["petitioners"],
            "location": texts["location"],
            "intake_unit_id": hex_id(case.intake_unit_id),
            "unit_id": hex_id(case.unit_id),
            "leader_id": hex_id(case.leader_id),
            "handler_id": hex_id(case.handler_id),
            "status": case.status.value,
            "mode": case.mode,
            "flags": id_list(case.flags),
            "accused": id_list(case.accused_unit_ids),
            "held": id_list(case.held_unit_ids),
            "sponsors": id_list(case.sponsor_ids),
            "repeat_count": case.repeat_count,
            "outcome": case.outcome.value if case.outcome else None,
            "dispositions": id_list(case.dispositions),
            "satisfaction": case.satisfaction.value if case.satisfaction else None,
            "resolution": case.resolution.value if case.resolution else None,
            "closed_on": _day(case.closed_at),
            "accepted_on": accepted.started_on.isoformat() if accepted else None,
            "version": case.version,
            "updated_at": case.updated_at.isoformat(),
            "sealed_text": texts["sealed_text"],
            "overdue_due": min(
                (
                    d.due_date.isoformat()
                    for d in case.deadlines.values()
                    if d.met_on is None and d.paused_since is None and d.rule not in WINDOWS
                ),
                default=None,
            ),
        }
