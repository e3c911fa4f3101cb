"""The per-event half of `xinfang verify`, for a range of the log, in a process of its own.

A chunk is the leaves ``[start, start + 2**level)`` with ``start`` a multiple of the size, and
the rows the sequential check pairs with them: the ``2**level`` rows that follow the log position
of leaf ``start - 1``. `check_chunk` does for them everything `LogChecker` does row by row except
what needs the tree to the left of the chunk: each row against its stored leaf (index, position,
hash), its seal for its place, its topic (no snapshot), and every stored node inside the chunk.
It says only whether all of that agrees ("clean"); it never says what is wrong. When a chunk is
not clean, the verifier checks it again row by row, which names the first finding exactly as
the one-process check does (docs/audit.md, §5).

Workers are plain child processes of the Python in use (`Workers`), fed over their standard
input and answering on their standard output with pickles: unlike a multiprocessing pool, they
import only what the check needs, not the command line's whole program (a second per worker).
Each opens the event store itself (`open_log`): a connection of its own on both backends, no
table created, nothing written.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import subprocess
import sys
import traceback
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from eventsourcing.domain import CanSnapshotAggregate
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment, TopicError, resolve_topic

from projections.audit_recorders import _LEAF_HEAD, _STATE_LENGTH, LEAF_FORMAT, AuditedRecorder
from projections.merkle import _LEAF_PREFIX, _NODE_PREFIX
from projections.record_binding import BoundMapper, RecordBinding

StoreEnv = tuple[str, dict[str, str]]
"""What a worker opens the event store with: the application's name and its environment."""


@dataclass(frozen=True)
class ChunkCheck:
    """What a worker found in one chunk; the rest is only meaningful if `clean`."""

    start: int
    end: int
    clean: bool
    root: bytes = b""
    """The root of the chunk's subtree (level `level` of the tree, index start >> level)."""
    last_position: int = 0
    """The log position of the chunk's last row (leaf end - 1)."""
    upper: dict[int, bytes] = field(default_factory=dict)
    """Stored nodes above the chunk that its last leaf completes, by level (absent: missing)."""
    heads: dict[int, tuple[int, list[bytes]]] = field(default_factory=dict)
    """For each head size inside the chunk: the position of its last leaf, and the frontier of
    the chunk's leaves before it (what the tree left of the chunk is completed with)."""


def is_snapshot_topic(topic: str, known: dict[str, bool]) -> bool:
    """Whether the topic names a snapshot class (False if it names nothing loadable)."""
    found = known.get(topic)
    if found is None:
        try:
            resolved = resolve_topic(topic)
        except (TopicError, ImportError):
            resolved = None
        found = isinstance(resolved, type) and issubclass(resolved, CanSnapshotAggregate)
        known[topic] = found
    return found


class _Log:
    """The worker's own connection to the event store, and the cipher key's binding."""

    def __init__(self, store: StoreEnv, head_sizes: Sequence[int]) -> None:
        self.head_sizes = sorted(head_sizes)
        name, values = store
        env = Environment(name, {**values, "CREATE_TABLE": "no"})
        env[f"{name.upper()}_CREATE_TABLE"] = "no"  # the application's own key wins
        self.factory = InfrastructureFactory.construct(env)
        recorder = self.factory.application_recorder()
        mapper: object = self.factory.mapper(transcoder=self.factory.transcoder())
        if not isinstance(recorder, AuditedRecorder) or not isinstance(mapper, BoundMapper):
            raise TypeError("the event store keeps no audit tree or seals no records")
        self.recorder: AuditedRecorder = recorder
        self.binding: RecordBinding = mapper.binding
        self.snapshot_topics: dict[str, bool] = {}


_log: _Log | None = None


def open_log(store: StoreEnv, head_sizes: Sequence[int]) -> None:
    """Open the event store once per worker process; `head_sizes`: every signed head's size."""
    global _log
    _log = _Log(store, head_sizes)


def close_log() -> None:
    """Close the worker's connection (for a worker run in the calling process)."""
    global _log
    if _log is not None:
        _log.factory.close()
        _log = None


def check_chunk(start: int, end: int, batch_size: int) -> ChunkCheck:
    """Check the chunk of leaves [start, end)."""
    if _log is None:
        raise RuntimeError("open_log was not called in this process")
    return _check(_log, start, end, batch_size)


def _inside(sizes: Sequence[int], start: int, end: int) -> list[int]:
    """The sizes strictly between start and end (`sizes` in ascending order)."""
    return list(sizes[bisect_right(sizes, start) : bisect_left(sizes, end)])


def _check(log: _Log, start: int, end: int, batch_size: int) -> ChunkCheck:
    count = end - start
    level = count.bit_length() - 1
    if count != 1 << level or start % count:
        raise ValueError(f"[{start}, {end}) is not an aligned chunk")
    recorder = log.recorder
    unclean = ChunkCheck(start, end, clean=False)
    leaves = recorder.raw_query(
        recorder.sql(
            "SELECT leaf_index, position, leaf_hash FROM {p}audit_leaves "
            "WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index"
        ),
        (max(start - 1, 0), end),
    )
    after = 0
    if start:
        if not leaves or leaves[0][0] != start - 1:
            return unclean
        after = leaves.pop(0)[1]
    if len(leaves) != count:  # unique indexes in [start, end): all there, in order
        return unclean
    records: list[tuple[int, bytes, int, str, bytes]] = []
    while len(records) < count:
        scan = recorder.scan(after, min(batch_size, count - len(records)))
        records.extend(scan.records)
        if scan.malformed is not None or not scan.records:
            return unclean
        after = scan.records[-1][0]
    hashes = _leaf_hashes(log, records, leaves)
    if hashes is None:
        return unclean
    levels = [hashes]
    for at in range(1, level + 1):
        below = levels[-1]
        sha256 = hashlib.sha256
        computed = [
            sha256(_NODE_PREFIX + left + right).digest()
            for left, right in zip(below[::2], below[1::2], strict=True)
        ]
        stored = recorder.raw_query(
            recorder.sql(
                "SELECT hash FROM {p}audit_nodes WHERE level = ? AND idx >= ? AND idx < ? "
                "ORDER BY idx"
            ),
            (at, start >> at, end >> at),
        )
        if [bytes(value) for (value,) in stored] != computed:
            return unclean
        levels.append(computed)
    return ChunkCheck(
        start,
        end,
        clean=True,
        root=levels[level][0],
        last_position=records[-1][0],
        upper=_upper_nodes(recorder, end, level),
        heads={
            size: _head_part(levels, leaves, start, size)
            for size in _inside(log.head_sizes, start, end)
        },
    )


def _leaf_hashes(
    log: _Log,
    records: Sequence[tuple[int, bytes, int, str, bytes]],
    leaves: Sequence[tuple[Any, ...]],
) -> list[bytes] | None:
    """Each row's leaf hash, or None if a row is not its leaf's, not sealed, or a snapshot."""
    sha256, pack_head, pack_length = hashlib.sha256, _LEAF_HEAD.pack, _STATE_LENGTH.pack
    topics: dict[str, bytes] = {}
    places: list[tuple[bytes, int, bytes, bytes]] = []
    hashes: list[bytes] = []
    for (row, raw_id, version, topic, state), (_, position, stored) in zip(
        records, leaves, strict=True
    ):
        topic_bytes = topics.get(topic)
        if topic_bytes is None:
            topic_bytes = topics[topic] = topic.encode("utf-8")
        value = sha256(
            _LEAF_PREFIX
            + pack_head(LEAF_FORMAT, row, raw_id, version, len(topic_bytes))
            + topic_bytes
            + pack_length(len(state))
            + state
        ).digest()
        if row != position or value != stored:
            return None
        hashes.append(value)
        places.append((raw_id, version, topic_bytes, state))
    if not log.binding.all_bound(places):
        return None
    known = log.snapshot_topics
    if any(is_snapshot_topic(topic, known) for topic in topics):
        return None
    return hashes


def _upper_nodes(recorder: AuditedRecorder, end: int, level: int) -> dict[int, bytes]:
    """The stored nodes above `level` that the leaf `end - 1` completes, by level."""
    wanted = []
    at = level + 1
    while end % (1 << at) == 0:
        wanted.append((at, (end >> at) - 1))
        at += 1
    found: dict[int, bytes] = {}
    statement = recorder.sql("SELECT hash FROM {p}audit_nodes WHERE level = ? AND idx = ?")
    for at, index in wanted:
        rows = recorder.raw_query(statement, (at, index))
        if rows:
            found[at] = bytes(rows[0][0])
    return found


def _head_part(
    levels: Sequence[Sequence[bytes]], leaves: Sequence[tuple[Any, ...]], start: int, size: int
) -> tuple[int, list[bytes]]:
    """The last leaf's position of a head inside the chunk, and the chunk's frontier there."""
    taken, frontier = size - start, []
    consumed = 0
    for at in range(len(levels) - 1, -1, -1):
        if taken >> at & 1:
            frontier.append(levels[at][consumed >> at])
            consumed += 1 << at
    return int(leaves[taken - 1][1]), frontier


def serve() -> None:
    """A worker's main loop: the store and the heads' sizes first, then chunks (start, end,
    batch size) until None; each answered with ("ok", ChunkCheck) or ("error", traceback).

    Only the first message is large, and it is read before anything is answered; the chunks
    are a few bytes each: neither side can wait on a full pipe while the other waits too."""
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write on the answers' channel
    open_log(*pickle.load(requests))
    while (task := pickle.load(requests)) is not None:
        try:
            answer: tuple[str, Any] = ("ok", check_chunk(*task))
        except Exception:
            answer = ("error", traceback.format_exc())
        pickle.dump(answer, answers)
        answers.flush()
    close_log()


class ChunkPool(Protocol):
    """Where chunks are checked: `submit` them in order, read each `result` in order."""

    def submit(self, start: int, end: int, batch_size: int) -> int:
        """Hand over the next chunk; returns its number."""

    def result(self, number: int) -> ChunkCheck:
        """The check of chunk `number`."""

    def close(self) -> None:
        """Stop: chunks not read are abandoned."""


class InProcessChunks(ChunkPool):
    """The chunk check in the calling process, each chunk when its result is read: the same
    code as the workers' without their start-up (for tests, which run many small logs)."""

    def __init__(self, store: StoreEnv, count: int, head_sizes: Sequence[int]) -> None:
        self.log = _Log(store, head_sizes)
        self.tasks: dict[int, tuple[int, int, int]] = {}
        self.sent = 0

    def submit(self, start: int, end: int, batch_size: int) -> int:
        """Note the chunk; it is checked when its result is read."""
        number, self.sent = self.sent, self.sent + 1
        self.tasks[number] = (start, end, batch_size)
        return number

    def result(self, number: int) -> ChunkCheck:
        """Check the chunk now."""
        return _check(self.log, *self.tasks.pop(number))

    def close(self) -> None:
        """Close the connection."""
        self.log.factory.close()


class WorkerError(RuntimeError):
    """A worker process failed (its traceback is the message)."""


class Workers(ChunkPool):
    """Child processes checking chunks; chunk n goes to worker n % count, answers in order."""

    def __init__(self, store: StoreEnv, count: int, head_sizes: Sequence[int]) -> None:
        root = str(Path(__file__).resolve().parent.parent)  # where `projections` is found
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]),
        }
        self.processes: list[subprocess.Popen[bytes]] = []
        self.waiting: list[deque[int]] = []
        self.sent = 0
        try:
            for _ in range(count):
                self.processes.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-P",  # this `projections`, not one in the working directory
                            "-c",
                            "from projections.audit_chunks import serve; serve()",
                        ],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        env=env,
                    )
                )
                self.waiting.append(deque())
                self._send(self.processes[-1], (store, list(head_sizes)))
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _send(process: subprocess.Popen[bytes], message: Any) -> None:
        channel: IO[bytes] | None = process.stdin
        assert channel is not None
        pickle.dump(message, channel)
        channel.flush()

    def submit(self, start: int, end: int, batch_size: int) -> int:
        """Send the next chunk to its worker; returns its number."""
        number = self.sent
        which = number % len(self.processes)
        self._send(self.processes[which], (start, end, batch_size))
        self.waiting[which].append(number)
        self.sent += 1
        return number

    def result(self, number: int) -> ChunkCheck:
        """The answer for chunk `number` (every earlier chunk of its worker is read first)."""
        which = number % len(self.processes)
        process = self.processes[which]
        channel = process.stdout
        assert channel is not None
        while True:
            if not self.waiting[which]:
                raise ValueError(f"chunk {number} was not sent")
            got = self.waiting[which].popleft()
            try:
                kind, value = pickle.load(channel)
            except EOFError:
                raise WorkerError(f"verify worker {process.pid} exited") from None
            if kind != "ok":
                raise WorkerError(value)
            if got == number:
                assert isinstance(value, ChunkCheck)
                return value

    def close(self) -> None:
        """Stop every worker (at once if it is still checking) and wait for it."""
        for process in self.processes:
            if process.stdin is not None:
                try:
                    self._send(process, None)
                    process.stdin.close()
                except (BrokenPipeError, OSError):
                    pass
        for process, waiting in zip(self.processes, self.waiting, strict=True):
            if waiting:
                process.kill()  # still busy with chunks nobody reads now
            process.wait()
            if process.stdout is not None:
                process.stdout.close()
