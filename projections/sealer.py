"""Petitioner identity in the views: sealed (AES-GCM), found by keyed hashes, redacted from text."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict

from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment

from domain.values import Petitioner

IDENTITY_KINDS = ("name", "id_number", "phone")


def normalise(kind: str, value: str) -> str:
    """The comparable form of a name, ID number or phone (同人 matching)."""
    text = unicodedata.normalize("NFKC", value).strip()
    if kind == "phone":
        digits = "".join(ch for ch in text if ch.isdigit())
        return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits
    if kind == "id_number":
        return "".join(text.split()).upper()
    return "".join(text.split())


class PetitionerSealer:
    """Keeps petitioner identity out of the read models in clear.

    Identity is stored encrypted (AES-GCM, the instance key); repeat petitioners (同人) are found
    through keyed hashes (HMAC-SHA256) of the normalised name, ID number and phone.
    """

    def __init__(self, key: str) -> None:
        self.cipher = AESCipher(Environment(env={"CIPHER_KEY": key}))
        self._hmac_key = hmac.new(
            base64.b64decode(key), b"xinfang:identity-index", hashlib.sha256
        ).digest()

    def digest(self, kind: str, value: str) -> str | None:
        """The keyed hash of one identity value (None for a blank one)."""
        normal = normalise(kind, value)
        if not normal:
            return None
        message = f"{kind}:{normal}".encode()
        return hmac.new(self._hmac_key, message, hashlib.sha256).hexdigest()

    def digests(self, petitioners: Sequence[Petitioner]) -> set[tuple[str, str]]:
        """(digest, kind) of every identity value of the petitioners."""
        found = set()
        for person in petitioners:
            for kind in IDENTITY_KINDS:
                value = getattr(person, kind)
                digest = self.digest(kind, value) if value else None
                if digest:
                    found.add((digest, kind))
        return found

    @staticmethod
    def redact(text: str, petitioners: Sequence[Petitioner]) -> str:
        """`text` with every petitioner's name, ID number and phone blanked out."""
        for person in petitioners:
            for kind in IDENTITY_KINDS:
                value = getattr(person, kind)
                if value and value.strip():
                    text = text.replace(value.strip(), "＊")
        return text

    def seal(self, petitioners: Sequence[Petitioner]) -> bytes:
        """Encrypt the petitioners."""
        plain = json.dumps([asdict(p) for p in petitioners], ensure_ascii=False)
        return self.cipher.encrypt(plain.encode())

    def open(self, sealed: bytes) -> list[Petitioner]:
        """Decrypt the petitioners."""
        return [Petitioner(**p) for p in json.loads(self.cipher.decrypt(bytes(sealed)))]
