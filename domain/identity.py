"""Who is the same person (同人): petitioners compared by ID number, else by name and phone."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import replace

from domain.values import Petitioner

IDENTITY_KINDS = ("name", "id_number", "phone")
"""The identity values a petitioner is recognised by."""


def normalise(kind: str, value: str) -> str:
    """The comparable form of a name, ID number or phone: full-width folded, spaces and
    dashes gone, a trailing x of an ID number upper-cased, a +86 prefix dropped."""
    text = unicodedata.normalize("NFKC", value).strip()
    if kind == "phone":
        digits = "".join(ch for ch in text if ch.isdigit())
        return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits
    if kind == "id_number":
        return "".join(ch for ch in text if ch.isalnum()).upper()
    return "".join(text.split())


def _value(person: Petitioner, kind: str) -> str:
    raw = getattr(person, kind)
    return normalise(kind, raw) if raw else ""


def same_person(one: Petitioner, other: Petitioner) -> bool:
    """Whether two records name the same person: the same ID number where both have one;
    otherwise the same name, and the same phone where both have one."""
    ids = _value(one, "id_number"), _value(other, "id_number")
    if all(ids):
        return ids[0] == ids[1]
    if _value(one, "name") != _value(other, "name"):
        return False
    phones = _value(one, "phone"), _value(other, "phone")
    return not all(phones) or phones[0] == phones[1]


def joined(known: Sequence[Petitioner], arriving: Iterable[Petitioner]) -> list[Petitioner]:
    """The petitioners of a case after more arrive: a person already known is kept once, with
    the details the new record adds (an ID number, a phone, an address) filled in."""
    people = list(known)
    for person in arriving:
        for i, existing in enumerate(people):
            if same_person(existing, person):
                people[i] = replace(
                    existing,
                    id_number=existing.id_number or person.id_number,
                    phone=existing.phone or person.phone,
                    address=existing.address or person.address,
                )
                break
        else:
            people.append(person)
    return people
