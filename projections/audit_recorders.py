"""Event-store recorders that append every stored event to the audit tree in the same transaction.

Each backend's application recorder is subclassed so that, inside the very transaction that
inserts a batch of events, the batch's leaves are appended to the RFC 9162 tree: one row in
``audit_leaves`` per event (leaf index, log position, leaf hash), one row in ``audit_nodes`` per
complete subtree the append finishes (level >= 1), and the new frontier in the single row of
``audit_state``. An event row therefore never exists without its leaf, and a row without a leaf
was written behind the application's back. Appends are serialised by the event store itself:
SQLite's write lock, PostgreSQL's ``LOCK TABLE ... IN EXCLUSIVE MODE`` taken before the insert.

The leaf is a canonical encoding of the stored record (docs/audit.md, "Leaf format"), built from
the bytes as persisted: verification needs neither the cipher key nor the domain classes.
"""

from __future__ import annotations

import contextlib
import itertools
import sqlite3
import struct
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import Notification, ProgrammingError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore
from psycopg.rows import tuple_row
from psycopg.sql import SQL

from projections.merkle import HASH_SIZE, CompactRange, leaf_hash

LEAF_FORMAT = 1
"""First byte of every leaf: the version of the leaf encoding."""

_LEAF_HEAD = struct.Struct(">BQ16sQI")  # format, position, aggregate id, version, topic length
_STATE_LENGTH = struct.Struct(">I")

AUDIT_TABLES = (
    """CREATE TABLE IF NOT EXISTS {p}audit_leaves (
        leaf_index {bigint} PRIMARY KEY, position {bigint} NOT NULL, leaf_hash {blob} NOT NULL)""",
    # Not unique: SQLite reuses the rowid of a deleted last row, and writes must go on (the
    # verifier reports the deletion) rather than fail on every save after such tampering.
    "CREATE INDEX IF NOT EXISTS audit_leaves_position ON {p}audit_leaves (position)",
    """CREATE TABLE IF NOT EXISTS {p}audit_nodes (
        level {int} NOT NULL, idx {bigint} NOT NULL, hash {blob} NOT NULL,
        PRIMARY KEY (level, idx))""",
    """CREATE TABLE IF NOT EXISTS {p}audit_state (
        id {int} PRIMARY KEY CHECK (id = 1), tree_size {bigint} NOT NULL,
        frontier {blob} NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS {p}audit_heads (
        tree_size {bigint} PRIMARY KEY, root_hash {blob} NOT NULL, issued_at TEXT NOT NULL,
        signature {blob} NOT NULL, key_id TEXT NOT NULL)""",
)
"""The audit tree and its signed heads, kept beside the events (same database, same schema)."""

TYPES = {
    "sqlite": {"blob": "BLOB", "bigint": "INTEGER", "int": "INTEGER"},
    "postgres": {"blob": "BYTEA", "bigint": "BIGINT", "int": "INTEGER"},
}

_ABORT = "DO $$BEGIN RAISE EXCEPTION 'audit tree append failed: the events are not stored'; END$$"


class AuditTreeError(Exception):
    """The audit tree could not be extended (its stored state is missing or damaged)."""


def leaf_bytes(position: int, raw_id: bytes, version: int, topic: str, state: bytes) -> bytes:
    """The canonical leaf of a stored event, its aggregate id given as 16 raw bytes."""
    topic_bytes = topic.encode("utf-8")
    return b"".join(
        (
            _LEAF_HEAD.pack(LEAF_FORMAT, position, raw_id, version, len(topic_bytes)),
            topic_bytes,
            _STATE_LENGTH.pack(len(state)),
            state,
        )
    )


def encode_leaf(
    position: int, originator_id: UUID, originator_version: int, topic: str, state: bytes
) -> bytes:
    """The canonical leaf bytes of one stored event (docs/audit.md, "Leaf format")."""
    return leaf_bytes(position, originator_id.bytes, originator_version, topic, state)


def decode_leaf(leaf: bytes) -> Notification:
    """The stored record a leaf encodes; ValueError if the bytes are not a leaf."""
    if len(leaf) < _LEAF_HEAD.size + _STATE_LENGTH.size:
        raise ValueError("too short to be a leaf")
    fmt, position, raw_id, version, topic_length = _LEAF_HEAD.unpack_from(leaf)
    if fmt != LEAF_FORMAT:
        raise ValueError(f"unknown leaf format {fmt}")
    offset = _LEAF_HEAD.size + topic_length
    topic = leaf[_LEAF_HEAD.size : offset].decode("utf-8")
    (state_length,) = _STATE_LENGTH.unpack_from(leaf, offset)
    offset += _STATE_LENGTH.size
    if len(leaf) != offset + state_length:
        raise ValueError("leaf length does not match its state length")
    return Notification(
        id=position,
        originator_id=UUID(bytes=raw_id),
        originator_version=version,
        topic=topic,
        state=leaf[offset:],
    )


def record_leaf(record: Notification) -> bytes:
    """The leaf of a stored record read back from the event store."""
    originator_id = record.originator_id
    if not isinstance(originator_id, UUID):
        originator_id = UUID(str(originator_id))
    return encode_leaf(
        record.id, originator_id, record.originator_version, record.topic, record.state
    )


RawRecord = tuple[int, bytes, int, str, bytes]
"""A stored event as the verifier reads it: position, raw 16-byte id, version, topic, state."""


@dataclass(frozen=True)
class Scan:
    """Well-formed rows read in log order, and the first row that is not one (if any)."""

    records: list[RawRecord]
    malformed: tuple[int, str] | None = None


SnapshotRow = tuple[bytes, int, str, bytes, str | None]
"""A stored snapshot as the verifier reads it: raw id, version, topic, state, its event's topic."""


@dataclass(frozen=True)
class SnapshotScan:
    """Well-formed snapshot rows in key order, where the next page starts, the first bad row."""

    rows: list[SnapshotRow]
    after: tuple[Any, int] | None
    malformed: tuple[str, str] | None = None


def split_frontier(blob: bytes) -> list[bytes]:
    """The frontier hashes packed in `audit_state.frontier`."""
    return [blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)]


class AuditedRecorder:
    """What both backends share: dialect-neutral SQL over the event store's own connection."""

    dialect: str
    prefix: str
    datastore: Any
    events_table: str
    position_column: str

    def sql(self, statement: str) -> str:
        """Adapt a statement written with `?`, {p}table names and {blob}/{bigint}/{int} types."""
        text = statement.format(p=self.prefix, **TYPES[self.dialect])
        return text.replace("?", "%s") if self.dialect == "postgres" else text

    @contextmanager
    def audit_transaction(self, *, commit: bool) -> Iterator[Any]:
        """A cursor on the event store's database (a write transaction if `commit`)."""
        with self.datastore.transaction(commit=commit) as cursor:
            yield cursor

    def records_of(self, originator_id: UUID) -> list[Notification]:
        """Every stored event of one aggregate, with its log position, in version order."""
        statement = self.sql(
            f"SELECT {self.position_column} AS position, originator_id, originator_version, "
            f"topic, state FROM {self.events_table} WHERE originator_id = ? "
            "ORDER BY originator_version"
        )
        with self.audit_transaction(commit=False) as cursor:
            cursor.execute(statement, (self._id_param(originator_id),))
            return [self._record(row) for row in cursor.fetchall()]

    def _id_param(self, originator_id: UUID) -> Any:
        return originator_id

    def _record(self, row: Any) -> Notification:
        return Notification(
            id=row["position"],
            originator_id=UUID(str(row["originator_id"])),
            originator_version=row["originator_version"],
            topic=row["topic"],
            state=bytes(row["state"]),
        )

    def scan(self, after: int, limit: int) -> Scan:
        """Up to `limit` rows after log position `after`, exactly as stored.

        Stricter than the library's reader: a value it would silently normalise (an upper-case
        aggregate id on SQLite, text where bytes belong) is reported as malformed.
        """
        records: list[RawRecord] = []
        for position, originator_id, version, topic, state in self._raw_rows(after, limit):
            try:
                raw_id = self._raw_id(originator_id)
            except ValueError as err:
                return Scan(records, (position, f"其聚合 id {originator_id!r}{err}"))
            if type(version) is not int or not 0 < version < 1 << 63:
                return Scan(records, (position, f"其版本 {version!r} 不是有效版本号"))
            if type(topic) is not str or type(state) is not bytes:
                return Scan(records, (position, "其类型名或内容的数据类型不对"))
            records.append((position, raw_id, version, topic, state))
        return Scan(records)

    def scan_snapshots(self, table: str, after: tuple[Any, int] | None, limit: int) -> SnapshotScan:
        """Up to `limit` snapshot rows after the key `after`, as stored, with their events' topics.

        The event topic comes from a primary-key join on (aggregate id, version): None if the log
        holds no event there. Values are checked as strictly as `scan` checks event rows.
        """
        statement = self.sql(
            "SELECT s.originator_id, s.originator_version, s.topic, s.state, e.topic "
            f"FROM {self.qualified(table)} s LEFT JOIN {self.events_table} e "
            "ON e.originator_id = s.originator_id "
            "AND e.originator_version = s.originator_version "
            + ("WHERE (s.originator_id, s.originator_version) > (?, ?) " if after else "")
            + "ORDER BY s.originator_id, s.originator_version LIMIT ?"
        )
        raw = self._raw_query(statement, (*(after or ()), limit))
        rows: list[SnapshotRow] = []
        for originator_id, version, topic, state, event_topic in raw:
            where = f"{originator_id} 版本 {version}"
            try:
                raw_id = self._raw_id(originator_id)
            except ValueError as err:
                return SnapshotScan(rows, None, (where, f"其聚合 id {err}"))
            if type(version) is not int or not 0 < version < 1 << 63:
                return SnapshotScan(rows, None, (where, "其版本不是有效版本号"))
            if type(topic) is not str or type(state) is not bytes:
                return SnapshotScan(rows, None, (where, "其类型名或内容的数据类型不对"))
            rows.append((raw_id, version, topic, state, event_topic))
        last = (raw[-1][0], raw[-1][1]) if len(raw) == limit else None
        return SnapshotScan(rows, last)

    def qualified(self, table: str) -> str:
        """A table of the event store's database (schema-qualified on PostgreSQL)."""
        return f'{self.prefix}"{table}"' if self.dialect == "postgres" else table

    def _raw_rows(self, after: int, limit: int) -> list[tuple[Any, ...]]:
        statement = self.sql(
            f"SELECT {self.position_column}, originator_id, originator_version, topic, state "
            f"FROM {self.events_table} WHERE {self.position_column} > ? "
            f"ORDER BY {self.position_column} LIMIT ?"
        )
        return self._raw_query(statement, (after, limit))

    def raw_query(self, statement: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """The rows of a query as plain tuples, values exactly as the driver returns them."""
        return self._raw_query(statement, params)

    def _raw_query(self, statement: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """The rows of a query as plain tuples, values exactly as the driver returns them."""
        raise NotImplementedError

    def _raw_id(self, value: Any) -> bytes:
        raise NotImplementedError

    def _append_to_tree(self, cursor: Any, batch: Sequence[tuple[int, StoredEvent]]) -> None:
        """Append the leaves of `(position, stored event)` pairs, in the caller's transaction."""
        cursor.execute(self.sql("SELECT tree_size, frontier FROM {p}audit_state WHERE id = 1"))
        row = cursor.fetchone()
        if row is None:
            raise AuditTreeError("the audit_state row is missing")
        tree = CompactRange.from_frontier(row["tree_size"], split_frontier(bytes(row["frontier"])))
        leaves: list[tuple[int, int, bytes]] = []
        nodes: list[tuple[int, int, bytes]] = []
        for position, stored in batch:
            originator_id = stored.originator_id
            if not isinstance(originator_id, UUID):
                raise AuditTreeError(f"aggregate ids must be UUIDs, got {originator_id!r}")
            value = leaf_hash(
                encode_leaf(
                    position, originator_id, stored.originator_version, stored.topic, stored.state
                )
            )
            leaves.append((tree.size, position, value))
            nodes.extend(tree.append(value)[1:])
        cursor.executemany(
            self.sql(
                "INSERT INTO {p}audit_leaves (leaf_index, position, leaf_hash) VALUES (?,?,?)"
            ),
            leaves,
        )
        if nodes:
            cursor.executemany(
                self.sql("INSERT INTO {p}audit_nodes (level, idx, hash) VALUES (?,?,?)"), nodes
            )
        cursor.execute(
            self.sql("UPDATE {p}audit_state SET tree_size = ?, frontier = ? WHERE id = 1"),
            (tree.size, b"".join(tree.frontier())),
        )

    def _start_tree(self, cursor: Any) -> None:
        """Create the empty tree's state beside an empty event table.

        Events stored without a tree are never adopted silently: if the state row is missing
        while events exist, appends fail and `xinfang verify` reports the tree as damaged.
        """
        cursor.execute(
            self.sql(
                "INSERT INTO {p}audit_state (id, tree_size, frontier) SELECT 1, 0, ? "
                f"WHERE NOT EXISTS (SELECT 1 FROM {self.events_table}) "
                "ON CONFLICT (id) DO NOTHING"
            ),
            (b"",),
        )


class SQLiteAuditedRecorder(AuditedRecorder, SQLiteApplicationRecorder):
    """SQLite events plus the audit tree; the notification id is the rowid."""

    dialect = "sqlite"
    prefix = ""
    position_column = "rowid"

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name)
        self.events_table = events_table_name

    def construct_create_table_statements(self) -> list[str]:
        """The events table, then the audit tables."""
        return [
            *super().construct_create_table_statements(),
            *(self.sql(s) for s in AUDIT_TABLES),
        ]

    def create_table(self) -> None:
        """Create the tables, then the tree's state (adopting any events already stored)."""
        super().create_table()
        with self.datastore.transaction(commit=True) as cursor:
            self._start_tree(cursor)

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        assert ids is not None
        try:
            self._append_to_tree(c, list(zip(ids, stored_events, strict=True)))
        except sqlite3.Error:
            raise  # the library maps it; the transaction rolls back
        except Exception as err:
            raise AuditTreeError(str(err)) from err  # the transaction rolls back
        return ids

    def _id_param(self, originator_id: UUID) -> Any:
        return originator_id.hex

    def _raw_query(self, statement: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.sqlite_cursor.row_factory = None  # plain tuples: a third faster
            cursor.execute(statement, params)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
            return rows

    def _raw_id(self, value: Any) -> bytes:
        # Stored as `UUID.hex`: 32 lower-case hex digits, and nothing else reads the same.
        if type(value) is not str or len(value) != 32 or value != value.lower():
            raise ValueError("不是 32 位小写十六进制数字")
        return bytes.fromhex(value)


class PostgresAuditedRecorder(AuditedRecorder, PostgresApplicationRecorder):
    """PostgreSQL events plus the audit tree, appended once the insert's ids are returned."""

    dialect = "postgres"
    position_column = "notification_id"

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        if datastore.enable_db_functions:
            # The library's insert function bypasses the hook below: events would get no leaves.
            msg = "the audit trail needs POSTGRES_ENABLE_DB_FUNCTIONS to be off"
            raise ProgrammingError(msg)
        self.prefix = f'"{datastore.schema}".'
        self.events_table = f'{self.prefix}"{events_table_name}"'
        self.sql_create_statements.extend(SQL(self.sql(s)).format() for s in AUDIT_TABLES)

    def create_table(self) -> None:
        """Create the tables, then the tree's state (adopting any events already stored)."""
        super().create_table()
        with self.datastore.transaction(commit=True) as cursor:
            self._start_tree(cursor)

    def _fetch_ids_after_insert_events(
        self, curs: psycopg.Cursor[Any], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # Runs inside the insert's transaction, under its EXCLUSIVE table lock.
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        assert ids is not None
        try:
            if any(a >= b for a, b in itertools.pairwise(ids)):
                msg = f"notification ids came back out of insertion order: {list(ids)}"
                raise AuditTreeError(msg)
            self._append_to_tree(curs, list(zip(ids, stored_events, strict=True)))
        except psycopg.Error:
            raise  # the transaction has failed on the server already and rolls back
        except Exception as err:
            # The library holds exceptions raised here until its transaction block has
            # exited (and committed): fail the transaction on the server so it rolls back.
            with contextlib.suppress(psycopg.Error), curs.connection.pipeline():
                curs.execute(_ABORT)
            raise AuditTreeError(str(err)) from err
        return ids

    def _raw_query(self, statement: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with (
            self.datastore.get_connection() as conn,
            conn.cursor(row_factory=tuple_row) as cursor,
        ):
            cursor.execute(statement, params)  # type: ignore[call-overload]
            rows: list[tuple[Any, ...]] = cursor.fetchall()
            return rows

    def _raw_id(self, value: Any) -> bytes:
        if type(value) is not UUID:
            raise ValueError("不是 UUID")
        return value.bytes


AUDITED_RECORDERS = {
    "sqlite": "projections.audit_recorders:SQLiteAuditedRecorder",
    "postgres": "projections.audit_recorders:PostgresAuditedRecorder",
}
"""APPLICATION_RECORDER_TOPIC of each backend."""
