"""The instance's Ed25519 audit signing key: creating, loading and naming it."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)


class AuditKeyError(Exception):
    """The instance has no audit signing key (run `xinfang init`)."""


def create_signing_key(path: Path) -> bool:
    """Write a new Ed25519 key (PKCS#8 PEM, mode 0600) unless one exists; True if written."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    return True


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    """Read the instance's Ed25519 key; AuditKeyError if it is missing or not Ed25519."""
    if not path.exists():
        raise AuditKeyError(f"{path} 处没有审计签名密钥：请先运行 `xinfang init`")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditKeyError(f"{path} 不是 Ed25519 私钥")
    return key


def public_key_pem(key: Ed25519PublicKey) -> str:
    """A public key as SubjectPublicKeyInfo PEM."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of a public key."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id_of(key: Ed25519PublicKey) -> str:
    """Hex of the first 8 bytes of SHA-256 of the raw public key."""
    return hashlib.sha256(raw_public_key(key)).digest()[:8].hex()
