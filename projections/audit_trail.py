"""The audit trail service: signed tree heads, RFC 9162 proofs, sealed bundles, verification.

The tree itself is written by the event store's recorder (projections.audit_recorders), in the
transaction of every save. This module reads it: it signs heads over it with the instance's
Ed25519 key (projections.audit_keys), serves proofs from its stored complete subtrees, seals
per-case bundles for offline checking, and runs the verifier (projections.audit_verifier) over
the whole log. docs/audit.md is the contract.
"""

from __future__ import annotations

import base64
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from domain.application import Xinfang
from domain.errors import RuleViolationError
from projections.audit_chunks import ChunkPool, StoreEnv, Workers
from projections.audit_keys import AuditKeyError, key_id_of, load_signing_key, public_key_pem
from projections.audit_recorders import AuditedRecorder, record_leaf, split_frontier
from projections.audit_signing import (
    BUNDLE_CONTEXT,
    SignedHead,
    bundle_message,
    canonical_json,
    format_instant,
    head_message,
    parse_instant,
)
from projections.audit_verifier import CHUNK_SIZE, PARALLEL_FROM, LogChecker, Verification
from projections.merkle import CompactRange, consistency_proof, inclusion_proof, subtree_root
from projections.record_binding import BoundMapper
from projections.runner import Progress

logger = logging.getLogger(__name__)

HEAD_INTERVAL = timedelta(hours=1)
"""While the log grows, a head is stored at least this often (checked after each save)."""


@dataclass(frozen=True)
class EventProof:
    """Where one stored event sits in the tree, and the path from its leaf to a head's root."""

    version: int
    log_position: int
    leaf_index: int
    leaf: bytes
    leaf_hash: bytes
    path: list[bytes]

    def as_json(self, *, with_leaf: bool = False) -> dict[str, Any]:
        """The proof fields of a history entry (hex; the leaf bytes in base64 if asked)."""
        fields: dict[str, Any] = {
            "leaf_index": self.leaf_index,
            "log_position": self.log_position,
            "leaf_hash": self.leaf_hash.hex(),
            "inclusion_proof": [h.hex() for h in self.path],
        }
        if with_leaf:
            fields["leaf"] = base64.b64encode(self.leaf).decode()
        return fields


class _StoredNodes:
    """The stored complete subtrees, read through one cursor (a `merkle.NodeSource`)."""

    def __init__(self, recorder: AuditedRecorder, cursor: Any) -> None:
        self.cursor = cursor
        self.leaf_sql = recorder.sql(
            "SELECT leaf_hash AS hash FROM {p}audit_leaves WHERE leaf_index = ?"
        )
        self.node_sql = recorder.sql("SELECT hash FROM {p}audit_nodes WHERE level = ? AND idx = ?")

    def node(self, level: int, index: int) -> bytes:
        """The stored hash of the complete subtree at `(level, index)`."""
        if level == 0:
            self.cursor.execute(self.leaf_sql, (index,))
        else:
            self.cursor.execute(self.node_sql, (level, index))
        row = self.cursor.fetchone()
        if row is None:
            raise KeyError(f"no stored subtree at level {level}, index {index}")
        return bytes(row["hash"])


class AuditTrail:
    """Signed heads, proofs, bundles and verification over the event store's audit tree."""

    def __init__(self, app: Xinfang, key_path: Path) -> None:
        recorder = app.recorder
        if not isinstance(recorder, AuditedRecorder):
            msg = f"the event store recorder {type(recorder).__name__} keeps no audit tree"
            raise TypeError(msg)
        self.app = app
        self.recorder: AuditedRecorder = recorder
        self.key_path = key_path
        self._key: Ed25519PrivateKey | None = None
        self._last_head_at: datetime | None = None
        self._lock = threading.Lock()

    # -- keys ------------------------------------------------------------------------------
    @property
    def signing_key(self) -> Ed25519PrivateKey:
        """The instance's Ed25519 key, read once."""
        if self._key is None:
            self._key = load_signing_key(self.key_path)
        return self._key

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The key that verifies heads and bundles."""
        return self.signing_key.public_key()

    @property
    def key_id(self) -> str:
        """Hex of the first 8 bytes of SHA-256 of the raw public key."""
        return key_id_of(self.public_key)

    def public_key_pem(self) -> str:
        """The public key as SubjectPublicKeyInfo PEM."""
        return public_key_pem(self.public_key)

    # -- the tree --------------------------------------------------------------------------
    def _state(self, cursor: Any) -> CompactRange:
        cursor.execute(self.recorder.sql("SELECT tree_size, frontier FROM {p}audit_state"))
        row = cursor.fetchone()
        if row is None:
            return CompactRange()
        return CompactRange.from_frontier(row["tree_size"], split_frontier(bytes(row["frontier"])))

    def tree_size(self) -> int:
        """How many events the tree holds."""
        with self.recorder.audit_transaction(commit=False) as cursor:
            return self._state(cursor).size

    # -- heads -----------------------------------------------------------------------------
    def sign_head(self) -> SignedHead:
        """Sign the current tree and store the head (one per tree size; an existing one wins).

        The tree is read from committed state only, so a head never covers an event that a
        crash could still take back (SQLite keeps synchronous=FULL, PostgreSQL commits durably).
        """
        with self.recorder.audit_transaction(commit=False) as cursor:
            tree = self._state(cursor)
        issued_at = format_instant(self.app.clock())
        root = tree.root()
        signature = self.signing_key.sign(head_message(tree.size, root, issued_at))
        head = SignedHead(tree.size, root, issued_at, signature, self.key_id)
        sql = self.recorder.sql
        with self.recorder.audit_transaction(commit=True) as cursor:
            cursor.execute(
                sql(
                    "INSERT INTO {p}audit_heads (tree_size, root_hash, issued_at, signature, "
                    "key_id) VALUES (?,?,?,?,?) ON CONFLICT (tree_size) DO NOTHING"
                ),
                (head.tree_size, head.root_hash, head.issued_at, head.signature, head.key_id),
            )
        stored = self._heads("WHERE tree_size = ?", (tree.size,))
        return stored[0] if stored else head

    def _heads(self, where: str = "", params: Sequence[Any] = ()) -> list[SignedHead]:
        statement = self.recorder.sql(
            "SELECT tree_size, root_hash, issued_at, signature, key_id FROM {p}audit_heads "
            f"{where} ORDER BY tree_size"
        )
        with self.recorder.audit_transaction(commit=False) as cursor:
            cursor.execute(statement, tuple(params))
            return [
                SignedHead(
                    row["tree_size"],
                    bytes(row["root_hash"]),
                    row["issued_at"],
                    bytes(row["signature"]),
                    row["key_id"],
                )
                for row in cursor.fetchall()
            ]

    def heads(self) -> list[SignedHead]:
        """Every stored head, smallest tree first."""
        return self._heads()

    def latest_head(self) -> SignedHead | None:
        """The stored head of the largest tree."""
        found = self._heads("WHERE tree_size = (SELECT MAX(tree_size) FROM {p}audit_heads)")
        return found[0] if found else None

    def head(self) -> SignedHead:
        """A signed head of the current tree: the stored one, or a new one if the tree grew."""
        latest = self.latest_head()
        if latest is not None and latest.tree_size == self.tree_size():
            return latest
        return self.sign_head()

    def on_saved(self) -> None:
        """After a save: store a head if the last one is older than HEAD_INTERVAL."""
        now = self.app.clock()
        with self._lock:
            if self._last_head_at is not None and now - self._last_head_at < HEAD_INTERVAL:
                return
            try:
                latest = self.latest_head()
                if latest is None or now - parse_instant(latest.issued_at) >= HEAD_INTERVAL:
                    latest = self.sign_head()
                self._last_head_at = parse_instant(latest.issued_at)
            except AuditKeyError as err:
                logger.warning("no periodic signed tree head: %s", err)
                self._last_head_at = now  # say so again in an hour, not on every save
            except Exception:
                # The save itself succeeded; the next save (or GET /audit/head) tries again.
                logger.exception("could not store the periodic signed tree head")

    # -- proofs ----------------------------------------------------------------------------
    def inclusion(self, index: int, tree_size: int) -> tuple[bytes, list[bytes]]:
        """The leaf hash at `index` and its RFC 9162 inclusion proof in the tree of `tree_size`."""
        with self.recorder.audit_transaction(commit=False) as cursor:
            size = self._state(cursor).size
            if not 1 <= tree_size <= size:
                raise RuleViolationError("tree_size", f"tree_size 应在 1 至 {size} 之间")
            if index >= tree_size:
                raise RuleViolationError("index", f"index 须小于 tree_size（{tree_size}）")
            nodes = _StoredNodes(self.recorder, cursor)
            return nodes.node(0, index), inclusion_proof(nodes, index, tree_size)

    def consistency(self, first: int, second: int) -> list[bytes]:
        """The RFC 9162 consistency proof between the trees of sizes `first` and `second`."""
        with self.recorder.audit_transaction(commit=False) as cursor:
            size = self._state(cursor).size
            if second > size:
                raise RuleViolationError("second", f"second 不能大于审计树的大小（{size}）")
            if first > second:
                raise RuleViolationError("first", "first 不能大于 second")
            if first == 0 and second > 0:
                raise RuleViolationError("first", "first 至少为 1：空树没有一致性证明")
            return consistency_proof(_StoredNodes(self.recorder, cursor), first, second)

    def root_at(self, tree_size: int) -> bytes:
        """The root of the tree of the first `tree_size` leaves, from the stored subtrees."""
        with self.recorder.audit_transaction(commit=False) as cursor:
            return subtree_root(_StoredNodes(self.recorder, cursor), 0, tree_size)

    def case_proofs(self, case_id: UUID) -> tuple[SignedHead, dict[int, EventProof]]:
        """A head, and each stored event of the aggregate with its inclusion proof against it."""
        records = self.recorder.records_of(case_id)
        head = self.head()  # read after the records, so it covers every one of them
        proofs: dict[int, EventProof] = {}
        if not records:
            return head, proofs
        sql = self.recorder.sql
        marks = ",".join("?" * len(records))
        with self.recorder.audit_transaction(commit=False) as cursor:
            cursor.execute(
                sql(
                    "SELECT position, leaf_index, leaf_hash FROM {p}audit_leaves "
                    f"WHERE position IN ({marks})"
                ),
                tuple(r.id for r in records),
            )
            leaves = {
                row["position"]: (row["leaf_index"], bytes(row["leaf_hash"]))
                for row in cursor.fetchall()
            }
            nodes = _StoredNodes(self.recorder, cursor)
            for record in records:
                if record.id not in leaves:
                    continue  # a row without a leaf: `xinfang verify` names it
                index, value = leaves[record.id]
                proofs[record.originator_version] = EventProof(
                    version=record.originator_version,
                    log_position=record.id,
                    leaf_index=index,
                    leaf=record_leaf(record),
                    leaf_hash=value,
                    path=inclusion_proof(nodes, index, head.tree_size),
                )
        return head, proofs

    # -- bundles ---------------------------------------------------------------------------
    def seal_bundle(self, content: Mapping[str, Any]) -> bytes:
        """Add the public key and a signature over everything; return the bundle's file bytes."""
        sealed = {**content, "format": BUNDLE_CONTEXT, "public_key": self.public_key_pem()}
        sealed["signature"] = self.signing_key.sign(bundle_message(sealed)).hex()
        return canonical_json(sealed) + b"\n"

    # -- verification ----------------------------------------------------------------------
    def verify(
        self,
        *,
        progress: Progress | None = None,
        batch_size: int = 20_000,
        workers: int | None = None,
        chunk_size: int = CHUNK_SIZE,
        parallel_from: int = PARALLEL_FROM,
        pool: Callable[[StoreEnv, int, Sequence[int]], ChunkPool] = Workers,
    ) -> Verification:
        """Check every event against its leaf and place, the tree, each head, each snapshot.

        A log of `parallel_from` events or more is checked on `workers` processes (default:
        one per core), in chunks of `chunk_size` leaves; the finding is the same either way.
        """
        started = time.perf_counter()
        mapper = self.app.mapper
        if not isinstance(mapper, BoundMapper):
            raise TypeError("the event store does not seal records for their place (MAPPER_TOPIC)")
        snapshots = self.app.snapshots
        checker = LogChecker(
            self.recorder,
            self.heads(),
            self.public_key,
            self.key_id,
            batch_size,
            binding=mapper.binding,
            snapshot_table=getattr(snapshots.recorder, "events_table_name", None)
            if snapshots is not None
            else None,
            store=(self.app.name, dict(self.app.env)),
            workers=workers if workers is not None else os.cpu_count() or 1,
            chunk_size=chunk_size,
            parallel_from=parallel_from,
            pool=pool,
        )
        finding = checker.run(progress)
        return Verification(
            events=checker.tree.size,
            heads=checker.heads_checked,
            seconds=time.perf_counter() - started,
            finding=finding,
            snapshots=checker.snapshots_checked,
        )
