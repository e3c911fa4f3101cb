"""Rebuilding the case ledger on every core (SQLite): cases are split between processes.

Each worker reads the whole log but decodes and applies only the events of its share of the
cases (by case id), into a scratch SQLite file. The shares are then swapped into the views in
ONE transaction together with the ledger's tracking row, so the rebuild is all or nothing: a
crash leaves the old views (or the emptied ones) and their old position, never half of each.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, wait
from contextlib import contextmanager
from multiprocessing import get_context
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any
from uuid import UUID

from domain.application import Xinfang
from projections.bootstrap import CIPHER_KEY_FILE, Settings
from projections.ledger import CASE_TOPIC, LEDGER_DROPS, LedgerProjection, PetitionerSealer
from projections.runner import Item, Progress, Runner
from projections.store import ViewStore

BATCH = 5_000
_done: Synchronized[int] | None = None


def _share(counter: Synchronized[int]) -> None:
    global _done
    _done = counter


def _share_of(case_id: UUID | str, shares: int) -> int:
    return UUID(str(case_id)).int % shares


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


def build_share(settings: Settings, index: int, shares: int, until: int, path: str) -> int:
    """Apply share `index` of `shares` of the cases, up to log position `until`, into `path`."""
    app = Xinfang(settings.event_store_env())
    sealer = PetitionerSealer(settings.key_path(CIPHER_KEY_FILE).read_text().strip())
    store = ScratchStore(path)
    projection = LedgerProjection(app, sealer)
    projection.states.capacity = 1 << 30  # a rebuild keeps every case in memory
    with store.transaction() as cursor:
        for statement in projection.tables:
            if not statement.lstrip().upper().startswith("CREATE INDEX"):
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
                Item(n, app.mapper)
                for n in found
                if n.topic.startswith(CASE_TOPIC) and _share_of(n.originator_id, shares) == index
            ]
            with store.transaction() as cursor:
                projection.apply(store, cursor, mine)
            applied += len(mine)
            position = found[-1].id
            if _done is not None:
                with _done.get_lock():
                    _done.value += len(found)
    finally:
        store.close()
        app.close()
    return applied


def swap_in(views: Path, parts: list[str], until: int) -> None:
    """Replace the ledger tables by the union of the parts, and set its position, atomically."""
    conn = sqlite3.connect(views, isolation_level=None, timeout=60)
    try:
        for number, part in enumerate(parts):
            conn.execute(f"ATTACH DATABASE ? AS part{number}", (part,))
        conn.execute("BEGIN IMMEDIATE")
        for table in LEDGER_DROPS:
            conn.execute(f"DELETE FROM {table}")
            for number in range(len(parts)):
                conn.execute(f"INSERT INTO {table} SELECT * FROM part{number}.{table}")
        conn.execute(
            "INSERT INTO tracking (application_name, notification_id) VALUES (?, ?) "
            "ON CONFLICT (application_name) "
            "DO UPDATE SET notification_id = excluded.notification_id",
            (ViewStore.tracking_name(LedgerProjection.name), until),
        )
        conn.execute("COMMIT")
    finally:
        conn.close()


def rebuild_in_parallel(
    settings: Settings,
    runner: Runner,
    *,
    workers: int,
    progress: Progress | None = None,
) -> tuple[int, float]:
    """Rebuild every view: the ledger on `workers` processes, the rest (and the tail) in order."""
    started = time.perf_counter()
    ledger = next(p for p in runner.projections if isinstance(p, LedgerProjection))
    others = [p for p in runner.projections if p is not ledger]
    with runner.paused():
        for projection in runner.projections:
            projection.drop(runner.store)
            projection.create(runner.store)
        ledger.states.clear()
        until = runner.app.recorder.max_notification_id() or 0
        context = get_context("spawn")
        counter: Any = context.Value("q", 0)
        with tempfile.TemporaryDirectory(dir=settings.home, prefix="rebuild-") as folder:
            parts = [str(Path(folder) / f"part{n}.db") for n in range(workers)]
            with ProcessPoolExecutor(
                max_workers=workers, mp_context=context, initializer=_share, initargs=(counter,)
            ) as pool:
                futures = [
                    pool.submit(build_share, settings, n, workers, until, parts[n])
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
            swap_in(settings.home / "views.db", parts, until)
        if progress is not None and until > reported:
            progress(until - reported)
    # Other views, and whatever arrived during the rebuild, go the ordinary way.
    for projection in [*others, ledger]:
        runner.catch_up_one(projection)
    return runner.store.position(ledger.name), time.perf_counter() - started
