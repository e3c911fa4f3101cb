"""RFC 9162 (RFC 6962) Merkle tree: hashing, an O(log n) frontier, proofs and strict verifiers.

Hashing is SHA-256 with domain separation: a leaf hashes as ``H(0x00 || leaf)``, an interior node
as ``H(0x01 || left || right)``, and the root of the empty tree is ``H(b"")`` (:data:`EMPTY_ROOT`).
A tree of ``n`` leaves has root ``MTH(D[0:n])`` (RFC 9162 §2.1.1): for ``n > 1`` the leaves are
split at ``k``, the largest power of two strictly less than ``n``.

Storage model. A tree is persisted as the hashes of its *complete* subtrees, addressed by
``(level, index)``: the node at level ``L``, index ``i`` covers leaves ``[i * 2**L, (i+1) * 2**L)``
and level 0 is the leaf hashes themselves. :class:`CompactRange` appends a leaf hash in O(log n),
keeps only the O(log n) frontier (the roots of the maximal complete subtrees, leftmost first) and
returns the nodes each append completes, so a caller can store them and later resume with
:meth:`CompactRange.from_frontier`. :func:`inclusion_proof` and :func:`consistency_proof` read
O(log n) stored nodes through a :class:`NodeSource`; subtrees on the incomplete right edge are
recomputed from complete ones by :func:`subtree_root`. Generators raise plain ``ValueError`` for
bad arguments.

Verification follows RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) and is strict; any
failure raises :class:`ProofError` (a ``ValueError``) with a message saying what was wrong:

- every hash handed to a verifier (leaf hash, roots, proof elements) must be exactly 32 bytes;
- sizes must be non-negative, ``index < tree_size`` and ``first <= second``;
- a proof must have exactly the number of elements the RFC algorithm produces for its sizes;
- a consistency proof is defined only for ``0 < first < second`` (RFC 9162 §2.1.4.1), so
  ``first == 0 < second`` is rejected whatever the proof; equal sizes need an empty proof and
  identical roots, and two empty trees additionally need both roots to equal :data:`EMPTY_ROOT`.

Decision on the public vector ``consistency/additional/sizes-are-equal-one-and-proof-is-empty``
(sizes 1 and 1, empty proof, two identical 12-byte "roots", ``wantErr: false``): this module
REJECTS it. The reference Go library accepts it because equal sizes need no hashing, but a 12-byte
value is not a SHA-256 tree head, and accepting it would let a truncated or corrupted stored
checkpoint "verify" against itself. It is the only public vector whose outcome differs here.

Only :mod:`hashlib` is used for hashing (the other imports are typing helpers), so an offline
verifier script can import this module or mirror it verbatim.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "InMemoryNodes",
    "NodeSource",
    "ProofError",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_from_leaf_hashes",
    "subtree_root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A Merkle proof, or the sizes and hashes given with it, failed verification."""


def leaf_hash(leaf: bytes) -> bytes:
    """Return the RFC 9162 leaf hash ``SHA-256(0x00 || leaf)``."""
    return hashlib.sha256(_LEAF_PREFIX + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 interior node hash ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """Return ``k``, the largest power of two strictly less than ``n`` (for ``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def _check_hash(value: bytes, what: str, error: type[ValueError] = ValueError) -> None:
    """Raise ``error`` unless ``value`` is a 32-byte hash."""
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        size = f"{len(value)} bytes" if isinstance(value, bytes) else type(value).__name__
        raise error(f"{what} must be a {HASH_SIZE}-byte SHA-256 hash, got {size}")


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """Return the tree root MTH over ``hashes`` (RFC 9162 §2.1.1); ``EMPTY_ROOT`` when empty."""
    for position, value in enumerate(hashes):
        _check_hash(value, f"leaf hash {position}")
    if not hashes:
        return EMPTY_ROOT
    return _mth(hashes, 0, len(hashes))


def _mth(hashes: Sequence[bytes], start: int, end: int) -> bytes:
    """Return MTH of the non-empty range ``hashes[start:end]`` by the RFC 9162 recursion."""
    if end - start == 1:
        return hashes[start]
    mid = start + _split(end - start)
    return node_hash(_mth(hashes, start, mid), _mth(hashes, mid, end))


class CompactRange:
    """An append-only tree that keeps only its frontier of maximal complete-subtree roots."""

    __slots__ = ("_frontier", "_size")

    def __init__(self) -> None:
        """Start an empty tree."""
        self._size = 0
        self._frontier: list[bytes] = []

    @classmethod
    def from_frontier(cls, size: int, hashes: Sequence[bytes]) -> CompactRange:
        """Resume a tree from its persisted ``size`` and ``frontier()`` hashes."""
        if size < 0:
            raise ValueError(f"tree size must be non-negative, got {size}")
        if len(hashes) != size.bit_count():
            raise ValueError(
                f"a tree of size {size} has a frontier of {size.bit_count()} hashes, "
                f"got {len(hashes)}"
            )
        for position, value in enumerate(hashes):
            _check_hash(value, f"frontier hash {position}")
        resumed = cls()
        resumed._size = size
        resumed._frontier = list(hashes)
        return resumed

    @property
    def size(self) -> int:
        """Return the number of leaves appended so far."""
        return self._size

    def frontier(self) -> list[bytes]:
        """Return the roots of the maximal complete subtrees, leftmost (largest) first."""
        return list(self._frontier)

    def append(self, leaf_hash: bytes) -> list[tuple[int, int, bytes]]:
        """Append a leaf hash; return the nodes it completes as ``(level, index, hash)``."""
        _check_hash(leaf_hash, "leaf hash")
        level, index, node = 0, self._size, leaf_hash
        completed = [(level, index, node)]
        while (self._size >> level) & 1:
            node = node_hash(self._frontier.pop(), node)
            level, index = level + 1, index >> 1
            completed.append((level, index, node))
        self._frontier.append(node)
        self._size += 1
        return completed

    def append_subtree(self, level: int, subtree_root: bytes) -> list[tuple[int, int, bytes]]:
        """Append the root of ``2**level`` leaves at once; return the nodes completed with it.

        The tree's size must be a multiple of ``2**level`` (the subtree is then a complete one
        of the RFC 9162 tree). The result starts with the subtree itself, as ``append`` starts
        with the leaf, and is what appending its leaves one by one would return last.
        """
        _check_hash(subtree_root, "subtree root")
        if level < 0 or self._size % (1 << level):
            raise ValueError(
                f"a subtree of 2**{level} leaves does not start at tree size {self._size}"
            )
        index, node = self._size >> level, subtree_root
        completed = [(level, index, node)]
        while index & 1:
            node = node_hash(self._frontier.pop(), node)
            level, index = level + 1, index >> 1
            completed.append((level, index, node))
        self._frontier.append(node)
        self._size += 1 << completed[0][0]
        return completed

    def root(self) -> bytes:
        """Return the root of the tree so far; ``EMPTY_ROOT`` when empty."""
        if not self._frontier:
            return EMPTY_ROOT
        root = self._frontier[-1]
        for left in reversed(self._frontier[:-1]):
            root = node_hash(left, root)
        return root


class NodeSource(Protocol):
    """Stored complete subtrees: ``(level, i)`` covers leaves ``[i << level, (i+1) << level)``."""

    def node(self, level: int, index: int) -> bytes:
        """Return the stored hash of the complete subtree at ``(level, index)``."""


class InMemoryNodes(NodeSource):
    """A ``NodeSource`` holding every complete subtree of a tree built from leaf hashes."""

    def __init__(self, leaf_hashes: Sequence[bytes] = ()) -> None:
        """Build the tree of ``leaf_hashes`` and keep all its complete-subtree hashes."""
        self._range = CompactRange()
        self._levels: list[list[bytes]] = []
        for value in leaf_hashes:
            self.append(value)

    @property
    def size(self) -> int:
        """Return the number of leaves in the tree."""
        return self._range.size

    def append(self, leaf_hash: bytes) -> None:
        """Append a leaf hash and store the subtrees it completes."""
        for level, _index, value in self._range.append(leaf_hash):
            if level == len(self._levels):
                self._levels.append([])
            self._levels[level].append(value)

    def root(self) -> bytes:
        """Return the root of the whole tree."""
        return self._range.root()

    def node(self, level: int, index: int) -> bytes:
        """Return the stored hash at ``(level, index)``; ``KeyError`` if it is not complete."""
        if 0 <= level < len(self._levels) and 0 <= index < len(self._levels[level]):
            return self._levels[level][index]
        raise KeyError(
            f"no complete subtree at level {level}, index {index} in a tree of size {self.size}"
        )


def _lookup(source: NodeSource, level: int, index: int) -> bytes:
    """Fetch one stored node and check that it looks like a hash."""
    value = source.node(level, index)
    _check_hash(value, f"stored node at level {level}, index {index}")
    return value


def subtree_root(source: NodeSource, start: int, end: int) -> bytes:
    """Return MTH of leaves ``[start, end)`` from complete subtrees in O(log n) lookups."""
    if start == end == 0:
        return EMPTY_ROOT
    if not 0 <= start < end:
        raise ValueError(f"need 0 <= start < end, got [{start}, {end})")
    if start % (1 << (end - start - 1).bit_length()):
        raise ValueError(f"[{start}, {end}) is not a subtree of an RFC 9162 tree")
    lefts: list[bytes] = []
    while (end - start) & (end - start - 1):  # not a power of two: split off the complete left
        k = _split(end - start)
        level = k.bit_length() - 1
        lefts.append(_lookup(source, level, start >> level))
        start += k
    level = (end - start).bit_length() - 1
    root = _lookup(source, level, start >> level)
    for left in reversed(lefts):
        root = node_hash(left, root)
    return root


def inclusion_proof(source: NodeSource, index: int, tree_size: int) -> list[bytes]:
    """Return the RFC 9162 §2.1.3.1 inclusion proof PATH(index, D[0:tree_size]), leaf first."""
    if not 0 <= index < tree_size:
        raise ValueError(f"leaf index {index} is out of range for tree size {tree_size}")
    siblings: list[bytes] = []  # root first; reversed at the end
    start, end = 0, tree_size
    while end - start > 1:
        mid = start + _split(end - start)
        if index < mid:
            siblings.append(subtree_root(source, mid, end))
            end = mid
        else:
            siblings.append(subtree_root(source, start, mid))
            start = mid
    siblings.reverse()
    return siblings


def consistency_proof(source: NodeSource, first: int, second: int) -> list[bytes]:
    """Return the RFC 9162 §2.1.4.1 consistency proof PROOF(first, D[0:second])."""
    if not 0 <= first <= second:
        raise ValueError(f"need 0 <= first <= second, got first={first}, second={second}")
    if first == second:
        return []
    if first == 0:
        raise ValueError("a consistency proof from the empty tree is undefined (RFC 9162 §2.1.4.1)")
    siblings: list[bytes] = []  # root first; reversed at the end
    start, end, whole_first_tree = 0, second, True
    while end != first:
        mid = start + _split(end - start)
        if first <= mid:
            siblings.append(subtree_root(source, mid, end))
            end = mid
        else:
            siblings.append(subtree_root(source, start, mid))
            start, whole_first_tree = mid, False
    proof = [] if whole_first_tree else [subtree_root(source, start, end)]
    proof.extend(reversed(siblings))
    return proof


def _inclusion_proof_length(index: int, tree_size: int) -> int:
    """Return how many elements PATH(index, D[0:tree_size]) has."""
    length, start, end = 0, 0, tree_size
    while end - start > 1:
        mid = start + _split(end - start)
        start, end = (start, mid) if index < mid else (mid, end)
        length += 1
    return length


def _consistency_proof_length(first: int, second: int) -> int:
    """Return how many elements PROOF(first, D[0:second]) has, for ``0 < first < second``."""
    length, start, end, whole_first_tree = 0, 0, second, True
    while end != first:
        mid = start + _split(end - start)
        if first <= mid:
            end = mid
        else:
            start, whole_first_tree = mid, False
        length += 1
    return length if whole_first_tree else length + 1


def _check_proof(proof: Sequence[bytes]) -> None:
    """Raise ``ProofError`` unless every proof element is a 32-byte hash."""
    for position, value in enumerate(proof):
        _check_hash(value, f"proof element {position}", ProofError)


def _root_from_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes]
) -> bytes:
    """Return the root an inclusion proof implies (RFC 9162 §2.1.3.2), checking its shape."""
    if index < 0 or tree_size < 0:
        raise ProofError(f"index and tree size must be non-negative, got {index} and {tree_size}")
    if index >= tree_size:
        raise ProofError(f"leaf index {index} is out of range for tree size {tree_size}")
    _check_hash(leaf_hash, "leaf hash", ProofError)
    _check_proof(proof)
    expected = _inclusion_proof_length(index, tree_size)
    if len(proof) != expected:
        raise ProofError(
            f"inclusion proof has {len(proof)} elements, but leaf {index} of a tree of size "
            f"{tree_size} needs exactly {expected}"
        )
    fn, sn, result = index, tree_size - 1, leaf_hash
    for element in proof:
        if sn == 0:
            raise ProofError("inclusion proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            result = node_hash(element, result)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, element)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the path to the root")
    return result


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check an RFC 9162 §2.1.3.2 inclusion proof; raise ``ProofError`` if it fails."""
    _check_hash(root, "root", ProofError)
    computed = _root_from_inclusion(leaf_hash, index, tree_size, proof)
    if computed != root:
        raise ProofError(
            f"inclusion proof for leaf {index} of a tree of size {tree_size} gives root "
            f"{computed.hex()}, expected {root.hex()}"
        )


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check an RFC 9162 §2.1.4.2 consistency proof; raise ``ProofError`` if it fails."""
    if first < 0 or second < 0:
        raise ProofError(f"tree sizes must be non-negative, got {first} and {second}")
    if first > second:
        raise ProofError(f"first tree size {first} exceeds second tree size {second}")
    _check_hash(first_root, "first root", ProofError)
    _check_hash(second_root, "second root", ProofError)
    _check_proof(proof)
    if first == second:
        if proof:
            raise ProofError(
                f"trees of equal size need an empty consistency proof, got {len(proof)} elements"
            )
        if first_root != second_root:
            raise ProofError(f"trees of equal size {first} have different roots")
        if first == 0 and first_root != EMPTY_ROOT:
            raise ProofError("the root of an empty tree must be SHA-256 of the empty string")
        return
    if first == 0:
        raise ProofError(
            "a consistency proof from the empty tree is undefined (RFC 9162 §2.1.4.1 needs "
            "0 < first < second)"
        )
    expected = _consistency_proof_length(first, second)
    if len(proof) != expected:
        raise ProofError(
            f"consistency proof has {len(proof)} elements, but sizes {first} -> {second} "
            f"need exactly {expected}"
        )
    # RFC 9162 §2.1.4.2; the length check above already rejects an empty path (step 1).
    path = [first_root, *proof] if first & (first - 1) == 0 else list(proof)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    first_result = second_result = path[0]
    for element in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            first_result = node_hash(element, first_result)
            second_result = node_hash(element, second_result)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            second_result = node_hash(second_result, element)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("consistency proof is shorter than the path to the root")
    if first_result != first_root:
        raise ProofError(
            f"consistency proof gives first root {first_result.hex()}, expected {first_root.hex()}"
        )
    if second_result != second_root:
        raise ProofError(
            f"consistency proof gives second root {second_result.hex()}, "
            f"expected {second_root.hex()}"
        )
