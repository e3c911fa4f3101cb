"""Failed sign-ins per client address, kept in the database so that every worker counts the same.

One row per failure in `login_failures` (views.db on SQLite, the instance's schema on
PostgreSQL). It is no read model: `xinfang rebuild` leaves it alone, and losing it only forgets
recent failures. Rows older than the window are deleted as new failures come in.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from projections.store import ViewStore

LOGIN_TABLES = (
    """CREATE TABLE IF NOT EXISTS {p}login_failures (
        address TEXT NOT NULL, failed_at {bigint} NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS login_failures_address ON {p}login_failures (address, failed_at)",
    "CREATE INDEX IF NOT EXISTS login_failures_time ON {p}login_failures (failed_at)",
)


@dataclass(frozen=True)
class Failures:
    """An address's failures within the window: how many, and when the oldest of them was."""

    count: int
    oldest: float | None


class FailedLogins:
    """The shared count of failed sign-ins (milliseconds of the wall clock, which every
    process shares; a monotonic clock is per process)."""

    def __init__(
        self, store: ViewStore, *, window: float, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.window = window
        self.clock = clock

    def create(self) -> None:
        """Create the table if missing (each statement on its own, as the views do)."""
        for statement in LOGIN_TABLES:
            with self.store.transaction() as cursor:
                self.store.run(cursor, statement)

    def recent(self, address: str) -> Failures:
        """The address's failures within the window."""
        since = self._millis(self.clock() - self.window)
        (row,) = self.store.query(
            "SELECT COUNT(*) AS n, MIN(failed_at) AS oldest FROM {p}login_failures "
            "WHERE address = ? AND failed_at > ?",
            [address, since],
        )
        oldest = row["oldest"]
        return Failures(int(row["n"]), oldest / 1000 if oldest is not None else None)

    def record(self, address: str) -> None:
        """Count one failure of `address` and forget the failures that left the window."""
        now = self.clock()
        with self.store.transaction() as cursor:
            self.store.run(
                cursor,
                "DELETE FROM {p}login_failures WHERE failed_at <= ?",
                [self._millis(now - self.window)],
            )
            self.store.run(
                cursor,
                "INSERT INTO {p}login_failures (address, failed_at) VALUES (?, ?)",
                [address, self._millis(now)],
            )

    @staticmethod
    def _millis(moment: float) -> int:
        return int(moment * 1000)
