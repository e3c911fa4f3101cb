"""The access log: who was shown restricted data (petitioner identity, accusation content), when.

Each recorded access is a one-event aggregate saved in the application's own log, so it is a
leaf of the audit tree like every other event: an access cannot be erased without `xinfang
verify` noticing. Saving one needs no read, so concurrent readers never conflict.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from domain import visibility
from domain.cases import Case
from domain.values import Actor, Category

IDENTITY = "petitioner_identity"
ACCUSATION = "accusation_content"

READ_CASE = "read_case"
READ_HISTORY = "read_history"
EXPORT = "export"
BUNDLE = "bundle_download"
ACTIONS = (READ_CASE, READ_HISTORY, EXPORT, BUNDLE)
"""What the viewer did: read the case, read its history, export it (CLI), download a bundle."""


def disclosed_fields(actor: Actor, case: Case) -> list[str]:
    """The restricted fields of `case` that `actor` is shown unmasked."""
    if not visibility.sees_identity(actor, case):
        return []
    if case.category is Category.ACCUSATION:
        return [IDENTITY, ACCUSATION]
    return [IDENTITY]


class Access(Aggregate):
    """One disclosure of restricted case data to one person."""

    def __init__(self) -> None:
        """State is set by the creation event's apply()."""

    class Recorded(Aggregate.Created):
        """Restricted data of a case was shown to, or exported by, an actor."""

        actor: Actor
        case_id: UUID
        action: str
        fields: list[str]

        def apply(self, aggregate: Any) -> None:
            """Keep what was disclosed."""
            access: Access = aggregate
            access.actor = self.actor
            access.case_id = self.case_id
            access.action = self.action
            access.fields = list(self.fields)

    actor: Actor
    case_id: UUID
    action: str
    fields: list[str]

    @classmethod
    def record(cls, *, actor: Actor, case_id: UUID, action: str, fields: list[str]) -> Access:
        """Record that `actor` was shown `fields` of a case by `action`."""
        if action not in ACTIONS:
            raise ValueError(f"unknown access action {action!r}")
        return cls._create(
            cls.Recorded, actor=actor, case_id=case_id, action=action, fields=list(fields)
        )


def record_access(
    app: Application[UUID], actor: Actor, case: Case, action: str, *, always: bool = False
) -> list[str]:
    """Save an access record if `actor` sees restricted fields of `case` (or `always`).

    Returns the fields recorded. Reads record only real disclosures; exports and downloads
    pass `always`, so that handing a case out of the system is logged even when masked.
    """
    fields = disclosed_fields(actor, case)
    if fields or always:
        app.save(Access.record(actor=actor, case_id=case.id, action=action, fields=fields))
    return fields
