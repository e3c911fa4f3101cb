"""Who may do what to which case: commands as their declarations allow, and who sees what."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from domain.cases import Case
from domain.commands import CaseCommand, Command
from domain.errors import NotFoundError, PermissionDeniedError
from domain.values import Actor, Role

R = Role
UNIT = frozenset({R.UNIT_HEAD, R.HANDLER})
SEE_ALL = frozenset({R.CLERK, R.DISPATCHER, R.SUPERVISOR, R.AUDITOR})
IDENTITY_ROLES = frozenset({R.CLERK, R.DISPATCHER, R.SUPERVISOR, R.AUDITOR})
AUDIT_ROLES = frozenset({R.AUDITOR, R.SUPERVISOR, R.ADMIN})
DIRECTORY_READERS = frozenset({R.ADMIN, R.SUPERVISOR, R.AUDITOR})


def _in_unit(actor: Actor, case: Case) -> bool:
    unit = case.unit_id if case.unit_id is not None else case.intake_unit_id
    return actor.unit_id is not None and actor.unit_id == unit


def _sponsors(actor: Actor, case: Case) -> bool:
    return actor.role is R.LEADER and actor.id == case.leader_id


def authorize(command: Command, actor: Actor, case: Case | None = None) -> None:
    """Refuse with PermissionDeniedError unless the command's declaration lets `actor` issue it.

    `case` is the case a command applies to (None for registering a new one).
    """
    rule = command.permission
    allowed = actor.role in rule.anyone_of or (
        case is not None
        and (
            (actor.role in rule.unit_roles and _in_unit(actor, case))
            or (actor.role is R.LEADER and command.leader_may(_sponsors(actor, case)))
        )
    )
    if not allowed:
        what = (
            f"'{command.verb}' on this case"
            if isinstance(command, CaseCommand)
            else "register cases"
        )
        msg = f"role '{actor.role.value}' may not {what}"
        raise PermissionDeniedError(msg)


def is_accused(case: Case, unit_lineage: Collection[UUID]) -> bool:
    """Whether the actor's unit (or a unit above it) is accused by the case."""
    return bool(set(unit_lineage) & set(case.accused_unit_ids))


def can_see(actor: Actor, case: Case, unit_lineage: Collection[UUID]) -> bool:
    """Whether the case exists for this actor at all (others get 404)."""
    if is_accused(case, unit_lineage):
        return False
    if actor.role in SEE_ALL:
        return True
    if actor.role is R.LEADER:
        return actor.id in case.sponsor_ids or (
            actor.unit_id is not None and actor.unit_id in case.held_unit_ids
        )
    if actor.role in UNIT:
        return _in_unit(actor, case) or (
            actor.unit_id is not None and actor.unit_id in case.held_unit_ids
        )
    return False


def require_visible(actor: Actor, case: Case, unit_lineage: Collection[UUID]) -> None:
    """Raise NotFoundError for a case the actor may not know exists."""
    if not can_see(actor, case, unit_lineage):
        raise NotFoundError("no such case")


def sees_identity(actor: Actor, case: Case) -> bool:
    """Whether the petitioner's identity is shown unmasked to this actor."""
    responsible = case.unit_id if case.unit_id is not None else case.intake_unit_id
    return identity_shown(actor, responsible=responsible, sponsor=case.leader_id)


def identity_shown(actor: Actor, *, responsible: UUID | None, sponsor: UUID | None) -> bool:
    """The identity rule on plain ids (also used by read models that hold no Case)."""
    if actor.role in IDENTITY_ROLES:
        return True
    if actor.role in UNIT:
        return actor.unit_id is not None and actor.unit_id == responsible
    return actor.role is R.LEADER and actor.id == sponsor


def require_role(actor: Actor, roles: Collection[Role], what: str) -> None:
    """Refuse with PermissionDeniedError unless the actor has one of `roles`."""
    if actor.role not in roles:
        msg = f"role '{actor.role.value}' may not {what}"
        raise PermissionDeniedError(msg)
