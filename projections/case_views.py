"""The case view: each case's state at its latest version, kept by the ledger projection.

A read of a case now (`GET /cases/{id}`, its history) takes the case from this view instead of
replaying the aggregate from the event store: one row, decoded by the application's own mapper
(the same encoding as the library's snapshots: JSON, zlib, AES-GCM bound to the case's id,
version and topic, so a row copied to another case fails its integrity check). The row is written
by the ledger projection in the same transaction as the case's ledger row and tracking position,
so it is applied exactly once; what the viewer is shown of it is still decided by
projections/disclosure.py.

Read-your-writes: before a read, the ledger view is brought up to the log's head as it is at
that moment (`Runner.reach`), so a caller who just wrote reads their write, whichever worker
served the write. A case the view does not hold (an instance whose views predate this table) is
loaded from the event store as before.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Snapshot
from eventsourcing.persistence import Mapper, StoredEvent

from domain.cases import Case
from projections.recent import Recent
from projections.store import ViewStore

CASE_STATE_TABLE = """CREATE TABLE IF NOT EXISTS {p}ledger_case_states (
        case_id TEXT PRIMARY KEY, version {int} NOT NULL, topic TEXT NOT NULL,
        state {blob} NOT NULL)"""


STATE_QUERY = "SELECT version, topic, state FROM {p}ledger_case_states WHERE case_id = ?"
"""The view row of one case (its hex id the parameter)."""


def state_row(mapper: Mapper[UUID], case: Case) -> tuple[Any, ...]:
    """The view row of `case`: (hex id, version, snapshot topic, encoded state)."""
    stored = mapper.to_stored_event(Snapshot.take(case))
    return (case.id.hex, case.version, stored.topic, stored.state)


def decode(mapper: Mapper[UUID], case_id: UUID, row: Any) -> Case | None:
    """The case a view row holds (None if it holds something else)."""
    stored = StoredEvent(
        originator_id=case_id,
        originator_version=int(row["version"]),
        topic=row["topic"],
        state=bytes(row["state"]),
    )
    snapshot = mapper.to_domain_event(stored)
    if not isinstance(snapshot, Snapshot):
        return None
    case = snapshot.mutate(None)
    return case if isinstance(case, Case) else None


class CaseViews:
    """Cases as the view holds them at its position."""

    def __init__(self, store: ViewStore, mapper: Mapper[UUID], capacity: int = 5_000) -> None:
        self.store = store
        self.mapper = mapper
        self._decoded: Recent[tuple[UUID, int], Case] = Recent(capacity)

    def _row(self, case_id: UUID) -> Any:
        rows = self.store.query(STATE_QUERY, [case_id.hex])
        return rows[0] if rows else None

    def get(self, case_id: UUID) -> Case | None:
        """The case at the view's position, or None if the view does not hold it: a copy of
        the caller's own (a command applies its events to it)."""
        row = self._row(case_id)
        return decode(self.mapper, case_id, row) if row is not None else None

    def current(self, case_id: UUID) -> Case | None:
        """`get` for readers: the case decoded once per version and shared between readers of
        this process, so it must not be changed (what reads do with it: check, mask, show).
        The row is still read each time (its version decides), and decoded when it is new."""
        row = self._row(case_id)
        if row is None:
            return None
        key = (case_id, int(row["version"]))
        found = self._decoded.get(key)
        if found is not None:
            return found
        case = decode(self.mapper, case_id, row)
        if case is not None:
            self._decoded.put(key, case)
        return case
