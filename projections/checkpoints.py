"""Checkpoints of the `as_of` views: the scratch views saved at log positions (docs/read-side.md,
"as_of: checkpoints").

A replay "as of" a moment starts from a copy of the newest checkpoint at or before the wanted
position and applies only the tail of the log. A checkpoint is derived data: deleting any or all
of them is always safe (the next replay is slower, and makes them again). One is used only if

- its file name carries the present shape of the views (a hash of their table statements and
  SHAPE_FORMAT) and a position at or before the wanted one;
- its content hashes to the digest in its name (a truncated or damaged file is refused);
- its record of the last event it applied matches the log (after a restore of another log, or
  a checkpoint from another instance, the log at that position differs).

Anything refused is logged and passed over for an older one, or a replay from the start. The
file is written under a temporary name and renamed, so a reader never sees half a checkpoint;
two replays writing the same one at once each rename a complete file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import sqlite3
import tempfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain.application import Xinfang
from projections.ledger_projection import LedgerProjection
from projections.register_projection import RegisterProjection
from projections.risk_register import RiskRegisterProjection
from projections.runner import Projection
from projections.sealer import PetitionerSealer
from projections.settings import Settings

logger = logging.getLogger(__name__)

FOLDER = "checkpoints"
"""Where an instance keeps them: XINFANG_HOME/checkpoints/ (0700, files 0600)."""
SHAPE_FORMAT = "1"
"""Bump when a view's rows change meaning without its table statements changing: every
checkpoint of the old shape is then ignored (and removed by `xinfang checkpoints`)."""
NAME = re.compile(r"views-(\d{12})-([0-9a-f]{16})-([0-9a-f]{8})\.db")
"""`views-<position, 12 digits>-<shape>-<CRC-32 of the content>.db`. The CRC catches a damaged
or truncated file (it is checked while the file is copied, at ~3 GB/s); it is no defence
against someone who may write the folder, who could as well write views.db."""
TEMPORARY_PREFIX = ".writing-"
TEMPORARY_NAME = re.compile(rf"{re.escape(TEMPORARY_PREFIX)}(\d+)-.*")
META_TABLE = "xinfang_checkpoint"
KEEP_FREE = 0.10
"""A checkpoint is not written if it would leave less than this share of its disk free: they
grow with the log (docs/read-side.md, "Disk"), and the event store must never run short."""
CHUNK = 1 << 22


def scratch_views(app: Xinfang, sealer: PetitionerSealer) -> list[Projection]:
    """The views a replay "as of" a moment rebuilds (and a checkpoint holds)."""
    return [
        # A replay reads the views at its own position: no history needed (the live views
        # keep it for `as_of`, docs/read-side.md).
        LedgerProjection(app, sealer, history=False),
        RiskRegisterProjection(app, sealer),
        RegisterProjection(app),
    ]


SCRATCH_VIEW_TYPES: tuple[type[Projection], ...] = (
    LedgerProjection,
    RiskRegisterProjection,
    RegisterProjection,
)


def view_shape(types: Sequence[type[Projection]] = SCRATCH_VIEW_TYPES) -> str:
    """A hash of the views' names and table statements (16 hex digits)."""
    digest = hashlib.sha256(f"format {SHAPE_FORMAT}\n".encode())
    for kind in types:
        digest.update(f"view {kind.name}\n".encode())
        for statement in (*kind.tables, "--drops", *kind.drops):
            digest.update(statement.encode() + b"\n")
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Checkpoint:
    """One checkpoint file."""

    path: Path
    position: int
    shape: str
    digest: str


class CheckpointError(Exception):
    """A checkpoint that cannot be used (damaged, of another log)."""


@dataclass(frozen=True)
class Checkpoints:
    """The checkpoints of one instance, every `every` log positions (0: none made or used)."""

    folder: Path
    every: int
    shape: str = view_shape()
    keep_free: float = KEEP_FREE
    """The share of the disk a new checkpoint must leave free, or it is not written."""
    max_bytes: int | None = None
    """What the folder may hold in all (None: no limit but `keep_free`); a checkpoint that
    would take it beyond is not written. Their total grows with the square of the log (each
    holds the views up to its position), so a county-scale instance needs the bound."""

    @classmethod
    def of(cls, settings: Settings) -> Checkpoints:
        """The checkpoints of an instance: XINFANG_HOME/checkpoints, every
        XINFANG_CHECKPOINT_EVERY positions, at most XINFANG_CHECKPOINT_MAX_MB in all (the same
        folder on PostgreSQL: the scratch views are SQLite on both backends)."""
        limit = settings.checkpoint_max_mb
        return cls(
            settings.home / FOLDER,
            settings.checkpoint_every,
            max_bytes=limit * 1024 * 1024 if limit else None,
        )

    @property
    def enabled(self) -> bool:
        """Whether checkpoints are made and used."""
        return self.every > 0

    def boundaries(self, after: int, until: int) -> list[int]:
        """The checkpoint positions in (after, until]."""
        if not self.enabled or until <= after:
            return []
        first = (after // self.every + 1) * self.every
        return list(range(first, until + 1, self.every))

    def found(self) -> list[Checkpoint]:
        """Every checkpoint file of any shape, by position (oldest first)."""
        if not self.folder.is_dir():
            return []
        found = []
        for path in self.folder.iterdir():
            match = NAME.fullmatch(path.name)
            if match is None or path.is_symlink() or not path.is_file():
                continue
            found.append(Checkpoint(path, int(match[1]), match[2], match[3]))
        return sorted(found, key=lambda c: (c.position, c.path.name))

    def usable(self, position: int) -> list[Checkpoint]:
        """Checkpoints of the present shape at or before `position`, newest first."""
        if not self.enabled:
            return []
        found = self.found()
        stale = sum(c.shape != self.shape for c in found)
        if stale:
            logger.info(
                "%s checkpoint(s) of another shape of the views ignored "
                "(`xinfang checkpoints` deletes them)",
                stale,
            )
        return [c for c in reversed(found) if c.shape == self.shape and 0 < c.position <= position]

    def has(self, position: int) -> bool:
        """Whether a checkpoint of the present shape exists at `position`."""
        return any(c.position == position and c.shape == self.shape for c in self.found())

    # -- starting a replay from one -----------------------------------------------------------
    def restore(self, app: Xinfang, position: int, target: Path) -> int:
        """Copy the newest usable checkpoint at or before `position` to `target` (a new SQLite
        file); returns its position, or 0 if none could be used (then `target` is absent)."""
        for checkpoint in self.usable(position):
            try:
                _copy_checked(checkpoint, target)
                _check_meta(app, checkpoint, target)
            except (OSError, sqlite3.Error, CheckpointError) as error:
                logger.warning("checkpoint %s ignored: %s", checkpoint.path.name, error)
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(f"{target}{suffix}").unlink(missing_ok=True)
                if isinstance(error, CheckpointError | sqlite3.DatabaseError):
                    # Damaged or of another log: no replay can use it; one passing its
                    # position makes it again.
                    checkpoint.path.unlink(missing_ok=True)
                continue
            return checkpoint.position
        return 0

    # -- making one ---------------------------------------------------------------------------
    def save(self, app: Xinfang, source: Path, position: int, applied: int) -> Path | None:
        """Save the views in the SQLite file `source` (applied up to log position `applied`,
        the last event at or before `position`) as the checkpoint at `position`.

        Nothing is written if one of the present shape is already there. Returns the new file.
        """
        if not self.enabled or self.has(position):
            return None
        make_folder(self.folder)
        sweep_temporary(self.folder)
        disk = shutil.disk_usage(self.folder)
        size = sum(
            Path(f"{source}{suffix}").stat().st_size
            for suffix in ("", "-wal")
            if Path(f"{source}{suffix}").exists()
        )
        held = sum(c.path.stat().st_size for c in self.found() if c.path.exists())
        if self.max_bytes is not None and held + size > self.max_bytes:
            logger.warning(
                "checkpoint at log position %s not written: the checkpoints would take more "
                "than XINFANG_CHECKPOINT_MAX_MB (%s MB; see `xinfang checkpoints --list`)",
                position,
                self.max_bytes // (1024 * 1024),
            )
            return None
        if disk.free - size < disk.total * self.keep_free:
            logger.warning(
                "checkpoint at log position %s not written: it would leave less than %.0f%% of "
                "the disk free (see `xinfang checkpoints --list`, XINFANG_CHECKPOINT_EVERY)",
                position,
                self.keep_free * 100,
            )
            return None
        descriptor, name = tempfile.mkstemp(
            dir=self.folder, prefix=f"{TEMPORARY_PREFIX}{os.getpid()}-", suffix=".db"
        )
        os.close(descriptor)  # created 0600; the backup writes into it
        temporary = Path(name)
        try:
            _backup(source, temporary)
            _write_meta(app, temporary, self.shape, position, applied)
            digest = _digest(temporary)
            final = self.folder / f"views-{position:012d}-{self.shape}-{digest}.db"
            os.chmod(temporary, 0o600)
            os.replace(temporary, final)
        finally:
            temporary.unlink(missing_ok=True)
        self._keep_one(position)
        return final

    def _keep_one(self, position: int) -> None:
        """Two replays that made the same checkpoint at once leave two files: keep the first
        by name (each writer removes the others, so they agree on which stays)."""
        same = [c for c in self.found() if c.position == position and c.shape == self.shape]
        for extra in same[1:]:
            extra.path.unlink(missing_ok=True)

    # -- housekeeping -------------------------------------------------------------------------
    def remove(self, *, stale_only: bool = False) -> list[Path]:
        """Delete every checkpoint (or only those of another shape); the files removed."""
        removed = []
        for checkpoint in self.found():
            if stale_only and checkpoint.shape == self.shape:
                continue
            checkpoint.path.unlink(missing_ok=True)
            removed.append(checkpoint.path)
        if self.folder.is_dir():
            removed += sweep_temporary(self.folder)
        return removed


def make_folder(folder: Path) -> None:
    """The checkpoints folder, readable by the service account only (it holds views)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)


def sweep_temporary(folder: Path) -> list[Path]:
    """Remove half-written checkpoints of processes that no longer run."""
    removed = []
    for path in folder.glob(f"{TEMPORARY_PREFIX}*"):
        match = TEMPORARY_NAME.fullmatch(path.name)
        if match is None or path.is_symlink() or process_running(int(match[1])):
            continue
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def process_running(pid: int) -> bool:
    """Whether a process with this id exists (one of another account's counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _backup(source: Path, target: Path) -> None:
    """A consistent copy of the SQLite file `source` into `target`, self-contained (no WAL)."""
    with (
        _connect(f"{source.as_uri()}?mode=ro") as reading,
        _connect(str(target)) as writing,
    ):
        reading.backup(writing)
        writing.execute("PRAGMA journal_mode=DELETE")


def _write_meta(app: Xinfang, path: Path, shape: str, position: int, applied: int) -> None:
    """Record in the checkpoint what it is: the shape, the position, the last event applied."""
    record = _record_digest(app, applied) if applied else ""
    with _connect(str(path)) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {META_TABLE}")
        conn.execute(
            f"CREATE TABLE {META_TABLE} (shape TEXT NOT NULL, position INTEGER NOT NULL, "
            "applied INTEGER NOT NULL, record TEXT NOT NULL)"
        )
        conn.execute(
            f"INSERT INTO {META_TABLE} VALUES (?,?,?,?)", (shape, position, applied, record)
        )
        conn.commit()


def _check_meta(app: Xinfang, checkpoint: Checkpoint, copy: Path) -> None:
    """Refuse a copy whose record does not match its name or the log."""
    with _connect(f"{copy.as_uri()}?mode=ro") as conn:
        rows = conn.execute(f"SELECT * FROM {META_TABLE}").fetchall()
    if len(rows) != 1:
        raise CheckpointError("no record of what it holds")
    shape, position, applied, record = rows[0]
    if shape != checkpoint.shape or position != checkpoint.position or applied > position:
        raise CheckpointError("its record does not match its name")
    if applied:
        if _record_digest(app, applied) != record:
            raise CheckpointError(f"the log at position {applied} holds another event")
    elif app.recorder.select_notifications(start=1, limit=1, stop=position):
        raise CheckpointError(f"it holds no event, the log has some before {position}")


def _record_digest(app: Xinfang, position: int) -> str:
    """A digest of the stored record at log `position` ("" if none): the event's id, version,
    topic and its sealed bytes, which no other log holds (each is encrypted with a key of its
    own instance and a fresh nonce), while a backup restored holds the same."""
    found = app.recorder.select_notifications(start=position, limit=1)
    if not found or found[0].id != position:
        return ""
    n = found[0]
    digest = hashlib.blake2b(digest_size=16)
    for part in (str(n.originator_id), str(n.originator_version), n.topic):
        digest.update(part.encode() + b"\0")
    digest.update(n.state)
    return digest.hexdigest()


def _copy_checked(checkpoint: Checkpoint, target: Path) -> None:
    """Copy the checkpoint file to `target` (0600), checking its CRC on the way."""
    crc = 0
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with checkpoint.path.open("rb") as reading, os.fdopen(descriptor, "wb") as writing:
        while chunk := reading.read(CHUNK):
            crc = zlib.crc32(chunk, crc)
            writing.write(chunk)
    if f"{crc:08x}" != checkpoint.digest:
        raise CheckpointError("its content does not match its digest (damaged or truncated)")


def _digest(path: Path) -> str:
    crc = 0
    with path.open("rb") as reading:
        while chunk := reading.read(CHUNK):
            crc = zlib.crc32(chunk, crc)
    return f"{crc:08x}"


class _connect:  # noqa: N801 (used as a function)
    """A sqlite3 connection closed on exit (sqlite3's own context manager only commits)."""

    def __init__(self, database: str) -> None:
        self.conn = sqlite3.connect(database, uri=database.startswith("file:"))

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *exc: Any) -> None:
        self.conn.close()
