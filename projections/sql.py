"""How the views store values (hex ids, lists as `,a,b,`) and the WHERE clauses that read them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID


def hex_id(value: UUID | None) -> str | None:
    """An id as stored in the views."""
    return value.hex if value is not None else None


def uuid_of(hex_id: str | None) -> UUID | None:
    """A stored id read back."""
    return UUID(hex_id) if hex_id else None


def id_list(values: Sequence[Any]) -> str:
    """A list of ids or enum members stored as `,a,b,` so that `LIKE '%,a,%'` finds a member."""
    return "," + ",".join(str(getattr(v, "value", None) or hex_id(v)) for v in values) + ","


def members(column: str) -> list[str]:
    """The members of a `,a,b,` list column."""
    return [v for v in column.strip(",").split(",") if v]


def member(value: UUID | str) -> str:
    """A LIKE pattern for one member of a `,a,b,` list column."""
    return f"%,{value.hex if isinstance(value, UUID) else value},%"


def literal(text: str) -> str:
    """`text` for a LIKE pattern with `ESCAPE '\\'`: its % and _ match only themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass
class Where:
    """A WHERE clause under construction."""

    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def copy(self) -> Where:
        """A clause of its own with the same conditions, to add others to."""
        return Where([*self.clauses], [*self.params])

    def add(self, clause: str, *params: Any) -> None:
        """AND one more condition."""
        self.clauses.append(clause)
        self.params.extend(params)

    @property
    def sql(self) -> str:
        """The clause, or always-true."""
        return " AND ".join(f"({c})" for c in self.clauses) or "1=1"
