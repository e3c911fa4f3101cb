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
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class ProcessLock:
    """An exclusive lock on `path` shared by every process that opens it.

    The lock file is opened once per process (a worker forked by gunicorn opens its own: an
    inherited descriptor would share the parent's lock). Threads of one process are ordered by
    a thread lock before the file lock, since `flock` does not tell them apart; a thread that
    holds it may take it again (the file is locked once, by the outermost block).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._pid = 0
        self._threads = threading.RLock()
        self._depth = 0

    def _descriptor(self) -> int:
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for the duration of the block."""
        with self._threads:
            self._depth += 1
            try:
                if self._depth == 1:
                    fcntl.flock(self._descriptor(), fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    if self._depth == 1:
                        fcntl.flock(self._descriptor(), fcntl.LOCK_UN)
            finally:
                self._depth -= 1
