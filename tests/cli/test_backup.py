"""`xinfang backup` / `xinfang restore`: the restored instance verifies and has the same ledger."""

from __future__ import annotations

import json
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import pg_connect

from domain.directory import SYSTEM_ACTOR
from domain.values import Role
from projections.bootstrap import bootstrap
from projections.ledger import LedgerQuery
from projections.settings import Settings
from scripts.cli import main


def environ(settings: Settings) -> dict[str, str]:
    """The environment that points the command at an instance."""
    return {
        "XINFANG_HOME": str(settings.home),
        "PERSISTENCE_MODULE": settings.persistence_module,
        **settings.extra_env,
    }


def xinfang(settings: Settings, *args: str) -> Result:
    """Run `xinfang ARGS` against `settings`' instance."""
    return CliRunner().invoke(main, list(args), env=environ(settings))


@contextmanager
def ledger_of(settings: Settings) -> Iterator[list[dict[str, Any]]]:
    """Every ledger row of the instance, as a supervisor sees it."""
    services = bootstrap(settings)
    try:
        services.catch_up()
        viewer = services.app.add_user(SYSTEM_ACTOR, name="卫督查", role=Role.SUPERVISOR)[0]
        rows, _ = services.ledger.search(
            viewer.as_actor, LedgerQuery(page_size=500, sort="number"), services.app.clock().date()
        )
        yield [{k: v for k, v in r.items() if k != "version"} for r in rows]
    finally:
        services.close()


def test_a_restored_instance_verifies_and_shows_the_same_ledger(
    settings: Settings, tmp_path: Path
) -> None:
    assert xinfang(settings, "init").exit_code == 0
    demo = xinfang(settings, "demo", "--cases", "30")
    assert demo.exit_code == 0, demo.output
    with ledger_of(settings) as before:
        assert len(before) >= 30
    folder = tmp_path / "backup"
    done = xinfang(settings, "backup", str(folder), "--with-signing-key")
    assert done.exit_code == 0, done.output
    assert (folder / "manifest.json").exists()

    if settings.is_postgres:
        # Lose the whole schema, then bring it back from the dump.
        schema = settings.extra_env["POSTGRES_SCHEMA"]
        with pg_connect() as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        target, force = settings, ["--force"]  # the keys are still in place
    else:
        target, force = replace(settings, home=tmp_path / "elsewhere"), []
    restored = xinfang(target, "restore", str(folder), *force)
    assert restored.exit_code == 0, restored.output
    verified = xinfang(target, "verify")
    assert verified.exit_code == 0, verified.output
    with ledger_of(target) as after:
        assert [r["number"] for r in after] == [r["number"] for r in before]
        assert after == before


def test_restore_refuses_to_overwrite_an_instance_without_force(
    settings: Settings, tmp_path: Path
) -> None:
    assert xinfang(settings, "init").exit_code == 0
    folder = tmp_path / "backup"
    assert xinfang(settings, "backup", str(folder)).exit_code == 0
    refused = xinfang(settings, "restore", str(folder))
    assert refused.exit_code == 1
    assert "--force" in refused.output


def test_backup_refuses_a_folder_that_is_not_empty(settings: Settings, tmp_path: Path) -> None:
    assert xinfang(settings, "init").exit_code == 0
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "something").write_text("x")
    refused = xinfang(settings, "backup", str(folder))
    assert refused.exit_code == 1
    assert "已存在且不为空" in refused.output


def test_a_backup_leaves_the_signing_key_out_unless_asked(
    settings: Settings, tmp_path: Path
) -> None:
    assert xinfang(settings, "init").exit_code == 0
    plain, signed, bare = tmp_path / "plain", tmp_path / "signed", tmp_path / "bare"

    done = xinfang(settings, "backup", str(plain))
    assert xinfang(settings, "backup", str(signed), "--with-signing-key").exit_code == 0
    assert xinfang(settings, "backup", str(bare), "--without-keys").exit_code == 0
    both = xinfang(settings, "backup", str(tmp_path / "x"), "--without-keys", "--with-signing-key")

    assert done.exit_code == 0, done.output
    assert "备份中不含审计签名密钥" in done.stdout
    assert sorted(p.name for p in (plain / "keys").iterdir()) == ["cipher.key"]
    assert json.loads((plain / "manifest.json").read_text())["keys"] == ["cipher.key"]
    assert sorted(p.name for p in (signed / "keys").iterdir()) == [
        "audit_ed25519.pem",
        "cipher.key",
    ]
    assert not (bare / "keys").exists()
    assert json.loads((bare / "manifest.json").read_text())["keys"] == []
    assert both.exit_code == 1
    assert "互相矛盾" in both.output
    for path in (plain / "keys", *(plain / "keys").iterdir()):
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


def test_restoring_without_the_signing_key_asks_for_it_from_the_escrow(
    settings: Settings, tmp_path: Path
) -> None:
    if settings.is_postgres:
        pytest.skip("a PostgreSQL restore goes back into the instance, whose key is in place")
    assert xinfang(settings, "init").exit_code == 0
    assert xinfang(settings, "demo", "--cases", "3").exit_code == 0
    folder = tmp_path / "backup"
    assert xinfang(settings, "backup", str(folder)).exit_code == 0
    target = replace(settings, home=tmp_path / "elsewhere")

    refused = xinfang(target, "restore", str(folder))
    assert refused.exit_code == 1
    assert "该备份不含审计签名密钥" in refused.output
    assert not (target.home / "xinfang.db").exists()

    escrow = settings.key_path("keys/audit_ed25519.pem")
    (target.home / "keys").mkdir(parents=True)
    shutil.copy2(escrow, target.home / "keys" / escrow.name)
    restored = xinfang(target, "restore", str(folder))
    assert restored.exit_code == 0, restored.output
    verified = xinfang(target, "verify")
    assert verified.exit_code == 0, verified.output
    for path in [target.home, *target.home.rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
