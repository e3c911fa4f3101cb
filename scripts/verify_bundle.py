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

Exit status 0 and "核验通过：..." if everything holds, 1 and "核验未通过：..." otherwise.
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
        raise BundleError(f"叶子序号 {index} 超出大小为 {size} 的审计树")
    fn, sn, result = index, size - 1, leaf
    for element in path:
        if len(element) != 32:
            raise BundleError("包含证明中有元素不是 32 字节")
        if sn == 0:
            raise BundleError("包含证明过长")
        if fn & 1 or fn == sn:
            result = node_hash(element, result)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, element)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise BundleError("包含证明过短")
    return result


def decode_leaf(leaf: bytes) -> tuple[int, uuid.UUID, int, str]:
    """(log position, aggregate id, version, topic) of a leaf; the state stays opaque."""
    if len(leaf) < LEAF_HEAD.size + STATE_LENGTH.size:
        raise BundleError("有叶子过短")
    fmt, position, raw_id, version, topic_length = LEAF_HEAD.unpack_from(leaf)
    if fmt != LEAF_FORMAT:
        raise BundleError(f"未知的叶子格式 {fmt}")
    offset = LEAF_HEAD.size + topic_length
    if len(leaf) < offset + STATE_LENGTH.size:
        raise BundleError("有叶子被截断")
    topic = leaf[LEAF_HEAD.size : offset].decode("utf-8")
    (state_length,) = STATE_LENGTH.unpack_from(leaf, offset)
    if len(leaf) != offset + STATE_LENGTH.size + state_length:
        raise BundleError("叶子中记载的内容长度与实际长度不符")
    return position, uuid.UUID(bytes=raw_id), version, topic


def unhex(value: Any, what: str, size: int | None = None) -> bytes:
    """Bytes from a hex string, checked."""
    try:
        data = bytes.fromhex(value)
    except (TypeError, ValueError):
        raise BundleError(f"{what}不是十六进制") from None
    if size is not None and len(data) != size:
        raise BundleError(f"{what}不是 {size} 字节")
    return data


def check_signature(key: Ed25519PublicKey, signature_hex: Any, message: bytes, what: str) -> None:
    """Verify one Ed25519 signature."""
    try:
        key.verify(unhex(signature_hex, f"{what}签名", 64), message)
    except InvalidSignature:
        raise BundleError(f"{what}签名无效") from None


def verify(raw: bytes, pinned: bytes | None = None) -> str:
    """Check a bundle; returns a one-line summary, raises BundleError."""
    try:
        bundle = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BundleError(f"不是 JSON 文件：{err}") from None
    if not isinstance(bundle, dict):
        raise BundleError("不是审计包")
    if raw != canonical_json(bundle) + b"\n":
        raise BundleError("文件不是规范格式：它被编辑过")
    if bundle.get("format") != BUNDLE_CONTEXT:
        raise BundleError(f"未知的审计包格式 {bundle.get('format')!r}")
    try:
        key = serialization.load_pem_public_key(bundle["public_key"].encode())
    except (KeyError, AttributeError, ValueError, UnsupportedAlgorithm):
        raise BundleError("公钥无法读取") from None
    if not isinstance(key, Ed25519PublicKey):
        raise BundleError("公钥不是 Ed25519 密钥")
    raw_key = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    if pinned is not None and raw_key != pinned:
        raise BundleError("审计包中的公钥不是指定的公钥")
    key_id = sha256(raw_key)[:8].hex()

    content = {k: v for k, v in bundle.items() if k != "signature"}
    message = f"{BUNDLE_CONTEXT}\n".encode() + canonical_json(content)
    check_signature(key, bundle.get("signature"), message, "审计包")

    try:
        head, history = bundle["head"], bundle["history"]
        size, issued_at = head["tree_size"], head["issued_at"]
        root = unhex(head["root_hash"], "树头的根哈希", 32)
        if head["key_id"] != key_id:
            raise BundleError(f"树头写明的密钥是 {head['key_id']}，审计包所带的是 {key_id}")
        if not isinstance(size, int) or not isinstance(issued_at, str):
            raise BundleError("树头格式有误")
        signed = f"{HEAD_CONTEXT}\n{size}\n{root.hex()}\n{issued_at}\n".encode()
        check_signature(key, head["signature"], signed, "签名树头")
        case_id = uuid.UUID(history["case_id"])
        events = history["events"]
        for expected_version, event in enumerate(events, start=1):
            check_event(event, expected_version, case_id, size, root)
    except (KeyError, TypeError, ValueError) as err:
        raise BundleError(f"审计包格式有误：{err!r}") from None
    if not events:
        raise BundleError("审计包中没有事件")
    return (
        f"核验通过：事项 {history.get('number')}（{case_id}）的 {len(events)} 条事件都在大小为 "
        f"{size} 的审计树中，该树于 {issued_at} 由密钥 {key_id} 签名"
    )


def check_event(
    event: dict[str, Any], version: int, case_id: uuid.UUID, size: int, root: bytes
) -> None:
    """One history entry against its leaf and the head."""
    where = f"版本 {event.get('version')} 的事件"
    if event["version"] != version:
        raise BundleError(f"{where}：应为版本 {version}（缺少一条事件）")
    if event.get("leaf") is None:
        raise BundleError(f"{where}：审计树中没有它的叶子")
    leaf = base64.b64decode(event["leaf"], validate=True)
    leaf_hash = sha256(b"\x00" + leaf)
    if leaf_hash != unhex(event["leaf_hash"], f"{where}：叶子哈希", 32):
        raise BundleError(f"{where}：叶子的哈希与所记叶子哈希不符")
    position, aggregate_id, leaf_version, topic = decode_leaf(leaf)
    if aggregate_id != case_id or leaf_version != version:
        raise BundleError(f"{where}：叶子属于 {aggregate_id} 版本 {leaf_version}")
    if position != event["log_position"]:
        raise BundleError(f"{where}：叶子在日志位置 {position}")
    if topic.rpartition(".")[2].rpartition(":")[2] != event["type"]:
        raise BundleError(f"{where}：叶子记载的事件类型是 {topic}，不是 {event['type']}")
    path = [unhex(h, f"{where}：证明元素", 32) for h in event["inclusion_proof"]]
    if root_from_inclusion(leaf_hash, event["leaf_index"], size, path) != root:
        raise BundleError(f"{where}：包含证明推不到树头的根")


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description="离线核验 xinfang 审计包。")
    parser.add_argument("bundle", type=Path, help="`xinfang audit export` 导出的审计包")
    parser.add_argument(
        "--public-key",
        type=Path,
        help="实例公钥的 PEM 文件（`xinfang audit public-key`）："
        "用它核验，而不信任审计包自带的公钥",
    )
    args = parser.parse_args(argv)
    try:
        pinned = None
        if args.public_key is not None:
            key = serialization.load_pem_public_key(args.public_key.read_bytes())
            if not isinstance(key, Ed25519PublicKey):
                raise BundleError("指定的公钥不是 Ed25519 密钥")
            pinned = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        print(verify(args.bundle.read_bytes(), pinned))
    except (BundleError, OSError, ValueError) as err:
        print(f"核验未通过：{err}")
        return 1
    if args.public_key is None:
        print("所用公钥取自审计包本身：请将其密钥 id 与公布的密钥 id 核对。")
    return 0


if __name__ == "__main__":
    sys.exit(main())
