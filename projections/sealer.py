"""Petitioner identity in the views: sealed (AES-GCM), found by keyed hashes, redacted from text."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict
from functools import lru_cache

from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment

from domain.identity import IDENTITY_KINDS, normalise
from domain.values import Petitioner

REDACTED_KINDS = (*IDENTITY_KINDS, "address")
"""What is blanked out of free text: the identity values and the address."""
BLANK = "＊"
"""What a redacted identity value is replaced with."""
SEPARATORS = r"[\s\-‐‑‒–—―－_.．·・/()（）]*"
"""What may stand between two characters of a value as typed (spaces, dashes, dots)."""
FULL_WIDTH = 0xFEE0
"""The distance from an ASCII character to its full-width form (１, Ｘ)."""


def _variants(char: str) -> str:
    """A regex class of the spellings of one character of a normalised value (NFKC twins)."""
    spellings = {char}
    for one in {char.lower(), char.upper()} if char.isascii() and char.isalpha() else {char}:
        spellings.add(one)
        if "!" <= one <= "~":
            spellings.add(chr(ord(one) + FULL_WIDTH))
    return "[" + "".join(re.escape(c) for c in sorted(spellings)) + "]"


def variant_pattern(kind: str, value: str) -> str:
    """A regex matching `value` however it is typed: the comparable form (domain.identity)
    with full-width or lower-case twins of each character and separators between them."""
    return SEPARATORS.join(_variants(c) for c in normalise(kind, value))


@lru_cache(maxsize=4096)
def _matcher(values: tuple[tuple[str, str], ...]) -> re.Pattern[str] | None:
    """One regex for all these (kind, value) pairs, longest first (an address before a name)."""
    patterns = sorted(
        {variant_pattern(kind, value) for kind, value in values if normalise(kind, value)},
        key=len,
        reverse=True,
    )
    return re.compile("|".join(patterns)) if patterns else None


_SEPARATOR_RUNS = re.compile(SEPARATORS)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class _Folded(dict[int, str]):
    """Each character's own NFKC form, by code point, computed on first sight (`str.translate`
    then folds a whole text in C instead of one `normalize` call per character)."""

    def __missing__(self, code: int) -> str:
        folded = unicodedata.normalize("NFKC", chr(code))
        self[code] = folded
        return folded


_FOLDED = _Folded()


def comparable(text: str) -> str:
    """`text` as the redaction patterns compare it: separators dropped, each character folded
    on its own (NFKC: full-width to ASCII), ASCII letters lower-cased.

    Whatever a value's pattern (`variant_pattern`) matches in a text becomes the value's own
    comparable form here, so a text whose comparable form contains no value's needs no regex.
    """
    stripped = _SEPARATOR_RUNS.sub("", text)
    folded = stripped.translate(_FOLDED)
    return _SEPARATOR_RUNS.sub("", folded).translate(_ASCII_LOWER)


@lru_cache(maxsize=4096)
def _forms(values: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """The comparable forms of the values (one case's petitioners: the same for every text)."""
    return tuple(comparable(normalise(kind, value)) for kind, value in values)


def may_name(text: str, values: Sequence[tuple[str, str]]) -> bool:
    """Whether `text` may hold one of the values (False only if no pattern can match it)."""
    seen = comparable(text)
    return any(not form or form in seen for form in _forms(tuple(values)))


def identity_values(petitioners: Sequence[Petitioner]) -> tuple[tuple[str, str], ...]:
    """Every (kind, value) of the petitioners that free text must not show."""
    return tuple(
        (kind, value)
        for person in petitioners
        for kind in REDACTED_KINDS
        if (value := getattr(person, kind)) and value.strip()
    )


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
        """`text` with every petitioner's name, ID number, phone and address blanked out,
        however typed: spaces or dashes inside, full-width digits, a lower-case x."""
        values = identity_values(petitioners)
        # Compiling a case's patterns costs milliseconds, and most texts name nobody.
        if not values or not may_name(text, values):
            return text
        matcher = _matcher(values)
        return matcher.sub(BLANK, text) if matcher is not None else text

    def seal(self, petitioners: Sequence[Petitioner]) -> bytes:
        """Encrypt the petitioners."""
        plain = json.dumps([asdict(p) for p in petitioners], ensure_ascii=False)
        return self.cipher.encrypt(plain.encode())

    def seal_text(self, texts: dict[str, str | None]) -> bytes:
        """Encrypt texts that may name the petitioner (a case's subject and place, whole)."""
        return self.cipher.encrypt(json.dumps(texts, ensure_ascii=False).encode())

    def open_text(self, sealed: bytes) -> dict[str, str | None]:
        """Decrypt texts sealed by `seal_text`."""
        texts: dict[str, str | None] = json.loads(self.cipher.decrypt(bytes(sealed)))
        return texts

    def open(self, sealed: bytes) -> list[Petitioner]:
        """Decrypt the petitioners."""
        return [Petitioner(**p) for p in json.loads(self.cipher.decrypt(bytes(sealed)))]
