"""The tamper-evident audit trail: signed tree heads, proofs, offline bundles, the verifier.

The tree itself is written by the event store's recorder (projections.audit_recorders), in the
transaction of every save. This module reads it: it signs heads over it with the instance's
Ed25519 key, serves RFC 9162 proofs from its stored complete subtrees, seals per-case bundles
for offline checking, and verifies the whole log against it. docs/audit.md is the contract.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from eventsourcing.utils import get_topic

from domain.access import Access
from domain.application import Xinfang
from domain.errors import RuleViolationError
from domain.values import Role
from projections.audit_keys import AuditKeyError, key_id_of, load_signing_key, public_key_pem
from projections.audit_recorders import (
    AuditedRecorder,
    RawRecord,
    leaf_bytes,
    record_leaf,
    split_frontier,
)
from projections.merkle import (
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    subtree_root,
)
from projections.runner import Item, Projection
from projections.store import ViewStore

logger = logging.getLogger(__name__)

HEAD_CONTEXT = "xinfang-audit-head/v1"
BUNDLE_CONTEXT = "xinfang-audit-bundle/v1"
HEAD_INTERVAL = timedelta(hours=1)
"""While the log grows, a head is stored at least this often (checked after each save)."""

Progress = Callable[[int], None]


def format_instant(moment: datetime) -> str:
    """The one timestamp format of heads and bundles: UTC, microseconds, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_instant(text: str) -> datetime:
    """Read a timestamp written by `format_instant`."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def head_message(tree_size: int, root_hash: bytes, issued_at: str) -> bytes:
    """The exact bytes a tree head signature covers (docs/audit.md, "Signed tree heads")."""
    return f"{HEAD_CONTEXT}\n{tree_size}\n{root_hash.hex()}\n{issued_at}\n".encode()


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no insignificant whitespace, UTF-8: one byte string per JSON value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def bundle_message(content: Mapping[str, Any]) -> bytes:
    """The exact bytes a bundle signature covers: context line, then the canonical content."""
    return f"{BUNDLE_CONTEXT}\n".encode() + canonical_json(content)


@dataclass(frozen=True)
class SignedHead:
    """A signed statement of the tree's size and root at a moment."""

    tree_size: int
    root_hash: bytes
    issued_at: str
    signature: bytes
    key_id: str

    def message(self) -> bytes:
        """The bytes the signature covers."""
        return head_message(self.tree_size, self.root_hash, self.issued_at)

    def as_json(self) -> dict[str, Any]:
        """The head as the API shows it (hex strings)."""
        return {
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "issued_at": self.issued_at,
            "signature": self.signature.hex(),
            "key_id": self.key_id,
        }


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

    @property
    def ok(self) -> bool:
        """Whether the log, the tree and every head agree."""
        return self.finding is None

    @property
    def rate(self) -> float:
        """Events checked per second."""
        return self.events / self.seconds if self.seconds > 0 else float(self.events)


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


# -- the service ---------------------------------------------------------------------------
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
                raise RuleViolationError("tree_size", f"must be between 1 and {size}")
            if index >= tree_size:
                raise RuleViolationError("index", f"must be less than tree_size ({tree_size})")
            nodes = _StoredNodes(self.recorder, cursor)
            return nodes.node(0, index), inclusion_proof(nodes, index, tree_size)

    def consistency(self, first: int, second: int) -> list[bytes]:
        """The RFC 9162 consistency proof between the trees of sizes `first` and `second`."""
        with self.recorder.audit_transaction(commit=False) as cursor:
            size = self._state(cursor).size
            if second > size:
                raise RuleViolationError("second", f"must be at most the tree size ({size})")
            if first > second:
                raise RuleViolationError("first", "must not exceed second")
            if first == 0 and second > 0:
                raise RuleViolationError(
                    "first", "must be at least 1: no consistency proof from the empty tree"
                )
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
    def verify(self, *, progress: Progress | None = None, batch_size: int = 20_000) -> Verification:
        """Recompute every leaf from the event rows, rebuild the tree, check it and every head."""
        started = time.perf_counter()
        checker = _Checker(self, batch_size)
        finding = checker.run(progress)
        return Verification(
            events=checker.tree.size,
            heads=checker.heads_checked,
            seconds=time.perf_counter() - started,
            finding=finding,
        )


class _Checker:
    """One pass of `AuditTrail.verify`: stops at the first finding, in log order."""

    def __init__(self, trail: AuditTrail, batch_size: int) -> None:
        self.trail = trail
        self.recorder = trail.recorder
        self.batch_size = batch_size
        self.tree = CompactRange()
        self.heads = trail.heads()
        self.next_head = 0
        self.heads_checked = 0
        self.public_key = trail.public_key
        self.key_id = trail.key_id

    def run(self, progress: Progress | None) -> Finding | None:
        """Walk the log; the first finding, or None if everything agrees."""
        finding = self._check_heads(None)
        after = 0
        while finding is None:
            scan = self.recorder.scan(after, self.batch_size)
            if scan.records:
                finding = self._check_batch(scan.records)
                after = scan.records[-1][0]
                if progress is not None:
                    progress(len(scan.records))
            if finding is None and scan.malformed is not None:
                position, reason = scan.malformed
                return Finding(
                    position, f"the event row at log position {position} was altered: {reason}"
                )
            if not scan.records:
                break
        return finding or self._check_end()

    def _check_batch(self, records: Sequence[RawRecord]) -> Finding | None:
        first = self.tree.size
        leaves = self._stored_leaves(first, len(records))
        nodes = self._stored_nodes(first, first + len(records))
        for offset, record in enumerate(records):
            row = record[0]
            index = first + offset
            stored = leaves[offset] if offset < len(leaves) else None
            if stored is None or stored[0] != index:
                if stored is None and not self._has_leaf_beyond(index):
                    return Finding(
                        row,
                        f"the event row at log position {row} has no leaf in the audit tree: "
                        "it was inserted behind the application's back",
                    )
                return Finding(
                    row,
                    f"the audit leaf {index} (log position {row}) is missing from the stored tree",
                )
            _, position, stored_hash = stored
            if row < position:
                return Finding(
                    row,
                    f"the event row at log position {row} is not in the audit tree (leaf "
                    f"{index} belongs to log position {position}): the row was inserted",
                )
            if row > position:
                return Finding(
                    position,
                    f"the event at log position {position} (leaf {index}) is missing from the "
                    "event store: the row was deleted or moved",
                )
            value = leaf_hash(leaf_bytes(*record))
            if value != stored_hash:
                return Finding(
                    row,
                    f"the event row at log position {row} does not match its audit leaf "
                    f"{index}: the row (or the stored leaf) was altered",
                )
            for level, idx, node in self.tree.append(value)[1:]:
                if nodes.get((level, idx)) != node:
                    start, end = idx << level, ((idx + 1) << level) - 1
                    return Finding(
                        row,
                        f"the stored tree node at level {level}, index {idx} (leaves {start}-"
                        f"{end}, up to log position {row}) is missing or was altered",
                    )
            if self.next_head < len(self.heads):
                finding = self._check_heads(row)
                if finding is not None:
                    return finding
        return None

    def _stored_leaves(self, first: int, count: int) -> list[tuple[int, int, bytes]]:
        statement = self.recorder.sql(
            "SELECT leaf_index, position, leaf_hash FROM {p}audit_leaves "
            "WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index"
        )
        with self.recorder.audit_transaction(commit=False) as cursor:
            cursor.execute(statement, (first, first + count))
            return [
                (row["leaf_index"], row["position"], bytes(row["leaf_hash"]))
                for row in cursor.fetchall()
            ]

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
        with self.recorder.audit_transaction(commit=False) as cursor:
            for level in range(1, end.bit_length() + 1):
                low, high = start >> level, (end >> level) - 1
                if low > high:
                    continue
                cursor.execute(statement, (level, low, high))
                found.update(
                    ((row["level"], row["idx"]), bytes(row["hash"])) for row in cursor.fetchall()
                )
        return found

    def _check_heads(self, position: int | None) -> Finding | None:
        """Check every head of the current tree size (position: the last leaf's)."""
        while (
            self.next_head < len(self.heads)
            and self.heads[self.next_head].tree_size == self.tree.size
        ):
            head = self.heads[self.next_head]
            self.next_head += 1
            self.heads_checked += 1
            where = f"log position {position}" if position is not None else "the empty log"
            if head.key_id != self.key_id:
                return Finding(
                    position,
                    f"the signed head of tree size {head.tree_size} names key {head.key_id}, "
                    f"not this instance's key {self.key_id}",
                )
            try:
                self.public_key.verify(head.signature, head.message())
            except InvalidSignature:
                return Finding(
                    position,
                    f"the signed head of tree size {head.tree_size} (up to {where}) has an "
                    "invalid signature: the stored head was altered",
                )
            if head.root_hash != self.tree.root():
                return Finding(
                    position,
                    f"the signed head of tree size {head.tree_size} does not match the log: an "
                    f"event at or before {where} was altered and the tree recomputed",
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
                f"the event at log position {extra['position']} (leaf {extra['leaf_index']}) "
                "is missing from the "
                "event store: the row was deleted",
            )
        if self.next_head < len(self.heads):
            head = self.heads[self.next_head]
            return Finding(
                None,
                f"a signed head covers {head.tree_size} events but the log holds {size}: "
                "events were removed after the last one",
            )
        frontier = b"".join(self.tree.frontier())
        if state is None or state["tree_size"] != size or bytes(state["frontier"]) != frontier:
            return Finding(None, "the stored audit_state (tree size and frontier) was altered")
        expected = sum(size >> level for level in range(1, size.bit_length()))
        if node_count != expected:
            return Finding(
                None, f"the stored tree has {node_count} inner nodes where {expected} belong"
            )
        return None


# -- the access log ------------------------------------------------------------------------
ACCESS_TOPIC = get_topic(Access.Recorded)
ACCESS_TABLES = (
    """CREATE TABLE IF NOT EXISTS {p}audit_access (
        position {bigint} PRIMARY KEY, recorded_at TEXT NOT NULL, actor_id TEXT NOT NULL,
        actor_name TEXT NOT NULL, actor_role TEXT NOT NULL, actor_unit_id TEXT,
        case_id TEXT NOT NULL, action TEXT NOT NULL, fields TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS audit_access_actor ON {p}audit_access (actor_id, recorded_at)",
    "CREATE INDEX IF NOT EXISTS audit_access_case ON {p}audit_access (case_id, recorded_at)",
    "CREATE INDEX IF NOT EXISTS audit_access_time ON {p}audit_access (recorded_at)",
)


class AccessProjection(Projection):
    """Keeps audit_access: one row per Access.Recorded event, for the auditors' queries."""

    name = "access"
    tables = ACCESS_TABLES
    drops = ("audit_access",)

    def apply(self, store: ViewStore, cursor: Any, batch: Sequence[Item]) -> None:
        """Copy the access events of the batch (others are skipped without decoding)."""
        rows = []
        for item in batch:
            if item.notification.topic != ACCESS_TOPIC:
                continue
            event = item.event
            assert isinstance(event, Access.Recorded)
            rows.append(
                (
                    item.position,
                    format_instant(event.timestamp),
                    event.actor.id.hex,
                    event.actor.name,
                    event.actor.role.value,
                    event.actor.unit_id.hex if event.actor.unit_id else None,
                    event.case_id.hex,
                    event.action,
                    ",".join(event.fields),
                )
            )
        store.run_many(
            cursor,
            "INSERT INTO {p}audit_access (position, recorded_at, actor_id, actor_name, "
            "actor_role, actor_unit_id, case_id, action, fields) VALUES (?,?,?,?,?,?,?,?,?)",
            rows,
        )


@dataclass(frozen=True)
class AccessEntry:
    """One recorded access to restricted data."""

    position: int
    recorded_at: datetime
    actor: dict[str, Any]
    case_id: UUID
    action: str
    fields: list[str]


class AccessLog:
    """Queries over audit_access."""

    def __init__(self, store: ViewStore) -> None:
        self.store = store

    def query(
        self,
        *,
        actor_id: UUID | None = None,
        case_id: UUID | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 1000,
    ) -> list[AccessEntry]:
        """Recorded accesses matching every given filter, newest first."""
        where, params = ["1 = 1"], []
        for clause, value in (
            ("actor_id = ?", actor_id.hex if actor_id else None),
            ("case_id = ?", case_id.hex if case_id else None),
            ("recorded_at >= ?", format_instant(start) if start else None),
            ("recorded_at < ?", format_instant(end) if end else None),
        ):
            if value is not None:
                where.append(clause)
                params.append(value)
        rows = self.store.query(
            f"SELECT * FROM {{p}}audit_access WHERE {' AND '.join(where)} "
            "ORDER BY position DESC LIMIT ?",
            [*params, limit],
        )
        return [
            AccessEntry(
                position=row["position"],
                recorded_at=parse_instant(row["recorded_at"]),
                actor={
                    "id": UUID(row["actor_id"]),
                    "name": row["actor_name"],
                    "role": Role(row["actor_role"]),
                    "unit_id": UUID(row["actor_unit_id"]) if row["actor_unit_id"] else None,
                },
                case_id=UUID(row["case_id"]),
                action=row["action"],
                fields=[f for f in row["fields"].split(",") if f],
            )
            for row in rows
        ]
