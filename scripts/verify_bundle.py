#!/usr/bin/env python3
"""Check an xinfang audit bundle offline: `python verify_bundle.py BUNDLE [--public-key PEM]`.

Uses only the Python standard library and `cryptography`, and nothing of xinfang itself, so it
can be handed to an inspector with the bundle. It checks, following docs/audit.md:

1. the file is the canonical JSON encoding of its content (any byte changed breaks it);
2. the public key's id matches the head's key id (and, with --public-key, the pinned key);
3. the bundle signature (Ed25519) over everything else in the bundle;
4. the signed tree head's signature;
5. for every event: its leaf bytes decode, hash to its leaf hash, name this case, its version,
   its event type and its log position, and its RFC 9162 inclusion proof leads to the head's
   root; the versions run 1, 2, 3, ... without a gap.

Exit status 0 and "OK: ..." if everything holds, 1 and "FAILED: ..." otherwise.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import struct
import sys
import uuid
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

BUNDLE_CONTEXT = "xinfang-audit-bundle/v1"
HEAD_CONTEXT = "xinfang-audit-head/v1"
LEAF_FORMAT = 1
LEAF_HEAD = struct.Struct(">BQ16sQI")  # format, log position, aggregate id, version, topic length
STATE_LENGTH = struct.Struct(">I")


class BundleError(Exception):
    """The bundle does not verify."""


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no insignificant whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256(data: bytes) -> bytes:
    """SHA-256."""
    return hashlib.sha256(data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node hash."""
    return sha256(b"\x01" + left + right)


def root_from_inclusion(leaf: bytes, index: int, size: int, path: list[bytes]) -> bytes:
    """The root an RFC 9162 §2.1.3.2 inclusion proof leads to."""
    if not 0 <= index < size:
        raise BundleError(f"leaf index {index} is outside a tree of size {size}")
    fn, sn, result = index, size - 1, leaf
    for element in path:
        if len(element) != 32:
            raise BundleError("an inclusion proof element is not 32 bytes")
        if sn == 0:
            raise BundleError("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            result = node_hash(element, result)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, element)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise BundleError("the inclusion proof is too short")
    return result


def decode_leaf(leaf: bytes) -> tuple[int, uuid.UUID, int, str]:
    """(log position, aggregate id, version, topic) of a leaf; the state stays opaque."""
    if len(leaf) < LEAF_HEAD.size + STATE_LENGTH.size:
        raise BundleError("a leaf is too short")
    fmt, position, raw_id, version, topic_length = LEAF_HEAD.unpack_from(leaf)
    if fmt != LEAF_FORMAT:
        raise BundleError(f"unknown leaf format {fmt}")
    offset = LEAF_HEAD.size + topic_length
    if len(leaf) < offset + STATE_LENGTH.size:
        raise BundleError("a leaf is truncated")
    topic = leaf[LEAF_HEAD.size : offset].decode("utf-8")
    (state_length,) = STATE_LENGTH.unpack_from(leaf, offset)
    if len(leaf) != offset + STATE_LENGTH.size + state_length:
        raise BundleError("a leaf's length does not match its state length")
    return position, uuid.UUID(bytes=raw_id), version, topic


def unhex(value: Any, what: str, size: int | None = None) -> bytes:
    """Bytes from a hex string, checked."""
    try:
        data = bytes.fromhex(value)
    except (TypeError, ValueError):
        raise BundleError(f"{what} is not hex") from None
    if size is not None and len(data) != size:
        raise BundleError(f"{what} is not {size} bytes")
    return data


def check_signature(key: Ed25519PublicKey, signature_hex: Any, message: bytes, what: str) -> None:
    """Verify one Ed25519 signature."""
    try:
        key.verify(unhex(signature_hex, f"the {what} signature", 64), message)
    except InvalidSignature:
        raise BundleError(f"the {what} signature is invalid") from None


def verify(raw: bytes, pinned: bytes | None = None) -> str:
    """Check a bundle; returns a one-line summary, raises BundleError."""
    try:
        bundle = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BundleError(f"not a JSON document: {err}") from None
    if not isinstance(bundle, dict):
        raise BundleError("not a bundle")
    if raw != canonical_json(bundle) + b"\n":
        raise BundleError("the file is not in canonical form: it was edited")
    if bundle.get("format") != BUNDLE_CONTEXT:
        raise BundleError(f"unknown bundle format {bundle.get('format')!r}")
    try:
        key = serialization.load_pem_public_key(bundle["public_key"].encode())
    except (KeyError, AttributeError, ValueError, UnsupportedAlgorithm):
        raise BundleError("the public key cannot be read") from None
    if not isinstance(key, Ed25519PublicKey):
        raise BundleError("the public key is not an Ed25519 key")
    raw_key = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    if pinned is not None and raw_key != pinned:
        raise BundleError("the bundle's public key is not the pinned key")
    key_id = sha256(raw_key)[:8].hex()

    content = {k: v for k, v in bundle.items() if k != "signature"}
    message = f"{BUNDLE_CONTEXT}\n".encode() + canonical_json(content)
    check_signature(key, bundle.get("signature"), message, "bundle")

    try:
        head, history = bundle["head"], bundle["history"]
        size, issued_at = head["tree_size"], head["issued_at"]
        root = unhex(head["root_hash"], "the head's root hash", 32)
        if head["key_id"] != key_id:
            raise BundleError(f"the head names key {head['key_id']}, the bundle carries {key_id}")
        if not isinstance(size, int) or not isinstance(issued_at, str):
            raise BundleError("the head is malformed")
        signed = f"{HEAD_CONTEXT}\n{size}\n{root.hex()}\n{issued_at}\n".encode()
        check_signature(key, head["signature"], signed, "tree head")
        case_id = uuid.UUID(history["case_id"])
        events = history["events"]
        for expected_version, event in enumerate(events, start=1):
            check_event(event, expected_version, case_id, size, root)
    except (KeyError, TypeError, ValueError) as err:
        raise BundleError(f"the bundle is malformed: {err!r}") from None
    if not events:
        raise BundleError("the bundle holds no events")
    return (
        f"OK: {len(events)} events of case {history.get('number')} ({case_id}) are in the audit "
        f"tree of size {size} signed at {issued_at} by key {key_id}"
    )


def check_event(
    event: dict[str, Any], version: int, case_id: uuid.UUID, size: int, root: bytes
) -> None:
    """One history entry against its leaf and the head."""
    where = f"event version {event.get('version')}"
    if event["version"] != version:
        raise BundleError(f"{where}: expected version {version} (an event is missing)")
    if event.get("leaf") is None:
        raise BundleError(f"{where}: no leaf in the audit tree")
    leaf = base64.b64decode(event["leaf"], validate=True)
    leaf_hash = sha256(b"\x00" + leaf)
    if leaf_hash != unhex(event["leaf_hash"], f"{where}: leaf hash", 32):
        raise BundleError(f"{where}: the leaf does not hash to its leaf hash")
    position, aggregate_id, leaf_version, topic = decode_leaf(leaf)
    if aggregate_id != case_id or leaf_version != version:
        raise BundleError(f"{where}: the leaf belongs to {aggregate_id} version {leaf_version}")
    if position != event["log_position"]:
        raise BundleError(f"{where}: the leaf is at log position {position}")
    if topic.rpartition(".")[2].rpartition(":")[2] != event["type"]:
        raise BundleError(f"{where}: the leaf records event type {topic}, not {event['type']}")
    path = [unhex(h, f"{where}: proof element", 32) for h in event["inclusion_proof"]]
    if root_from_inclusion(leaf_hash, event["leaf_index"], size, path) != root:
        raise BundleError(f"{where}: the inclusion proof does not lead to the head's root")


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description="Check an xinfang audit bundle offline.")
    parser.add_argument("bundle", type=Path, help="the bundle written by `xinfang audit export`")
    parser.add_argument(
        "--public-key",
        type=Path,
        help="PEM of the instance's key (`xinfang audit public-key`) to pin instead of trusting "
        "the key inside the bundle",
    )
    args = parser.parse_args(argv)
    try:
        pinned = None
        if args.public_key is not None:
            key = serialization.load_pem_public_key(args.public_key.read_bytes())
            if not isinstance(key, Ed25519PublicKey):
                raise BundleError("the pinned key is not an Ed25519 key")
            pinned = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        print(verify(args.bundle.read_bytes(), pinned))
    except (BundleError, OSError, ValueError) as err:
        print(f"FAILED: {err}")
        return 1
    if args.public_key is None:
        print("The key was taken from the bundle: compare its id with the published key id.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
