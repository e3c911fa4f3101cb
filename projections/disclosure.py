"""What a viewer is shown of a case, an event, a ledger row, an overdue item, a bundle; and its log.

Every read path calls this module: the HTTP layer and the CLI only serialise what it returns, and
none of them masks, redacts or writes the access log on its own. Whether a case exists for the
viewer and whether they see its petitioner is domain/visibility.py's rule; here that rule is
applied to what is shown (petitioners masked, an accusation's content withheld, free text
redacted) and every disclosure of restricted data is saved in the access log (domain/access.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from domain import deadlines as clocks
from domain import visibility
from domain.access import (
    ACCUSATION,
    BUNDLE,
    EXPORT,
    IDENTITY,
    READ_CASE,
    READ_HISTORY,
    Access,
)
from domain.application import Xinfang, today_in_county
from domain.cases import Case
from domain.directory import SYSTEM_ACTOR
from domain.values import Actor, Category, Deadline, Level, Petitioner
from projections.audit_access import AccessEntry, AccessLog
from projections.audit_signing import format_instant
from projections.audit_trail import AuditTrail
from projections.names import Names
from projections.sealer import PetitionerSealer
from projections.sql import members, uuid_of
from projections.store import ViewStore
from projections.visibility import accusing, row_shows_identity

ACCUSATION_WITHHELD = "（检举控告内容：仅限授权人员查看）"
"""Shown instead of an accusation's content to viewers who may not see the petitioner."""

OPERATOR = SYSTEM_ACTOR
"""Who the console (`xinfang history`, `xinfang audit export`) reads as: the system actor.

The operator holds the instance folder, keys included, so no case is hidden from them; of each
case they are shown what the visibility rule shows the system actor (an admin): identity masked.
"""

CASE_FIELDS = (
    "number status channel category subject location accused_unit_ids collective_size "
    "intake_unit_id mode unit_id leader_id handler_id flags objection_pending repeat_count "
    "petition_count outcome response_text delivered_on dispositions satisfaction resolution "
    "review_decision recheck_decision merged_into merged_case_ids diverted_to "
    "supervision_orders visit_count registered_at recorded_at updated_at closed_at"
).split()
"""Attributes of the case shown as they are; the case view adds the restricted and derived ones."""

STAMP_FIELDS = frozenset(
    {
        "originator_id",
        "originator_version",
        "timestamp",
        "originator_topic",
        "actor",
        "occurred_at",
        "reason",
        "on_behalf_of",
    }
)
"""Event fields shown beside an event's data, not in it."""

NO_PROOF = {"leaf_index": None, "log_position": None, "leaf_hash": None, "inclusion_proof": None}


# -- free text ---------------------------------------------------------------------------------
def scrub(value: Any, petitioners: Sequence[Petitioner]) -> Any:
    """`value` with every text in it (nested in lists, dicts and records too) redacted of the
    petitioners' identity and address, however typed (projections/sealer.py `redact`)."""
    if isinstance(value, Enum | UUID | Petitioner) or value is None:
        return value
    if isinstance(value, str):
        return PetitionerSealer.redact(value, petitioners)
    if isinstance(value, list | tuple):
        return type(value)(scrub(v, petitioners) for v in value)
    if isinstance(value, dict):
        return {k: scrub(v, petitioners) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: scrub(getattr(value, f.name), petitioners) for f in dataclasses.fields(value)
        }
        return dataclasses.replace(value, **changes)
    return value


# -- the access log ----------------------------------------------------------------------------
def disclosed_fields(case: Case, *, sees: bool) -> list[str]:
    """The restricted fields of `case` shown to a viewer who does (or does not) see the identity."""
    if not sees:
        return []
    if case.category is Category.ACCUSATION:
        return [IDENTITY, ACCUSATION]
    return [IDENTITY]


def record(
    app: Xinfang, viewer: Actor, case: Case, action: str, *, sees: bool, always: bool = False
) -> list[str]:
    """Save an access record if the viewer is shown restricted fields of `case` (or `always`).

    Returns the fields recorded. Reads record only real disclosures; exports and downloads
    pass `always`, so that handing a case out of the system is logged even when masked.
    """
    fields = disclosed_fields(case, sees=sees)
    if fields or always:
        app.save(Access.record(actor=viewer, case_id=case.id, action=action, fields=fields))
    return fields


def record_rows(
    app: Xinfang,
    viewer: Actor,
    items: Sequence[Mapping[str, Any]],
    action: str,
    *,
    always: bool = False,
) -> None:
    """Log, in one save (one transaction, committed before the answer is sent), every ledger
    row whose identity the viewer was shown, once per case however often it is listed.

    Exports (`always`) are logged even when masked: the data left the system.
    """
    shown: dict[UUID, list[str]] = {}
    for item in items:
        if always or not item["identity_masked"]:
            fields = [] if item["identity_masked"] else [IDENTITY]
            if len(fields) >= len(shown.get(item["case_id"], [])):
                shown[item["case_id"]] = fields
    records = [
        Access.record(actor=viewer, case_id=case_id, action=action, fields=fields)
        for case_id, fields in shown.items()
    ]
    if records:
        app.save(*records)


def access_entries(
    app: Xinfang, views: ViewStore, log: AccessLog, viewer: Actor, **query: Any
) -> list[AccessEntry]:
    """The access log as the viewer may read it: entries of a case accusing their unit left out.

    An entry names a case by id only, so the audit roles read the entries of every case but
    those the rule hides from their unit whatever the role (domain.md §7).
    """
    entries = log.query(**query)  # the caller has caught the views up (Services.catch_up)
    hidden = accusing(views, app.lineage(viewer.unit_id), {e.case_id for e in entries})
    return [entry for entry in entries if entry.case_id not in hidden]


# -- cases -------------------------------------------------------------------------------------
def case_view(
    case: Case, today: date, *, sees: bool, people: Sequence[Petitioner] = ()
) -> dict[str, Any]:
    """The case as a viewer who does (or does not) see the identity is shown it today.

    A masked viewer gets every text redacted of the petitioners (of `case`, and `people`: those
    known now, when the case is shown as it stood earlier).
    """
    view = {name: getattr(case, name) for name in CASE_FIELDS}
    view.update(
        id=case.id,
        version=case.version,
        identity_masked=not sees,
        petitioners=[p if sees else p.masked() for p in case.petitioners],
        content=case.content
        if sees or case.category is not Category.ACCUSATION
        else ACCUSATION_WITHHELD,
        deadlines=[
            {
                **{f.name: getattr(d, f.name) for f in dataclasses.fields(d)},
                "rule": d.rule.value,
                "unit": d.unit.value,
                "key": d.name,
                "status": clocks.level(d, today),
            }
            for d in case.deadlines.values()
        ],
    )
    # Masked petitioners are Petitioner values, which `scrub` leaves as they are.
    return view if sees else scrub(view, [*case.petitioners, *people])


def read_case(
    app: Xinfang,
    viewer: Actor,
    case_id: UUID,
    *,
    as_of: datetime | None = None,
    current: Case | None = None,
) -> dict[str, Any]:
    """The case now or as it stood `as_of`, as the viewer is shown it; the read is logged.

    `current` is the case now as the case view holds it (projections/case_views.py).
    """
    if as_of is None:
        return show_case(app, viewer, app.get_case(viewer, case_id, current=current))
    case = app.get_case(viewer, case_id, as_of=as_of)
    # Identity is shown by the viewer's standing today, not the one they had at `as_of`.
    now = case if as_of is None else app.get_case(viewer, case_id)
    sees = visibility.sees_identity(viewer, now)
    record(app, viewer, case, READ_CASE, sees=sees)
    return case_view(case, today_in_county(app), sees=sees, people=now.petitioners)


def show_case(app: Xinfang, viewer: Actor, case: Case) -> dict[str, Any]:
    """A case now (already found visible to the viewer), as they are shown it; logged."""
    sees = visibility.sees_identity(viewer, case)
    record(app, viewer, case, READ_CASE, sees=sees)
    return case_view(case, today_in_county(app), sees=sees)


def answer(app: Xinfang, viewer: Actor, case: Case, now: Case | None = None) -> dict[str, Any]:
    """The case as the answer to the viewer's command, or to its idempotent replay.

    A replay shows the case as the first answer left it, but rendered afresh: by the viewer's
    standing on the case `now`, not the one they had then.
    """
    current = case if now is None else now
    sees = visibility.sees_identity(viewer, current)
    return case_view(case, today_in_county(app), sees=sees, people=current.petitioners)


# -- events ------------------------------------------------------------------------------------
def plain(value: Any) -> Any:
    """A JSON-ready copy of an event field value."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def event_view(event: Any, sees_identity: bool, case: Case) -> dict[str, Any]:
    """One history entry: who, when (both times), why, and what (masked as for the case)."""
    data = {
        name: getattr(event, name)
        for name in event.__dataclass_fields__
        if name not in STAMP_FIELDS
    }
    reason = event.reason
    if not sees_identity:
        if "petitioners" in data:
            data["petitioners"] = [p.masked() for p in data["petitioners"]]
        if "content" in data and case.category is Category.ACCUSATION:
            data["content"] = ACCUSATION_WITHHELD
        # Free text (a subject, a reason, a note, a visit's record) may name the petitioner.
        people = [*case.petitioners, *(getattr(event, "petitioners", None) or ())]
        data = {k: v if k == "petitioners" else scrub(v, people) for k, v in data.items()}
        reason = PetitionerSealer.redact(reason, people) if reason else reason
    return {
        "version": event.originator_version,
        "type": type(event).__name__,
        "recorded_at": event.timestamp,
        "occurred_at": event.occurred_at,
        "actor": event.actor,
        "reason": reason,
        "on_behalf_of": event.on_behalf_of,
        "data": plain(data),
    }


def history_view(
    case: Case, events: Sequence[DomainEventProtocol[UUID]], *, sees: bool
) -> dict[str, Any]:
    """A case's audit trail as a viewer who does (or does not) see the identity is shown it."""
    return {
        "case_id": case.id,
        "number": case.number,
        "events": [event_view(e, sees, case) for e in events],
    }


def read_history(
    app: Xinfang, viewer: Actor, case_id: UUID, *, current: Case | None = None
) -> dict[str, Any]:
    """Every event of the case, as the viewer is shown them; the read is logged.

    `current` is the case now as the case view holds it (projections/case_views.py).
    """
    case, events = app.history(viewer, case_id, current=current)
    return show_history(app, viewer, case, events)


def show_history(
    app: Xinfang, viewer: Actor, case: Case, events: Sequence[DomainEventProtocol[UUID]]
) -> dict[str, Any]:
    """A case's events (the case found visible to the viewer), as they are shown them; logged."""
    sees = visibility.sees_identity(viewer, case)
    record(app, viewer, case, READ_HISTORY, sees=sees)
    return history_view(case, events, sees=sees)


def operator_history(app: Xinfang, case: Case) -> dict[str, Any]:
    """Every event of the case as the console operator (OPERATOR) is shown them; logged."""
    sees = visibility.sees_identity(OPERATOR, case)
    record(app, OPERATOR, case, READ_HISTORY, sees=sees)
    return history_view(case, list(app.events.get(case.id)), sees=sees)


# -- proofs and bundles ------------------------------------------------------------------------
def add_proofs(audit: AuditTrail, history: dict[str, Any]) -> dict[str, Any]:
    """Add each event's leaf index, log position, leaf hash and inclusion proof, and the head."""
    head, proofs = audit.case_proofs(history["case_id"])
    for entry in history["events"]:
        proof = proofs.get(entry["version"])
        entry.update(proof.as_json() if proof else NO_PROOF)
    history["head"] = head.as_json()
    return history


@dataclass(frozen=True)
class Bundle:
    """A sealed offline bundle of one case (docs/audit.md, "Bundles")."""

    case: Case
    event_count: int
    body: bytes


def case_bundle(
    app: Xinfang,
    audit: AuditTrail,
    viewer: Actor,
    case: Case,
    events: Sequence[Any],
    *,
    sees: bool,
    operator: str | None = None,
) -> bytes:
    """The sealed offline bundle of `case` as `viewer` is shown it (not logged: see `bundle`).

    `operator` names the console account that exported it (CLI exports only).
    """
    head, proofs = audit.case_proofs(case.id)
    entries = []
    for event in events:
        entry = plain(event_view(event, sees, case))
        proof = proofs.get(event.originator_version)
        entry.update(proof.as_json(with_leaf=True) if proof else NO_PROOF)
        entries.append(entry)
    return audit.seal_bundle(
        {
            "history": {"case_id": str(case.id), "number": case.number, "events": entries},
            "head": head.as_json(),
            "exported_at": format_instant(app.clock()),
            "exported_by": plain(viewer),
            **({"operator": operator} if operator is not None else {}),
        }
    )


def bundle(
    app: Xinfang, audit: AuditTrail, viewer: Actor, case_id: UUID, action: str = BUNDLE
) -> Bundle:
    """The bundle of a case the viewer may see, as they are shown it; logged even when masked."""
    case, events = app.history(viewer, case_id)
    sees = visibility.sees_identity(viewer, case)
    record(app, viewer, case, action, sees=sees, always=True)
    return Bundle(case, len(events), case_bundle(app, audit, viewer, case, events, sees=sees))


@dataclass(frozen=True)
class Export:
    """A bundle for the console whose disclosure is not logged yet: save `record` once the
    file is written (an export that failed to write disclosed nothing)."""

    bundle: Bundle
    record: Access


def console_export(
    app: Xinfang, audit: AuditTrail, case: Case, *, operator: str, viewer: Actor | None = None
) -> Export:
    """`xinfang audit export`: the bundle of `case` as `viewer` is shown it (by default as the
    console operator, OPERATOR, for whom no case is hidden), naming the console account
    `operator` in the bundle and in its access record (logged even when masked)."""
    if viewer is None:
        viewer = OPERATOR
        events: Sequence[Any] = list(app.events.get(case.id))
    else:
        case, events = app.history(viewer, case.id)
    sees = visibility.sees_identity(viewer, case)
    body = case_bundle(app, audit, viewer, case, events, sees=sees, operator=operator)
    fields = disclosed_fields(case, sees=sees)
    entry = Access.record(
        actor=viewer, case_id=case.id, action=EXPORT, fields=fields, operator=operator
    )
    return Export(Bundle(case, len(events), body), entry)


# -- ledger rows and overdue items -------------------------------------------------------------
def deadline_brief(deadline: Deadline | None, today: date) -> dict[str, Any] | None:
    """A case's most urgent running deadline as the ledger shows it."""
    if deadline is None:
        return None
    return {
        "rule": deadline.rule.value,
        "due_date": deadline.due_date.isoformat(),
        "level": clocks.level(deadline, today).value,
        "provisional": deadline.provisional,
        "days_over": clocks.days_over(deadline, today),
    }


def ledger_row(
    viewer: Actor,
    row: Mapping[str, Any],
    *,
    petitioners: Sequence[Petitioner],
    texts: Mapping[str, str | None],
    deadline: Deadline | None,
    names: Names,
    today: date,
) -> dict[str, Any]:
    """One ledger row as the viewer is shown it (identity masked as for the case).

    The subject and place are stored redacted (ledger_projection) and, whole, sealed (`texts`):
    a viewer who sees the identity is shown them whole, others redacted (again, in case).
    """
    sees = row_shows_identity(viewer, row)
    shown = petitioners if sees else [p.masked() for p in petitioners]
    redact = PetitionerSealer.redact
    text = {
        name: texts.get(name, row[name])
        if sees
        else (row[name] if row[name] is None else redact(row[name], petitioners))
        for name in ("subject", "location")
    }
    return {
        "case_id": UUID(row["case_id"]),
        "number": row["number"],
        "received_on": row["received_on"],
        "channel": row["channel"],
        "category": row["category"],
        "petitioners": [asdict(p) for p in shown],
        "identity_masked": not sees,
        "subject": text["subject"],
        "location": text["location"],
        "unit_id": uuid_of(row["unit_id"]),
        "unit_name": names.unit(row["unit_id"]),
        "leader_id": uuid_of(row["leader_id"]),
        "leader_name": names.user(row["leader_id"]),
        "handler_id": uuid_of(row["handler_id"]),
        "handler_name": names.user(row["handler_id"]),
        "status": row["status"],
        "deadline": deadline_brief(deadline, today),
        "flags": members(row["flags"]),
        "repeat_count": row["repeat_count"],
        "outcome": row["outcome"],
        "dispositions": members(row["dispositions"]),
        "satisfaction": row["satisfaction"],
        "resolution": row["resolution"],
        "closed_on": row["closed_on"],
        "version": row["version"],
    }


def overdue_item(
    row: Mapping[str, Any],
    deadline: Deadline,
    *,
    level: Level,
    held: Mapping[str, Any],
    names: Names,
    orders: int,
    today: date,
) -> dict[str, Any]:
    """A missed or at-risk deadline and who held the case on its due date.

    The same for every viewer who may see the case: it names no petitioner.
    """
    return {
        "case_id": UUID(row["case_id"]),
        "number": row["number"],
        "subject": row["subject"],
        "case_status": row["case_status"],
        "rule": deadline.rule.value,
        "slot": deadline.name,
        "started_on": deadline.started_on.isoformat(),
        "due_date": deadline.due_date.isoformat(),
        "provisional": deadline.provisional,
        "met_on": row["met_on"],
        "level": level.value,
        "days_over": clocks.days_over(deadline, today),
        "unit_id": uuid_of(held.get("unit_id")),
        "unit_name": names.unit(held.get("unit_id")),
        "handler_id": uuid_of(held.get("handler_id")),
        "handler_name": names.user(held.get("handler_id")),
        "leader_id": uuid_of(held.get("leader_id")),
        "leader_name": names.user(held.get("leader_id")),
        "supervision_orders": orders,
    }
