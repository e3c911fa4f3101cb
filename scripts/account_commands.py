"""`xinfang users ...`: add and list users; disable, enable, change roles; issue and revoke tokens.

Run on the server by the operator, who holds the instance folder: the changes are recorded as
made by the system actor, each with its reason, like the API's (docs/operations.md, "Accounts").
"""

from __future__ import annotations

from uuid import UUID

import click

from domain.directory import SYSTEM_ACTOR
from domain.labels import label
from domain.office import MAX_TOKEN_DAYS
from domain.values import Role
from scripts.cli import echo_table, local_time, opened, unit_names

TOKEN_STATES = {"active": "有效", "expired": "已过期", "revoked": "已吊销"}
"""A token's state (`Token.state`) as the listing shows it."""

ROLE_CHOICE = click.Choice([role.value for role in Role])
REASON = click.option("--reason", required=True, help="Why (recorded with the change).")
OPTIONAL_REASON = click.option("--reason", help="Why (recorded with the change).")


@click.group()
def users() -> None:
    """Users, their roles and tokens."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=ROLE_CHOICE, help="What the user does in the office.")
@click.option("--unit", "unit_id", type=click.UUID, help="The user's unit (unit_head, handler).")
def add(name: str, role: str, unit_id: UUID | None) -> None:
    """Add a user; prints their token (shown only this once) as the last line."""
    with opened() as services:
        user, token = services.app.add_user(
            SYSTEM_ACTOR, name=name, role=Role(role), unit_id=unit_id
        )
        click.echo(
            f"已添加用户 {user.name}（{label(user.role)}，id {user.id}）。其令牌（只显示这一次）："
        )
        click.echo(token)


@users.command("list")
def list_users() -> None:
    """List the users, disabled ones marked."""
    with opened() as services:
        app = services.app
        names = unit_names(app)
        rows = [
            (
                u.id,
                u.name,
                u.role.value,
                names.get(u.unit_id) if u.unit_id else None,
                "在用" if u.active else "已停用",
            )
            for u in app.users(SYSTEM_ACTOR)
        ]
        echo_table(("用户 id", "姓名", "角色", "单位", "状态"), rows)


@users.command("disable")
@click.argument("user_id", metavar="USER", type=click.UUID)
@REASON
def disable(user_id: UUID, reason: str) -> None:
    """Stop USER (an id) from signing in, with every token, from their next request."""
    with opened() as services:
        user = services.app.disable_user(SYSTEM_ACTOR, user_id, reason=reason)
        click.echo(f"已停用 {user.name}（id {user.id}）：其任何令牌都不能再登录。")


@users.command("enable")
@click.argument("user_id", metavar="USER", type=click.UUID)
@REASON
def enable(user_id: UUID, reason: str) -> None:
    """Let a disabled USER sign in again with their unexpired, unrevoked tokens."""
    with opened() as services:
        user = services.app.enable_user(SYSTEM_ACTOR, user_id, reason=reason)
        click.echo(f"已启用 {user.name}（id {user.id}）。")


@users.command("role")
@click.argument("user_id", metavar="USER", type=click.UUID)
@click.option("--role", required=True, type=ROLE_CHOICE, help="The new role.")
@click.option("--unit", "unit_id", type=click.UUID, help="The new unit (none if left out).")
@REASON
def role(user_id: UUID, role: str, unit_id: UUID | None, reason: str) -> None:
    """Give USER another role and unit, from their next request."""
    with opened() as services:
        app = services.app
        user = app.change_role(
            SYSTEM_ACTOR, user_id, role=Role(role), unit_id=unit_id, reason=reason
        )
        unit = unit_names(app).get(user.unit_id, "-") if user.unit_id else "-"
        click.echo(f"{user.name}（id {user.id}）现为{label(user.role)}，单位：{unit}。")


@users.command("token")
@click.argument("user_id", metavar="USER", type=click.UUID)
@click.option(
    "--days",
    type=click.IntRange(1, MAX_TOKEN_DAYS),
    help="Days until it expires (default: XINFANG_TOKEN_DAYS, 90 unless set).",
)
@OPTIONAL_REASON
def token(user_id: UUID, days: int | None, reason: str | None) -> None:
    """Issue USER a further token; prints it (shown only this once) as the last line."""
    with opened() as services:
        issued = services.app.issue_token(
            SYSTEM_ACTOR, user_id, expires_in_days=days, reason=reason
        )
        click.echo(
            f"已签发令牌 {issued.token_id}，有效期至 {local_time(issued.expires_at)}"
            "（令牌只显示这一次）："
        )
        click.echo(issued.token)


@users.command("tokens")
@click.argument("user_id", metavar="USER", type=click.UUID)
def tokens(user_id: UUID) -> None:
    """List USER's tokens (never the tokens themselves): id, state, issued, expires, revoked."""
    with opened() as services:
        app = services.app
        now = app.clock()
        rows = [
            (
                t.id,
                TOKEN_STATES[t.state(now)],
                local_time(t.issued_at),
                t.issued_by,
                local_time(t.expires_at),
                local_time(t.revoked_at) if t.revoked_at else None,
            )
            for t in app.tokens(SYSTEM_ACTOR, user_id)
        ]
        echo_table(("令牌 id", "状态", "签发时间", "签发人", "到期时间", "吊销时间"), rows)


@users.command("revoke")
@click.argument("user_id", metavar="USER", type=click.UUID)
@click.argument("token_id", metavar="TOKEN", type=click.UUID)
@OPTIONAL_REASON
def revoke(user_id: UUID, token_id: UUID, reason: str | None) -> None:
    """Revoke USER's token TOKEN (an id from `xinfang users tokens`), from the next request."""
    with opened() as services:
        changed = services.app.revoke_token(SYSTEM_ACTOR, user_id, token_id, reason=reason)
        click.echo(f"已吊销令牌 {token_id}。" if changed else f"令牌 {token_id} 此前已吊销。")
