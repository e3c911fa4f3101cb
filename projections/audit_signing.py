"""What the audit key signs: the exact bytes of a tree head and of a bundle, and their timestamps.

docs/audit.md (§3 "Signed tree heads", §6 "Offline bundles") is the contract;
scripts/verify_bundle.py checks the same bytes offline without importing this module.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

HEAD_CONTEXT = "xinfang-audit-head/v1"
BUNDLE_CONTEXT = "xinfang-audit-bundle/v1"


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
