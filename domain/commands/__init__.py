"""Every command of the office, declared once: one frozen dataclass per command.

A declaration's fields are the command's arguments (each with a description, bounds and an
example), and its class keywords say where the command is served, in which statuses the case
allows it, whether it must give a reason, and who may issue it. The state machine, the permission
rule, the argument resolution, the API's input schemas and OpenAPI document, and the check of
docs/permissions.md are all derived from these classes.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.commands import activities, documents, handling, intake, review
from domain.commands.activities import (
    AnswerSupervisionOrder,
    ChangeHandler,
    ChangeLeader,
    DecideRecusal,
    DeclareRecusal,
    IssueSupervisionOrder,
    LinkPetition,
    NotifyPetitioner,
    RecordDispositions,
    RecordFollowUp,
    RecordProgress,
    RequestRecusal,
    SetFlag,
)
from domain.commands.base import (
    ABSORBING,
    NON_TERMINAL,
    TEXT_LENGTH,
    CaseCommand,
    Command,
    Permission,
    Ref,
)
from domain.commands.documents import IssueDocument, MarkTypical
from domain.commands.handling import (
    ApproveReport,
    Extend,
    Reassign,
    RecordVisit,
    Respond,
    ReturnReport,
    StartWork,
    SubmitReport,
)
from domain.commands.intake import (
    Accept,
    Assign,
    DecideObjection,
    Divert,
    Forward,
    Merge,
    NotAccept,
    Object,
    RegisterCase,
)
from domain.commands.review import (
    Close,
    DecideRecheck,
    DecideReview,
    Hearing,
    Reopen,
    RequestRecheck,
    RequestReview,
    Withdraw,
)
from domain.values import Status

PHASES = (intake, handling, review, activities, documents)
"""The modules of declarations, in the order of a case's life."""

CASE_COMMANDS: tuple[type[CaseCommand], ...] = tuple(
    declaration
    for phase in PHASES
    for declaration in vars(phase).values()
    if isinstance(declaration, type)
    and issubclass(declaration, CaseCommand)
    and declaration.__module__ == phase.__name__
)
"""Every command on an existing case, in the order of a case's life."""

BY_VERB: dict[str, type[CaseCommand]] = {c.verb: c for c in CASE_COMMANDS}
"""The declaration of each Case method that is a command."""

ALLOWED: dict[str, frozenset[Status]] = {c.verb: c.allowed_in for c in CASE_COMMANDS}
"""The state machine of domain.md §3: which statuses allow which command."""

REASON_REQUIRED = frozenset(c.verb for c in CASE_COMMANDS if c.needs_reason)
"""Negative or unusual actions that must say why (domain.md §4)."""


def build(verb: str, case_id: UUID, **arguments: Any) -> CaseCommand:
    """The command object for a Case method name (for callers holding names, such as plans)."""
    return BY_VERB[verb](case_id=case_id, **arguments)


__all__ = [
    "ABSORBING",
    "ALLOWED",
    "BY_VERB",
    "CASE_COMMANDS",
    "NON_TERMINAL",
    "REASON_REQUIRED",
    "TEXT_LENGTH",
    "Accept",
    "AnswerSupervisionOrder",
    "ApproveReport",
    "Assign",
    "CaseCommand",
    "ChangeHandler",
    "ChangeLeader",
    "Close",
    "Command",
    "DecideObjection",
    "DecideRecheck",
    "DecideRecusal",
    "DecideReview",
    "DeclareRecusal",
    "Divert",
    "Extend",
    "Forward",
    "Hearing",
    "IssueDocument",
    "IssueSupervisionOrder",
    "LinkPetition",
    "MarkTypical",
    "Merge",
    "NotAccept",
    "NotifyPetitioner",
    "Object",
    "Permission",
    "Reassign",
    "RecordDispositions",
    "RecordFollowUp",
    "RecordProgress",
    "RecordVisit",
    "Ref",
    "RegisterCase",
    "Reopen",
    "RequestRecheck",
    "RequestRecusal",
    "RequestReview",
    "Respond",
    "ReturnReport",
    "SetFlag",
    "StartWork",
    "SubmitReport",
    "Withdraw",
    "build",
]
