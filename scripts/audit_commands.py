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


@click.command()
@click.option(
    "--batch-size",
    default=20_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Events read per query.",
)
@click.option(
    "--workers",
    default=os.cpu_count() or 1,
    show_default="one per core",
    type=click.IntRange(min=1),
    help="Processes checking a large log (1: all in this one).",
)
def verify(batch_size: int, workers: int) -> None:
    """Check every event against the audit tree and every signed head.

    Exits 1 and names the first bad log position if an event row was altered, removed,
    inserted or reordered, or if the stored tree or a signed head was tampered with.
    The same finding whatever the number of workers.
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


@click.group()
def audit() -> None:
    """The tamper-evident audit trail: signing key, offline case bundles."""


@audit.command("public-key")
def public_key() -> None:
    """Print the public key that verifies signed tree heads and bundles (PEM), and its key id.

    The PEM goes to standard output (redirect it into a file for the auditors); the key id,
    which every signed head and bundle names as `key_id`, goes to standard error: auditors
    compare it with the id they were given when the key was published.
    """
    settings = settings_from_environ()
    try:
        key = load_signing_key(settings.key_path(AUDIT_KEY_FILE))
    except AuditKeyError as err:
        raise click.ClickException(str(err)) from None
    click.echo(public_key_pem(key.public_key()), nl=False)
    click.echo(f"密钥 id {key_id_of(key.public_key())}", err=True)


@audit.command("export")
@click.argument("case")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the bundle (JSON).",
)
@click.option(
    "--as-user",
    "user_id",
    type=click.UUID,
    help="Export the case as this user sees it; default: identity masked, as the system.",
)
def export(case: str, out: Path, user_id: UUID | None) -> None:
    """Write CASE's history, leaves, inclusion proofs and a signed head to one JSON bundle.

    CASE is an id or a number like XF-2026-000012. `scripts/verify_bundle.py` checks the
    bundle offline. Once the file is written, the export is recorded in the access log with
    the console account that ran it (also named in the bundle as `operator`).
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
