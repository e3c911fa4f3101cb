"""`xinfang history`, `project`, `rebuild`: a case's trail, the read-model worker, the rebuild."""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType

import click
from tqdm import tqdm

from domain.labels import event_label, label
from projections import disclosure
from projections.bootstrap import read_models
from projections.parallel import rebuild_in_parallel
from scripts.cli import echo_table, find_case, local_time, opened, unit_names


@click.command()
@click.option("--follow", is_flag=True, help="Keep running and apply new events as they arrive.")
@click.option("--interval", default=0.5, show_default=True, help="Seconds between polls.")
def project(follow: bool, interval: float) -> None:
    """Bring every read model up to date with the log (a separate worker with --follow)."""
    with opened() as services:
        runner = services.runner
        applied = runner.catch_up()
        click.echo(f"applied {applied} events; {runner.lag()} positions behind the log")
        if not follow:
            return
        stop = threading.Event()

        def finish(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, finish)
        signal.signal(signal.SIGINT, finish)
        click.echo(f"following the log every {interval}s (Ctrl-C to stop)")
        runner.follow(interval=interval, stop=stop)
        click.echo("stopped")


@click.command()
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=lambda: os.cpu_count() or 1,
    show_default="number of cores",
    help="Processes that rebuild the ledger side by side (SQLite; PostgreSQL uses one).",
)
def rebuild(workers: int) -> None:
    """Drop every read model and apply the whole log again; prints events/s."""
    with opened() as services:
        total = services.app.recorder.max_notification_id() or 0
        with tqdm(total=total, unit="ev", desc="rebuild", mininterval=0.5) as bar:
            if workers > 1 and not services.settings.is_postgres:
                count, seconds = rebuild_in_parallel(
                    services.settings,
                    services.runner,
                    read_models=read_models,
                    workers=workers,
                    progress=bar.update,
                )
            else:
                count, seconds = services.runner.rebuild(progress=bar.update)
        speed = count / seconds if seconds else 0.0
        click.echo(
            f"rebuilt read models from {count} events in {seconds:.1f} s ({speed:,.0f} events/s)"
        )


@click.command()
@click.argument("case")
def history(case: str) -> None:
    """Print the audit trail of CASE (an id or a number like XF-2026-000012), identity masked."""
    with opened() as services:
        app = services.app
        found = find_case(app, case)
        names = unit_names(app)
        shown = disclosure.operator_history(app, found)
        events = shown["events"]
        click.echo(
            f"{found.number}  {found.subject}  状态 {label(found.status)}  "
            f"版本 {found.version}  （共 {len(events)} 条事件，时间均为北京时间）"
        )
        rows = [
            (
                event["version"],
                local_time(event["recorded_at"]),
                local_time(event["occurred_at"]),
                event["actor"].name,
                label(event["actor"].role),
                names.get(event["actor"].unit_id, event["actor"].unit_id),
                event_label(event["type"]),
                event["reason"],
            )
            for event in events
        ]
        echo_table(HISTORY_COLUMNS, rows)


HISTORY_COLUMNS = ("版本", "记录时间", "业务时间", "操作人", "角色", "单位", "事件", "理由")
"""The columns of `xinfang history`: recorded (system) time, then business time."""
