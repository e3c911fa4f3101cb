"""Group commit: saves made at the same moment by concurrent threads share one transaction.

A thread that saves while no group is being written becomes the group's leader. Once it holds
the writers' queue across processes (`exclusive`), it takes every save queued by then (those
queued while another process wrote included), writes all their events with one `put` (one
transaction, one commit, one fsync on SQLite, one acquisition of the event table's lock on
PostgreSQL) and wakes the others. Saves queued meanwhile form the next group. Nobody returns
before the transaction holding their events has committed, so a save is exactly as durable as on
its own.

If the group's transaction fails on a conflict (two saves of one aggregate at one version, two
cases given one number), nothing of it was written, and each save of the group is written again
on its own: the ones that conflict raise to their caller (whose retry loop deals with it, as
without grouping), the others succeed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Generic, TypeVar

from eventsourcing.persistence import IntegrityError

T = TypeVar("T")
R = TypeVar("R")


class _Ticket(Generic[T, R]):
    __slots__ = ("done", "error", "item", "result")

    def __init__(self, item: T) -> None:
        self.item = item
        self.done = False
        self.result: R | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[T, R]):
    """Writes queued items in groups: `write_many` for a group, `write_one` to split one up.

    `write_many(items)` returns one result per item, in order, all in one transaction.
    """

    def __init__(
        self,
        write_many: Callable[[Sequence[T]], list[R]],
        write_one: Callable[[T], R],
        *,
        max_group: int = 64,
    ) -> None:
        self._write_many = write_many
        self._write_one = write_one
        self._max_group = max_group
        self.exclusive: Callable[[], AbstractContextManager[Any]] = nullcontext
        """Held around each group's writing: the store's writers' queue across processes, if
        the store has none of its own (projections/locks.py, for SQLite)."""
        self._queue: list[_Ticket[T, R]] = []
        self._writing = False
        self._cond = threading.Condition()
        self.groups = 0
        """Groups written (for the benchmarks): items written / groups is the mean group size."""
        self.items = 0

    def submit(self, item: T) -> R:
        """Write `item` (with whatever else is queued) and return its result once committed."""
        ticket: _Ticket[T, R] = _Ticket(item)
        with self._cond:
            self._queue.append(ticket)
        while True:
            with self._cond:
                while not ticket.done and self._writing:
                    self._cond.wait()
                if ticket.done:
                    break
                # Nobody is writing: lead the next group.
                self._writing = True
            try:
                # The group is taken once the writers' queue is ours: whatever was queued while
                # another process wrote joins it (one commit instead of one per wait).
                with self.exclusive():
                    with self._cond:
                        group = self._queue[: self._max_group]
                        del self._queue[: self._max_group]
                    self._write(group)
            finally:
                with self._cond:
                    self._writing = False
                    self._cond.notify_all()
        if ticket.error is not None:
            raise ticket.error
        return ticket.result  # type: ignore[return-value]

    def _write(self, group: list[_Ticket[T, R]]) -> None:
        self.groups += 1
        self.items += len(group)
        if len(group) > 1:
            try:
                results = self._write_many([t.item for t in group])
            except IntegrityError:
                pass  # nothing of the group was written: each on its own below
            except BaseException as err:
                self._finish(group, error=err)
                return
            else:
                for ticket, result in zip(group, results, strict=True):
                    ticket.result = result
                self._finish(group)
                return
        for ticket in group:
            try:
                ticket.result = self._write_one(ticket.item)
            except BaseException as err:
                ticket.error = err
        self._finish(group)

    def _finish(self, group: list[_Ticket[T, R]], error: BaseException | None = None) -> None:
        with self._cond:
            for ticket in group:
                if error is not None:
                    ticket.error = error
                ticket.done = True
            self._cond.notify_all()


def split(results: Sequence[Any], sizes: Sequence[int]) -> list[list[Any]]:
    """`results` cut into consecutive runs of the given sizes."""
    runs, start = [], 0
    for size in sizes:
        runs.append(list(results[start : start + size]))
        start += size
    return runs


class KeyedLocks:
    """One re-entrant lock per key, kept while someone holds or waits for it (then forgotten).

    Commands on one case in one process take their turn instead of racing: the losers of a race
    reload and retry, and a burst of dozens on one case under load ran some out of attempts.
    Writers in other processes still race, and retry (the store refuses a second version).
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[Hashable, tuple[threading.RLock, list[int]]] = {}

    def __len__(self) -> int:
        """How many keys are held or waited for."""
        with self._guard:
            return len(self._locks)

    @contextmanager
    def hold(self, key: Hashable) -> Iterator[None]:
        """Hold the lock of `key` for the block."""
        with self._guard:
            lock, waiting = self._locks.setdefault(key, (threading.RLock(), [0]))
            waiting[0] += 1
        try:
            with lock:
                yield
        finally:
            with self._guard:
                waiting[0] -= 1
                if not waiting[0]:
                    del self._locks[key]
