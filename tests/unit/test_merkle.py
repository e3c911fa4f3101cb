"""The RFC 9162 Merkle tree against the public transparency-dev vectors and random trees."""

from __future__ import annotations

import base64
import hashlib
import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from projections.merkle import (
    EMPTY_ROOT,
    CompactRange,
    InMemoryNodes,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    subtree_root,
    verify_consistency,
    verify_inclusion,
)

# A copy kept in the repository (tests/data/rfc9162/SOURCE.md names its origin and licence).
VECTORS = Path(__file__).resolve().parents[1] / "data" / "rfc9162"

# Public vectors whose wantErr this verifier deliberately overrides (see projections/merkle.py).
DELIBERATELY_REJECTED = frozenset({"consistency/additional/sizes-are-equal-one-and-proof-is-empty"})


def _vector_params(kind: str, pattern: str = "**/*.json") -> list[Any]:
    """Return one pytest param per vector file, or a single failing marker if none exist."""
    files = sorted((VECTORS / kind).glob(pattern))
    if not files:
        return [pytest.param(None, id=f"{kind}-vectors-missing")]
    return [pytest.param(f, id=_vector_id(f)) for f in files]


def _vector_id(path: Path) -> str:
    """Return a vector's path relative to the vectors directory, without ``.json``."""
    return path.relative_to(VECTORS).with_suffix("").as_posix()


def _load(path: Path | None) -> dict[str, Any]:
    """Load one vector file, failing the test if the vectors directory is missing."""
    if path is None or not path.is_file():
        pytest.fail(f"RFC 9162 test vectors not found under {VECTORS}")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _b64(value: str) -> bytes:
    """Decode one base64 hash from a vector."""
    return base64.b64decode(value)


def _proof(data: dict[str, Any]) -> list[bytes]:
    """Decode a vector's proof, which may be null."""
    return [_b64(element) for element in data["proof"] or []]


def _reference() -> tuple[list[bytes], list[bytes]]:
    """Return the reference tree's leaf hashes and its roots for sizes 0..8."""
    data = _load(VECTORS / "reference-tree.json")
    leaves = [leaf_hash(bytes.fromhex(leaf)) for leaf in data["leaf_inputs_hex"]]
    roots = [bytes.fromhex(root) for root in data["root_hashes_hex_by_tree_size"]]
    return leaves, roots


def _flip(value: bytes, position: int) -> bytes:
    """Return ``value`` with one byte inverted."""
    return value[:position] + bytes([value[position] ^ 0xFF]) + value[position + 1 :]


def _random_leaves(rng: random.Random, count: int) -> list[bytes]:
    """Return ``count`` leaf hashes of random leaves of random length."""
    return [leaf_hash(rng.randbytes(rng.randrange(0, 40))) for _ in range(count)]


class _SyntheticNodes:
    """A NodeSource for a huge tree: made-up node hashes, recording every lookup."""

    def __init__(self, tree_size: int) -> None:
        """Serve a tree of ``tree_size`` leaves without storing it."""
        self.tree_size = tree_size
        self.lookups: list[tuple[int, int]] = []

    def node(self, level: int, index: int) -> bytes:
        """Return a made-up hash, insisting the subtree is complete within the tree."""
        assert level >= 0
        assert index >= 0
        assert (index + 1) << level <= self.tree_size, "asked for an incomplete subtree"
        self.lookups.append((level, index))
        return hashlib.sha256(f"{level}/{index}".encode()).digest()


# --- hashing and roots ---------------------------------------------------------------------------


def test_the_vectors_directory_exists_beside_the_repo() -> None:
    assert VECTORS.is_dir(), f"RFC 9162 test vectors not found under {VECTORS}"
    assert (VECTORS / "reference-tree.json").is_file()


def test_the_empty_root_is_the_hash_of_the_empty_string_and_the_reference_size_zero_root() -> None:
    _leaves, roots = _reference()
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT == roots[0]
    assert root_from_leaf_hashes([]) == EMPTY_ROOT
    assert CompactRange().root() == EMPTY_ROOT


def test_leaf_and_node_hashes_use_the_rfc_domain_separation_prefixes() -> None:
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert (
        node_hash(b"L" * 32, b"R" * 32) == hashlib.sha256(b"\x01" + b"L" * 32 + b"R" * 32).digest()
    )


def test_every_reference_root_is_reproduced_from_leaf_hashes() -> None:
    leaves, roots = _reference()
    assert len(roots) == 9
    for size, root in enumerate(roots):
        assert root_from_leaf_hashes(leaves[:size]) == root, size


def test_every_reference_root_is_reproduced_by_incremental_appends() -> None:
    leaves, roots = _reference()
    tree = CompactRange()
    assert tree.root() == roots[0]
    for size, value in enumerate(leaves, start=1):
        tree.append(value)
        assert tree.size == size
        assert tree.root() == roots[size], size


def test_resuming_from_the_frontier_at_every_size_reproduces_every_later_reference_root() -> None:
    leaves, roots = _reference()
    for resume_at in range(len(leaves) + 1):
        original = CompactRange()
        for value in leaves[:resume_at]:
            original.append(value)
        frontier = original.frontier()
        assert len(frontier) == resume_at.bit_count()
        resumed = CompactRange.from_frontier(resume_at, frontier)
        assert resumed.size == resume_at
        assert resumed.root() == roots[resume_at]
        for size in range(resume_at + 1, len(leaves) + 1):
            resumed.append(leaves[size - 1])
            assert resumed.root() == roots[size], (resume_at, size)


def test_appends_report_each_complete_subtree_exactly_once_with_its_correct_hash() -> None:
    leaves = _random_leaves(random.Random(1), 70)
    tree = CompactRange()
    seen: dict[tuple[int, int], bytes] = {}
    for value in leaves:
        completed = tree.append(value)
        assert completed[0] == (0, tree.size - 1, value)
        for level, index, digest in completed:
            assert (level, index) not in seen
            seen[(level, index)] = digest
            span = 1 << level
            assert digest == root_from_leaf_hashes(leaves[index * span : (index + 1) * span])
    expected = {(lv, i) for lv in range(7) for i in range(len(leaves) >> lv)}
    assert set(seen) == expected


def test_the_frontier_stays_logarithmic_and_matches_the_bits_of_the_size() -> None:
    tree = CompactRange()
    for value in _random_leaves(random.Random(2), 300):
        tree.append(value)
        assert len(tree.frontier()) == tree.size.bit_count() <= tree.size.bit_length()


def test_resuming_from_a_frontier_of_the_wrong_shape_is_refused() -> None:
    digest = leaf_hash(b"x")
    with pytest.raises(ValueError, match="frontier of 2 hashes, got 1"):
        CompactRange.from_frontier(3, [digest])
    with pytest.raises(ValueError, match="32-byte"):
        CompactRange.from_frontier(1, [digest[:31]])
    with pytest.raises(ValueError, match="non-negative"):
        CompactRange.from_frontier(-1, [])


def test_appending_something_that_is_not_a_32_byte_hash_is_refused() -> None:
    with pytest.raises(ValueError, match="32-byte"):
        CompactRange().append(b"leaf data, not a hash")
    with pytest.raises(ValueError, match="leaf hash 1"):
        root_from_leaf_hashes([EMPTY_ROOT, b""])


# --- proof generation over stored complete subtrees -----------------------------------------------


@pytest.mark.parametrize("path", _vector_params("inclusion", "*/happy-path.json"))
def test_generated_inclusion_proofs_for_the_reference_tree_equal_the_happy_path_vectors(
    path: Path | None,
) -> None:
    data = _load(path)
    leaves, roots = _reference()
    index, size = data["leafIdx"], data["treeSize"]
    assert _b64(data["leafHash"]) == leaves[index]
    assert _b64(data["root"]) == roots[size]
    nodes = InMemoryNodes(leaves[:size])
    assert inclusion_proof(nodes, index, size) == _proof(data)
    assert inclusion_proof(InMemoryNodes(leaves), index, size) == _proof(data)


@pytest.mark.parametrize("path", _vector_params("consistency", "*/happy-path.json"))
def test_generated_consistency_proofs_for_the_reference_tree_equal_the_happy_path_vectors(
    path: Path | None,
) -> None:
    data = _load(path)
    leaves, roots = _reference()
    first, second = data["size1"], data["size2"]
    assert _b64(data["root1"]) == roots[first]
    assert _b64(data["root2"]) == roots[second]
    assert consistency_proof(InMemoryNodes(leaves[:second]), first, second) == _proof(data)
    assert consistency_proof(InMemoryNodes(leaves), first, second) == _proof(data)


def test_there_are_five_happy_path_vectors_of_each_kind() -> None:
    assert len(list(VECTORS.glob("inclusion/*/happy-path.json"))) == 5
    assert len(list(VECTORS.glob("consistency/*/happy-path.json"))) == 5


def test_subtree_root_of_every_rfc_range_equals_the_root_of_its_leaves() -> None:
    leaves = _random_leaves(random.Random(3), 70)
    nodes = InMemoryNodes(leaves)
    assert subtree_root(nodes, 0, 0) == EMPTY_ROOT
    for size in range(1, len(leaves) + 1):
        assert subtree_root(nodes, 0, size) == root_from_leaf_hashes(leaves[:size])
    assert subtree_root(nodes, 64, 70) == root_from_leaf_hashes(leaves[64:70])
    assert subtree_root(nodes, 48, 51) == root_from_leaf_hashes(leaves[48:51])


def test_subtree_root_refuses_ranges_that_are_not_rfc_subtrees() -> None:
    nodes = InMemoryNodes(_random_leaves(random.Random(4), 8))
    with pytest.raises(ValueError, match="not a subtree"):
        subtree_root(nodes, 1, 3)
    with pytest.raises(ValueError, match="start < end"):
        subtree_root(nodes, 3, 3)


def test_in_memory_nodes_hold_only_complete_subtrees() -> None:
    nodes = InMemoryNodes(_random_leaves(random.Random(5), 3))
    assert nodes.size == 3
    nodes.node(1, 0)
    with pytest.raises(KeyError, match="level 1, index 1"):
        nodes.node(1, 1)


@pytest.mark.parametrize("tree_size", [1, 2, 3, 70, 1023, 1024, 1025, 2**40 + 12345, 2**62 - 1])
def test_proofs_need_only_logarithmically_many_lookups_of_complete_subtrees(tree_size: int) -> None:
    bound = 2 * tree_size.bit_length() + 1
    for index in {0, tree_size // 3, tree_size // 2, tree_size - 2, tree_size - 1} - {-1}:
        source = _SyntheticNodes(tree_size)
        proof = inclusion_proof(source, index, tree_size)
        assert len(proof) <= tree_size.bit_length()
        assert len(source.lookups) <= bound, (index, len(source.lookups))
    for first in {1, tree_size // 3, tree_size // 2, tree_size - 1, tree_size} - {0}:
        source = _SyntheticNodes(tree_size)
        consistency_proof(source, first, tree_size)
        assert len(source.lookups) <= bound, (first, len(source.lookups))
    source = _SyntheticNodes(tree_size)
    subtree_root(source, 0, tree_size)
    assert len(source.lookups) == tree_size.bit_count()


def test_proof_generation_refuses_out_of_range_sizes() -> None:
    nodes = InMemoryNodes(_random_leaves(random.Random(6), 4))
    with pytest.raises(ValueError, match="out of range"):
        inclusion_proof(nodes, 4, 4)
    with pytest.raises(ValueError, match="out of range"):
        inclusion_proof(nodes, 0, 0)
    with pytest.raises(ValueError, match="first <= second"):
        consistency_proof(nodes, 3, 2)
    with pytest.raises(ValueError, match="empty tree is undefined"):
        consistency_proof(nodes, 0, 4)
    assert consistency_proof(nodes, 4, 4) == []
    assert consistency_proof(nodes, 0, 0) == []


# --- the verifiers against every public vector ----------------------------------------------------


@pytest.mark.parametrize("path", _vector_params("inclusion"))
def test_the_inclusion_verifier_accepts_exactly_the_vectors_without_want_err(
    path: Path | None,
) -> None:
    data = _load(path)
    args = (
        _b64(data["leafHash"]),
        data["leafIdx"],
        data["treeSize"],
        _proof(data),
        _b64(data["root"]),
    )
    if data["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("path", _vector_params("consistency"))
def test_the_consistency_verifier_accepts_exactly_the_vectors_without_want_err(
    path: Path | None,
) -> None:
    data = _load(path)
    assert path is not None
    args = (
        data["size1"],
        data["size2"],
        _b64(data["root1"]),
        _b64(data["root2"]),
        _proof(data),
    )
    if data["wantErr"] or _vector_id(path) in DELIBERATELY_REJECTED:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


def test_every_vector_file_is_covered_and_wants_the_expected_mix_of_outcomes() -> None:
    outcomes: dict[tuple[str, bool], int] = {}
    for path in VECTORS.glob("*/**/*.json"):
        kind = path.relative_to(VECTORS).parts[0]
        key = (kind, bool(json.loads(path.read_text(encoding="utf-8"))["wantErr"]))
        outcomes[key] = outcomes.get(key, 0) + 1
    assert outcomes[("inclusion", False)] == 6
    assert outcomes[("consistency", False)] == 6
    assert outcomes[("inclusion", True)] >= 80
    assert outcomes[("consistency", True)] >= 80


def test_equal_sizes_with_12_byte_roots_are_rejected_although_the_reference_library_accepts() -> (
    None
):
    (name,) = DELIBERATELY_REJECTED
    data = _load(VECTORS / f"{name}.json")
    assert data["wantErr"] is False, "the vector changed; revisit the documented decision"
    root = _b64(data["root1"])
    assert len(root) == 12
    assert root == _b64(data["root2"])
    with pytest.raises(ProofError, match="first root must be a 32-byte SHA-256 hash, got 12 bytes"):
        verify_consistency(1, 1, root, root, [])
    genuine = leaf_hash(b"only leaf")
    verify_consistency(1, 1, genuine, genuine, [])


# --- verifier error messages ----------------------------------------------------------------------


def test_the_inclusion_verifier_explains_each_kind_of_failure() -> None:
    leaves = _random_leaves(random.Random(7), 5)
    nodes = InMemoryNodes(leaves)
    root = nodes.root()
    proof = inclusion_proof(nodes, 2, 5)
    verify_inclusion(leaves[2], 2, 5, proof, root)
    with pytest.raises(ProofError, match="leaf index 5 is out of range for tree size 5"):
        verify_inclusion(leaves[2], 5, 5, proof, root)
    with pytest.raises(ProofError, match="non-negative"):
        verify_inclusion(leaves[2], -1, 5, proof, root)
    with pytest.raises(ProofError, match="has 2 elements, but leaf 2 of a tree of size 5 needs"):
        verify_inclusion(leaves[2], 2, 5, proof[:-1], root)
    with pytest.raises(ProofError, match="has 4 elements"):
        verify_inclusion(leaves[2], 2, 5, [*proof, root], root)
    with pytest.raises(ProofError, match=r"gives root [0-9a-f]{64}, expected"):
        verify_inclusion(leaves[3], 2, 5, proof, root)
    with pytest.raises(ProofError, match="proof element 1 must be a 32-byte"):
        verify_inclusion(leaves[2], 2, 5, [proof[0], proof[1][:5], proof[2]], root)
    with pytest.raises(ProofError, match=r"^root must be a 32-byte"):
        verify_inclusion(leaves[2], 2, 5, proof, root + b"\x00")


def test_the_consistency_verifier_explains_each_kind_of_failure() -> None:
    leaves = _random_leaves(random.Random(8), 7)
    nodes = InMemoryNodes(leaves)
    old, new = root_from_leaf_hashes(leaves[:3]), nodes.root()
    proof = consistency_proof(nodes, 3, 7)
    verify_consistency(3, 7, old, new, proof)
    with pytest.raises(ProofError, match="first tree size 7 exceeds second tree size 3"):
        verify_consistency(7, 3, new, old, proof)
    with pytest.raises(ProofError, match="sizes 3 -> 7 need exactly"):
        verify_consistency(3, 7, old, new, proof[1:])
    with pytest.raises(ProofError, match="gives first root"):
        verify_consistency(3, 7, new, new, proof)
    with pytest.raises(ProofError, match="gives second root"):
        verify_consistency(3, 7, old, old, proof)
    with pytest.raises(ProofError, match="empty consistency proof"):
        verify_consistency(7, 7, new, new, proof)
    with pytest.raises(ProofError, match="different roots"):
        verify_consistency(7, 7, new, old, [])
    with pytest.raises(ProofError, match="empty tree is undefined"):
        verify_consistency(0, 7, EMPTY_ROOT, new, [])
    with pytest.raises(ProofError, match="empty tree must be"):
        verify_consistency(0, 0, new, new, [])
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])


def test_proof_error_is_a_value_error() -> None:
    assert issubclass(ProofError, ValueError)


# --- properties over random trees ----------------------------------------------------------------


def _assert_inclusion_holds_and_tampering_fails(
    leaves: Sequence[bytes], nodes: InMemoryNodes, index: int, size: int, rng: random.Random
) -> None:
    """Check one generated inclusion proof verifies and each flipped element breaks it."""
    root = root_from_leaf_hashes(leaves[:size])
    proof = inclusion_proof(nodes, index, size)
    verify_inclusion(leaves[index], index, size, proof, root)
    for position, element in enumerate(proof):
        tampered = list(proof)
        tampered[position] = _flip(element, rng.randrange(32))
        with pytest.raises(ProofError):
            verify_inclusion(leaves[index], index, size, tampered, root)


def _assert_consistency_holds_and_tampering_fails(
    leaves: Sequence[bytes], nodes: InMemoryNodes, first: int, second: int, rng: random.Random
) -> None:
    """Check one generated consistency proof verifies and each flipped element breaks it."""
    first_root = root_from_leaf_hashes(leaves[:first])
    second_root = root_from_leaf_hashes(leaves[:second])
    proof = consistency_proof(nodes, first, second)
    verify_consistency(first, second, first_root, second_root, proof)
    for position, element in enumerate(proof):
        tampered = list(proof)
        tampered[position] = _flip(element, rng.randrange(32))
        with pytest.raises(ProofError):
            verify_consistency(first, second, first_root, second_root, tampered)


def test_every_proof_in_every_tree_up_to_70_leaves_verifies_and_breaks_when_flipped() -> None:
    rng = random.Random(9162)
    leaves = _random_leaves(rng, 70)
    nodes = InMemoryNodes(leaves)
    for size in range(1, len(leaves) + 1):
        for index in range(size):
            _assert_inclusion_holds_and_tampering_fails(leaves, nodes, index, size, rng)
        for first in range(1, size + 1):
            _assert_consistency_holds_and_tampering_fails(leaves, nodes, first, size, rng)


@settings(max_examples=150, database=None, deadline=None)
@given(
    leaves=st.lists(st.binary(max_size=24), min_size=1, max_size=70),
    data=st.data(),
)
def test_random_trees_yield_proofs_that_verify_and_fail_when_any_byte_is_flipped(
    leaves: list[bytes], data: st.DataObject
) -> None:
    hashes = [leaf_hash(leaf) for leaf in leaves]
    nodes = InMemoryNodes(hashes)
    size = data.draw(st.integers(1, len(hashes)), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    first = data.draw(st.integers(1, size), label="first")
    rng = random.Random(data.draw(st.integers(0, 2**32), label="seed"))
    assert nodes.root() == root_from_leaf_hashes(hashes)
    _assert_inclusion_holds_and_tampering_fails(hashes, nodes, index, size, rng)
    _assert_consistency_holds_and_tampering_fails(hashes, nodes, first, size, rng)


# -- CompactRange.append_subtree (the verifier's chunks) ------------------------------------------
@given(
    before=st.integers(min_value=0, max_value=12),
    level=st.integers(min_value=0, max_value=4),
    after=st.integers(min_value=0, max_value=40),
)
@example(before=12, level=4, after=0)  # the largest subtree last (it once ran out of leaves)
def test_appending_a_subtree_root_equals_appending_its_leaves(
    before: int, level: int, after: int
) -> None:
    start = before << level
    count = start + (1 << level) + after  # enough leaves for every draw (200 were not)
    leaves = [hashlib.sha256(bytes([n % 256, n // 256])).digest() for n in range(count)]
    one_by_one, at_once = CompactRange(), CompactRange()
    for value in leaves[:start]:
        one_by_one.append(value)
        at_once.append(value)
    last: list[tuple[int, int, bytes]] = []
    for value in leaves[start : start + (1 << level)]:
        last = one_by_one.append(value)

    completed = at_once.append_subtree(
        level, root_from_leaf_hashes(leaves[start : start + (1 << level)])
    )

    assert completed == last[level:]
    assert at_once.size == one_by_one.size
    assert at_once.frontier() == one_by_one.frontier()
    for value in leaves[start + (1 << level) : start + (1 << level) + after]:
        assert at_once.append(value) == one_by_one.append(value)
    assert at_once.root() == one_by_one.root()


@pytest.mark.parametrize(("size", "level"), [(1, 1), (2, 2), (6, 2), (3, 1)])
def test_a_subtree_must_start_on_its_own_boundary(size: int, level: int) -> None:
    tree = CompactRange()
    for n in range(size):
        tree.append(hashlib.sha256(bytes([n])).digest())

    with pytest.raises(ValueError, match="does not start at tree size"):
        tree.append_subtree(level, hashlib.sha256(b"x").digest())
    assert tree.size == size
