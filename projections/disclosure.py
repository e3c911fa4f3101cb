"""What a viewer is shown of a case, an event, a ledger row, an overdue item, a bundle; and its log.

Every read path calls this module: the HTTP layer and the CLI only serialise what it returns, and
none of them masks, redacts or writes the access log on its own. Whether a case exists for the
viewer and whether they see its petitioner is domain/visibility.py's rule; here that rule is
applied to what is shown (petitioners masked, an accusation's content withheld, free text
redacted) and every disclosure of restricted data is saved in the access log (domain/access.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Mapping, Sequence
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
    PRINT_DOCUMENT,
    READ_AGENDA,
    READ_CASE,
    READ_HISTORY,
    READ_RISK,
    READ_RISK_REGISTER,
    Access,
    AccessList,
)
from domain.application import Xinfang, today_in_county
from domain.cases import Case
from domain.directory import SYSTEM_ACTOR
from domain.labels import label
from domain.registers import Registers
from domain.risks import Risk
from domain.values import Actor, Category, Deadline, DocumentKind, Level, Petitioner, RiskLevel
from projections.audit_access import AccessEntry, AccessLog
from projections.audit_signing import format_instant
from projections.audit_trail import AuditTrail
from projections.documents import Paper, compose
from projections.names import Names
from projections.risk_register import RegisterRow, RiskRegister, accusing_risks
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
    "intake_unit_id from_risk_id mode unit_id leader_id handler_id flags objection_pending "
    "repeat_count petition_count outcome response_text delivered_on dispositions satisfaction "
    "resolution review_decision recheck_decision merged_into merged_case_ids diverted_to "
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
    """Log, as one event (one leaf of the audit tree, committed before the answer is sent),
    every ledger row whose identity the viewer was shown, once per case however often it is
    listed.

    Exports (`always`) are logged even when masked: the data left the system.
    """
    rows = [(item["case_id"], item) for item in items]
    _record_listed(app, viewer, rows, action, always=always)


def _record_listed(
    app: Xinfang,
    viewer: Actor,
    rows: Sequence[tuple[UUID, Mapping[str, Any]]],
    action: str,
    *,
    always: bool,
    operator: str | None = None,
) -> None:
    """Save one AccessList for the rows (by the case or risk each names) shown unmasked, or
    every row when `always`; a row listed twice is recorded once, unmasked if ever so."""
    shown: dict[UUID, list[str]] = {}
    for named, item in rows:
        if always or not item["identity_masked"]:
            fields = [] if item["identity_masked"] else [IDENTITY]
            if len(fields) >= len(shown.get(named, [])):
                shown[named] = fields
    if shown:
        app.save(AccessList.record(actor=viewer, action=action, shown=shown, operator=operator))


def access_entries(
    app: Xinfang, views: ViewStore, log: AccessLog, viewer: Actor, **query: Any
) -> list[AccessEntry]:
    """The access log as the viewer may read it: entries of a case accusing their unit left out.

    An entry names a case by id only, so the audit roles read the entries of every case but
    those the rule hides from their unit whatever the role (domain.md §7).
    """
    entries = log.query(**query)  # the caller has caught the views up (Services.catch_up)
    lineage = app.lineage(viewer.unit_id)
    ids = {e.case_id for e in entries}
    # An entry names a case, or a risk of the register (docs/risks.md): both hidden alike.
    hidden = accusing(views, lineage, ids) | accusing_risks(views, lineage, sorted(ids))
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


def shown(app: Xinfang, viewer: Actor, case: Case, action: str) -> bool:
    """Whether the viewer (already found to see `case`) sees its petitioners; a read that shows
    them is logged (saved, committed) before this returns."""
    sees = visibility.sees_identity(viewer, case)
    record(app, viewer, case, action, sees=sees)
    return sees


def show_case(app: Xinfang, viewer: Actor, case: Case) -> dict[str, Any]:
    """A case now (already found visible to the viewer), as they are shown it; logged."""
    sees = shown(app, viewer, case, READ_CASE)
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


def entry_standing(case: Case, sees: bool) -> Hashable:
    """Everything a history entry's rendering (`event_view`) depends on besides the event: the
    case, whether the viewer sees the identity and, if not, the case's category and everyone
    who petitions in it now (masked free text is scrubbed of each of their names, a petitioner
    who joined later included). Entries rendered for one standing can be shown again to
    anyone of the same standing."""
    if sees:
        return (case.id, True)
    return (case.id, False, case.category, tuple(case.petitioners))


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
    sees = shown(app, viewer, case, READ_HISTORY)
    return history_view(case, events, sees=sees)


def operator_history(app: Xinfang, case: Case) -> dict[str, Any]:
    """Every event of the case as the console operator (OPERATOR) is shown them; logged."""
    sees = visibility.sees_identity(OPERATOR, case)
    record(app, OPERATOR, case, READ_HISTORY, sees=sees)
    return history_view(case, list(app.events.get(case.id)), sees=sees)


# -- documents (文书) ------------------------------------------------------------------------------
def document(app: Xinfang, viewer: Actor, case: Case, kind: DocumentKind) -> Paper:
    """The document of `kind` of `case` (which the viewer may see) as they are shown it:
    the petitioner masked and free text redacted unless they see the identity.

    Printing is handing a case out of the system: it is logged always (with the 文号), naming
    the identity among the fields when it was shown.
    """
    sees = visibility.sees_identity(viewer, case)
    people = list(case.petitioners)

    def redact(text: str) -> str:
        return text if sees else PetitionerSealer.redact(text, people)

    paper = compose(
        case,
        list(app.events.get(case.id)),
        kind,
        office=app.office(),
        names=Names(app),
        petitioners=people if sees else [p.masked() for p in people],
        redact=(lambda text: text)
        if sees
        else (lambda text: PetitionerSealer.redact(text, people)),
        masked=not sees,
        today=today_in_county(app),
    )
    fields = disclosed_fields(case, sees=sees)
    printed = f"{label(kind)} {paper.number}" if paper.number else label(kind)
    app.save(
        Access.record(
            actor=viewer, case_id=case.id, action=PRINT_DOCUMENT, fields=fields, document=printed
        )
    )
    return paper


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
        "petitioners": [dict(vars(p)) for p in shown],  # flat: asdict's deep copy is not needed
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


# -- risks (隐患排查台账, docs/risks.md) --------------------------------------------------------
# The people involved in a risk are protected exactly like petitioners: the visibility rule
# (domain/visibility.py, over Risk.standing()) decides who sees them; others get them masked and
# every text redacted of them; each disclosure is saved in the access log (record `case_id` =
# the risk's id).
def _named(names: Names, value: UUID | None) -> str | None:
    return names.user(value.hex) if value is not None else None


def risk_view(risk: Risk, names: Names, *, sees: bool) -> dict[str, Any]:
    """The risk as a viewer who does (or does not) see the people involved is shown it."""
    view: dict[str, Any] = {
        "id": risk.id,
        "number": risk.number,
        "version": risk.version,
        "kind": risk.kind,
        "source": risk.source,
        "level": risk.level,
        "status": risk.status,
        "subject": risk.subject,
        "description": risk.description,
        "township_id": risk.township_id,
        "township_name": names.unit(risk.township_id.hex),
        "village": risk.village,
        "people": [p if sees else p.masked() for p in risk.people],
        "identity_masked": not sees,
        "headcount": risk.headcount,
        "accused_unit_ids": risk.accused_unit_ids,
        "reporting_unit_id": risk.reporting_unit_id,
        "leader_id": risk.leader_id,
        "leader_name": _named(names, risk.leader_id),
        "unit_id": risk.unit_id,
        "unit_name": names.unit(risk.unit_id.hex) if risk.unit_id else None,
        "handler_id": risk.handler_id,
        "handler_name": _named(names, risk.handler_id),
        "incomplete": risk.incomplete,
        "missing": risk.missing,
        "steps": [
            {"n": s.n, "text": s.text, "taken_at": s.taken_at, "actor": s.actor} for s in risk.steps
        ],
        "found_at": risk.found_at,
        "recorded_at": risk.recorded_at,
        "updated_at": risk.updated_at,
        "resolved_at": risk.resolved_at,
        "evidence": risk.evidence,
        "approved_by": risk.approved_by,
        "case_id": risk.case_id,
        "case_number": risk.case_number,
        "converted_at": risk.converted_at,
    }
    return view if sees else scrub(view, risk.people)


def risk_event_view(event: Any, sees: bool, risk: Risk) -> dict[str, Any]:
    """One entry of a risk's history: who, when (both times), why, and what (masked)."""
    data = {
        name: getattr(event, name)
        for name in event.__dataclass_fields__
        if name not in STAMP_FIELDS
    }
    reason = event.reason
    if not sees:
        if "people" in data:
            data["people"] = [p.masked() for p in data["people"]]
        data = {k: v if k == "people" else scrub(v, risk.people) for k, v in data.items()}
        reason = PetitionerSealer.redact(reason, risk.people) if reason else reason
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


def risk_answer(app: Xinfang, viewer: Actor, risk: Risk, now: Risk | None = None) -> dict[str, Any]:
    """The risk as the answer to the viewer's command, or to its replay (shown by the viewer's
    standing on the risk `now`)."""
    sees = visibility.shows_identity(viewer, (now or risk).standing())
    return risk_view(risk, Names(app), sees=sees)


def read_risk(registers: Registers, viewer: Actor, risk_id: UUID) -> dict[str, Any]:
    """The risk with its history, as the viewer is shown them; a disclosure is logged."""
    risk, events = registers.history(viewer, risk_id)
    sees = visibility.shows_identity(viewer, risk.standing())
    if sees:
        registers.app.save(
            Access.record(actor=viewer, case_id=risk.id, action=READ_RISK, fields=[IDENTITY])
        )
    view = risk_view(risk, Names(registers.app), sees=sees)
    view["history"] = [risk_event_view(e, sees, risk) for e in events]
    return view


def add_risk_proofs(audit: AuditTrail, view: dict[str, Any]) -> dict[str, Any]:
    """Add to each event of a risk's history its inclusion proof, and the head (as for cases)."""
    head, proofs = audit.case_proofs(view["id"])
    for entry in view["history"]:
        proof = proofs.get(entry["version"])
        entry.update(proof.as_json() if proof else NO_PROOF)
    view["head"] = head.as_json()
    return view


def register_row(viewer: Actor, found: RegisterRow, names: Names) -> dict[str, Any]:
    """One row of the risk register as the viewer is shown it (people masked as for the risk)."""
    row = found.row
    sees = row_shows_identity(viewer, row)
    return {
        "risk_id": UUID(row["risk_id"]),
        "number": row["number"],
        "kind": row["kind"],
        "source": row["source"],
        "level": row["level"],
        "status": row["status"],
        "subject": found.subject if sees else row["subject"],
        "township_id": UUID(row["township_id"]),
        "township_name": names.unit(row["township_id"]),
        "village": row["village"],
        "people": [asdict(p if sees else p.masked()) for p in found.people],
        "identity_masked": not sees,
        "headcount": row["headcount"],
        "leader_id": uuid_of(row["leader_id"]),
        "leader_name": names.user(row["leader_id"]),
        "unit_id": uuid_of(row["unit_id"]),
        "unit_name": names.unit(row["unit_id"]),
        "handler_id": uuid_of(row["handler_id"]),
        "handler_name": names.user(row["handler_id"]),
        "incomplete": bool(row["incomplete"]),
        "missing": [m for m in row["missing"].split(",") if m],
        "steps": row["steps"],
        "last_step_on": row["last_step_on"],
        "found_on": row["found_on"],
        "resolved_on": row["resolved_on"],
        "converted_on": row["converted_on"],
        "approved_by": row["approved_by"],
        "case_id": uuid_of(row["case_id"]),
        "case_number": row["case_number"],
        "version": row["version"],
    }


def register_rows(
    app: Xinfang,
    viewer: Actor,
    found: Sequence[RegisterRow],
    action: str = READ_RISK_REGISTER,
    *,
    always: bool = False,
    operator: str | None = None,
) -> list[dict[str, Any]]:
    """Rows of the risk register as the viewer is shown them; every row whose people the
    viewer was shown is logged in one save (an export, `always`, logs every row; `operator`
    names the console account of `xinfang risks export`, whose viewer is OPERATOR)."""
    names = Names(app)
    shown = [register_row(viewer, item, names) for item in found]
    rows = [(item["risk_id"], item) for item in shown]
    _record_listed(app, viewer, rows, action, always=always, operator=operator)
    return shown


def agenda_risks(
    app: Xinfang, risks: RiskRegister, viewer: Actor, level: RiskLevel | None = RiskLevel.GRAVE
) -> list[dict[str, Any]]:
    """The open risks (at `level`; by default the grave ones) for the weekly 联席会议's agenda,
    as the viewer may see them; rows showing the people unmasked are logged (`read_agenda`)."""
    return register_rows(app, viewer, risks.open_risks(viewer, level), READ_AGENDA)


def meeting_risks(
    app: Xinfang, viewer: Actor, found: Mapping[UUID, RegisterRow]
) -> dict[UUID, dict[str, Any]]:
    """The risks a meeting's agenda names, as the viewer is shown them (the caller passes only
    those the viewer may see: `RiskRegister.seen`); rows showing the people unmasked — the whole
    subject — are logged (`read_agenda`)."""
    shown = register_rows(app, viewer, list(found.values()), READ_AGENDA)
    return {row["risk_id"]: row for row in shown}
