"""The verifier behind `xinfang verify`: every leaf, the tree, each head, each record's place.

It recomputes every leaf, rebuilds the tree, checks each signed head, and checks that every event
and every snapshot is sealed for its place (projections.record_binding). It reads the event rows,
the snapshot rows and the stored tree through the recorder and stops at the first finding, in log
order (snapshots after the log), naming the log position it concerns (docs/audit.md, §5
"`xinfang verify`").
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from projections.audit_chunks import ChunkCheck, ChunkPool, StoreEnv, Workers, is_snapshot_topic
from projections.audit_recorders import (
    _LEAF_HEAD,
    _STATE_LENGTH,
    LEAF_FORMAT,
    AuditedRecorder,
    RawRecord,
    Scan,
)
from projections.audit_signing import SignedHead
from projections.merkle import _LEAF_PREFIX, CompactRange
from projections.record_binding import RecordBinding
from projections.runner import Progress

SNAPSHOT_BATCH = 1_000
"""Snapshot rows read per query (each is decrypted, so pages stay small)."""

CHUNK_SIZE = 1 << 14
"""Leaves per chunk handed to a worker process (a power of two)."""

PARALLEL_FROM = 150_000
"""The smallest log checked by worker processes: below it, starting them costs more than they
save (about a second to start two; one process checks some 60,000 events a second)."""


@dataclass(frozen=True)
class Finding:
    """The first thing `verify` found wrong, and the log position it concerns."""

    position: int | None
    message: str


@dataclass(frozen=True)
class Verification:
    """What `verify` checked and what it found."""

    events: int
    heads: int
    seconds: float
    finding: Finding | None
    snapshots: int = 0

    @property
    def ok(self) -> bool:
        """Whether the log, the tree, every head and every snapshot agree."""
        return self.finding is None

    @property
    def rate(self) -> float:
        """Events checked per second."""
        return self.events / self.seconds if self.seconds > 0 else float(self.events)


class LogChecker:
    """One pass of `AuditTrail.verify`: stops at the first finding, in log order."""

    def __init__(
        self,
        recorder: AuditedRecorder,
        heads: list[SignedHead],
        public_key: Ed25519PublicKey,
        key_id: str,
        batch_size: int,
        *,
        binding: RecordBinding,
        snapshot_table: str | None = None,
        store: StoreEnv | None = None,
        workers: int = 1,
        chunk_size: int = CHUNK_SIZE,
        parallel_from: int = PARALLEL_FROM,
        pool: Callable[[StoreEnv, int, Sequence[int]], ChunkPool] = Workers,
    ) -> None:
        """`store`: how worker processes open the event store; without it, or with one worker,
        or for a log of fewer than `parallel_from` events, everything runs in this process.
        `pool` starts the workers (`InProcessChunks` checks the chunks here: for tests)."""
        if chunk_size < 1 or chunk_size & (chunk_size - 1):
            raise ValueError(f"the chunk size must be a power of two, got {chunk_size}")
        self.store = store
        self.workers = workers
        self.chunk_size = chunk_size
        self.parallel_from = parallel_from
        self.pool = pool
        self.recorder = recorder
        self.batch_size = batch_size
        self.binding = binding
        self.snapshot_table = snapshot_table
        self.snapshots_checked = 0
        self._snapshot_topics: dict[str, bool] = {}
        self.tree = CompactRange()
        self.heads = heads
        self.next_head = 0
        self.heads_checked = 0
        self.public_key = public_key
        self.key_id = key_id

    def run(self, progress: Progress | None) -> Finding | None:
        """Walk the log; the first finding, or None if everything agrees.

        A large log is first checked in aligned chunks by worker processes (`_run_chunks`);
        from the first chunk they do not vouch for (or after the last whole chunk), the rest
        is walked here, row by row, so the finding is the one-process check's.
        """
        finding = self._check_heads(None)
        if finding is not None:
            return finding
        after = 0
        if self.store is not None and self.workers > 1:
            total = self._leaf_count()
            if total >= self.parallel_from and total >= self.chunk_size:
                finding, after = self._run_chunks(total, progress)
                if finding is not None:
                    return finding
        return self._walk(after, progress) or self._check_end() or self._check_snapshots()

    def _walk(self, after: int, progress: Progress | None) -> Finding | None:
        """Check the rows after log position `after`, row by row, in this process.

        The next batch (its rows, stored leaves and nodes) is read in a thread of its own while
        this one is checked: the database works while Python hashes (it lets go of the GIL).
        """
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="verify-read") as reader:
            ahead = reader.submit(self._read, after, self.tree.size)
            while True:
                scan, leaves, nodes = ahead.result()
                if scan.records:
                    if scan.malformed is None:
                        after, first = scan.records[-1][0], self.tree.size + len(scan.records)
                        ahead = reader.submit(self._read, after, first)
                    finding = self._check_batch(scan.records, leaves, nodes)
                    if progress is not None:
                        progress(len(scan.records))
                    if finding is not None:
                        return finding
                if scan.malformed is not None:
                    position, reason = scan.malformed
                    return Finding(position, f"日志位置 {position} 的事件行被改动：{reason}")
                if not scan.records:
                    return None

    def _leaf_count(self) -> int:
        """How many leaves the stored tree holds by its highest index (an estimate: the
        chunks check themselves)."""
        rows = self.recorder.raw_query(
            self.recorder.sql("SELECT MAX(leaf_index) FROM {p}audit_leaves"), ()
        )
        highest = rows[0][0] if rows else None
        return 0 if highest is None else int(highest) + 1

    def _run_chunks(self, total: int, progress: Progress | None) -> tuple[Finding | None, int]:
        """Check the whole chunks of the first `total` leaves on worker processes, in log order.

        Returns a finding, or where the row-by-row walk goes on: the log position of the last
        row of the chunks vouched for (0 if none). The tree and the heads checked so far are
        those of the one-process check at that point.
        """
        size, chunks = self.chunk_size, total // self.chunk_size
        level = size.bit_length() - 1
        sizes = [head.tree_size for head in self.heads]
        pending: deque[int] = deque()
        after, submitted = 0, 0
        assert self.store is not None
        workers = self.pool(self.store, self.workers, sizes)
        try:
            while submitted < chunks or pending:
                while submitted < chunks and len(pending) < 2 * self.workers:
                    start, end = submitted * size, (submitted + 1) * size
                    pending.append(workers.submit(start, end, self.batch_size))
                    submitted += 1
                chunk = workers.result(pending.popleft())
                if not chunk.clean:
                    return None, after
                finding = self._take_chunk(chunk, level)
                if finding is not None:
                    return finding, after
                after = chunk.last_position
                if progress is not None:
                    progress(size)
            return None, after
        finally:
            workers.close()

    def _take_chunk(self, chunk: ChunkCheck, level: int) -> Finding | None:
        """Add a clean chunk to the tree: the heads inside it, the stored nodes it completes
        above itself, the heads at its end; in the one-process check's order."""
        heads = self.heads
        while self.next_head < len(heads) and chunk.start < heads[self.next_head].tree_size:
            size = heads[self.next_head].tree_size
            if size >= chunk.end:
                break
            position, part = chunk.heads[size]
            inside = CompactRange.from_frontier(size, self.tree.frontier() + part)
            finding = self._check_heads(position, inside)
            if finding is not None:
                self.tree = inside  # where the one-process check stops: that head's size
                return finding
        completed = self.tree.append_subtree(level, chunk.root)
        for at, idx, node in completed[1:]:
            if chunk.upper.get(at) != node:
                return self._bad_node(chunk.last_position, at, idx)
        return self._check_heads(chunk.last_position)

    def _read(
        self, after: int, first: int
    ) -> tuple[Scan, list[tuple[int, int, bytes]], dict[tuple[int, int], bytes]]:
        """The rows after log position `after`, and the stored leaves and nodes they should
        match when the tree holds `first` leaves before them."""
        scan = self.recorder.scan(after, self.batch_size)
        count = len(scan.records)
        if not count:
            return scan, [], {}
        return scan, self._stored_leaves(first, count), self._stored_nodes(first, first + count)

    def _check_batch(
        self,
        records: Sequence[RawRecord],
        leaves: Sequence[tuple[int, int, bytes]],
        nodes: dict[tuple[int, int], bytes],
    ) -> Finding | None:
        first = self.tree.size
        # The hot loop of `verify`: names bound once, each topic encoded once per batch, the
        # leaf hashed from its parts (the same bytes as `leaf_hash(leaf_bytes(...))`), a head
        # looked at only at its tree size. An event row matching its leaf must also be sealed
        # for its place (then only is its topic resolved) and hold no snapshot.
        tree, binding, nodes_get = self.tree, self.binding, nodes.get
        topics: dict[str, bytes] = {}
        snapshot_topics = self._snapshot_topics
        pack_head, pack_length = _LEAF_HEAD.pack, _STATE_LENGTH.pack
        sha256 = hashlib.sha256
        next_size = self._next_head_size()
        count = len(leaves)
        for offset, record in enumerate(records):
            row, raw_id, version, topic, state = record
            index = first + offset
            stored = leaves[offset] if offset < count else None
            if stored is None or stored[0] != index:
                if stored is None and not self._has_leaf_beyond(index):
                    return Finding(
                        row,
                        f"日志位置 {row} 的事件行在审计树中没有叶子：它是绕过应用插入的",
                    )
                return Finding(
                    row,
                    f"审计树中缺少第 {index} 号叶子（日志位置 {row}）",
                )
            _, position, stored_hash = stored
            if row < position:
                return Finding(
                    row,
                    f"日志位置 {row} 的事件行不在审计树中（第 {index} 号叶子属于日志位置 "
                    f"{position}）：该行是插入的",
                )
            if row > position:
                return Finding(
                    position,
                    f"事件库中缺少日志位置 {position} 的事件（第 {index} 号叶子）："
                    "该行被删除或移动",
                )
            topic_bytes = topics.get(topic)
            if topic_bytes is None:
                topic_bytes = topics[topic] = topic.encode("utf-8")
            digest = sha256(_LEAF_PREFIX)
            digest.update(pack_head(LEAF_FORMAT, row, raw_id, version, len(topic_bytes)))
            digest.update(topic_bytes)
            digest.update(pack_length(len(state)))
            digest.update(state)
            value = digest.digest()
            if value != stored_hash:
                unbound = not binding.is_bound(raw_id, version, topic, state)
                return Finding(
                    row,
                    f"日志位置 {row} 的事件行与其第 {index} 号审计叶子不符："
                    "该行（或所存叶子）被改动" + ("；其内容也未按所在位置封签" if unbound else ""),
                )
            if not binding.is_bound_topic(raw_id, version, topic_bytes, state):
                return self._unbound(row, raw_id, version)
            # Sealed for its place, so the application wrote this topic: safe to resolve.
            if snapshot_topics.get(topic, True) and self._is_snapshot_topic(topic):
                return self._copied_snapshot(row, topic)
            completed = tree.append(value)
            for level, idx, node in completed[1:] if len(completed) > 1 else ():
                if nodes_get((level, idx)) != node:
                    return self._bad_node(row, level, idx)
            if tree.size == next_size:
                finding = self._check_heads(row)
                if finding is not None:
                    return finding
                next_size = self._next_head_size()
        return None

    def _next_head_size(self) -> int | None:
        """The tree size of the next head to check (None when none is left)."""
        if self.next_head < len(self.heads):
            return self.heads[self.next_head].tree_size
        return None

    @staticmethod
    def _bad_node(row: int, level: int, idx: int) -> Finding:
        start, end = idx << level, ((idx + 1) << level) - 1
        return Finding(
            row,
            f"审计树第 {level} 层第 {idx} 号节点（叶子 {start}-{end}，至日志位置 {row}）"
            "缺失或被改动",
        )

    @staticmethod
    def _unbound(row: int, raw_id: bytes, version: int) -> Finding:
        return Finding(
            row,
            f"日志位置 {row} 的事件行（聚合 {UUID(bytes=raw_id)}，版本 {version}）未按所在位置"
            "封签：其内容是从别的聚合、版本或类型复制或移来的，或被改动（且审计树被重算）",
        )

    @staticmethod
    def _copied_snapshot(row: int, topic: str) -> Finding:
        return Finding(
            row,
            f"日志位置 {row} 的事件行存的是快照（{topic}）：有快照行被复制进事件表",
        )

    def _is_snapshot_topic(self, topic: str) -> bool:
        """Whether the topic names a snapshot class (False if it names nothing loadable)."""
        return is_snapshot_topic(topic, self._snapshot_topics)

    def _check_snapshots(self) -> Finding | None:
        """Every snapshot row is sealed for its place, is a snapshot, and has its event."""
        if self.snapshot_table is None:
            return None
        after: tuple[Any, int] | None = None
        while True:
            scan = self.recorder.scan_snapshots(self.snapshot_table, after, SNAPSHOT_BATCH)
            for raw_id, version, topic, state, event_topic in scan.rows:
                self.snapshots_checked += 1
                where = f"聚合 {UUID(bytes=raw_id)} 版本 {version} 的快照"
                if not self.binding.is_bound(raw_id, version, topic, state):
                    return Finding(
                        None,
                        f"{where}未按所在位置封签：它是从别的聚合、版本或类型复制或移来的，或被改动",
                    )
                if not self._is_snapshot_topic(topic):
                    return Finding(
                        None,
                        f"{where}存的不是快照而是 {topic}：有事件行被复制进快照表",
                    )
                if event_topic is None:
                    return Finding(
                        None,
                        f"{where}所概括的事件不在日志中：该聚合的事件被删除",
                    )
            if scan.malformed is not None:
                place, reason = scan.malformed
                return Finding(None, f"聚合 {place} 的快照行被改动：{reason}")
            if scan.after is None:
                return None
            after = scan.after

    def _stored_leaves(self, first: int, count: int) -> list[tuple[int, int, bytes]]:
        statement = self.recorder.sql(
            "SELECT leaf_index, position, leaf_hash FROM {p}audit_leaves "
            "WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index"
        )
        rows = self.recorder.raw_query(statement, (first, first + count))
        return [(index, position, bytes(value)) for index, position, value in rows]

    def _has_leaf_beyond(self, index: int) -> bool:
        statement = self.recorder.sql("SELECT 1 FROM {p}audit_leaves WHERE leaf_index > ?")
        with self.recorder.audit_transaction(commit=False) as cursor:
            cursor.execute(statement, (index,))
            return cursor.fetchone() is not None

    def _stored_nodes(self, start: int, end: int) -> dict[tuple[int, int], bytes]:
        """The stored nodes that appending leaves [start, end) completes."""
        statement = self.recorder.sql(
            "SELECT level, idx, hash FROM {p}audit_nodes WHERE level = ? AND idx BETWEEN ? AND ?"
        )
        found: dict[tuple[int, int], bytes] = {}
        for level in range(1, end.bit_length() + 1):
            low, high = start >> level, (end >> level) - 1
            if low > high:
                continue
            rows = self.recorder.raw_query(statement, (level, low, high))
            found.update(((at, idx), bytes(value)) for at, idx, value in rows)
        return found

    def _check_heads(
        self, position: int | None, tree: CompactRange | None = None
    ) -> Finding | None:
        """Check every head of the tree's size (position: the last leaf's); the tree is the
        one built so far unless given (a head inside a worker's chunk)."""
        tree = tree if tree is not None else self.tree
        while (
            self.next_head < len(self.heads) and self.heads[self.next_head].tree_size == tree.size
        ):
            head = self.heads[self.next_head]
            self.next_head += 1
            self.heads_checked += 1
            where = f"日志位置 {position}" if position is not None else "空日志"
            if head.key_id != self.key_id:
                return Finding(
                    position,
                    f"树大小 {head.tree_size} 的签名树头写明的密钥是 {head.key_id}，"
                    f"不是本实例的密钥 {self.key_id}",
                )
            try:
                self.public_key.verify(head.signature, head.message())
            except InvalidSignature:
                return Finding(
                    position,
                    f"树大小 {head.tree_size} 的签名树头（至{where}）签名无效：所存树头被改动",
                )
            if head.root_hash != tree.root():
                return Finding(
                    position,
                    f"树大小 {head.tree_size} 的签名树头与日志不符：{where}或之前的某条事件"
                    "被改动且审计树被重算",
                )
        return None

    def _check_end(self) -> Finding | None:
        size = self.tree.size
        statement = self.recorder.sql(
            "SELECT leaf_index, position FROM {p}audit_leaves WHERE leaf_index >= ? "
            "ORDER BY leaf_index"
        )
        sql = self.recorder.sql
        with self.recorder.audit_transaction(commit=False) as cursor:
            cursor.execute(statement, (size,))
            extra = cursor.fetchone()
            cursor.execute(sql("SELECT tree_size, frontier FROM {p}audit_state"))
            state = cursor.fetchone()
            cursor.execute(sql("SELECT COUNT(*) AS n FROM {p}audit_nodes"))
            node_count = cursor.fetchone()["n"]
        if extra is not None:
            return Finding(
                extra["position"],
                f"事件库中缺少日志位置 {extra['position']} 的事件（第 {extra['leaf_index']} "
                "号叶子）：该行被删除",
            )
        if self.next_head < len(self.heads):
            head = self.heads[self.next_head]
            return Finding(
                None,
                f"有签名树头覆盖 {head.tree_size} 条事件，而日志只有 {size} 条："
                "最后一条之后的事件被删除",
            )
        frontier = b"".join(self.tree.frontier())
        if state is None or state["tree_size"] != size or bytes(state["frontier"]) != frontier:
            return Finding(None, "所存的 audit_state（树大小与边界）被改动")
        expected = sum(size >> level for level in range(1, size.bit_length()))
        if node_count != expected:
            return Finding(None, f"审计树存有 {node_count} 个内部节点，应为 {expected} 个")
        return None
