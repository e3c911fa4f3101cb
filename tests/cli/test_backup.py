"""`xinfang backup` / `xinfang restore`: the restored instance verifies and has the same ledger."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

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
    done = xinfang(settings, "backup", str(folder))
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
    assert "not empty" in refused.output
