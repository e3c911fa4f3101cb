"""A lock between the processes of one instance, held in the kernel (`flock` on a file).

SQLite lets one writer at a time into a database file and makes the others poll: a writer that
finds it locked sleeps 1, 2, 5, 10… ms before trying again (its busy handler), so under
concurrent writes from several gunicorn workers most of the time goes to sleeping, not writing.
Taking this lock around each write transaction first makes the writers queue in the kernel
instead: the next one is woken the moment the lock is released, and finds the database free.
It only orders the writers; correctness still rests on SQLite's own locking (a writer that does
not take it, such as another tool, is still kept out by SQLite). PostgreSQL queues its lock
waiters itself and needs none of this.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

logger = logging.getLogger(__name__)


class _Reentrant:
    """What both locks share: threads of a process take turns (a thread lock), a thread that
    holds it may take it again, and only the outermost block takes and gives back the lock
    between processes (`_take`, `_give`)."""

    def __init__(self) -> None:
        self._threads = threading.RLock()
        self._depth = 0

    def _take(self) -> bool:
        """Take the lock between processes; False if it could not be had (nothing to give)."""
        raise NotImplementedError

    def _give(self) -> None:
        """Give back the lock between processes."""
        raise NotImplementedError

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for the duration of the block."""
        with self._threads:
            self._depth += 1
            taken = False
            try:
                if self._depth == 1:
                    taken = self._take()
                yield
            finally:
                self._depth -= 1
                if taken:
                    self._give()


class ProcessLock(_Reentrant):
    """An exclusive lock on `path` shared by every process that opens it.

    The lock file is opened once per process (a worker forked by gunicorn opens its own: an
    inherited descriptor would share the parent's lock). Threads of one process are ordered by
    a thread lock before the file lock, since `flock` does not tell them apart; a thread that
    holds it may take it again (the file is locked once, by the outermost block).
    """

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._fd: int | None = None
        self._pid = 0

    def _descriptor(self) -> int:
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def close(self) -> None:
        """Close this process's descriptor (releasing the lock if held)."""
        with self._threads:
            if self._fd is not None and self._pid == os.getpid():
                os.close(self._fd)
            self._fd = None

    def _take(self) -> bool:
        fcntl.flock(self._descriptor(), fcntl.LOCK_EX)
        return True

    def _give(self) -> None:
        fcntl.flock(self._descriptor(), fcntl.LOCK_UN)


class AdvisoryLock(_Reentrant):
    """The same queue for the processes of an instance on PostgreSQL: a session advisory lock
    keyed by the instance's schema, on a connection of this process's own.

    PostgreSQL queues the writers on the event table's lock anyway; this lock is taken before
    the transaction so that the group's writer reads the numbering logs (the year's last case
    number) with no other process writing meanwhile. A lost connection is opened again on the
    next use; if the lock cannot be had at all the write goes ahead without it (the numbering
    log still refuses a number taken twice, and the loser retries).
    """

    def __init__(self, postgres: Mapping[str, str]) -> None:
        super().__init__()
        self.postgres = dict(postgres)
        schema = self.postgres.get("POSTGRES_SCHEMA", "public")
        digest = hashlib.sha256(f"xinfang-writers:{schema}".encode()).digest()
        self.key = int.from_bytes(digest[:8], "big", signed=True)
        self._connection: psycopg.Connection[Any] | None = None
        self._pid = 0

    def _connect(self) -> psycopg.Connection[Any]:
        if self._connection is None or self._connection.closed or self._pid != os.getpid():
            pg = self.postgres
            self._connection = psycopg.connect(
                host=pg.get("POSTGRES_HOST", "127.0.0.1"),
                port=int(pg.get("POSTGRES_PORT", "5432")),
                dbname=pg.get("POSTGRES_DBNAME", "postgres"),
                user=pg.get("POSTGRES_USER", "postgres"),
                password=pg.get("POSTGRES_PASSWORD") or None,
                autocommit=True,
                connect_timeout=int(pg.get("POSTGRES_CONNECT_TIMEOUT", "5")),
            )
            self._pid = os.getpid()
        return self._connection

    def _take(self) -> bool:
        return self._call("pg_advisory_lock", "writers' lock unavailable; writing without it")

    def _give(self) -> None:
        # A lost session holds no lock: it is opened again on the next use.
        self._call("pg_advisory_unlock", "writers' lock not released cleanly; reconnecting")

    def _call(self, function: str, failure: str) -> bool:
        """`SELECT function(key)`; False (logged, the connection dropped) if it failed."""
        try:
            self._connect().execute(f"SELECT {function}(%s)", (self.key,))
        except psycopg.Error:
            logger.warning(failure, exc_info=True)
            self._drop()
            return False
        return True

    def close(self) -> None:
        """Close this process's connection (a session's advisory locks end with it)."""
        with self._threads:
            if self._pid == os.getpid():
                self._drop()
            self._connection = None

    def _drop(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None
