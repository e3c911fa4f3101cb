"""The access log as a view: who was shown restricted data of which case, and when.

Each `Access.Recorded` event (domain/access.py) becomes one row of audit_access, and each
`AccessList.Recorded` (one answer showing several cases) one row per case, numbered by `entry`
within its event; `AccessLog` answers the auditors' queries over it (docs/audit.md, §7 "Access
log").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.access import Access, AccessList
from domain.values import Role
from projections.audit_signing import format_instant, parse_instant
from projections.runner import Item, Projection
from projections.store import ViewStore

ACCESS_TOPIC = get_topic(Access.Recorded)
ACCESS_LIST_TOPIC = get_topic(AccessList.Recorded)
ACCESS_EVENTS = (Access.Recorded, AccessList.Recorded)
"""The events of the access log (a save holding only these does not wake the follower)."""
ACCESS_COLUMNS = (
    "position, entry, recorded_at, actor_id, actor_name, actor_role, actor_unit_id, case_id, "
    "action, fields, operator, document"
)
ACCESS_TABLE = """CREATE TABLE IF NOT EXISTS {p}audit_access (
        position {bigint} NOT NULL, entry {int} NOT NULL, recorded_at TEXT NOT NULL,
        actor_id TEXT NOT NULL, actor_name TEXT NOT NULL, actor_role TEXT NOT NULL,
        actor_unit_id TEXT, case_id TEXT NOT NULL, action TEXT NOT NULL, fields TEXT NOT NULL,
        operator TEXT, document TEXT, PRIMARY KEY (position, entry))"""
ACCESS_TABLES = (
    ACCESS_TABLE,
    "CREATE INDEX IF NOT EXISTS audit_access_actor ON {p}audit_access (actor_id, recorded_at)",
    "CREATE INDEX IF NOT EXISTS audit_access_case ON {p}audit_access (case_id, recorded_at)",
    "CREATE INDEX IF NOT EXISTS audit_access_time ON {p}audit_access (recorded_at)",
)


class AccessProjection(Projection):
    """Keeps audit_access: one row per case of each access event, for the auditors' queries."""

    name = "access"
    tables = ACCESS_TABLES
    drops = ("audit_access",)
    topics = (ACCESS_TOPIC, ACCESS_LIST_TOPIC)

    def create(self, store: ViewStore) -> None:
        """Create the table, bringing one made by an earlier version to this shape first (its
        rows kept: they had no `entry`, one row per event, and perhaps no `operator` or
        `document`, NULL for them as their events named none)."""
        columns = store.columns("audit_access")
        if columns and "entry" not in columns:
            try:
                self._reshape(store, columns)
            except Exception:
                # Another process starting at the same moment reshaped it first.
                if "entry" not in store.columns("audit_access"):
                    raise
        super().create(store)

    @staticmethod
    def _reshape(store: ViewStore, columns: set[str]) -> None:
        kept = ", ".join(
            "0" if name == "entry" else name if name in columns else "NULL"
            for name in ACCESS_COLUMNS.split(", ")
        )
        with store.transaction() as cursor:
            store.run(cursor, ACCESS_TABLE.replace("{p}audit_access", "{p}audit_access_next"))
            store.run(
                cursor,
                f"INSERT INTO {{p}}audit_access_next ({ACCESS_COLUMNS}) "
                f"SELECT {kept} FROM {{p}}audit_access",
            )
            store.run(cursor, "DROP TABLE {p}audit_access")  # its indexes with it
            store.run(cursor, "ALTER TABLE {p}audit_access_next RENAME TO audit_access")

    def apply(self, store: ViewStore, cursor: Any, batch: Sequence[Item]) -> None:
        """Copy the access events of the batch (others are skipped without decoding)."""
        rows: list[tuple[Any, ...]] = []
        for item in batch:
            topic = item.notification.topic
            if topic == ACCESS_TOPIC:
                one = item.event
                assert isinstance(one, Access.Recorded)
                event: Access.Recorded | AccessList.Recorded = one
                entries = [(one.case_id, one.fields)]
                extra = (one.operator, getattr(one, "document", None))
            elif topic == ACCESS_LIST_TOPIC:
                listed = item.event
                assert isinstance(listed, AccessList.Recorded)
                event = listed
                entries = list(zip(listed.case_ids, listed.fields, strict=True))
                extra = (listed.operator, None)
            else:
                continue
            actor = event.actor
            head = (
                format_instant(event.timestamp),
                actor.id.hex,
                actor.name,
                actor.role.value,
                actor.unit_id.hex if actor.unit_id else None,
            )
            rows.extend(
                (item.position, entry, *head, case_id.hex, event.action, ",".join(fields), *extra)
                for entry, (case_id, fields) in enumerate(entries)
            )
        store.run_many(
            cursor,
            f"INSERT INTO {{p}}audit_access ({ACCESS_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )


@dataclass(frozen=True)
class AccessEntry:
    """One recorded access to restricted data."""

    position: int
    recorded_at: datetime
    actor: dict[str, Any]
    case_id: UUID
    action: str
    fields: list[str]
    operator: str | None = None
    document: str | None = None
    """The document printed (`print_document`): its title and 文号."""


class AccessLog:
    """Queries over audit_access."""

    def __init__(self, store: ViewStore) -> None:
        self.store = store

    def query(
        self,
        *,
        actor_id: UUID | None = None,
        case_id: UUID | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 1000,
    ) -> list[AccessEntry]:
        """Recorded accesses matching every given filter, newest first."""
        where, params = ["1 = 1"], []
        for clause, value in (
            ("actor_id = ?", actor_id.hex if actor_id else None),
            ("case_id = ?", case_id.hex if case_id else None),
            ("recorded_at >= ?", format_instant(start) if start else None),
            ("recorded_at < ?", format_instant(end) if end else None),
        ):
            if value is not None:
                where.append(clause)
                params.append(value)
        rows = self.store.query(
            f"SELECT * FROM {{p}}audit_access WHERE {' AND '.join(where)} "
            "ORDER BY position DESC, entry DESC LIMIT ?",
            [*params, limit],
        )
        return [
            AccessEntry(
                position=row["position"],
                recorded_at=parse_instant(row["recorded_at"]),
                actor={
                    "id": UUID(row["actor_id"]),
                    "name": row["actor_name"],
                    "role": Role(row["actor_role"]),
                    "unit_id": UUID(row["actor_unit_id"]) if row["actor_unit_id"] else None,
                },
                case_id=UUID(row["case_id"]),
                action=row["action"],
                fields=[f for f in row["fields"].split(",") if f],
                operator=row["operator"],
                document=row["document"],
            )
            for row in rows
        ]
