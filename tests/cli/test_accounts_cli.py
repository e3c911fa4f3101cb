"""`xinfang users disable|enable|role|token|tokens|revoke`, and what init and demo do to tokens."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest

from domain.errors import AuthenticationError
from domain.values import Role
from projections.settings import Settings
from tests.cli.test_cli import application, environ, last_line, xinfang


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    """The environment of the fresh instance under test, initialised."""
    values = environ(settings)
    xinfang(values, "init")
    return values


def refused(settings: Settings, token: str) -> str:
    """Why the token does not sign in (fails the test if it does)."""
    with application(settings) as app, pytest.raises(AuthenticationError) as raised:
        app.authenticate(token)
    return raised.value.message


def test_the_account_lifecycle_end_to_end_on_the_command_line(
    env: dict[str, str], settings: Settings
) -> None:
    added = xinfang(env, "users", "add", "刘晓燕", "--role", "clerk")
    first = last_line(added)
    user = added.stdout.split("id ")[1].split("）")[0]
    township = last_line(xinfang(env, "units", "add", "城关镇"))

    issued = xinfang(env, "users", "token", user, "--days", "30", "--reason", "换新电脑")
    second = last_line(issued)
    token_id = issued.stdout.split("已签发令牌 ")[1].split("，")[0]
    listed = xinfang(env, "users", "tokens", user).stdout

    assert "有效期至" in issued.stdout
    assert token_id in listed
    assert listed.count("有效") == 2
    assert first not in listed
    assert second not in listed

    revoked = xinfang(env, "users", "revoke", user, token_id, "--reason", "电脑遗失")
    assert f"已吊销令牌 {token_id}" in revoked.stdout
    assert refused(settings, second) == "此令牌已被吊销，请向系统管理员申请新令牌"
    assert "已吊销" in xinfang(env, "users", "tokens", user).stdout
    assert "此前已吊销" in xinfang(env, "users", "revoke", user, token_id).stdout

    xinfang(env, "users", "disable", user, "--reason", "离职")
    assert refused(settings, first) == "此账号已停用，请联系系统管理员"
    assert "已停用" in xinfang(env, "users", "list").stdout
    xinfang(env, "users", "enable", user, "--reason", "返聘")
    moved = xinfang(
        env, "users", "role", user, "--role", "handler", "--unit", township, "--reason", "下派"
    )

    assert "现为承办人，单位：城关镇" in moved.stdout
    with application(settings) as app:
        actor = app.authenticate(first)
        events = list(app.events.get(UUID(user)))
    assert (actor.role, actor.unit_id) == (Role.HANDLER, UUID(township))
    assert [type(e).__name__ for e in events] == [
        "Created",
        "TokenIssued",
        "TokenIssued",
        "TokenRevoked",
        "Disabled",
        "Enabled",
        "RoleChanged",
    ]
    assert [e.reason for e in events[2:]] == ["换新电脑", "电脑遗失", "离职", "返聘", "下派"]
    assert {e.actor.name for e in events[1:]} == {"system"}


def test_account_mistakes_give_a_message_without_traceback(env: dict[str, str]) -> None:
    user = xinfang(env, "users", "add", "刘晓燕", "--role", "clerk").stdout
    user_id = user.split("id ")[1].split("）")[0]

    no_reason = xinfang(env, "users", "disable", user_id, ok=False)
    twice = [xinfang(env, "users", "disable", user_id, "--reason", "离职", ok=False)]
    twice.append(xinfang(env, "users", "disable", user_id, "--reason", "离职", ok=False))
    no_unit = xinfang(env, "users", "role", user_id, "--role", "handler", "--reason", "x", ok=False)
    unknown = xinfang(env, "users", "tokens", "00000000-0000-0000-0000-000000000000", ok=False)
    too_long = xinfang(env, "users", "token", user_id, "--days", "400", ok=False)

    assert no_reason.exit_code == 2
    assert "--reason" in no_reason.output
    assert twice[0].exit_code == 0
    assert "的账号已停用" in twice[1].output
    assert "须指定所在单位" in no_unit.output
    assert "没有此人员" in unknown.output
    assert too_long.exit_code == 2
    for result in (no_reason, twice[1], no_unit, unknown, too_long):
        assert "Traceback" not in result.output
        assert isinstance(result.exception, SystemExit)


def test_init_again_says_the_earlier_tokens_stay_valid_and_can_revoke_them(
    env: dict[str, str], settings: Settings
) -> None:
    first = last_line(xinfang(env, "init"))  # the fixture's init issued one before

    again = xinfang(env, "init")
    third = xinfang(env, "init", "--revoke-earlier")

    assert "其此前的 2 个令牌到期前仍然有效" in again.stdout
    assert "xinfang init --revoke-earlier" in again.stdout
    assert "已吊销其此前的 3 个令牌" in third.stdout
    assert refused(settings, first) == "此令牌已被吊销，请向系统管理员申请新令牌"
    assert refused(settings, last_line(again)) == "此令牌已被吊销，请向系统管理员申请新令牌"
    with application(settings) as app:
        assert app.authenticate(last_line(third)).role is Role.ADMIN


def test_demo_again_revokes_the_tokens_it_printed_before(
    env: dict[str, str], settings: Settings
) -> None:
    before = xinfang(env, "demo", "--cases", "3").stdout.strip().splitlines()[-5:]
    again = xinfang(env, "demo", "--cases", "3")

    after = again.stdout.strip().splitlines()[-5:]
    assert "此前的令牌已吊销" in again.stdout
    for line in before:
        assert refused(settings, line.split()[-1]) == "此令牌已被吊销，请向系统管理员申请新令牌"
    with application(settings) as app:
        for line in after:
            assert app.authenticate(line.split()[-1]).role.value == line.split()[0]


def test_the_token_lifetime_is_configurable(env: dict[str, str], settings: Settings) -> None:
    user = xinfang(env, "users", "add", "刘晓燕", "--role", "clerk").stdout
    user_id = UUID(user.split("id ")[1].split("）")[0])

    short = last_line(xinfang({**env, "XINFANG_TOKEN_DAYS": "2"}, "users", "token", str(user_id)))
    bad = xinfang({**env, "XINFANG_TOKEN_DAYS": "forever"}, "users", "list", ok=False)

    with application(settings) as app:
        tokens = app.tokens(app.authenticate(last_line(xinfang(env, "init"))), user_id)
    lifetimes = [t.expires_at - t.issued_at for t in tokens]
    assert timedelta(days=90) <= lifetimes[0] < timedelta(days=90, minutes=1)
    assert timedelta(days=2) <= lifetimes[1] < timedelta(days=2, minutes=1)
    assert short
    assert "XINFANG_TOKEN_DAYS 须为 1 至 366 之间的天数" in bad.output
    assert "Traceback" not in bad.output


def test_the_instance_folder_is_private_to_the_service_account(
    env: dict[str, str], settings: Settings
) -> None:
    xinfang(env, "demo", "--cases", "3")
    xinfang(env, "users", "list")

    home = settings.home
    found = [home, *home.rglob("*")]
    assert any(p.name == "cipher.key" for p in found)
    if not settings.is_postgres:
        assert {"xinfang.db", "views.db"} <= {p.name for p in found}
    for path in found:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def test_an_instance_made_before_is_made_private_when_opened(
    env: dict[str, str], settings: Settings
) -> None:
    home: Path = settings.home
    for path in [home, *home.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)

    xinfang(env, "users", "list")

    for path in [home, *home.rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
