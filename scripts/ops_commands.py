"""`xinfang backup` and `xinfang restore`: copies of an instance that verify after restoring.

SQLite: the online backup API copies the event store and the views while the service runs.
PostgreSQL: `pg_dump` of the instance's schema (custom format) and `pg_restore` back into it.
The cipher key is copied too unless --without-keys: without it the events cannot be read, so
keep such a backup as safe as the instance itself. The audit signing key is left out unless
--with-signing-key: whoever holds it can sign a head over a log they changed, so it belongs in
the key escrow, not beside every copy of the database.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import click

from projections.checkpoints import Checkpoints
from projections.settings import (
    AUDIT_KEY_FILE,
    CIPHER_KEY_FILE,
    OFFICE_FILE,
    Settings,
    make_private,
    no_instance,
)
from scripts.cli import settings_from_environ
from scripts.console_zh import Command

MANIFEST = "manifest.json"
DATABASES = ("views.db", "xinfang.db")
"""Views first: a copy of the views must never be ahead of the copy of the events."""
PG_DUMP = "xinfang.pgdump"


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy one SQLite database consistently, even while it is being written."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _pg_args(settings: Settings) -> tuple[list[str], dict[str, str]]:
    env = settings.extra_env
    args = [
        "-h",
        env.get("POSTGRES_HOST", "127.0.0.1"),
        "-p",
        env.get("POSTGRES_PORT", "5432"),
        "-U",
        env.get("POSTGRES_USER", "postgres"),
        "-d",
        env.get("POSTGRES_DBNAME", "xinfang"),
    ]
    child_env = {**os.environ}
    if env.get("POSTGRES_PASSWORD"):
        child_env["PGPASSWORD"] = env["POSTGRES_PASSWORD"]
    return args, child_env


def _run(command: list[str], env: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        msg = f"未安装 {command[0]}：请安装 PostgreSQL 客户端工具"
        raise click.ClickException(msg)
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise click.ClickException(f"{command[0]} 运行失败：{done.stderr.strip()}")


def _copy_keys(source: Path, target: Path, names: list[str]) -> None:
    target.mkdir(parents=True, exist_ok=True)
    os.chmod(target, 0o700)
    for name in names:
        shutil.copy2(source / name, target / name)
        os.chmod(target / name, 0o600)


def _key_names(settings: Settings, *, signing_key: bool) -> list[str]:
    """The key files a backup holds: the cipher key, and the signing key if asked."""
    names = [Path(CIPHER_KEY_FILE).name]
    if signing_key and settings.key_path(AUDIT_KEY_FILE).exists():
        names.append(Path(AUDIT_KEY_FILE).name)
    return names


@click.command(cls=Command)
@click.argument("path", metavar="目录", type=click.Path(file_okay=False, path_type=Path))
@click.option("--without-keys", is_flag=True, help="不复制密钥（密钥另行保管）。")
@click.option(
    "--with-signing-key",
    is_flag=True,
    help="连审计签名密钥一并复制（默认不复制：它应交密钥托管保存）。",
)
def backup(path: Path, without_keys: bool, with_signing_key: bool) -> None:
    """把实例的一致副本写入新目录。

    除非加 --without-keys，否则复制加密密钥；审计签名密钥只在加 --with-signing-key
    时复制。
    """
    if without_keys and with_signing_key:
        raise click.ClickException("--without-keys 与 --with-signing-key 互相矛盾，不能同时使用")
    settings = settings_from_environ()
    if not settings.key_path("keys").exists():
        raise click.ClickException(no_instance(settings.home))
    if path.exists() and any(path.iterdir()):
        raise click.ClickException(f"{path} 已存在且不为空")
    path.mkdir(parents=True, exist_ok=True)
    if settings.is_postgres:
        args, env = _pg_args(settings)
        schema = settings.extra_env.get("POSTGRES_SCHEMA", "public")
        _run(["pg_dump", *args, "-Fc", "-n", schema, "-f", str(path / PG_DUMP)], env)
        files = [PG_DUMP]
    else:
        files = []
        for name in DATABASES:
            if (settings.home / name).exists():
                _sqlite_copy(settings.home / name, path / name)
                files.append(name)
    keys = [] if without_keys else _key_names(settings, signing_key=with_signing_key)
    if keys:
        _copy_keys(settings.key_path("keys"), path / "keys", keys)
    # The issuing office (`xinfang config`) goes with the data it prints.
    configured = [OFFICE_FILE] if (settings.home / OFFICE_FILE).is_file() else []
    for name in configured:
        shutil.copy2(settings.home / name, path / name)
    manifest = {
        "created_at": datetime.now(UTC).isoformat(),
        "backend": settings.dialect,
        "schema": settings.extra_env.get("POSTGRES_SCHEMA") if settings.is_postgres else None,
        "files": files,
        "keys": keys,
        "settings": configured,
    }
    (path / MANIFEST).write_text(json.dumps(manifest, indent=2))
    click.echo(f"已将 {settings.home}（{settings.dialect}）备份到 {path}")
    if Path(AUDIT_KEY_FILE).name not in keys:
        click.echo(
            "备份中不含审计签名密钥：请把 keys/audit_ed25519.pem 交密钥托管保存"
            "（恢复时需要），或用 --with-signing-key 备份。"
        )
    click.echo(str(path))


@click.command(cls=Command)
@click.argument(
    "path", metavar="目录", type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option("--force", is_flag=True, help="覆盖已有数据的实例。")
def restore(path: Path, force: bool) -> None:
    """把目录中的备份恢复到环境变量所指的实例。

    审计签名密钥须在备份中（备份时加了 --with-signing-key），或已就位（已从密钥托管处
    复制到 XINFANG_HOME/keys/）。
    """
    settings = settings_from_environ()
    manifest = json.loads((path / MANIFEST).read_text())
    if manifest["backend"] != settings.dialect:
        msg = f"该备份来自 {manifest['backend']} 实例，而本实例为 {settings.dialect}"
        raise click.ClickException(msg)
    has_keys = settings.key_path(CIPHER_KEY_FILE).exists()
    if has_keys and not force:
        raise click.ClickException(f"{settings.home} 下已有实例：如确需覆盖，请加 --force")
    # Backups made before keys were listed by name say `true` for "the whole keys folder".
    listed = manifest["keys"]
    keys = sorted(p.name for p in (path / "keys").iterdir()) if listed is True else listed or []
    signing = Path(AUDIT_KEY_FILE).name
    if Path(CIPHER_KEY_FILE).name not in keys and not has_keys:
        raise click.ClickException("该备份不含密钥：请先将实例的 keys/ 放回原处")
    if signing not in keys and not settings.key_path(AUDIT_KEY_FILE).exists():
        raise click.ClickException(
            f"该备份不含审计签名密钥：请先从密钥托管处将 {signing} 复制到 "
            f"{settings.key_path('keys')}（否则无法核验已签名的树头）"
        )
    # The folders 0700 and the databases created 0600 before anything is copied into them.
    make_private(settings)
    if keys:
        _copy_keys(path / "keys", settings.key_path("keys"), keys)
    if settings.is_postgres:
        args, env = _pg_args(settings)
        _run(["pg_restore", *args, "--clean", "--if-exists", str(path / PG_DUMP)], env)
    else:
        for name in manifest["files"]:
            for stale in (f"{name}-wal", f"{name}-shm"):
                (settings.home / stale).unlink(missing_ok=True)
            _sqlite_copy(path / name, settings.home / name)
    # The checkpoints of the as_of views were made from the log this restore replaced.
    Checkpoints.of(settings).remove()
    for name in manifest.get("settings", []):  # absent from backups made before it existed
        shutil.copy2(path / name, settings.home / name)
    make_private(settings)
    click.echo(f"已将 {path} 恢复到 {settings.home}；请运行 `xinfang verify` 核验")
