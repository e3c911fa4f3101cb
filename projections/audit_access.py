"""The access log as a view: who was shown restricted data of which case, and when.

Each `Access.Recorded` event (domain/access.py) becomes one row of audit_access; `AccessLog`
answers the auditors' queries over it (docs/audit.md, §7 "Access log").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.access import Access
from domain.values import Role
from projections.audit_signing import format_instant, parse_instant
from projections.runner import Item, Projection
from projections.store import ViewStore

ACCESS_TOPIC = get_topic(Access.Recorded)
ACCESS_TABLES = (
    """CREATE TABLE IF NOT EXISTS {p}audit_access (
        position {bigint} PRIMARY KEY, recorded_at TEXT NOT NULL, actor_id TEXT NOT NULL,
        actor_name TEXT NOT NULL, actor_role TEXT NOT NULL, actor_unit_id TEXT,
        case_id TEXT NOT NULL, action TEXT NOT NULL, fields TEXT NOT NULL, operator TEXT,
        document TEXT)""",
    "CREATE INDEX IF NOT EXISTS audit_access_actor ON {p}audit_access (actor_id, recorded_at)",
    "CREATE INDEX IF NOT EXISTS audit_access_case ON {p}audit_access (case_id, recorded_at)",
    "CREATE INDEX IF NOT EXISTS audit_access_time ON {p}audit_access (recorded_at)",
)


class AccessProjection(Projection):
    """Keeps audit_access: one row per Access.Recorded event, for the auditors' queries."""

    name = "access"
    tables = ACCESS_TABLES
    drops = ("audit_access",)
    topics = (ACCESS_TOPIC,)

    def create(self, store: ViewStore) -> None:
        """Create the table, and add the `operator` and `document` columns to one made before
        they existed (earlier rows: NULL, as their events named no operator, no document)."""
        super().create(store)
        for column in ("operator", "document"):
            if column in store.columns("audit_access"):
                continue
            try:
                with store.transaction() as cursor:
                    store.run(cursor, f"ALTER TABLE {{p}}audit_access ADD COLUMN {column} TEXT")
            except Exception:
                # Another process starting at the same moment added it first.
                if column not in store.columns("audit_access"):
                    raise

    def apply(self, store: ViewStore, cursor: Any, batch: Sequence[Item]) -> None:
        """Copy the access events of the batch (others are skipped without decoding)."""
        rows = []
        for item in batch:
            if item.notification.topic != ACCESS_TOPIC:
                continue
            event = item.event
            assert isinstance(event, Access.Recorded)
            rows.append(
                (
                    item.position,
                    format_instant(event.timestamp),
                    event.actor.id.hex,
                    event.actor.name,
                    event.actor.role.value,
                    event.actor.unit_id.hex if event.actor.unit_id else None,
                    event.case_id.hex,
                    event.action,
                    ",".join(event.fields),
                    event.operator,
                    getattr(event, "document", None),
                )
            )
        store.run_many(
            cursor,
            "INSERT INTO {p}audit_access (position, recorded_at, actor_id, actor_name, "
            "actor_role, actor_unit_id, case_id, action, fields, operator, document) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
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
            "ORDER BY position DESC LIMIT ?",
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
