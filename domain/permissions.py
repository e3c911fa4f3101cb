"""Who may issue which command: as its declaration allows, by role and tie to the case."""

from __future__ import annotations

from collections.abc import Callable, Collection

from domain.cases import Case
from domain.commands import CaseCommand, Command, Permission
from domain.errors import ACTOR_RECUSED, PermissionDeniedError, role_may_not
from domain.labels import COMMAND
from domain.values import Actor, Role
from domain.visibility import Standing, Tie, ties

R = Role
AUDIT_ROLES = frozenset({R.AUDITOR, R.SUPERVISOR, R.ADMIN})
DIRECTORY_READERS = frozenset({R.ADMIN, R.SUPERVISOR, R.AUDITOR})


def authorize(command: Command, actor: Actor, case: Case | None = None) -> None:
    """Refuse with PermissionDeniedError unless the command's declaration lets `actor` issue it.

    `case` is the case a command applies to (None for registering a new one).
    """
    if case is not None and actor.id in case.recused_ids:
        raise PermissionDeniedError(ACTOR_RECUSED)
    if not _allowed(command.permission, actor, case, command.leader_may):
        what = (
            f"对本事项办理“{COMMAND.get(command.verb, command.verb)}”"
            if isinstance(command, CaseCommand)
            else "登记信访事项"
        )
        raise PermissionDeniedError(role_may_not(actor.role.value, what))


def _allowed(
    rule: Permission, actor: Actor, case: Case | None, leader_may: Callable[[bool], bool]
) -> bool:
    tied = ties(actor, Standing.of(case)) if case is not None else frozenset()
    return (
        actor.role in rule.anyone_of
        or (actor.role in rule.unit_roles and Tie.RESPONSIBLE_UNIT in tied)
        or (case is not None and actor.role is R.LEADER and leader_may(Tie.SPONSOR in tied))
    )


def offered(declaration: type[CaseCommand], actor: Actor, case: Case) -> bool:
    """Whether a form for the command is offered to `actor` on `case`: the case's status allows
    it (its declaration's `allowed_in`) and `authorize` would let the actor issue it with some
    arguments (a command whose `leader_may` depends on its arguments, such as a visit, is
    offered to a leader if the declaration lets leaders issue it at all)."""
    if case.status not in declaration.allowed_in or actor.id in case.recused_ids:
        return False
    rule = declaration.permission

    def leader_may(sponsors: bool) -> bool:
        widened = declaration.leader_may is not Command.leader_may
        return (sponsors and rule.sponsor) or (widened and rule.sponsor)

    return _allowed(rule, actor, case, leader_may)


def offered_on_record(declaration: type[Command], actor: Actor, standing: Standing | None) -> bool:
    """Whether a form for a register command (a risk's) is offered to `actor` on a record of
    this `standing`: `authorize_register` would let the actor issue it (a leader: when
    sponsoring, if the declaration lets sponsors issue it)."""
    rule = declaration.permission
    tied = ties(actor, standing) if standing is not None else frozenset()
    return (
        actor.role in rule.anyone_of
        or (actor.role in rule.unit_roles and Tie.RESPONSIBLE_UNIT in tied)
        or (
            standing is not None and actor.role is R.LEADER and rule.sponsor and Tie.SPONSOR in tied
        )
    )


def require_role(actor: Actor, roles: Collection[Role], what: str) -> None:
    """Refuse with PermissionDeniedError unless the actor has one of `roles` (`what`: the action
    in Chinese, as the refusal names it)."""
    if actor.role not in roles:
        raise PermissionDeniedError(role_may_not(actor.role.value, what))


def authorize_register(
    command: Command, actor: Actor, standing: Standing | None, what: str
) -> None:
    """Refuse unless the declaration lets `actor` issue `command` on a record of a register
    (a risk) of this `standing`, by the same rule as on a case (None: entering a new record).

    `what` names the command in the refusal, in Chinese ("对此隐患办理“化解销号”").
    """
    rule = command.permission
    tied = ties(actor, standing) if standing is not None else frozenset()
    allowed = (
        actor.role in rule.anyone_of
        or (actor.role in rule.unit_roles and Tie.RESPONSIBLE_UNIT in tied)
        or (
            standing is not None
            and actor.role is R.LEADER
            and command.leader_may(Tie.SPONSOR in tied)
        )
    )
    if not allowed:
        raise PermissionDeniedError(role_may_not(actor.role.value, what))
