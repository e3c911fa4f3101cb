"""`xinfang verify` and `xinfang audit ...`: check the log against its audit tree, export proofs."""

from __future__ import annotations

import getpass
import os
import socket
import sys
from pathlib import Path
from uuid import UUID

import click
from tqdm import tqdm

from projections import disclosure
from projections.audit_keys import AuditKeyError, key_id_of, load_signing_key, public_key_pem
from projections.settings import AUDIT_KEY_FILE
from scripts.cli import cannot_write, find_case, opened, settings_from_environ
from scripts.console_zh import Command, Group


@click.command(cls=Command)
@click.option(
    "--batch-size",
    default=20_000,
    show_default=True,
    type=click.IntRange(min=1),
    metavar="条数",
    help="每次查询读取的事件条数。",
)
@click.option(
    "--workers",
    default=os.cpu_count() or 1,
    show_default="每个 CPU 核一个",
    type=click.IntRange(min=1),
    metavar="进程数",
    help="核验大日志的进程数（1：全部在本进程中核验）。",
)
def verify(batch_size: int, workers: int) -> None:
    """用审计树和每个签名树头核验每一条事件。

    若有事件行被改动、删除、插入或调换顺序，或存储的审计树、某个签名树头被篡改，
    则以退出码 1 结束，并指出第一个出错的日志位置。无论用几个进程，结论都相同。
    """
    with opened() as services:
        trail = services.audit
        try:
            with tqdm(total=trail.tree_size(), unit=" 条", unit_scale=True, file=sys.stderr) as bar:
                report = trail.verify(progress=bar.update, batch_size=batch_size, workers=workers)
        except AuditKeyError as err:
            raise click.ClickException(str(err)) from None
    click.echo(
        f"已核验 {report.events:,} 条事件、{report.heads} 个签名树头，用时 "
        f"{report.seconds:.2f} 秒（每秒 {report.rate:,.0f} 条）。"
    )
    finding = report.finding
    if finding is not None:
        where = f"（日志位置 {finding.position}）" if finding.position is not None else ""
        click.echo(f"核验未通过{where}：{finding.message}", err=True)
        sys.exit(1)
    click.echo("核验通过：每条事件都与其审计叶子、审计树和每个签名树头相符。")


@click.group(cls=Group)
def audit() -> None:
    """防篡改的审计记录：签名密钥、可离线核验的事项审计包。"""


@audit.command("public-key")
def public_key() -> None:
    """打印用于核验签名树头和审计包的公钥（PEM）及其密钥 id。

    PEM 写到标准输出（可重定向到文件，交给审计人员）；密钥 id 写到标准错误，
    每个签名树头和审计包都以 `key_id` 注明它：审计人员把它与公布密钥时
    得到的 id 相比对。
    """
    settings = settings_from_environ()
    try:
        key = load_signing_key(settings.key_path(AUDIT_KEY_FILE))
    except AuditKeyError as err:
        raise click.ClickException(str(err)) from None
    click.echo(public_key_pem(key.public_key()), nl=False)
    click.echo(f"密钥 id {key_id_of(key.public_key())}", err=True)


@audit.command("export")
@click.argument("case", metavar="事项")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    metavar="文件",
    help="审计包（JSON）写到哪里。",
)
@click.option(
    "--as-user",
    "user_id",
    metavar="用户ID",
    type=click.UUID,
    help="按该用户所见导出事项；默认按系统所见导出，身份信息遮蔽。",
)
def export(case: str, out: Path, user_id: UUID | None) -> None:
    """把事项的历史、审计叶子、包含证明和一个签名树头写入一个 JSON 审计包。

    事项为 id 或形如 XF-2026-000012 的编号。`scripts/verify_bundle.py` 可离线核验
    审计包。文件写出后，这次导出连同执行它的控制台账号记入访问日志（审计包中
    也以 `operator` 注明该账号）。
    """
    account = console_account()
    with opened() as services:
        app = services.app
        found = find_case(app, case)
        viewer = app.get_user(user_id).as_actor if user_id is not None else None
        try:
            done = disclosure.console_export(
                app, services.audit, found, operator=account, viewer=viewer
            )
        except AuditKeyError as err:
            raise click.ClickException(str(err)) from None
        bundle = done.bundle
        try:
            write_private(out, bundle.body)
        except OSError as err:
            raise click.ClickException(cannot_write(out, err)) from None
        app.save(done.record)
        click.echo(
            f"已写出 {out}：{bundle.case.number} 的 {bundle.event_count} 条事件，签名密钥 "
            f"{services.audit.key_id}，导出人 {account}。"
            f"核验方法：python scripts/verify_bundle.py {out}"
        )


def console_account() -> str:
    """Who runs this command: the login (the one behind sudo, if any) at this host."""
    login = os.environ.get("SUDO_USER") or getpass.getuser()
    return f"{login}@{socket.gethostname()}"


def write_private(path: Path, body: bytes) -> None:
    """Write a file only its owner may read (a bundle may hold petitioner identity)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(body)
