"""Who may do what to which case: the permission matrix of docs/permissions.md."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from domain.cases import Case
from domain.errors import PermissionDeniedError
from domain.values import Actor, Role, VisitKind

R = Role
INTAKE = frozenset({R.CLERK, R.DISPATCHER})
DISPATCH = frozenset({R.DISPATCHER})
STEERING = frozenset({R.SUPERVISOR, R.DISPATCHER})
UNIT = frozenset({R.UNIT_HEAD, R.HANDLER})
AUDIT_ROLES = frozenset({R.AUDITOR, R.SUPERVISOR, R.ADMIN})
DIRECTORY_READERS = frozenset({R.ADMIN, R.SUPERVISOR, R.AUDITOR})


def _in_unit(actor: Actor, case: Case) -> bool:
    unit = case.unit_id if case.unit_id is not None else case.intake_unit_id
    return actor.unit_id is not None and actor.unit_id == unit


def _sponsors(actor: Actor, case: Case) -> bool:
    return actor.role is R.LEADER and actor.id == case.leader_id


@dataclass(frozen=True)
class Permission:
    """One row of the matrix: roles that may always, and unit roles tied to the case."""

    anyone_of: frozenset[Role] = frozenset()
    unit_roles: frozenset[Role] = frozenset()
    also: Callable[[Actor, Case, dict[str, object]], bool] | None = None

    def allows(self, actor: Actor, case: Case, args: dict[str, object]) -> bool:
        """Whether `actor` may run the command on `case` with `args`."""
        if actor.role in self.anyone_of:
            return True
        if actor.role in self.unit_roles and _in_unit(actor, case):
            return True
        return self.also is not None and self.also(actor, case, args)


def _leader_visit(actor: Actor, case: Case, args: dict[str, object]) -> bool:
    if actor.role is not R.LEADER:
        return False
    return args.get("kind") is VisitKind.RECEPTION or _sponsors(actor, case)


MATRIX: dict[str, Permission] = {
    "register": Permission(anyone_of=INTAKE),
    "notify_petitioner": Permission(anyone_of=INTAKE),
    "record_follow_up": Permission(anyone_of=INTAKE),
    "request_review": Permission(anyone_of=INTAKE),
    "request_recheck": Permission(anyone_of=INTAKE),
    "withdraw": Permission(anyone_of=INTAKE),
    "link_petition": Permission(anyone_of=INTAKE),
    "forward": Permission(anyone_of=DISPATCH),
    "assign": Permission(anyone_of=DISPATCH),
    "divert": Permission(anyone_of=DISPATCH),
    "not_accept": Permission(anyone_of=DISPATCH),
    "merge": Permission(anyone_of=DISPATCH),
    "decide_objection": Permission(anyone_of=DISPATCH),
    "approve_report": Permission(anyone_of=DISPATCH),
    "return_report": Permission(anyone_of=DISPATCH),
    "reassign": Permission(anyone_of=DISPATCH),
    "close": Permission(anyone_of=DISPATCH),
    "reopen": Permission(anyone_of=DISPATCH),
    "accept": Permission(unit_roles=frozenset({R.UNIT_HEAD})),
    "object": Permission(unit_roles=frozenset({R.UNIT_HEAD})),
    "extend": Permission(unit_roles=frozenset({R.UNIT_HEAD})),
    "change_handler": Permission(unit_roles=frozenset({R.UNIT_HEAD})),
    "respond": Permission(unit_roles=UNIT),
    "submit_report": Permission(unit_roles=UNIT),
    "start_work": Permission(unit_roles=UNIT),
    "record_progress": Permission(unit_roles=UNIT),
    "record_dispositions": Permission(unit_roles=UNIT),
    "answer_supervision_order": Permission(unit_roles=UNIT),
    "record_visit": Permission(unit_roles=UNIT, also=_leader_visit),
    "decide_review": Permission(anyone_of=frozenset({R.SUPERVISOR})),
    "decide_recheck": Permission(anyone_of=frozenset({R.SUPERVISOR})),
    "hearing": Permission(anyone_of=frozenset({R.SUPERVISOR})),
    "set_flag": Permission(anyone_of=STEERING),
    "issue_supervision_order": Permission(anyone_of=STEERING),
    "change_leader": Permission(anyone_of=STEERING),
}
"""Role × command, with the unit/relationship conditions of domain.md §1."""


def authorize(command: str, actor: Actor, case: Case, args: dict[str, object]) -> None:
    """Refuse with PermissionDeniedError unless the matrix allows the command."""
    if not MATRIX[command].allows(actor, case, args):
        msg = f"role '{actor.role.value}' may not '{command}' on this case"
        raise PermissionDeniedError(msg)


def authorize_register(actor: Actor) -> None:
    """Only intake roles register petitions."""
    if actor.role not in MATRIX["register"].anyone_of:
        msg = f"role '{actor.role.value}' may not register cases"
        raise PermissionDeniedError(msg)


def require_role(actor: Actor, roles: Collection[Role], what: str) -> None:
    """Refuse with PermissionDeniedError unless the actor has one of `roles`."""
    if actor.role not in roles:
        msg = f"role '{actor.role.value}' may not {what}"
        raise PermissionDeniedError(msg)
