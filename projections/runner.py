"""The catch-up runner: feeds views from the notification log, exactly once, on both backends.

SQLite has no subscriptions in eventsourcing 9.5, so the runner polls `select_notifications`
from each view's tracked position. Every batch is applied in ONE transaction together with the
view's tracking row: a crash mid-batch rolls the whole batch back, and a batch that another
process already applied fails on the tracking row and is rolled back too.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.domain import (
    Aggregate,
    CanInitAggregate,
    CanMutateAggregate,
    DomainEventProtocol,
)
from eventsourcing.persistence import IntegrityError, Mapper, Notification

from domain.application import Xinfang
from domain.cases import Case
from domain.values import Holder
from projections.store import ViewStore

Progress = Callable[[int], None]
logger = logging.getLogger(__name__)


class Item:
    """One notification of the log; its domain event is decoded on first use."""

    __slots__ = ("_event", "_mapper", "notification")

    def __init__(self, notification: Notification, mapper: Mapper[UUID]) -> None:
        self.notification = notification
        self._mapper = mapper
        self._event: DomainEventProtocol[UUID] | None = None

    @property
    def position(self) -> int:
        """The notification id (log position)."""
        return self.notification.id

    @property
    def event(self) -> DomainEventProtocol[UUID]:
        """The decoded (decrypted, decompressed) domain event."""
        if self._event is None:
            self._event = self._mapper.to_domain_event(self.notification)
        return self._event


class Projection(ABC):
    """A read model: its tables and how a batch of events changes them."""

    name: str
    tables: Sequence[str]
    drops: Sequence[str]
    topics: Sequence[str] | None = None
    """The topics of the events the view applies (None: any event may change it). A reader
    waiting for the view skips a stretch of the log holding none of them without writing."""

    def create(self, store: ViewStore) -> None:
        """Create the view's tables if missing, each statement in a transaction of its own.

        Every process runs this at start-up, while others may be applying a batch. On PostgreSQL
        `CREATE INDEX IF NOT EXISTS` takes a SHARE lock on its table even when the index exists;
        holding one such lock while waiting for the next table formed a cycle with a batch that
        writes the tables in another order (deadlock; when the starting side is aborted, a
        respawned gunicorn worker fails to boot and gunicorn halts). One lock at a time cannot
        close a cycle.
        """
        for statement in self.tables:
            with store.transaction() as cursor:
                store.run(cursor, statement)

    def drop(self, store: ViewStore) -> None:
        """Drop the view's tables and forget its position."""
        with store.transaction() as cursor:
            for table in self.drops:
                store.run(cursor, f"DROP TABLE IF EXISTS {{p}}{table}")
            store.forget(cursor, self.name)

    @abstractmethod
    def apply(self, store: ViewStore, cursor: Any, batch: Sequence[Item]) -> None:
        """Write the effect of `batch` through `cursor` (the caller commits with tracking)."""


@dataclass(frozen=True)
class Advanced:
    """A case after one event, and who held it just before."""

    case: Case
    holder_before: Holder | None


class CaseStates:
    """Case aggregates as of the last processed event, rebuilt by the events' own apply().

    Views derive their rows from the same state logic as the write side, so the two never
    disagree. Recently used cases stay in memory; others are loaded from the event store.
    """

    def __init__(self, app: Xinfang, capacity: int = 5_000) -> None:
        self.app = app
        self.capacity = capacity
        self._cases: OrderedDict[UUID, Case] = OrderedDict()

    def advance(
        self,
        event: DomainEventProtocol[UUID],
        held: Callable[[UUID], Case | None] | None = None,
    ) -> Advanced | None:
        """The case before and after `event` (None if the event is not a case event).

        A case not cached at the version before `event` is taken from `held` (the case view,
        which another process may have moved on) if it holds that version, else replayed from
        the event store.
        """
        if not isinstance(event, Case.Event | Case.Registered):
            return None
        case_id = event.originator_id
        version = event.originator_version
        case = self._cases.pop(case_id, None)
        if case is not None and case.version != version - 1:
            case = None
        holder: Holder | None = None
        if isinstance(event, Case.Registered):
            case = event.mutate(None)
        else:
            if case is None and held is not None:
                case = held(case_id)
                if case is not None and case.version != version - 1:
                    case = None
            if case is None:
                case = self.app.repository.get(case_id, version=version - 1)
            assert isinstance(case, Case)
            holder = case.holder
            event.mutate(case)
        assert isinstance(case, Case)
        self._cases[case_id] = case
        if len(self._cases) > self.capacity:
            self._cases.popitem(last=False)
        return Advanced(case=case, holder_before=holder)

    def clear(self) -> None:
        """Forget every cached case."""
        self._cases.clear()


class AggregateStates:
    """Aggregates of one class as of the last processed event, advanced by the events' own
    apply() (as CaseStates does for cases): a view need not load each touched aggregate from
    the event store again after every batch. Recently used ones stay in memory."""

    def __init__(self, app: Xinfang, kind: type[Aggregate], capacity: int = 5_000) -> None:
        self.app = app
        self.kind = kind
        self.capacity = capacity
        self._held: OrderedDict[UUID, Aggregate] = OrderedDict()

    def advance(self, event: DomainEventProtocol[UUID]) -> Aggregate:
        """The aggregate after `event` (an event of this class's aggregates)."""
        aggregate_id = event.originator_id
        version = event.originator_version
        aggregate = self._held.pop(aggregate_id, None)
        if aggregate is not None and aggregate.version != version - 1:
            aggregate = None
        if isinstance(event, CanInitAggregate):
            aggregate = event.mutate(None)
        else:
            if aggregate is None:
                aggregate = self.app.repository.get(aggregate_id, version=version - 1)
            assert isinstance(event, CanMutateAggregate)
            event.mutate(aggregate)
        assert isinstance(aggregate, self.kind)
        self._held[aggregate_id] = aggregate
        if len(self._held) > self.capacity:
            self._held.popitem(last=False)
        return aggregate

    def clear(self) -> None:
        """Forget every held aggregate."""
        self._held.clear()


class Runner:
    """Applies the log to a set of views; safe to call from many threads and processes."""

    def __init__(
        self,
        app: Xinfang,
        store: ViewStore,
        projections: Sequence[Projection],
        *,
        batch_size: int = 500,
    ) -> None:
        self.app = app
        self.store = store
        self.projections = list(projections)
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._known: dict[str, int] = {}
        """The positions this process last saw each view at (they only grow)."""
        with store.transaction() as cursor:
            store.run(cursor, ViewStore.CLAIMS)
        for projection in self.projections:
            projection.create(store)

    def reach(self, position: int | None = None, *, only: Sequence[str] | None = None) -> None:
        """Return once every view (or those named in `only`) has applied the log up to
        `position` (by default, the head of the log at this moment): read-your-writes for
        whoever wrote before this call.

        Views this process already saw that far cost no query but the head's. A view whose
        stretch of the log up to there holds none of its topics has nothing to apply: this
        process notes it has seen that far, without a write (the follower or the worker moves
        the stored position on). Otherwise the view is caught up here (waiting for a catch-up
        under way in another thread, or applying what another process has not).
        """
        target = position if position is not None else self.app.recorder.max_notification_id()
        if not target:
            return
        needed = [
            p
            for p in self.projections
            if (only is None or p.name in only) and self._known.get(p.name, 0) < target
        ]
        if not needed:
            return
        waiting = []
        for projection in needed:
            seen = self._known.get(projection.name, 0)
            if projection.topics is not None and not self.app.recorder.select_notifications(
                start=seen,
                limit=1,
                stop=target,
                topics=projection.topics,
                inclusive_of_start=False,
            ):
                # Nothing for this view up to the target: no need to wait for anyone.
                self._known[projection.name] = max(target, self._known.get(projection.name, 0))
                continue
            waiting.append(projection)
        if waiting:
            with self._lock:
                self._catch_up(waiting, self.batch_size, None, target)

    def catch_up(
        self,
        *,
        progress: Progress | None = None,
        batch_size: int | None = None,
        until: int | None = None,
    ) -> int:
        """Apply every notification not yet applied (up to `until`); returns how many (summed
        over the views)."""
        with self._lock:
            return self._catch_up(self.projections, batch_size or self.batch_size, progress, until)

    def _catch_up(
        self,
        projections: Sequence[Projection],
        limit: int,
        progress: Progress | None,
        until: int | None,
    ) -> int:
        """Bring `projections` up to `until` (or the head): the log is read once per batch for
        all of them, each event decoded once, and the batch applied to every view in ONE
        transaction with their tracking rows (exactly once, as for one view)."""
        applied = 0
        names = [p.name for p in projections]
        while True:
            starts = self.store.positions(names)
            for name, start in starts.items():
                self._known[name] = max(start, self._known.get(name, 0))
            behind = [p for p in projections if until is None or starts[p.name] < until]
            if not behind:
                return applied
            start = min(starts[p.name] for p in behind)
            notifications = self.app.recorder.select_notifications(
                start=start, limit=limit, stop=until, inclusive_of_start=False
            )
            if not notifications:
                return applied
            batch = [self._item(n) for n in notifications]
            last = batch[-1].position
            done = 0
            try:
                with self.store.transaction() as cursor:
                    # One batch at a time across processes: what another process applied
                    # while this one waited is not applied again.
                    now = self.store.claim(cursor, [p.name for p in behind])
                    for projection in behind:
                        share = [item for item in batch if item.position > now[projection.name]]
                        if not share:
                            continue
                        projection.apply(self.store, cursor, share)
                        self.store.track(cursor, projection.name, last)
                        done += len(share)
            except IntegrityError:
                for projection in behind:
                    self._forget_cached(projection)
                if self.store.positions(names) == starts:
                    # Nobody else moved the views on: the batch itself conflicts (a defect of
                    # a view), and trying it again would spin for ever.
                    raise
                # Another process applied this batch first; start again from its position.
                continue
            applied += done
            for projection in behind:
                self._known[projection.name] = max(last, self._known.get(projection.name, 0))
            if progress is not None:
                progress(len(batch))
            if len(notifications) < limit:
                return applied  # the log's head (or `until`) as it was when read: done

    def catch_up_one(self, projection: Projection, *, progress: Progress | None = None) -> int:
        """Apply what one view has not yet applied."""
        with self._lock:
            return self._catch_up([projection], self.batch_size, progress, None)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Hold off this process's catch-up (during a rebuild)."""
        with self._lock:
            yield

    def _item(self, notification: Notification) -> Item:
        return Item(notification, self.app.mapper)

    @staticmethod
    def _forget_cached(projection: Projection) -> None:
        states = getattr(projection, "states", None)
        if isinstance(states, CaseStates | AggregateStates):
            states.clear()

    def rebuild(self, *, progress: Progress | None = None) -> tuple[int, float]:
        """Drop every view and apply the whole log again; returns (log events, seconds).

        The views are fed together (`_catch_up`: each batch read and decoded once, applied to
        every view in one transaction with their tracking rows); `progress` counts each event
        once.
        """
        started = time.perf_counter()
        batch = max(self.batch_size, 5_000)
        collecting = gc.isenabled()
        gc.disable()  # the collector would rescan every cached case after each batch
        try:
            self._rebuild(batch, progress)
        finally:
            if collecting:
                gc.enable()
        events = self.store.position(self.projections[0].name) if self.projections else 0
        return events, time.perf_counter() - started

    def _rebuild(self, batch: int, progress: Progress | None) -> None:
        with self._lock:
            self._known.clear()
            for projection in self.projections:
                projection.drop(self.store)
                projection.create(self.store)
                self._forget_cached(projection)
            # Every view fed together: each batch read and decoded once for all of them.
            self._catch_up(self.projections, batch, progress, None)

    def lag(self) -> int:
        """How many log positions the slowest view is behind."""
        head = self.app.recorder.max_notification_id() or 0
        return max((head - self.store.position(p.name) for p in self.projections), default=0)

    def forget_positions(self) -> None:
        """Forget the positions seen (after a rebuild dropped the views)."""
        self._known.clear()

    def follow(self, *, interval: float = 0.5, stop: threading.Event | None = None) -> None:
        """Keep applying new events until `stop` is set (the separate worker process)."""
        stop = stop or threading.Event()
        while not stop.is_set():
            if self.catch_up() == 0:
                stop.wait(interval)


class Follower:
    """Catches the views up in a thread of its own, woken after each save (off the request path).

    Several saves made while it works are applied in its next batch, in one transaction. A
    reader that needs what was just written waits on the position (`Runner.reach`), so moving
    the catch-up here loses no read-your-writes.
    """

    def __init__(
        self,
        runner: Runner,
        *,
        interval: float = 1.0,
        linger: float = 0.01,
        quiet: tuple[type, ...] = (),
    ) -> None:
        self.runner = runner
        self.quiet = quiet
        self.interval = interval
        self.linger = linger
        """How long a woken follower waits for more saves before it catches up: under load one
        batch then carries many saves (readers never wait for it: they reach the position)."""
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="views-follower", daemon=True)

    def start(self) -> None:
        """Start following."""
        self._thread.start()

    def wake(self) -> None:
        """Something was saved: catch up soon."""
        self._wake.set()

    def saved(self, events: Sequence[DomainEventProtocol[UUID]]) -> None:
        """Wake for a save, unless it holds only events of the `quiet` kinds (the access records
        every disclosing read saves): those are applied on the next round (`interval`) or by a
        reader who needs them, which reaches the position itself."""
        if any(not isinstance(event, self.quiet) for event in events):
            self.wake()

    def close(self) -> None:
        """Stop following (after the batch under way, if any)."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._wake.wait(self.interval) and self.linger:
                self._stop.wait(self.linger)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.runner.catch_up()
            except Exception:
                # The events are stored; the next wake-up (or a reader) catches up.
                logger.exception("read models could not catch up")
