"""How dates, enums and value objects are written into stored events and snapshots."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import date
from enum import Enum
from typing import Any
from uuid import UUID, SafeUUID

from eventsourcing.persistence import (
    JSONTranscoder,
    Transcoding,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)

from domain import values
from domain.cases import SupervisionOrder
from domain.documents import IssuedDocument
from domain.inspections import Finding, FollowUp, Typical
from domain.meetings import MeetingDecision
from domain.register_values import REGISTER_ENUMS, REGISTER_VALUE_OBJECTS


class DateAsISO(Transcoding):
    """A calendar date as `YYYY-MM-DD`."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        """Write the date."""
        return obj.isoformat()

    def decode(self, data: str) -> date:
        """Read the date."""
        return date.fromisoformat(data)


class FastUUIDAsHex(UUIDAsHex):
    """The library's `uuid_hex` transcoding (same stored form), decoded without re-parsing.

    A case event carries several ids (actor, units, holders); `UUID(hex)` validates and parses
    the string in Python, which made id decoding a tenth of every replay. The stored hex is
    what `UUID.hex` wrote, so building the object from its integer is exact.
    """

    def decode(self, data: str) -> UUID:
        """Read the id back."""
        if len(data) != UUID_HEX_LENGTH:
            return super().decode(data)
        uuid = object.__new__(UUID)
        object.__setattr__(uuid, "int", int(data, 16))
        object.__setattr__(uuid, "is_safe", SafeUUID.unknown)
        return uuid


UUID_HEX_LENGTH = 32


class EnumAsValue(Transcoding):
    """One enum class, written as its value under the class's name."""

    def __init__(self, enum_class: type[Enum]) -> None:
        self.type = enum_class
        self.name = f"enum:{enum_class.__name__}"
        # A dict lookup: reading events back is the hot path of every replay and rebuild.
        self.members: dict[Any, Enum] = {member.value: member for member in enum_class}

    def encode(self, obj: Enum) -> Any:
        """Write the member's value."""
        return obj.value

    def decode(self, data: Any) -> Enum:
        """Read the member back."""
        member: Enum = self.members[data]
        return member


class DataclassAsDict(Transcoding):
    """One frozen dataclass, written as a dict of its fields."""

    def __init__(self, cls: type[Any]) -> None:
        self.type = cls
        self.name = f"dc:{cls.__name__}"
        self.fields = tuple(f.name for f in dataclasses.fields(cls))
        self.known = frozenset(self.fields)

    def encode(self, obj: Any) -> dict[str, Any]:
        """Write the fields (nested values are transcoded in turn)."""
        return {name: getattr(obj, name) for name in self.fields}

    def decode(self, data: dict[str, Any]) -> Any:
        """Read the object back, ignoring fields a newer version no longer has."""
        if self.known.issuperset(data):
            return self.type(**data)
        return self.type(**{k: v for k, v in data.items() if k in self.known})


ENUMS: tuple[type[Enum], ...] = (
    tuple(
        obj
        for obj in vars(values).values()
        if isinstance(obj, type) and issubclass(obj, Enum) and obj is not Enum
    )
    + REGISTER_ENUMS
)
VALUE_OBJECTS: tuple[type[Any], ...] = (
    values.Actor,
    values.Petitioner,
    values.Holder,
    values.Deadline,
    SupervisionOrder,
    *REGISTER_VALUE_OBJECTS,
    MeetingDecision,
    Finding,
    FollowUp,
    Typical,
    IssuedDocument,
)


def register_transcodings(transcoder: JSONTranscoder) -> None:
    """Teach the transcoder every type the domain stores."""
    transcoder.register(FastUUIDAsHex())
    transcoder.register(DateAsISO())
    for enum_class in ENUMS:
        transcoder.register(EnumAsValue(enum_class))
    for cls in VALUE_OBJECTS:
        transcoder.register(DataclassAsDict(cls))
    transcoder.decoder = json.JSONDecoder(object_hook=object_hook(transcoder))


def object_hook(transcoder: JSONTranscoder) -> Callable[[dict[str, Any]], Any]:
    """The library's `JSONTranscoder._decode_obj` in fewer steps (the same stored form, the same
    results and errors): every JSON object of every event read back passes through it, a few
    dozen per case event, so it is the hottest function of a replay or rebuild."""
    names = transcoder.names

    def decode_obj(d: dict[str, Any]) -> Any:
        if len(d) != 2:
            return d
        try:
            name = d["_type_"]
            data = d["_data_"]
        except KeyError:
            return d
        try:
            transcoding = names[name]
        except KeyError as error:
            msg = (
                f"Data serialized with name '{name}' is not deserializable. Please register a "
                "custom transcoding for this type."
            )
            raise TranscodingNotRegisteredError(msg) from error
        return transcoding.decode(data)

    return decode_obj
