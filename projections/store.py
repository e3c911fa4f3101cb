"""SQL storage of the read side: view tables and tracking positions, one transaction each batch."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import InfrastructureFactory, Tracking, TrackingRecorder
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from eventsourcing.utils import Environment

from projections.settings import Settings

UPSTREAM = "Xinfang"
"""Name of the application whose notification log feeds the views."""

TYPES = {
    "sqlite": {"blob": "BLOB", "bigint": "INTEGER", "text": "TEXT", "int": "INTEGER"},
    "postgres": {"blob": "BYTEA", "bigint": "BIGINT", "text": "TEXT", "int": "INTEGER"},
}


class ViewStore:
    """Read-model tables plus the library's tracking table, on SQLite or PostgreSQL."""

    def __init__(self, recorder: TrackingRecorder, dialect: str) -> None:
        self.recorder = recorder
        self.dialect = dialect

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
        with datastore.transaction(commit=True) as cursor:
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

    def forget(self, cursor: Any, view: str) -> None:
        """Drop the tracking row of `view` (before a rebuild)."""
        table = "tracking"
        if isinstance(self.recorder, PostgresTrackingRecorder):
            table = f'"{self.recorder.tracking_table_name}"'
        statement = f"DELETE FROM {{p}}{table} WHERE application_name = ?"
        self.run(cursor, statement, [self.tracking_name(view)])

    def close(self) -> None:
        """Release connections."""
        self._datastore().close()
