"""Views "as of" a past moment: the log replayed up to that point into a scratch store."""

from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import cast

from domain.application import Xinfang
from domain.cases import Case
from projections.checkpoints import Checkpoints, process_running, scratch_views
from projections.ledger import Ledger
from projections.runner import Runner
from projections.sealer import PetitionerSealer
from projections.store import ViewStore

logger = logging.getLogger(__name__)

SCRATCH_PREFIX = "xinfang-asof-"
SCRATCH_NAME = re.compile(rf"{SCRATCH_PREFIX}(\d+)-.*")
"""A scratch folder is named after the process that made it: `xinfang-asof-<pid>-<random>`."""


def position_at(app: Xinfang, moment: datetime) -> int:
    """The last log position recorded at or before `moment` (0 if none)."""
    low, high = 0, app.recorder.max_notification_id() or 0
    # Invariant: everything up to `low` was recorded by `moment`; after `high`, nothing was.
    while low < high:
        middle = (low + high + 1) // 2
        found = app.recorder.select_notifications(start=middle, limit=1)
        if not found or found[0].id > high:
            high = middle - 1
            continue
        event = cast("Case.Event", app.mapper.to_domain_event(found[0]))
        if event.timestamp <= moment:
            low = found[0].id
        else:
            high = middle - 1
    return low


def recorded_at(app: Xinfang, position: int) -> datetime | None:
    """When the event at log `position` was recorded (None before the first)."""
    if position <= 0:
        return None
    found = app.recorder.select_notifications(start=position, limit=1)
    if not found:
        return None
    event = cast("Case.Event", app.mapper.to_domain_event(found[0]))
    return event.timestamp


@contextmanager
def ledger_at(
    app: Xinfang,
    sealer: PetitionerSealer,
    position: int,
    checkpoints: Checkpoints | None = None,
) -> Iterator[Ledger]:
    """A Ledger over views rebuilt from the log up to `position` (inclusive).

    With `checkpoints`, the replay starts from a copy of the newest usable checkpoint at or
    before `position` (the checkpoint itself is never written) and saves those it passes on its
    way (docs/read-side.md, "as_of: checkpoints"). The scratch folder goes when the replay
    ends, however it ends; one left by a process that was killed mid-replay (a worker past its
    timeout, kill -9) goes at the next replay.
    """
    sweep_scratch()
    with tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-") as folder:
        path = Path(folder) / "views.db"
        start = checkpoints.restore(app, position, path) if checkpoints is not None else 0
        logger.info(
            "as_of: replaying the log up to position %s from %s",
            position,
            f"the checkpoint at {start}" if start else "the start",
        )
        store = ViewStore.sqlite(str(path))
        try:
            runner = Runner(app, store, scratch_views(app, sealer), batch_size=2_000)
            replay(runner, path, start, position, checkpoints)
            yield Ledger(app, store, sealer)
        finally:
            store.close()


def replay(
    runner: Runner, path: Path, start: int, position: int, checkpoints: Checkpoints | None
) -> None:
    """Catch the scratch views in the SQLite file `path` (at `start`) up to `position`, saving
    the checkpoints passed on the way."""
    if checkpoints is not None:
        for boundary in checkpoints.boundaries(start, position):
            runner.catch_up(until=boundary)
            applied = min(runner.store.position(p.name) for p in runner.projections)
            try:
                checkpoints.save(runner.app, path, boundary, applied)
            except (OSError, sqlite3.Error):
                # Derived data: the answer does not depend on it.
                logger.exception("checkpoint at log position %s not saved", boundary)
    runner.catch_up(until=position)


def make_checkpoints(
    app: Xinfang, sealer: PetitionerSealer, checkpoints: Checkpoints, until: int | None = None
) -> list[int]:
    """Make every checkpoint missing up to `until` (default: the head of the log now),
    replaying from the newest one before the first missing; the positions made."""
    head = app.recorder.max_notification_id() or 0
    until = head if until is None else min(until, head)
    missing = [b for b in checkpoints.boundaries(0, until) if not checkpoints.has(b)]
    if not missing:
        return []
    sweep_scratch()
    with tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-") as folder:
        path = Path(folder) / "views.db"
        start = checkpoints.restore(app, missing[0] - 1, path)
        store = ViewStore.sqlite(str(path))
        try:
            runner = Runner(app, store, scratch_views(app, sealer), batch_size=2_000)
            replay(runner, path, start, missing[-1], checkpoints)
        finally:
            store.close()
    return [b for b in missing if checkpoints.has(b)]


def sweep_scratch(folder: Path | None = None) -> list[Path]:
    """Remove the scratch folders of processes that no longer run; the folders removed."""
    removed = []
    for path in Path(folder or tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*"):
        match = SCRATCH_NAME.fullmatch(path.name)
        if (
            match is None
            or not path.is_dir()
            or path.is_symlink()
            or process_running(int(match[1]))
        ):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed
