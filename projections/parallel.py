"""Rebuilding the case ledger on every core (SQLite): cases are split between processes.

Each worker reads the whole log but decodes and applies only the events of its share of the
cases (by case id), into a scratch SQLite file. The shares are then swapped into the views in
ONE transaction together with the ledger's tracking row, so the rebuild is all or nothing: a
crash leaves the old views (or the emptied ones) and their old position, never half of each.
"""

from __future__ import annotations

import gc
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, wait
from contextlib import contextmanager
from multiprocessing import get_context
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any
from uuid import UUID

from domain.application import Xinfang
from projections.ledger_projection import LedgerProjection
from projections.runner import AggregateStates, CaseStates, Item, Progress, Projection, Runner
from projections.sealer import PetitionerSealer
from projections.settings import CIPHER_KEY_FILE, Settings
from projections.store import ViewStore

BATCH = 5_000
ReadModels = Callable[[Xinfang, PetitionerSealer], list[Projection]]
"""Builds every view fed from the log (the composition root's `read_models`).

It must be a module-level function: it reaches the worker processes pickled by name.
"""
_done: Synchronized[int] | None = None


def _share(counter: Synchronized[int]) -> None:
    global _done
    _done = counter


def _share_of(case_id: UUID | str, shares: int) -> int:
    number = case_id.int if isinstance(case_id, UUID) else UUID(case_id).int
    return number % shares


class ScratchStore(ViewStore):
    """A throwaway SQLite file for one share of a rebuild: no fsync, no journal, no indexes.

    Durability is pointless here (a failed rebuild is simply run again) and the secondary
    indexes are built once, when the shares are copied into the real views.
    """

    def __init__(self, path: str) -> None:
        self.dialect = "sqlite"
        self.recorder = None  # type: ignore[assignment]  # no tracking: the swap sets it
        self.connection = sqlite3.connect(path, isolation_level=None)
        self.connection.row_factory = sqlite3.Row
        self.connection.execute("PRAGMA synchronous = OFF")
        self.connection.execute("PRAGMA journal_mode = OFF")

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A cursor in one transaction."""
        cursor = self.connection.cursor()
        cursor.execute("BEGIN")
        try:
            yield cursor
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        cursor.execute("COMMIT")

    def close(self) -> None:
        """Close the file."""
        self.connection.close()


def _is_index(statement: str) -> bool:
    return statement.lstrip().upper().startswith("CREATE INDEX")


def _index_name(statement: str) -> str:
    """The name in `CREATE INDEX IF NOT EXISTS name ON ...`."""
    words = statement.split()
    return words[words.index("ON") - 1]


def build_share(
    settings: Settings, index: int, shares: int, until: int, path: str, *, read_models: ReadModels
) -> int:
    """Apply share `index` of `shares` of the aggregates, up to log position `until`, to `path`.

    Every view gets the events of the share's aggregates (cases for the ledger, access records
    for the access log); the shares are disjoint, so their rows never collide.
    """
    # This process lives for one share: the cyclic collector would rescan the growing set of
    # cached cases over and over (most of a rebuild's time at 100,000 cases) and free nothing.
    gc.disable()
    app = Xinfang(settings.event_store_env())
    sealer = PetitionerSealer(settings.key_path(CIPHER_KEY_FILE).read_text().strip())
    store = ScratchStore(path)
    views = read_models(app, sealer)
    for view in views:
        states = getattr(view, "states", None)
        if isinstance(states, CaseStates | AggregateStates):
            states.capacity = 1 << 30  # a rebuild keeps every case in memory
        if isinstance(view, LedgerProjection):
            view.defer_states = True  # each case's state row once, at the end
    with store.transaction() as cursor:
        for view in views:
            for statement in view.tables:
                if not _is_index(statement):
                    store.run(cursor, statement)
    applied, position = 0, 0
    try:
        while position < until:
            found = app.recorder.select_notifications(
                start=position, limit=BATCH, stop=until, inclusive_of_start=False
            )
            if not found:
                break
            mine = [
                Item(n, app.mapper) for n in found if _share_of(n.originator_id, shares) == index
            ]
            with store.transaction() as cursor:
                for view in views:
                    view.apply(store, cursor, mine)
            applied += len(mine)
            position = found[-1].id
            if _done is not None:
                with _done.get_lock():
                    _done.value += len(found)
        with store.transaction() as cursor:
            for view in views:
                if isinstance(view, LedgerProjection):
                    view.write_deferred_states(store, cursor)
    finally:
        store.close()
        app.close()
    return applied


def swap_in(views: Path, parts: list[str], until: int, projections: list[Projection]) -> None:
    """Replace every view's tables by the union of the parts and set its position, atomically.

    The secondary indexes are dropped and built again after the copy, inside the same
    transaction (SQLite DDL is transactional): one sort beats a million index updates.
    """
    conn = sqlite3.connect(views, isolation_level=None, timeout=60)
    try:
        for number, part in enumerate(parts):
            conn.execute(f"ATTACH DATABASE ? AS part{number}", (part,))
        conn.execute("BEGIN IMMEDIATE")
        for projection in projections:
            indexes = [s.format(p="") for s in projection.tables if _is_index(s)]
            for statement in indexes:
                conn.execute(f"DROP INDEX IF EXISTS {_index_name(statement)}")
            for table in projection.drops:
                conn.execute(f"DELETE FROM {table}")
                for number in range(len(parts)):
                    conn.execute(f"INSERT INTO {table} SELECT * FROM part{number}.{table}")
            for statement in indexes:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO tracking (application_name, notification_id) VALUES (?, ?) "
                "ON CONFLICT (application_name) "
                "DO UPDATE SET notification_id = excluded.notification_id",
                (ViewStore.tracking_name(projection.name), until),
            )
        conn.execute("COMMIT")
    finally:
        conn.close()


def rebuild_in_parallel(
    settings: Settings,
    runner: Runner,
    *,
    read_models: ReadModels,
    workers: int,
    progress: Progress | None = None,
) -> tuple[int, float]:
    """Rebuild every view on `workers` processes; what arrives meanwhile is applied after."""
    started = time.perf_counter()
    with runner.paused():
        runner.forget_positions()
        for projection in runner.projections:
            projection.drop(runner.store)
            projection.create(runner.store)
            states = getattr(projection, "states", None)
            if isinstance(states, CaseStates | AggregateStates):
                states.clear()
        until = runner.app.recorder.max_notification_id() or 0
        context = get_context("spawn")
        counter: Any = context.Value("q", 0)
        with tempfile.TemporaryDirectory(dir=settings.home, prefix="rebuild-") as folder:
            parts = [str(Path(folder) / f"part{n}.db") for n in range(workers)]
            with ProcessPoolExecutor(
                max_workers=workers, mp_context=context, initializer=_share, initargs=(counter,)
            ) as pool:
                futures = [
                    pool.submit(
                        build_share, settings, n, workers, until, parts[n], read_models=read_models
                    )
                    for n in range(workers)
                ]
                reported = 0
                while True:
                    finished, pending = wait(futures, timeout=0.5)
                    seen = counter.value // workers
                    if progress is not None and seen > reported:
                        progress(seen - reported)
                        reported = seen
                    if not pending:
                        break
                for future in finished:
                    future.result()
            swap_in(settings.home / "views.db", parts, until, runner.projections)
        if progress is not None and until > reported:
            progress(until - reported)
    runner.catch_up()
    first = runner.projections[0].name
    return runner.store.position(first), time.perf_counter() - started
