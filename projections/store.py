"""SQL storage of the read side: view tables and tracking positions, one transaction each batch."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any

from eventsourcing.persistence import InfrastructureFactory, Tracking, TrackingRecorder
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from eventsourcing.utils import Environment

from projections.locks import ProcessLock
from projections.settings import Settings

UPSTREAM = "Xinfang"
"""Name of the application whose notification log feeds the views."""

TYPES = {
    "sqlite": {
        "blob": "BLOB",
        "bigint": "INTEGER",
        "text": "TEXT",
        "int": "INTEGER",
        "rowless": " WITHOUT ROWID",
    },
    "postgres": {
        "blob": "BYTEA",
        "bigint": "BIGINT",
        "text": "TEXT",
        "int": "INTEGER",
        "rowless": "",
    },
}
"""The column types (and SQLite's table option for a table that is all primary key) by dialect."""


def derived_durability(recorder: TrackingRecorder) -> None:
    """`views.db` commits with `synchronous=NORMAL` (WAL): a power cut may take back its last
    batches, never half of one (each is one transaction with its tracking row), and what it
    takes back is applied again from the log by the next catch-up. The views are derived data;
    the events (`xinfang.db`) keep `synchronous=FULL`, so no acknowledged command or access
    record is ever lost. Saves an fsync per batch of the follower.
    """
    assert isinstance(recorder, SQLiteTrackingRecorder)
    pool = recorder.datastore.pool
    create = pool._create_connection

    def relaxed() -> Any:
        connection = create()
        connection._sqlite_conn.execute("PRAGMA synchronous = NORMAL")
        return connection

    pool._create_connection = relaxed  # type: ignore[method-assign]
    for connection in list(pool._pool):
        connection._sqlite_conn.execute("PRAGMA synchronous = NORMAL")


class ViewStore:
    """Read-model tables plus the library's tracking table, on SQLite or PostgreSQL."""

    stored = True
    """Whether the tables are stored tables, so a statement may name a row's `rowid` or an
    index (SQLite). False for a store whose tables are queries (projections.temporal)."""

    def __init__(
        self, recorder: TrackingRecorder, dialect: str, writers: ProcessLock | None = None
    ) -> None:
        self.recorder = recorder
        self.dialect = dialect
        self.writers = writers
        """SQLite: the queue of the processes writing the views (projections/locks.py)."""

    @classmethod
    def open(cls, settings: Settings) -> ViewStore:
        """The view store of an instance: `views.db` beside the events, or the same PG schema."""
        env = {
            k: v
            for k, v in settings.event_store_env().items()
            if k not in {"CIPHER_TOPIC", "CIPHER_KEY", "COMPRESSOR_TOPIC"}
        }
        if settings.is_postgres:
            dialect = "postgres"
        else:
            dialect = "sqlite"
            env["SQLITE_DBNAME"] = str(settings.home / "views.db")
        factory = InfrastructureFactory.construct(Environment("views", env))
        recorder = factory.tracking_recorder()
        if dialect == "sqlite":
            derived_durability(recorder)
            return cls(recorder, dialect, ProcessLock(settings.home / "views.db.lock"))
        return cls(recorder, dialect)

    @classmethod
    def sqlite(cls, path: str) -> ViewStore:
        """A view store in its own SQLite file (used for replays "as of" a moment)."""
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path}
        factory = InfrastructureFactory.construct(Environment("views", env))
        return cls(factory.tracking_recorder(), "sqlite")

    # -- SQL in one dialect-neutral form ----------------------------------------------------
    @property
    def prefix(self) -> str:
        """What goes before a table name: the PostgreSQL schema, or nothing on SQLite."""
        if isinstance(self.recorder, PostgresTrackingRecorder):
            return f'"{self.recorder.datastore.schema}".'
        return ""

    def sql(self, statement: str) -> str:
        """Adapt a statement written with `?`, {p}table names and {blob}/{bigint} types."""
        text = statement.format(p=self.prefix, **TYPES[self.dialect])
        return text.replace("?", "%s") if self.dialect == "postgres" else text

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A cursor in a write transaction (committed on success, rolled back on error)."""
        datastore = self._datastore()
        with (
            self.writers.held() if self.writers else nullcontext(),
            datastore.transaction(commit=True) as cursor,
        ):
            yield cursor

    @contextmanager
    def reading(self) -> Iterator[Any]:
        """A cursor for queries."""
        datastore = self._datastore()
        with datastore.transaction(commit=False) as cursor:
            yield cursor

    def _datastore(self) -> Any:
        assert isinstance(self.recorder, SQLiteTrackingRecorder | PostgresTrackingRecorder)
        return self.recorder.datastore

    def run(self, cursor: Any, statement: str, params: Sequence[Any] = ()) -> None:
        """Execute one statement."""
        cursor.execute(self.sql(statement), tuple(params))

    def run_many(self, cursor: Any, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """Execute one statement for many parameter rows."""
        if rows:
            cursor.executemany(self.sql(statement), [tuple(r) for r in rows])

    def fetch(
        self, cursor: Any, statement: str, params: Sequence[Any] = ()
    ) -> list[Mapping[str, Any]]:
        """Rows of a query run inside the caller's transaction."""
        cursor.execute(self.sql(statement), tuple(params))
        return [dict(row) for row in cursor.fetchall()]

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Mapping[str, Any]]:
        """Rows of a query, as mappings."""
        with self.reading() as cursor:
            cursor.execute(self.sql(statement), tuple(params))
            return [dict(row) for row in cursor.fetchall()]

    def columns(self, table: str) -> set[str]:
        """The column names of one of the store's tables (empty if it does not exist)."""
        if isinstance(self.recorder, PostgresTrackingRecorder):
            rows = self.query(
                "SELECT column_name AS name FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = ?",
                [self.recorder.datastore.schema, table],
            )
        else:
            rows = self.query("SELECT name FROM pragma_table_info(?)", [table])
        return {row["name"] for row in rows}

    # -- tracking ---------------------------------------------------------------------------
    @staticmethod
    def tracking_name(view: str) -> str:
        """The tracking row of one view (several views share the table)."""
        return f"{UPSTREAM}:{view}"

    def track(self, cursor: Any, view: str, position: int) -> None:
        """Record, in the caller's transaction, that `view` has applied up to `position`.

        Raises IntegrityError if the view already went that far (another process did the
        batch): the whole transaction then rolls back, so nothing is applied twice.
        """
        tracking = Tracking(self.tracking_name(view), position)
        self.recorder._insert_tracking(cursor, tracking)  # type: ignore[attr-defined]

    def position(self, view: str) -> int:
        """How far `view` has applied the log (0 if not at all)."""
        return self.recorder.max_tracking_id(self.tracking_name(view)) or 0

    def positions(self, views: Sequence[str]) -> dict[str, int]:
        """How far each of `views` has applied the log, in one query."""
        with self.reading() as cursor:
            return self._positions(cursor, views)

    def _positions(self, cursor: Any, views: Sequence[str]) -> dict[str, int]:
        names = {self.tracking_name(view): view for view in views}
        marks = ",".join("?" for _ in names)
        rows = self.fetch(
            cursor,
            f"SELECT application_name AS name, MAX(notification_id) AS position "
            f"FROM {{p}}{self._tracking_table} WHERE application_name IN ({marks}) "
            "GROUP BY application_name",
            list(names),
        )
        found = {names[row["name"]]: int(row["position"] or 0) for row in rows}
        return {view: found.get(view, 0) for view in views}

    @property
    def _tracking_table(self) -> str:
        if isinstance(self.recorder, PostgresTrackingRecorder):
            return f'"{self.recorder.tracking_table_name}"'
        return "tracking"

    CLAIMS = "CREATE TABLE IF NOT EXISTS {p}view_claims (name TEXT PRIMARY KEY, batches {bigint})"

    def claim(self, cursor: Any, views: Sequence[str]) -> dict[str, int]:
        """Take the views' batch lock in the caller's transaction (held until it ends) and
        return the positions of `views` as they stand under it.

        Must be the transaction's first statement: on SQLite the write lock is taken there (a
        writer of another process waits on the busy timeout instead of reading a snapshot it
        could not then write from); on PostgreSQL the upsert locks the claim's row. So one batch
        is applied to the views at a time across every process, and a process that waited
        applies only what the other did not, instead of redoing the batch and rolling it back.
        """
        self.run(
            cursor,
            "INSERT INTO {p}view_claims VALUES ('views', 1) ON CONFLICT (name) "
            "DO UPDATE SET batches = {p}view_claims.batches + 1",
        )
        return self._positions(cursor, views)

    def forget(self, cursor: Any, view: str) -> None:
        """Drop the tracking row of `view` (before a rebuild)."""
        statement = f"DELETE FROM {{p}}{self._tracking_table} WHERE application_name = ?"
        self.run(cursor, statement, [self.tracking_name(view)])

    def close(self) -> None:
        """Release connections."""
        self._datastore().close()
        if self.writers is not None:
            self.writers.close()
