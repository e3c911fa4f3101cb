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
from scripts.console_zh import Group

TOKEN_STATES = {"active": "有效", "expired": "已过期", "revoked": "已吊销"}
"""A token's state (`Token.state`) as the listing shows it."""

ROLE_CHOICE = click.Choice([role.value for role in Role])
REASON = click.option(
    "--reason", required=True, metavar="理由", help="变更的理由（随变更一并记录）。"
)
OPTIONAL_REASON = click.option("--reason", metavar="理由", help="变更的理由（随变更一并记录）。")
USER = click.argument("user_id", metavar="用户ID", type=click.UUID)


@click.group(cls=Group)
def users() -> None:
    """用户及其角色和令牌。"""


@users.command("add")
@click.argument("name", metavar="姓名")
@click.option("--role", required=True, type=ROLE_CHOICE, help="用户在信访局中的角色。")
@click.option(
    "--unit",
    "unit_id",
    metavar="单位ID",
    type=click.UUID,
    help="用户所在单位（unit_head、handler 须指定）。",
)
def add(name: str, role: str, unit_id: UUID | None) -> None:
    """添加用户，最后一行打印其令牌（只显示这一次）。"""
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
    """列出全部用户，并标明已停用的。"""
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
@USER
@REASON
def disable(user_id: UUID, reason: str) -> None:
    """停用该用户：从其下一次请求起，任何令牌都不能再登录。"""
    with opened() as services:
        user = services.app.disable_user(SYSTEM_ACTOR, user_id, reason=reason)
        click.echo(f"已停用 {user.name}（id {user.id}）：其任何令牌都不能再登录。")


@users.command("enable")
@USER
@REASON
def enable(user_id: UUID, reason: str) -> None:
    """重新启用已停用的用户：其未过期、未吊销的令牌可以再次登录。"""
    with opened() as services:
        user = services.app.enable_user(SYSTEM_ACTOR, user_id, reason=reason)
        click.echo(f"已启用 {user.name}（id {user.id}）。")


@users.command("role")
@USER
@click.option("--role", required=True, type=ROLE_CHOICE, help="新角色。")
@click.option(
    "--unit", "unit_id", metavar="单位ID", type=click.UUID, help="新单位（不指定则不属任何单位）。"
)
@REASON
def role(user_id: UUID, role: str, unit_id: UUID | None, reason: str) -> None:
    """改变用户的角色和单位，从其下一次请求起生效。"""
    with opened() as services:
        app = services.app
        user = app.change_role(
            SYSTEM_ACTOR, user_id, role=Role(role), unit_id=unit_id, reason=reason
        )
        unit = unit_names(app).get(user.unit_id, "-") if user.unit_id else "-"
        click.echo(f"{user.name}（id {user.id}）现为{label(user.role)}，单位：{unit}。")


@users.command("token")
@USER
@click.option(
    "--days",
    type=click.IntRange(1, MAX_TOKEN_DAYS),
    metavar="天数",
    help="几天后过期（默认取 XINFANG_TOKEN_DAYS，未设置则为 90）。",
)
@OPTIONAL_REASON
def token(user_id: UUID, days: int | None, reason: str | None) -> None:
    """为用户再签发一个令牌，最后一行打印该令牌（只显示这一次）。"""
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
@USER
def tokens(user_id: UUID) -> None:
    """列出用户的令牌：id、状态、签发、到期和吊销时间（不显示令牌本身）。"""
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
@USER
@click.argument("token_id", metavar="令牌ID", type=click.UUID)
@OPTIONAL_REASON
def revoke(user_id: UUID, token_id: UUID, reason: str | None) -> None:
    """吊销用户的一个令牌（令牌ID 见 `xinfang users tokens`），从下一次请求起生效。"""
    with opened() as services:
        changed = services.app.revoke_token(SYSTEM_ACTOR, user_id, token_id, reason=reason)
        click.echo(f"已吊销令牌 {token_id}。" if changed else f"令牌 {token_id} 此前已吊销。")
