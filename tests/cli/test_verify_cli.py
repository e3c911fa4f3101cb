"""`xinfang verify`, `xinfang audit public-key` and `xinfang audit export`, on both backends."""

from __future__ import annotations

import getpass
import json
import os
import re
import socket
import stat
from pathlib import Path
from uuid import UUID

import pytest
from click.testing import CliRunner, Result

from projections.bootstrap import Services
from projections.settings import Settings
from scripts import verify_bundle
from scripts.bench.scale import VERIFIED
from scripts.cli import main
from tests.conftest import County
from tests.integration.helpers_read import Desk
from tests.integration.test_audit_tampering import Tamperer, flip


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    """The environment that points the commands at the fixture's instance."""
    return {
        "XINFANG_HOME": str(settings.home),
        "PERSISTENCE_MODULE": settings.persistence_module,
        **settings.extra_env,
    }


@pytest.fixture
def case_id(services: Services, county: County) -> str:
    """A case moved along a little, in a county's log."""
    desk = Desk(services.app, county)
    case = desk.register()
    desk.run(case, "dispatcher", "forward", unit_id=desk.unit("housing"))
    return str(case)


def xinfang(env: dict[str, str], *args: str) -> Result:
    """Run `xinfang ARGS` in-process."""
    return CliRunner().invoke(main, list(args), env=env)


def test_verify_passes_an_untouched_log_and_prints_the_rate(
    env: dict[str, str], case_id: str
) -> None:
    result = xinfang(env, "verify")

    assert result.exit_code == 0, result.output
    assert re.search(
        r"已核验 \d+ 条事件、\d+ 个签名树头，用时 [\d.]+ 秒（每秒 [\d,]+ 条）", result.stdout
    )
    assert result.stdout.strip().endswith("每个签名树头相符。")
    # The benchmarks read the rate from the same line.
    summary = VERIFIED.search(result.stdout)
    assert summary is not None
    assert int(summary[1].replace(",", "")) > 0
    assert float(summary[3].replace(",", "")) > 0


def test_verify_fails_and_names_the_position_of_a_changed_byte(
    env: dict[str, str], settings: Settings, case_id: str
) -> None:
    db = Tamperer(settings)
    position = db.positions()[-2]
    state = bytes(db.event(position)[3])
    db.run(("UPDATE {events} SET state = ? WHERE {pos} = ?", (flip(state, 9), position)))

    result = xinfang(env, "verify", "--batch-size", "5")

    assert result.exit_code == 1
    assert f"核验未通过（日志位置 {position}）：" in result.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_verify_names_the_same_position_whatever_the_number_of_workers(
    env: dict[str, str], settings: Settings, case_id: str, workers: str
) -> None:
    db = Tamperer(settings)
    position = db.positions()[3]
    state = bytes(db.event(position)[3])
    db.run(("UPDATE {events} SET state = ? WHERE {pos} = ?", (flip(state, 9), position)))

    result = xinfang(env, "verify", "--workers", workers)

    assert result.exit_code == 1
    assert re.search(r"已核验 \d+ 条事件、\d+ 个签名树头", result.stdout)
    assert f"核验未通过（日志位置 {position}）：" in result.stderr


def test_verify_refuses_zero_workers(env: dict[str, str]) -> None:
    result = xinfang(env, "verify", "--workers", "0")

    assert result.exit_code == 2
    assert "--workers" in result.output


def test_verify_fails_on_a_forged_row_appended_at_the_end(
    env: dict[str, str], settings: Settings, case_id: str
) -> None:
    db = Tamperer(settings)
    last = db.positions()[-1]
    originator_id, _, topic, state = db.event(last)
    db.run(
        (
            "INSERT INTO {events} (originator_id, originator_version, topic, state) "
            "VALUES (?, 99, ?, ?)",
            (originator_id, topic, state),
        )
    )

    result = xinfang(env, "verify")

    assert result.exit_code == 1
    assert f"核验未通过（日志位置 {db.positions()[-1]}）：" in result.stderr
    assert "插入" in result.stderr


def test_public_key_prints_the_pem_that_verifies_heads(
    env: dict[str, str], services: Services
) -> None:
    result = xinfang(env, "audit", "public-key")

    assert result.exit_code == 0, result.output
    assert result.stdout == services.audit.public_key_pem()
    assert result.stdout.startswith("-----BEGIN PUBLIC KEY-----")


def test_public_key_prints_the_key_id_auditors_compare_on_stderr(
    env: dict[str, str], services: Services
) -> None:
    result = xinfang(env, "audit", "public-key")

    assert result.stderr.strip() == f"密钥 id {services.audit.key_id}"
    assert services.audit.head().key_id == services.audit.key_id


def test_public_key_without_an_instance_says_to_run_init(tmp_path: Path) -> None:
    env = {"XINFANG_HOME": str(tmp_path / "nowhere")}

    result = xinfang(env, "audit", "public-key")

    assert result.exit_code == 1
    assert "请先运行 `xinfang init`" in result.output


@pytest.mark.parametrize("by", ["id", "number"])
def test_export_writes_a_bundle_that_verifies_offline(
    env: dict[str, str], services: Services, case_id: str, tmp_path: Path, by: str
) -> None:
    out = tmp_path / "bundle.json"
    ref = case_id if by == "id" else services.app.repository.get(UUID(case_id)).number

    result = xinfang(env, "audit", "export", ref, "--out", str(out))

    assert result.exit_code == 0, result.output
    assert verify_bundle.verify(out.read_bytes()).startswith("核验通过")
    bundle = json.loads(out.read_bytes())
    assert bundle["history"]["case_id"] == case_id
    assert bundle["exported_by"]["name"] == "system"


def test_export_as_a_user_shows_what_they_see_and_is_logged(
    env: dict[str, str], services: Services, county: County, case_id: str, tmp_path: Path
) -> None:
    out = tmp_path / "bundle.json"
    auditor = county.actors["auditor"]

    result = xinfang(
        env, "audit", "export", case_id, "--out", str(out), "--as-user", str(auditor.id)
    )

    assert result.exit_code == 0, result.output
    bundle = json.loads(out.read_bytes())
    assert (
        bundle["history"]["events"][0]["data"]["petitioners"][0]["id_number"]
        == "110101199001011234"
    )
    services.catch_up()
    (entry,) = services.access.query(case_id=UUID(case_id))
    assert (entry.action, entry.actor["id"], entry.fields) == (
        "export",
        auditor.id,
        ["petitioner_identity"],
    )


def test_export_of_an_unknown_case_fails_with_a_message(
    env: dict[str, str], services: Services, tmp_path: Path
) -> None:
    result = xinfang(env, "audit", "export", "XF-2026-999999", "--out", str(tmp_path / "x.json"))

    assert result.exit_code == 1
    assert "没有编号为 XF-2026-999999 的信访事项" in result.output


def test_export_names_the_console_account_that_ran_it(
    env: dict[str, str], services: Services, county: County, case_id: str, tmp_path: Path
) -> None:
    out = tmp_path / "bundle.json"
    account = f"{os.environ.get('SUDO_USER') or getpass.getuser()}@{socket.gethostname()}"
    auditor = county.actors["auditor"]

    plain = xinfang(env, "audit", "export", case_id, "--out", str(out))
    as_auditor = xinfang(
        env, "audit", "export", case_id, "--out", str(out), "--as-user", str(auditor.id)
    )

    assert plain.exit_code == as_auditor.exit_code == 0, plain.output
    assert f"导出人 {account}" in plain.stdout
    bundle = json.loads(out.read_bytes())
    assert bundle["operator"] == account
    assert bundle["exported_by"]["id"] == str(auditor.id)
    assert verify_bundle.verify(out.read_bytes()).startswith("核验通过")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    services.catch_up()
    entries = services.access.query(case_id=UUID(case_id))
    assert [(e.actor["name"], e.operator) for e in entries] == [
        ("蒋纪检", account),
        ("system", account),
    ]


def test_export_to_a_path_it_cannot_write_fails_cleanly_and_logs_nothing(
    env: dict[str, str], services: Services, case_id: str, tmp_path: Path
) -> None:
    missing = xinfang(
        env, "audit", "export", case_id, "--out", str(tmp_path / "no" / "such" / "b.json")
    )
    folder = xinfang(env, "audit", "export", case_id, "--out", str(tmp_path))

    assert missing.exit_code == 1
    assert "无法写入" in missing.output
    assert folder.exit_code == 2
    for result in (missing, folder):
        assert "Traceback" not in result.output
        assert isinstance(result.exception, SystemExit)
    services.catch_up()
    assert services.access.query(case_id=UUID(case_id)) == []


def test_verify_fails_on_a_ciphertext_copied_to_another_case_even_with_the_tree_recomputed(
    env: dict[str, str], settings: Settings, services: Services, county: County, case_id: str
) -> None:
    other = Desk(services.app, county).register()
    db = Tamperer(settings)
    rows = {
        (str(UUID(str(r[1]))), r[2]): r[0]
        for r in db.rows("SELECT {pos}, originator_id, originator_version FROM {events}")
    }
    target = rows[(case_id, 1)]
    state = db.event(rows[(str(other), 1)])[3]
    db.run(("UPDATE {events} SET state = ? WHERE {pos} = ?", (state, target)))
    db.rewrite_tree()

    result = xinfang(env, "verify")

    assert result.exit_code == 1
    assert f"核验未通过（日志位置 {target}）：" in result.stderr
    assert f"聚合 {case_id}，版本 1" in result.stderr
    assert "未按所在位置封签" in result.stderr


def test_verify_fails_on_a_snapshot_copied_from_another_case(
    env: dict[str, str], settings: Settings, services: Services, county: County, case_id: str
) -> None:
    other = Desk(services.app, county).register()
    services.app.take_snapshot(other)
    db = Tamperer(settings)
    db.run(
        (
            "INSERT INTO {snapshots} (originator_id, originator_version, topic, state) "
            "SELECT ?, originator_version, topic, state FROM {snapshots} WHERE originator_id = ?",
            (db.aggregate_id(UUID(case_id)), db.aggregate_id(other)),
        )
    )

    result = xinfang(env, "verify")

    assert result.exit_code == 1
    assert f"核验未通过：聚合 {case_id} 版本 1 的快照" in result.stderr
    assert "未按所在位置封签" in result.stderr
    refused = xinfang(env, "history", case_id)
    assert refused.exit_code == 1
    assert f"记录 {case_id} 第 1 版" in refused.output
    assert "完整性校验" in refused.output
