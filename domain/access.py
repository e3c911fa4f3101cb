"""The access log: who was shown restricted data (petitioner identity, accusation content), when.

Each recorded access is a one-event aggregate saved in the application's own log, so it is a
leaf of the audit tree like every other event: an access cannot be erased without `xinfang
verify` noticing. Saving one needs no read, so concurrent readers never conflict. One answer
that shows several cases (a ledger page, an agenda, an export of rows) is one `AccessList`:
one event, one leaf, naming every case shown and what of each. What is
disclosed, and when a disclosure is recorded, is decided by projections/disclosure.py.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.values import Actor

IDENTITY = "petitioner_identity"
ACCUSATION = "accusation_content"

READ_CASE = "read_case"
READ_HISTORY = "read_history"
EXPORT = "export"
BUNDLE = "bundle_download"
READ_LEDGER = "read_ledger"
READ_AGENDA = "read_agenda"
READ_BACKLOG = "read_backlog"
READ_RISK = "read_risk"
READ_RISK_REGISTER = "read_risk_register"
EXPORT_RISK_REGISTER = "export_risk_register"
RISK_ACTIONS = (READ_RISK, READ_RISK_REGISTER, EXPORT_RISK_REGISTER)
"""Disclosures of the people involved in a risk (docs/risks.md): reading the risk with its
history, its row in the register, the register exported (a workbook, logged even when masked).
The record's `case_id` then names the risk."""
PRINT_DOCUMENT = "print_document"
ACTIONS = (
    READ_CASE,
    READ_HISTORY,
    EXPORT,
    BUNDLE,
    READ_LEDGER,
    READ_AGENDA,
    READ_BACKLOG,
    *RISK_ACTIONS,
    PRINT_DOCUMENT,
)
"""What the viewer did: read the case, read its history, export it (CLI), download a bundle,
read its row in a ledger page (or the list of cases ready to close), in the weekly agenda, in
the backlog register, print one of its documents (文书, named by its 文号)."""


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
        operator: str | None = None
        """The console account that ran the command (`xinfang audit export`), e.g. `li@srv1`;
        None for requests over the API, whose actor signed in. Absent from earlier records."""
        document: str | None = None
        """The document printed (`print_document`): its kind and 文号. Absent elsewhere."""

        def apply(self, aggregate: Any) -> None:
            """Keep what was disclosed."""
            access: Access = aggregate
            access.actor = self.actor
            access.case_id = self.case_id
            access.action = self.action
            access.fields = list(self.fields)
            access.operator = self.operator
            access.document = self.document

    actor: Actor
    case_id: UUID
    action: str
    fields: list[str]
    operator: str | None
    document: str | None = None

    @classmethod
    def record(
        cls,
        *,
        actor: Actor,
        case_id: UUID,
        action: str,
        fields: list[str],
        operator: str | None = None,
        document: str | None = None,
    ) -> Access:
        """Record that `actor` was shown `fields` of a case by `action` (run by `operator`;
        `document` names the document printed)."""
        if action not in ACTIONS:
            raise ValueError(f"unknown access action {action!r}")
        return cls._create(
            cls.Recorded,
            actor=actor,
            case_id=case_id,
            action=action,
            fields=list(fields),
            operator=operator,
            document=document,
        )


class AccessList(Aggregate):
    """The disclosures of one answer that showed restricted data of several cases at once."""

    def __init__(self) -> None:
        """State is set by the creation event's apply()."""

    class Recorded(Aggregate.Created):
        """Restricted data of the cases `case_ids` was shown to an actor in one answer;
        `fields[i]` is what of `case_ids[i]` (empty: an export logged even though masked)."""

        actor: Actor
        action: str
        case_ids: list[UUID]
        fields: list[list[str]]
        operator: str | None = None
        """The console account that ran the command (`xinfang risks export`), as for `Access`."""

        def apply(self, aggregate: Any) -> None:
            """Keep what was disclosed."""
            listing: AccessList = aggregate
            listing.actor = self.actor
            listing.action = self.action
            listing.case_ids = list(self.case_ids)
            listing.fields = [list(f) for f in self.fields]
            listing.operator = self.operator

    actor: Actor
    action: str
    case_ids: list[UUID]
    fields: list[list[str]]
    operator: str | None

    @classmethod
    def record(
        cls,
        *,
        actor: Actor,
        action: str,
        shown: dict[UUID, list[str]],
        operator: str | None = None,
    ) -> AccessList:
        """Record that `actor` was shown, by `action`, the fields `shown[case_id]` of each case
        (or risk: RISK_ACTIONS), run by `operator`."""
        if action not in ACTIONS:
            raise ValueError(f"unknown access action {action!r}")
        if not shown:
            raise ValueError("an access list names at least one case")
        return cls._create(
            cls.Recorded,
            actor=actor,
            action=action,
            case_ids=list(shown),
            fields=[list(f) for f in shown.values()],
            operator=operator,
        )
