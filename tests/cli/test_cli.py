"""The `xinfang` command line, run in-process with click's runner, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from click.testing import CliRunner, Result

from domain.application import Context, Xinfang, today_in_county
from domain.cases import Case
from domain.commands import RegisterCase
from domain.directory import SYSTEM_ACTOR
from domain.labels import event_label, label
from domain.values import Category, Channel, Petitioner, Role, Status
from projections.bootstrap import bootstrap
from projections.settings import Settings
from scripts.cli import main


def environ(settings: Settings) -> dict[str, str]:
    """The environment that points the command at the fixture's instance."""
    return {
        "XINFANG_HOME": str(settings.home),
        "PERSISTENCE_MODULE": settings.persistence_module,
        **settings.extra_env,
    }


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    """The environment of the fresh instance under test."""
    return environ(settings)


def xinfang(env: dict[str, str], *args: str, ok: bool = True) -> Result:
    """Run `xinfang ARGS`; by default insist that it succeeds."""
    result = CliRunner().invoke(main, list(args), env=env)
    if ok:
        assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    return result


def last_line(result: Result) -> str:
    """The last line the command printed on stdout."""
    return result.stdout.strip().splitlines()[-1].strip()


@contextmanager
def application(settings: Settings) -> Iterator[Xinfang]:
    """The instance's application, closed afterwards."""
    services = bootstrap(settings)
    try:
        yield services.app
    finally:
        services.close()


def all_cases(app: Xinfang) -> list[Case]:
    """Every case of this year, in number order."""
    year = today_in_county(app).year
    return [app.repository.get(case_id) for case_id in app.iter_case_ids(year)]


def test_every_command_without_an_instance_says_to_run_init(tmp_path: Path) -> None:
    env = {"XINFANG_HOME": str(tmp_path / "nowhere"), "PERSISTENCE_MODULE": "eventsourcing.sqlite"}
    for args in (
        ["units", "list"],
        ["units", "add", "县住建局"],
        ["users", "list"],
        ["users", "add", "刘晓燕", "--role", "clerk"],
        ["demo", "--cases", "1"],
        ["history", "XF-2026-000001"],
        ["serve", "--port", "0"],
    ):
        result = xinfang(env, *args, ok=False)
        assert result.exit_code == 1, args
        assert "请先运行 `xinfang init`" in result.output, args
        assert isinstance(result.exception, SystemExit), args
    assert not (tmp_path / "nowhere").exists()


def test_init_prints_an_admin_token_last_that_authenticates(
    env: dict[str, str], settings: Settings
) -> None:
    result = xinfang(env, "init")

    token = last_line(result)
    assert "已添加管理员 管理员" in result.stdout
    with application(settings) as app:
        admin = app.authenticate(token)
    assert (admin.name, admin.role) == ("管理员", Role.ADMIN)


def test_init_twice_keeps_one_admin_and_issues_a_new_working_token(
    env: dict[str, str], settings: Settings
) -> None:
    first = last_line(xinfang(env, "init"))
    again = xinfang(env, "init")

    second = last_line(again)
    assert second != first
    assert "已为管理员 管理员" in again.stdout
    with application(settings) as app:
        assert app.authenticate(first).id == app.authenticate(second).id
        admins = [u for u in app.users(SYSTEM_ACTOR) if u.role is Role.ADMIN]
    assert len(admins) == 1


def test_init_creates_the_instance_folder_and_its_key(tmp_path: Path) -> None:
    home = tmp_path / "fresh"
    env = {"XINFANG_HOME": str(home), "PERSISTENCE_MODULE": "eventsourcing.sqlite"}

    result = xinfang(env, "init")

    assert "已创建实例" in result.stdout
    assert (home / "keys" / "cipher.key").stat().st_mode & 0o077 == 0
    assert len(last_line(result)) >= 32


def test_units_add_and_users_add_print_the_id_and_the_token_last(
    env: dict[str, str], settings: Settings
) -> None:
    xinfang(env, "init")

    township = UUID(last_line(xinfang(env, "units", "add", "城关镇", "--kind", "乡镇")))
    village = UUID(
        last_line(xinfang(env, "units", "add", "城关镇幸福村", "--parent", str(township)))
    )
    token = last_line(
        xinfang(env, "users", "add", "任长水", "--role", "unit_head", "--unit", str(village))
    )
    clerk_token = last_line(xinfang(env, "users", "add", "刘晓燕", "--role", "clerk"))

    with application(settings) as app:
        assert app.get_unit(village).parent_id == township
        assert app.get_unit(township).kind == "乡镇"
        head = app.authenticate(token)
        clerk = app.authenticate(clerk_token)
    assert (head.name, head.role, head.unit_id) == ("任长水", Role.UNIT_HEAD, village)
    assert (clerk.name, clerk.role, clerk.unit_id) == ("刘晓燕", Role.CLERK, None)
    units = xinfang(env, "units", "list").stdout
    assert "城关镇幸福村" in units
    assert str(village) in units
    users = xinfang(env, "users", "list").stdout
    assert "任长水" in users
    assert "unit_head" in users


def test_user_mistakes_give_a_message_and_a_non_zero_exit_without_traceback(
    env: dict[str, str],
) -> None:
    xinfang(env, "init")

    no_unit = xinfang(env, "users", "add", "钱文博", "--role", "handler", ok=False)
    unknown_role = xinfang(env, "users", "add", "钱文博", "--role", "boss", ok=False)
    unknown_parent = xinfang(
        env, "units", "add", "幸福村", "--parent", "00000000-0000-0000-0000-000000000000", ok=False
    )
    no_case = xinfang(env, "history", "XF-2026-000001", ok=False)
    not_a_case = xinfang(env, "history", "hello", ok=False)

    assert no_unit.exit_code == 1
    assert "须指定所在单位" in no_unit.output
    assert unknown_role.exit_code == 2
    assert "boss" in unknown_role.output
    assert unknown_parent.exit_code == 1
    assert "没有此单位" in unknown_parent.output
    assert "没有编号为 XF-2026-000001 的信访事项" in no_case.output
    assert "既不是事项 id，也不是形如 XF-2026-000012 的事项编号" in not_a_case.output
    for result in (no_unit, unknown_role, unknown_parent, no_case, not_a_case):
        assert "Traceback" not in result.output
        assert isinstance(result.exception, SystemExit)


def test_demo_fills_the_instance_with_cases_in_many_statuses_and_prints_logins(
    env: dict[str, str], settings: Settings
) -> None:
    xinfang(env, "init")

    result = xinfang(env, "demo", "--cases", "40", "--seed", "7")

    logins = result.stdout.strip().splitlines()[-5:]
    roles = [line.split()[0] for line in logins]
    assert roles == ["clerk", "dispatcher", "unit_head", "supervisor", "auditor"]
    with application(settings) as app:
        for line in logins:
            assert app.authenticate(line.split()[-1]).role.value == line.split()[0]
        cases = all_cases(app)
        assert len(app.units()) >= 20
        assert {u.role for u in app.users(SYSTEM_ACTOR)} == set(Role)
    statuses = {case.status for case in cases}
    assert len(cases) == 40
    assert len(statuses) >= 12, statuses
    assert all(case.registered_at < case.recorded_at for case in cases)


def test_demo_into_an_instance_with_cases_adds_nothing_and_prints_fresh_logins(
    env: dict[str, str], settings: Settings
) -> None:
    xinfang(env, "init")
    xinfang(env, "demo", "--cases", "5")

    again = xinfang(env, "demo", "--cases", "5")

    assert "实例中已有事项" in again.stdout
    with application(settings) as app:
        assert len(all_cases(app)) == 5
        for line in again.stdout.strip().splitlines()[-5:]:
            assert app.authenticate(line.split()[-1]).role.value == line.split()[0]


def test_demo_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    def county(name: str, seed: str) -> list[tuple[str, str, Status, str, str | None]]:
        settings = Settings(home=tmp_path / name)
        env = environ(settings)
        xinfang(env, "init")
        xinfang(env, "demo", "--cases", "25", "--seed", seed)
        with application(settings) as app:
            return [
                (c.number, c.subject, c.status, c.petitioners[0].name, c.location)
                for c in all_cases(app)
            ]

    first = county("a", "11")

    assert county("b", "11") == first
    assert county("c", "12") != first


def test_history_prints_every_event_of_a_case_by_number_and_by_id(
    env: dict[str, str], settings: Settings
) -> None:
    xinfang(env, "init")
    xinfang(env, "demo", "--cases", "16", "--seed", "3")
    with application(settings) as app:
        case = max(all_cases(app), key=lambda c: c.version)
        events: list[Any] = list(app.events.get(case.id))
        names = {u.id: u.name for u in app.units()}

    by_number = xinfang(env, "history", case.number).stdout
    by_id = xinfang(env, "history", str(case.id)).stdout

    assert by_number == by_id
    lines = by_number.strip().splitlines()
    assert case.number in lines[0]
    assert label(case.status) in lines[0]
    assert lines[1].split() == [
        "版本",
        "记录时间",
        "业务时间",
        "操作人",
        "角色",
        "单位",
        "事件",
        "理由",
    ]
    rows = lines[3:]
    assert len(rows) == len(events) == case.version
    for row, event in zip(rows, events, strict=True):
        cells = row.split()
        assert cells[0] == str(event.originator_version)
        assert cells[3:6] == [
            event.actor.name,
            label(event.actor.role),
            names.get(event.actor.unit_id, "-"),
        ]
        assert cells[6] == event_label(type(event).__name__)
        assert cells[6] != type(event).__name__
        if event.reason:
            assert event.reason in row
    assert not re.search(r"[A-Za-z]", "\n".join(lines[:2]).replace(case.number, ""))


def test_history_shows_the_operator_what_the_system_may_see_identity_masked(
    env: dict[str, str], settings: Settings
) -> None:
    xinfang(env, "init")
    with application(settings) as app:
        clerk, _ = app.add_user(SYSTEM_ACTOR, name="李登记", role=Role.CLERK)
        outcome = app.execute(
            RegisterCase(
                channel=Channel.VISIT,
                category=Category.CLAIM,
                subject="拖欠工资",
                content="某工地拖欠工资三个月。",
                petitioners=[Petitioner(name="欧阳明远", phone="13912345678")],
            ),
            Context(actor=clerk.as_actor, reason="欧阳明远本人来访，电话13912345678"),
        )

    printed = xinfang(env, "history", outcome.case.number).stdout

    assert "登记" in printed.splitlines()[-1]
    assert "登记员" in printed
    assert "＊本人来访，电话＊" in printed
    assert "欧阳明远" not in printed
    assert "13912345678" not in printed


def test_help_lists_every_command() -> None:
    result = xinfang({}, "--help")

    listed = {line.split()[0] for line in result.stdout.split("命令:")[1].strip().splitlines()}
    assert {"init", "units", "users", "serve", "demo", "history"} <= listed
    assert {"rebuild", "verify"} <= listed
