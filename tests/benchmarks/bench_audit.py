"""Audit trail benchmark, run on demand (not by pytest): `python -m tests.benchmarks.bench_audit`.

(a) What the tree adds to a command: the same commands on two SQLite instances built in the same
    run, one with the audit recorder and one with the library's plain recorder, interleaved so
    that both see the same machine; median per-command time and their ratio.
(b) `xinfang verify` throughput on SQLite over a log of `--events` events (realistic case
    registrations, saved in batches): median events/s of `--runs` runs.

Figures go to docs/benchmarks.md ("Audit"), with this command and `nproc`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from uuid import uuid4

from domain.application import Context, Xinfang
from domain.cases import Case, make_stamp
from domain.commands import RegisterCase, SetFlag
from domain.directory import SYSTEM_ACTOR
from domain.values import Category, Channel, Flag, Petitioner
from projections.bootstrap import bootstrap
from projections.settings import Settings, create_instance
from tests.conftest import County, build_county

PETITIONER = Petitioner(
    name="张三", id_number="110101199001011234", phone="13812345678", address="城关镇幸福村1号"
)


def instance(home: Path, *, audited: bool) -> Xinfang:
    """A bare application on a fresh SQLite instance, with or without the audit recorder."""
    settings = Settings(home=home)
    create_instance(settings)
    env = settings.event_store_env()
    if not audited:
        del env["APPLICATION_RECORDER_TOPIC"]
    return Xinfang(env)


def register(app: Xinfang, county: County) -> Callable[[], object]:
    """The command `register a case` (two events: the case and its number log entry)."""
    ctx = Context(county.actors["clerk"])

    def command() -> object:
        registration = RegisterCase(
            channel=Channel.VISIT,
            category=Category.CLAIM,
            subject="拖欠农民工工资",
            content="某建筑工地拖欠工资三个月，多次讨要无果。" * 3,
            petitioners=[PETITIONER],
            location="城关镇",
        )
        return app.execute(registration, ctx)

    return command


def flag(app: Xinfang, county: County) -> Callable[[], object]:
    """The command `set a flag on a case` (load, one event, save), toggled on and off."""
    case_id = register(app, county)().case.id  # type: ignore[attr-defined]
    ctx = Context(county.actors["supervisor"], reason="复核标记")
    state = [False]

    def command() -> object:
        state[0] = not state[0]
        return app.execute(SetFlag(case_id=case_id, flag=next(iter(Flag)), on=state[0]), ctx)

    return command


def command_cost(root: Path, rounds: int) -> dict[str, tuple[float, float, float]]:
    """Median ms per command without and with the tree, and the ratio, per command."""
    apps = {
        audited: instance(root / ("audited" if audited else "plain"), audited=audited)
        for audited in (False, True)
    }
    counties = {audited: build_county(app) for audited, app in apps.items()}
    results = {}
    for name, make in (("register a case", register), ("set a flag", flag)):
        commands = {a: make(app, counties[a]) for a, app in apps.items()}
        times: dict[bool, list[float]] = {False: [], True: []}
        for i in range(rounds):
            order = (False, True) if i % 2 else (True, False)
            for audited in order:
                started = time.perf_counter()
                commands[audited]()
                times[audited].append(time.perf_counter() - started)
        plain = statistics.median(times[False]) * 1000
        audited_ms = statistics.median(times[True]) * 1000
        results[name] = (plain, audited_ms, audited_ms / plain)
    for app in apps.values():
        app.close()
    return results


def fill(app: Xinfang, events: int, batch: int = 500) -> None:
    """`events` case registrations saved `batch` at a time (realistic payloads, quickly)."""
    clerk = SYSTEM_ACTOR
    made = 0
    while made < events:
        cases = []
        for _ in range(min(batch, events - made)):
            stamp = make_stamp(clerk, now=app.clock())
            cases.append(
                Case.register(
                    stamp,
                    case_id=uuid4(),
                    number=f"XF-2026-{made:06d}",
                    channel=Channel.VISIT,
                    category=Category.CLAIM,
                    subject="拖欠农民工工资",
                    content="某建筑工地拖欠工资三个月，多次讨要无果。",
                    petitioners=[PETITIONER],
                    location="城关镇",
                )
            )
            made += 1
        app.save(*cases)


def verify_rate(root: Path, events: int, runs: int) -> tuple[int, list[float]]:
    """Events checked and events/s of each verify run over a filled SQLite instance."""
    settings = Settings(home=root / "verify")
    create_instance(settings)
    services = bootstrap(settings, inline_projections=False)
    fill(services.app, events)
    services.audit.sign_head()
    rates = []
    checked = 0
    for _ in range(runs):
        report = services.audit.verify()
        assert report.ok, report.finding
        checked = report.events
        rates.append(report.rate)
    services.close()
    return checked, rates


def main() -> None:
    """Run both measurements and print a Markdown summary."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=400, help="commands per variant")
    parser.add_argument("--events", type=int, default=200_000, help="events for verify")
    parser.add_argument("--runs", type=int, default=5, help="verify runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        costs = command_cost(root, args.rounds)
        checked, rates = verify_rate(root, args.events, args.runs)
    print(f"nproc: {os.cpu_count()}")
    print("| command | without tree (ms) | with tree (ms) | ratio |")
    print("|---|---|---|---|")
    for name, (plain, audited, ratio) in costs.items():
        print(f"| {name} | {plain:.3f} | {audited:.3f} | {ratio:.3f} |")
    print(
        f"verify: {checked:,} events, median {statistics.median(rates):,.0f} events/s "
        f"(runs: {', '.join(f'{r:,.0f}' for r in rates)})"
    )


if __name__ == "__main__":
    main()
