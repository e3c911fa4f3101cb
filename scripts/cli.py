"""The `xinfang` command: set up an instance, manage the directory, serve the API, inspect cases."""

from __future__ import annotations

import errno
import gc
import importlib
import itertools
import re
import socket
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import click
import psycopg
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import PersistenceError
from gunicorn.app.base import BaseApplication
from gunicorn.util import import_app, is_ipv6
from psycopg_pool import PoolTimeout

from domain.application import Xinfang
from domain.cases import LOCAL_TZ, Case
from domain.directory import SYSTEM_ACTOR, Unit
from domain.errors import DomainError
from domain.labels import label
from domain.values import Role, Status
from projections.bootstrap import Services, bootstrap
from projections.settings import InstanceError, Settings, create_instance
from scripts import console_zh
from scripts import demo as generator
from scripts.access_log import ACCESS_LOG_FORMAT, AccessLogger
from scripts.demo.work_registers import populate_registers

console_zh.install()

F = TypeVar("F", bound=Callable[..., Any])

ADMIN_NAME = "管理员"
INIT_REASON = "xinfang init：为管理员签发新令牌"
REVOKE_EARLIER_REASON = "xinfang init --revoke-earlier：作废管理员此前的令牌"
BOOT_ATTEMPTS = 5
CASE_NUMBER = re.compile(r"^XF-(\d{4})-(\d{1,9})$", re.IGNORECASE)
DB_ERRORS = (PersistenceError, psycopg.Error, PoolTimeout)
"""Failures of the event store that are the operator's to fix, not bugs."""
WSGI_APP = "api:create_app()"
"""What `serve` hands gunicorn: the HTTP layer by its import string (scripts never import api)."""


# -- opening the instance ------------------------------------------------------------------
def describe_store(settings: Settings) -> str:
    """Where the events of this instance are kept, in words."""
    if not settings.is_postgres:
        return f"SQLite {settings.sqlite_path}"
    env = settings.extra_env
    where = (
        f"{env.get('POSTGRES_HOST', '?')}:{env.get('POSTGRES_PORT', '5432')}"
        f"/{env.get('POSTGRES_DBNAME', '?')}"
    )
    schema = env.get("POSTGRES_SCHEMA")
    return f"PostgreSQL {where}" + (f" (schema {schema})" if schema else "")


def settings_from_environ() -> Settings:
    """The instance named by the environment; a bad setting is a one-line message."""
    try:
        return Settings.from_environ()
    except InstanceError as err:
        raise click.ClickException(str(err)) from None


@contextmanager
def opened(settings: Settings | None = None) -> Iterator[Services]:
    """The services of the instance named by the environment, closed afterwards.

    Mistakes an operator can fix (no instance, database unreachable, a refused command) become a
    one-line message and a non-zero exit instead of a traceback.
    """
    settings = settings or settings_from_environ()
    try:
        services = bootstrap(settings)
    except InstanceError as err:
        raise click.ClickException(str(err)) from None
    except DB_ERRORS as err:
        msg = f"无法打开事件库（{describe_store(settings)}）：{err}"
        raise click.ClickException(msg) from None
    try:
        yield services
    except DomainError as err:
        raise click.ClickException(err.message) from None
    except DB_ERRORS as err:
        raise click.ClickException(f"事件库出错：{err}") from None
    finally:
        services.close()


# -- output --------------------------------------------------------------------------------
def _width(text: str) -> int:
    """Columns `text` takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def echo_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print rows as aligned columns (empty values as '-')."""
    cells = [[("-" if v is None or v == "" else str(v)) for v in row] for row in rows]
    widths = [_width(h) for h in headers]
    for row in cells:
        widths = [max(w, _width(c)) for w, c in zip(widths, row, strict=True)]
    lines = [headers, ["-" * w for w in widths], *cells]
    for line in lines:
        click.echo("  ".join(_pad(c, w) for c, w in zip(line, widths, strict=True)).rstrip())


def local_time(moment: datetime) -> str:
    """A timestamp in the county's time zone, to the second, with its offset."""
    return moment.astimezone(LOCAL_TZ).isoformat(timespec="seconds")


def unit_names(app: Xinfang) -> dict[UUID, str]:
    """Every unit's name by id."""
    return {unit.id: unit.name for unit in app.units()}


# -- commands ------------------------------------------------------------------------------
LAZY_COMMANDS: dict[str, str] = {
    "history": "scripts.read_commands:history",
    "project": "scripts.read_commands:project",
    "rebuild": "scripts.read_commands:rebuild",
    "checkpoints": "scripts.read_commands:checkpoints",
    "verify": "scripts.audit_commands:verify",
    "audit": "scripts.audit_commands:audit",
    "backup": "scripts.ops_commands:backup",
    "config": "scripts.config_commands:config",
    "deadlines": "scripts.deadline_commands:deadlines",
    "restore": "scripts.ops_commands:restore",
    "users": "scripts.account_commands:users",
    # the registers beside the cases (docs/risks.md, docs/campaigns.md)
    "risks": "scripts.register_commands:risks",
    "campaigns": "scripts.register_commands:campaigns",
    "registers": "scripts.work_register_commands:registers",
}
"""Commands kept in modules of their own (read models, audit); imported only when used."""


class LazyGroup(console_zh.Group):
    """The `xinfang` group: its own commands plus LAZY_COMMANDS, loaded on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, without importing the lazy ones."""
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The named command, importing its module if it is a lazy one."""
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in LAZY_COMMANDS:
            return command
        module_name, attribute = LAZY_COMMANDS[cmd_name].split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if err.name != module_name:
                raise
            return None
        found = getattr(module, attribute, None)
        return found if isinstance(found, click.Command) else None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """xinfang 信访事项办理跟踪系统。

    实例在 $XINFANG_HOME（默认为 ./var）。事件默认存于 SQLite；设置
    PERSISTENCE_MODULE=eventsourcing.postgres 并配以 POSTGRES_* 变量，则改存 PostgreSQL。
    """


@main.command()
@click.option(
    "--revoke-earlier",
    is_flag=True,
    help="吊销管理员此前的令牌（如有令牌遗失或泄露）。",
)
def init(revoke_earlier: bool) -> None:
    """创建实例（已有则不重建），最后一行打印管理员令牌。

    实例已存在时，再为管理员签发一个令牌，并说明此前还有几个令牌可以登录；
    加 --revoke-earlier 则吊销此前的令牌。
    """
    settings = settings_from_environ()
    try:
        created = create_instance(settings)
    except OSError as err:
        raise click.ClickException(f"无法在 {settings.home} 创建实例：{err}") from None
    with opened(settings) as services:
        app = services.app
        admins = [u for u in app.users(SYSTEM_ACTOR) if u.role is Role.ADMIN and u.active]
        state = "已创建" if created else "已找到"
        click.echo(f"{state}实例 {settings.home}；事件库：{describe_store(settings)}。")
        if admins:
            admin = admins[0]
            issued = app.issue_token(SYSTEM_ACTOR, admin.id, reason=INIT_REASON)
            token = issued.token
            click.echo(f"已为管理员 {admin.name}（id {admin.id}）签发新令牌；")
            if revoke_earlier:
                revoked = app.revoke_tokens(
                    SYSTEM_ACTOR, admin.id, keep=issued.token_id, reason=REVOKE_EARLIER_REASON
                )
                click.echo(f"已吊销其此前的 {len(revoked)} 个令牌。")
            else:
                now = app.clock()
                earlier = [
                    t
                    for t in app.tokens(SYSTEM_ACTOR, admin.id)
                    if t.id != issued.token_id and t.state(now) == "active"
                ]
                click.echo(
                    f"其此前的 {len(earlier)} 个令牌到期前仍然有效"
                    "（用 `xinfang init --revoke-earlier` 吊销）。"
                )
        else:
            admin, token = app.add_user(SYSTEM_ACTOR, name=ADMIN_NAME, role=Role.ADMIN)
            click.echo(f"已添加管理员 {admin.name}（id {admin.id}）。")
        click.echo("管理员添加单位和用户（`xinfang units add`、`xinfang users add`，")
        click.echo("或 POST /api/v1/units、/api/v1/users）。请求时带上")
        click.echo("`Authorization: Bearer <令牌>`；令牌只显示这一次：")
        click.echo(token)


@main.group()
def units() -> None:
    """责任单位（县直部门、乡镇/街道、村/社区）。"""


@units.command("add")
@click.argument("name", metavar="名称")
@click.option("--kind", metavar="类别", help="单位类别，如县直部门、乡镇、村（社区）。")
@click.option("--parent", "parent_id", metavar="单位ID", type=click.UUID, help="上级单位的 id。")
def units_add(name: str, kind: str | None, parent_id: UUID | None) -> None:
    """添加单位，最后一行打印其 id。"""
    with opened() as services:
        unit = services.app.add_unit(SYSTEM_ACTOR, name=name, kind=kind, parent_id=parent_id)
        click.echo(f"已添加单位 {unit.name}，其 id：")
        click.echo(str(unit.id))


@units.command("list")
def units_list() -> None:
    """列出全部单位。"""
    with opened() as services:
        found: list[Unit] = services.app.units()
        names = {unit.id: unit.name for unit in found}
        rows = [
            (u.id, u.name, u.kind, names.get(u.parent_id) if u.parent_id else None) for u in found
        ]
        echo_table(("单位 id", "名称", "类别", "上级单位"), rows)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, metavar="地址", help="监听的地址。")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    metavar="端口",
    help="监听的端口。",
)
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    metavar="进程数",
    help="gunicorn 工作进程的个数。",
)
@click.option(
    "--threads",
    # A request spends most of its time waiting for the commit it shares with the worker's
    # other requests: more threads, more requests in each commit (docs/benchmarks.md).
    default=8,
    show_default=True,
    type=click.IntRange(min=1),
    metavar="线程数",
    help="每个工作进程的线程数。",
)
@click.option(
    "--reuse-port",
    is_flag=True,
    help=(
        "每个工作进程各自监听端口（SO_REUSEPORT），由内核把连接分给各进程；"
        "代价是某个进程卡住或退出时，分给它的新连接要等待或失败（见 docs/operations.md）。"
    ),
)
def serve(host: str, port: int, workers: int, threads: int, reuse_port: bool) -> None:
    """用 gunicorn（gthread 工作进程）提供 HTTP 接口。"""
    settings = settings_from_environ()
    try:
        settings.event_store_env()
    except InstanceError as err:
        raise click.ClickException(str(err)) from None
    host = host.removeprefix("[").removesuffix("]")
    port = free_port_to_serve(host, port)
    bind = host_port(host, port)
    click.echo(
        f"正在服务 {settings.home}（{describe_store(settings)}）：接口 http://{bind}/api/v1"
        f"，文档 http://{bind}/api/docs，页面 http://{bind}/"
    )
    GunicornServer(
        {
            "bind": bind,
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            # Off: one socket shared by the workers, so a stuck or dying worker leaves new
            # connections to the others; a burst of keep-alive connections may then all go to
            # whichever worker woke first. On: the kernel spreads them (docs/operations.md).
            "reuse_port": reuse_port,
            "proc_name": "xinfang",
            "accesslog": "-",
            "access_log_format": ACCESS_LOG_FORMAT,
            "logger_class": AccessLogger,
            "errorlog": "-",
            "timeout": 60,
            "graceful_timeout": 10,
            "preload_app": False,
            "control_socket_disable": True,
            "worker_exit": close_worker_services,
        },
        WSGI_APP,
    ).run()


BIND_ERRORS = {
    errno.EADDRINUSE: "该端口已有服务在监听（可能是另一个 xinfang serve）",
    errno.EACCES: "没有权限使用该端口",
    errno.EADDRNOTAVAIL: "本机没有这个地址",
    errno.EAFNOSUPPORT: "本机不支持这类地址（如未启用 IPv6）",
}


def host_port(host: str, port: int) -> str:
    """`host:port` as gunicorn binds it and a URL names it: an IPv6 literal in brackets."""
    return f"[{host}]:{port}" if is_ipv6(host) else f"{host}:{port}"


def free_port_to_serve(host: str, port: int) -> int:
    """The port to serve on, found free now (port 0: a free one, chosen once for every worker).

    The address is bound as gunicorn will bind it (an IPv6 literal as IPv6, anything else,
    a host name included, as IPv4) but without SO_REUSEPORT, so it fails while anyone listens
    there: with `--reuse-port` a second server would otherwise silently share the first one's
    connections, and without it gunicorn would retry in English before it gives up.
    """
    family = socket.AF_INET6 if is_ipv6(host) else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
            chosen: int = probe.getsockname()[1]
            return chosen
    except socket.gaierror:
        raise click.ClickException(f"无法解析监听地址 {host}。") from None
    except OSError as err:
        reason = BIND_ERRORS.get(err.errno or 0, f"错误码 {err.errno}")
        raise click.ClickException(
            f"无法在 {host_port(host, port)} 上监听：{reason}。"
            "请先停止占用该端口的服务，或用 --port 另选端口。"
        ) from None


class GunicornServer(BaseApplication):  # type: ignore[misc]
    """gunicorn over the WSGI app named by an import string; each worker builds its own app.

    SQLite and psycopg connections must not cross a fork, so nothing is opened in the master:
    `load` runs in every worker (preload_app stays off).
    """

    def __init__(self, options: dict[str, Any], app_uri: str) -> None:
        self.options = options
        self.app_uri = app_uri
        super().__init__()

    def load_config(self) -> None:
        """Take the options given on our command line (not gunicorn's)."""
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        """Build this worker's app and services (retried: a worker that fails to boot halts
        gunicorn, and a start-up can meet another process's schema statements on PostgreSQL).
        """
        for attempt in itertools.count(1):
            try:
                app = import_app(self.app_uri)
                break
            except DB_ERRORS:
                if attempt == BOOT_ATTEMPTS:
                    raise
                time.sleep(0.2 * attempt)
        # Everything built so far lives as long as the worker: keep it out of the collector's
        # full passes, which otherwise stall a request for ~50 ms now and then.
        gc.freeze()
        return app


def close_worker_services(server: object, worker: Any) -> None:
    """gunicorn hook: release the worker's database connections when it exits."""
    app = getattr(worker, "wsgi", None)
    extensions = getattr(app, "extensions", {})
    services = extensions.get("xinfang")
    if isinstance(services, Services):
        services.close()


@main.command()
@click.option(
    "--cases",
    "count",
    default=300,
    show_default=True,
    type=click.IntRange(min=1),
    metavar="件数",
    help="生成多少件信访事项。",
)
@click.option(
    "--seed", default=2026, show_default=True, metavar="种子", help="种子相同，生成的县也相同。"
)
def demo(count: int, seed: int) -> None:
    """用虚构的县和处于各种状态的信访事项填充实例。

    只填充一次：实例中已有事项时不再添加，只为演示人员换发新令牌。最后几行是
    登记员、分办员、单位负责人、督查员和问责审查员的登录令牌。
    """
    with opened() as services:
        app = services.app
        if generator.has_cases(app):
            click.echo("实例中已有事项：未添加演示数据。")
            logins = generator.fresh_logins(app)
            if logins:
                click.echo("演示人员此前的令牌已吊销，改用以下新令牌。")
        else:
            started = time.monotonic()
            bulk = count >= BULK_FROM
            if bulk:
                # Views are built once at the end instead of after every batch.
                app.listeners.clear()
            with click.progressbar(length=count, label="登记并办理事项", file=sys.stderr) as bar:
                report = generator.populate(
                    app, cases=count, seed=seed, progress=bar.update, bulk=bulk
                )
            if bulk:
                total = app.recorder.max_notification_id() or 0
                with click.progressbar(
                    length=total, label="生成台账等视图", file=sys.stderr
                ) as bar:
                    services.runner.catch_up(progress=bar.update)
            registers = populate_registers(services, seed)
            elapsed = time.monotonic() - started
            click.echo(
                f"已添加 {report.units} 个单位、{report.users} 名用户、{count} 件事项"
                f"（{report.events} 条事件），用时 {elapsed:.1f} 秒（种子 {seed}）。"
            )
            click.echo(
                f"工作台账：联席会议 {registers.meetings} 次，交办任务 {registers.tasks} 项"
                f"（已办结 {registers.closed} 项），督查 {registers.inspections} 次，"
                f"问责记录 {registers.accountability_records} 条。"
            )
            click.echo("各状态事项数：")
            for status in Status:
                name = _pad(label(status), 12)
                click.echo(f"  {status.value:<17}{name}{report.statuses[status]:>5}")
            click.echo(f"今日有期限已超期的在办事项：{report.overdue_cases} 件。")
            found = report.registers
            click.echo(
                f"矛盾风险台账：{found.risks} 条（{found.resolved} 条化解销号，"
                f"{found.converted} 条转为信访事项，{found.incomplete} 条信息不全）；"
                f"专项治理 {found.campaigns} 项。"
            )
            logins = report.logins
        if not logins:
            click.echo("未找到演示用户；请用 `xinfang users add` 添加用户。")
            return
        click.echo("用以下任一令牌登录（Authorization: Bearer <令牌>）：")
        rows = [(login.role.value, login.name, login.unit, login.token) for login in logins]
        width = [max(_width(str(row[i])) for row in rows) for i in range(3)]
        for row in rows:
            click.echo("  ".join(_pad(str(row[i]), width[i]) for i in range(3)) + "  " + row[3])


BULK_FROM = 1_000
"""From this many demo cases on, they are built on the aggregates and saved in batches."""


def find_case(app: Xinfang, ref: str) -> Case:
    """A case by id or by number (XF-2026-000012), read as the system (no permission filter)."""
    text = ref.strip()
    try:
        return _load_case(app, UUID(text))
    except ValueError:
        pass
    match = CASE_NUMBER.match(text)
    if match is None:
        msg = f"{ref!r} 既不是事项 id，也不是形如 XF-2026-000012 的事项编号"
        raise click.ClickException(msg)
    year, n = int(match[1]), int(match[2])
    number = f"XF-{year}-{n:06d}"
    # The number is the case's position in the log of its year; check, then fall back to a scan.
    candidates = itertools.chain(
        itertools.islice(app.iter_case_ids(year), n - 1, n) if n > 0 else (),
        app.iter_case_ids(year),
    )
    for case_id in candidates:
        case = _load_case(app, case_id)
        if case.number == number:
            return case
    raise click.ClickException(f"没有编号为 {number} 的信访事项")


def no_case_with_id(case_id: UUID) -> str:
    """The refusal for a case id that names no case."""
    return f"没有 id 为 {case_id} 的信访事项"


def cannot_write(path: Path, err: OSError) -> str:
    """The refusal to write a file the operator named."""
    return f"无法写入 {path}：{err.strerror or err}"


def _load_case(app: Xinfang, case_id: UUID) -> Case:
    try:
        case: object = app.repository.get(case_id)
    except AggregateNotFoundError:
        raise click.ClickException(no_case_with_id(case_id)) from None
    if not isinstance(case, Case):
        raise click.ClickException(no_case_with_id(case_id))
    return case


if __name__ == "__main__":
    main()
