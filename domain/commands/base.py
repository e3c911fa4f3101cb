"""What every command declaration is made of: arguments, permissions, statuses.

A declaration is a frozen dataclass: its fields are the command's arguments (with a description,
bounds and an example each), and its class keywords say where the command is served, in which
statuses the case allows it, whether it must give a reason, and who may issue it. The state
machine, the permission matrix, the argument resolution, the API's input schemas and OpenAPI
document, and the permission table in docs/permissions.md are all derived from these classes.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from enum import Enum
from typing import Any, ClassVar
from uuid import UUID

from domain.values import (
    TERMINAL_STATUSES,
    Role,
    Status,
)

S = Status
R = Role

EVERY_STATUS = frozenset(Status)
NON_TERMINAL = EVERY_STATUS - TERMINAL_STATUSES
ACTIVE = frozenset(
    {S.ACCEPTED, S.IN_PROGRESS, S.EXTENDED, S.REPORT_SUBMITTED, S.UNDER_REVIEW, S.UNDER_RECHECK}
)
HANDLED = frozenset({*ACTIVE, S.RESPONDED, S.REVIEWED, S.CLOSED, S.TERMINATED})
ENDED_ELSEWHERE = frozenset({S.MERGED, S.DIVERTED, S.NOT_ACCEPTED})
ABSORBING = NON_TERMINAL | {S.CLOSED}
"""Statuses in which a case can take in another case merged into it."""

INTAKE = frozenset({R.CLERK, R.DISPATCHER})
DISPATCH = frozenset({R.DISPATCHER})
STEERING = frozenset({R.SUPERVISOR, R.DISPATCHER})
REVIEW_AUTHORITY = frozenset({R.SUPERVISOR})
UNIT_HEAD = frozenset({R.UNIT_HEAD})
UNIT_STAFF = frozenset({R.UNIT_HEAD, R.HANDLER})


class Ref(Enum):
    """What an id argument names; the application checks and loads it before the command."""

    UNIT = "unit"
    """A unit of the directory; the command also receives its lineage (`unit_lineage`)."""
    UNIT_STAFF = "unit_staff"
    """A unit head or handler of the case's responsible unit."""
    LEADER = "leader"
    """A user with the leader role."""
    PERSON = "person"
    """A user of the directory (any role) whom the command is about."""
    CASE = "case"
    """Another case (the command receives the loaded case)."""
    RISK = "risk"
    """A risk of the register (隐患); one the caller may not see names nothing, as for a case."""


@dataclass(frozen=True)
class Permission:
    """Who may issue a command: roles that always may, unit roles of the responsible unit, and
    leaders who sponsor the case (see `CaseCommand.leader_may` for commands that open wider).
    """

    anyone_of: frozenset[Role] = frozenset()
    unit_roles: frozenset[Role] = frozenset()
    sponsor: bool = False


def arg(
    description: str,
    *,
    default: Any = MISSING,
    example: Any = None,
    min_value: int | None = None,
    max_value: int | None = None,
    max_length: int | None = None,
    min_items: int | None = None,
    max_items: int | None = None,
    refers: Ref | None = None,
    in_path: bool = False,
) -> Any:
    """Declare one argument of a command (the API turns this into a validated field)."""
    metadata = {
        "description": description,
        "example": example,
        "min_value": min_value,
        "max_value": max_value,
        "max_length": max_length,
        "min_items": min_items,
        "max_items": max_items,
        "refers": refers,
        "in_path": in_path,
    }
    if default is MISSING:
        return field(metadata=metadata)
    if isinstance(default, list):
        return field(default_factory=list, metadata=metadata)
    return field(default=default, metadata=metadata)


NAME_LENGTH = 200
TEXT_LENGTH = 20_000


@dataclass(frozen=True, kw_only=True)
class Command:
    """Base of every command: where it is served and who may issue it."""

    path: ClassVar[str]
    summary: ClassVar[str]
    permission: ClassVar[Permission]
    needs_reason: ClassVar[bool]

    def __init_subclass__(
        cls,
        *,
        path: str = "",
        summary: str = "",
        may: Permission | None = None,
        needs_reason: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if may is None:  # an abstract base of further commands
            return
        cls.path = path
        cls.summary = summary
        cls.permission = may
        cls.needs_reason = needs_reason

    def arguments(self) -> dict[str, Any]:
        """The command's own arguments (not the case it applies to)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "case_id"}

    def leader_may(self, sponsors: bool) -> bool:
        """Whether a leader may issue it (by default: when sponsoring, if the permission says)."""
        return sponsors and self.permission.sponsor


@dataclass(frozen=True, kw_only=True)
class CaseCommand(Command):
    """Base of every command on an existing case."""

    verb: ClassVar[str]
    allowed_in: ClassVar[frozenset[Status]]

    case_id: UUID

    def __init_subclass__(
        cls,
        *,
        verb: str = "",
        allowed_in: frozenset[Status] = frozenset(),
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if verb:
            cls.verb = verb
            cls.allowed_in = allowed_in


def unit_arg(description: str) -> Any:
    """An argument naming a unit of the directory."""
    return arg(description, refers=Ref.UNIT)


def text_arg(description: str, *, optional: bool = False, example: str = "") -> Any:
    """A free-text argument (required unless `optional`, then empty by default)."""
    if optional:
        return arg(description, default="", max_length=TEXT_LENGTH, example=example or None)
    return arg(description, max_length=TEXT_LENGTH, example=example or "已核实")


def name_arg(description: str, example: str) -> Any:
    """A short name (a person, a place, a method)."""
    return arg(description, max_length=NAME_LENGTH, example=example)
