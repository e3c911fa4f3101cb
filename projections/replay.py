"""Views "as of" a past moment: the log replayed up to that point into a scratch store."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import cast

from domain.application import Xinfang
from domain.cases import Case
from projections.ledger import Ledger
from projections.ledger_projection import LedgerProjection
from projections.register_projection import RegisterProjection
from projections.risk_register import RiskRegisterProjection
from projections.runner import Runner
from projections.sealer import PetitionerSealer
from projections.store import ViewStore

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
def ledger_at(app: Xinfang, sealer: PetitionerSealer, position: int) -> Iterator[Ledger]:
    """A Ledger over views rebuilt from the log up to `position` (inclusive).

    The scratch folder goes when the replay ends, however it ends; one left by a process that
    was killed mid-replay (a worker past its timeout, kill -9) goes at the next replay.
    """
    sweep_scratch()
    with tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-") as folder:
        store = ViewStore.sqlite(str(Path(folder) / "views.db"))
        try:
            views = [
                LedgerProjection(app, sealer),
                RiskRegisterProjection(app, sealer),
                RegisterProjection(app),
            ]
            runner = Runner(app, store, views, batch_size=2_000)
            runner.catch_up(until=position)
            yield Ledger(app, store, sealer)
        finally:
            store.close()


def sweep_scratch(folder: Path | None = None) -> list[Path]:
    """Remove the scratch folders of processes that no longer run; the folders removed."""
    removed = []
    for path in Path(folder or tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*"):
        match = SCRATCH_NAME.fullmatch(path.name)
        if match is None or not path.is_dir() or path.is_symlink() or _running(int(match[1])):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _running(pid: int) -> bool:
    """Whether a process with this id exists (one of another account's counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
