"""`xinfang backup` and `xinfang restore`: copies of an instance that verify after restoring.

SQLite: the online backup API copies the event store and the views while the service runs.
PostgreSQL: `pg_dump` of the instance's schema (custom format) and `pg_restore` back into it.
The keys (cipher, audit signing key) are copied too unless --without-keys: without the cipher
key the events cannot be read, so keep such a backup as safe as the instance itself.
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

from projections.settings import Settings

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
        msg = f"{command[0]} is not installed: install the PostgreSQL client tools"
        raise click.ClickException(msg)
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise click.ClickException(f"{command[0]} failed: {done.stderr.strip()}")


def _copy_keys(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    os.chmod(target, 0o700)
    for key in source.iterdir():
        shutil.copy2(key, target / key.name)
        os.chmod(target / key.name, 0o600)


@click.command()
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@click.option("--without-keys", is_flag=True, help="Leave the keys out (keep them elsewhere).")
def backup(path: Path, without_keys: bool) -> None:
    """Write a consistent copy of the instance into the new folder PATH."""
    settings = Settings.from_environ()
    if not settings.key_path("keys").exists():
        raise click.ClickException(f"no instance at {settings.home}: run `xinfang init` first")
    if path.exists() and any(path.iterdir()):
        raise click.ClickException(f"{path} exists and is not empty")
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
    if not without_keys:
        _copy_keys(settings.key_path("keys"), path / "keys")
    manifest = {
        "created_at": datetime.now(UTC).isoformat(),
        "backend": settings.dialect,
        "schema": settings.extra_env.get("POSTGRES_SCHEMA") if settings.is_postgres else None,
        "files": files,
        "keys": not without_keys,
    }
    (path / MANIFEST).write_text(json.dumps(manifest, indent=2))
    click.echo(f"backed up {settings.home} ({settings.dialect}) to {path}")
    click.echo(str(path))


@click.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace an instance that already has data.")
def restore(path: Path, force: bool) -> None:
    """Restore the backup in PATH into the instance named by the environment."""
    settings = Settings.from_environ()
    manifest = json.loads((path / MANIFEST).read_text())
    if manifest["backend"] != settings.dialect:
        msg = f"the backup is of a {manifest['backend']} instance, this one is {settings.dialect}"
        raise click.ClickException(msg)
    has_keys = settings.key_path("keys/cipher.key").exists()
    if has_keys and not force:
        raise click.ClickException(f"{settings.home} already holds an instance: add --force")
    if manifest["keys"]:
        _copy_keys(path / "keys", settings.key_path("keys"))
    elif not has_keys:
        raise click.ClickException("the backup has no keys: put the instance's keys/ in place")
    settings.home.mkdir(parents=True, exist_ok=True)
    if settings.is_postgres:
        args, env = _pg_args(settings)
        _run(["pg_restore", *args, "--clean", "--if-exists", str(path / PG_DUMP)], env)
    else:
        for name in manifest["files"]:
            for stale in (f"{name}-wal", f"{name}-shm"):
                (settings.home / stale).unlink(missing_ok=True)
            _sqlite_copy(path / name, settings.home / name)
    click.echo(f"restored {path} into {settings.home}; run `xinfang verify` to check it")
