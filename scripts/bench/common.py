"""What every part of the suite shares: statistics, the machine, fresh instances, a small county."""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg

from domain.application import Context, Xinfang
from domain.commands import (
    Accept,
    ChangeLeader,
    Command,
    Forward,
    RecordProgress,
    RegisterCase,
    StartWork,
)
from domain.directory import SYSTEM_ACTOR
from domain.values import Actor, Category, Channel, Petitioner, Role
from projections.bootstrap import Services
from projections.settings import (
    Settings,
    local_postgres_env,
    postgres_connect,
    throwaway_instance,
)

BACKENDS = ("sqlite", "postgres")
PG_ENV = local_postgres_env()
"""The PostgreSQL of the tests (tests/conftest.py): loopback, database `test`, trust auth."""

PETITIONER = Petitioner(
    name="张建国", id_number="411422196805120318", phone="13812345678", address="城关镇幸福村1号"
)
NOTE = "走访当事人及用工单位，调取工资发放记录，已约谈项目负责人，督促限期结清。"
"""A progress note of realistic length (the same text goes into the floor's event)."""


# -- statistics ------------------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile (nearest rank) of `values`; NaN if there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def median(values: Sequence[float]) -> float:
    """The median, NaN if there are no values."""
    return statistics.median(values) if values else float("nan")


def timed(action: Callable[[], object]) -> float:
    """Seconds `action` took."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


# -- the machine -----------------------------------------------------------------------------
def cpu_model() -> str:
    """The CPU model from /proc/cpuinfo."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def postgres_version() -> str:
    """The server version of the test PostgreSQL, or why it is not known."""
    try:
        with pg_connect() as conn:
            row = conn.execute("SHOW server_version").fetchone()
    except psycopg.Error as err:
        return f"unreachable ({type(err).__name__})"
    return str(row[0]) if row else "unknown"


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu_model(),
        "memory": _memory(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version(),
        "load average at start": f"{os.getloadavg()[0]:.2f}",
        "commit": _commit(),
    }


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.0f} GB"
    except OSError:
        pass
    return "unknown"


def _commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).resolve().parents[1],
        )
    except OSError:
        return "unknown"
    return done.stdout.strip() or "unknown"


# -- instances -------------------------------------------------------------------------------
def pg_connect() -> psycopg.Connection[Any]:
    """An autocommit connection to the test database."""
    return postgres_connect(PG_ENV)


@contextmanager
def fresh_instance(backend: str, home: Path) -> Iterator[Settings]:
    """A new instance at `home`; on PostgreSQL in a schema of its own, dropped afterwards."""
    with throwaway_instance(backend, home, PG_ENV, schema_prefix="bench") as settings:
        yield settings


# -- the county ------------------------------------------------------------------------------
@dataclass
class County:
    """Two units, the people of the benchmark (actors and tokens), and the cases."""

    units: dict[str, UUID] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    pool: list[UUID] = field(default_factory=list)
    """Cases in progress at the housing bureau, handled by `handler`, former sponsor `leader`."""
    long_case: UUID | None = None
    """The case with HISTORY_EVENTS events."""


PEOPLE = (
    ("clerk", "刘晓燕", Role.CLERK, "bureau"),
    ("dispatcher", "王建军", Role.DISPATCHER, "bureau"),
    ("head", "赵志刚", Role.UNIT_HEAD, "housing"),
    ("handler", "钱文博", Role.HANDLER, "housing"),
    ("leader", "陈国栋", Role.LEADER, None),
    ("leader2", "褚卫民", Role.LEADER, None),
    ("supervisor", "卫东", Role.SUPERVISOR, None),
    ("auditor", "蒋纪检", Role.AUDITOR, None),
)


def build_county(app: Xinfang) -> County:
    """The units and people (tokens issued in-process)."""
    county = County()
    for key, name in (("bureau", "县信访局"), ("housing", "县住建局")):
        county.units[key] = app.add_unit(SYSTEM_ACTOR, name=name).id
    for key, name, role, unit in PEOPLE:
        user, token = app.add_user(
            SYSTEM_ACTOR, name=name, role=role, unit_id=county.units[unit] if unit else None
        )
        county.actors[key] = user.as_actor
        county.tokens[key] = token
    return county


def open_case(app: Xinfang, county: County, subject: str) -> UUID:
    """A case in progress at the housing bureau whose sponsor changed from `leader` to `leader2`.

    Five events. `leader` still sees the case (a former sponsor) but with the petitioner's
    identity masked, so their reads record no access; the supervisor and the auditor see the
    identity, so each of their case and history reads saves an access record (domain/access.py).
    """
    actors = county.actors
    registration = RegisterCase(
        channel=Channel.VISIT,
        category=Category.CLAIM,
        subject=subject,
        content="某建筑工地拖欠农民工工资三个月，多次讨要无果，请求依法处理。",
        petitioners=[PETITIONER],
        location="城关镇幸福村",
    )
    case_id = app.execute(registration, Context(actors["clerk"])).case.id
    steps: list[tuple[str, Command]] = [
        ("dispatcher", Forward(case_id=case_id, unit_id=county.units["housing"])),
        (
            "head",
            Accept(case_id=case_id, handler_id=actors["handler"].id, leader_id=actors["leader"].id),
        ),
        ("handler", StartWork(case_id=case_id)),
        ("supervisor", ChangeLeader(case_id=case_id, leader_id=actors["leader2"].id)),
    ]
    for who, command in steps:
        reason = "包案领导调整" if command.needs_reason else None
        app.execute(command, Context(actors[who], reason=reason))
    return case_id


CASE_EVENTS_AT_OPEN = 5


def progress(app: Xinfang, county: County, case_id: UUID) -> None:
    """The benchmark's command: the handler records a progress note (one event)."""
    app.execute(RecordProgress(case_id=case_id, note=NOTE), Context(county.actors["handler"]))


def populate(services: Services, county: County, *, cases: int, history_events: int) -> None:
    """The pool of cases and the long case, built without per-save catch-up, then caught up."""
    app = services.app
    listeners = list(app.listeners)
    app.listeners.clear()
    try:
        county.pool = [open_case(app, county, f"拖欠工资 第{i}号") for i in range(cases)]
        long_case = open_case(app, county, "长期未结的征地补偿纠纷")
        for _ in range(history_events - CASE_EVENTS_AT_OPEN):
            progress(app, county, long_case)
        county.long_case = long_case
    finally:
        app.listeners[:] = listeners
    services.runner.catch_up()
