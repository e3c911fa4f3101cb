"""`xinfang history`, `project`, `rebuild`, `checkpoints`: a case's trail, the read-model
worker, the rebuild, the checkpoints of the `as_of` views."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from types import FrameType

import click
from tqdm import tqdm

from domain.labels import event_label, label
from projections import disclosure
from projections.bootstrap import Services, read_models
from projections.checkpoints import Checkpoints
from projections.parallel import rebuild_in_parallel
from projections.replay import make_checkpoints
from scripts.cli import echo_table, find_case, local_time, opened, unit_names
from scripts.console_zh import Command

logger = logging.getLogger(__name__)


@click.command(cls=Command)
@click.option("--follow", is_flag=True, help="持续运行，新事件一到即应用。")
@click.option(
    "--interval", default=0.5, show_default=True, metavar="秒数", help="两次查询日志的间隔秒数。"
)
def project(follow: bool, interval: float) -> None:
    """让每个读模型跟上日志（加 --follow 则作为单独的常驻进程运行）。"""
    with opened() as services:
        runner = services.runner
        applied = runner.catch_up()
        click.echo(f"已应用 {applied} 条事件；视图落后日志 {runner.lag()} 个位置")
        if not follow:
            return
        stop = threading.Event()

        def finish(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, finish)
        signal.signal(signal.SIGINT, finish)
        click.echo(f"每 {interval} 秒跟进一次日志（按 Ctrl-C 停止）")
        tried = 0
        while not stop.is_set():
            applied = runner.catch_up()
            tried = follow_checkpoints(services, tried)
            if applied == 0:
                stop.wait(interval)
        click.echo("已停止")


def follow_checkpoints(services: Services, tried: int) -> int:
    """The worker makes the checkpoint of the newest boundary the log has passed, once each,
    when the one before it is there (a replay of one interval, ~1 s; a failure is logged and
    not retried until the next boundary): the live views never wait for a longer replay. Those
    missing further back are `xinfang checkpoints`'s. Returns the boundary tried."""
    checkpoints = services.checkpoints
    if checkpoints is None or not checkpoints.enabled:
        return tried
    head = services.app.recorder.max_notification_id() or 0
    boundary = head // checkpoints.every * checkpoints.every
    if boundary <= tried or checkpoints.has(boundary):
        return max(tried, boundary)
    previous = boundary - checkpoints.every
    if previous and not checkpoints.has(previous):
        logger.info("no checkpoint at log position %s: run `xinfang checkpoints`", previous)
        return boundary
    try:
        make_checkpoints(services.app, services.ledger.sealer, checkpoints, until=boundary)
    except Exception:
        logger.exception("the checkpoint at log position %s not made", boundary)
    return boundary


@click.command(cls=Command)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=lambda: os.cpu_count() or 1,
    show_default="CPU 核数",
    metavar="进程数",
    help="并行重建台账的进程数（SQLite；PostgreSQL 只用一个）。",
)
def rebuild(workers: int) -> None:
    """清空全部读模型，重新应用整个日志，并打印每秒处理的事件数。

    先删除 `as_of` 视图的检查点（视图的结构可能已经改变）。
    """
    with opened() as services:
        removed = Checkpoints.of(services.settings).remove()
        if removed:
            click.echo(f"已删除 as_of 视图的检查点文件 {len(removed)} 个")
        total = services.app.recorder.max_notification_id() or 0
        with tqdm(total=total, unit="ev", desc="重建", mininterval=0.5) as bar:
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
            f"已由 {count} 条事件重建全部视图，用时 {seconds:.1f} 秒（每秒 {speed:,.0f} 条）"
        )


@click.command(cls=Command)
@click.option("--list", "listing", is_flag=True, help="只列出检查点（位置、大小、状态）。")
@click.option("--delete", is_flag=True, help="删除全部检查点（总是安全的：它们是派生数据）。")
def checkpoints(listing: bool, delete: bool) -> None:
    """生成或更新 `as_of` 视图的检查点，直到日志头。

    每 XINFANG_CHECKPOINT_EVERY 个日志位置一个（见 docs/read-side.md）；旧视图结构的
    检查点会被删除。`as_of` 重放从该时刻或之前最新的检查点开始，只应用其后的日志。
    """
    if listing and delete:
        raise click.UsageError("--list 与 --delete 不能同时使用")
    with opened() as services:
        made = services.checkpoints or Checkpoints.of(services.settings)
        if delete:
            removed = made.remove()
            click.echo(f"已从 {made.folder} 删除检查点文件 {len(removed)} 个")
            return
        if not listing:
            if not made.enabled:
                raise click.ClickException("XINFANG_CHECKPOINT_EVERY=0：检查点已关闭")
            stale = made.remove(stale_only=True)
            if stale:
                click.echo(f"已删除旧视图结构的检查点文件 {len(stale)} 个")
            started = time.perf_counter()
            positions = make_checkpoints(services.app, services.ledger.sealer, made)
            seconds = time.perf_counter() - started
            click.echo(f"已生成检查点 {len(positions)} 个，用时 {seconds:.1f} 秒")
        found = made.found()
        rows = [
            (
                f"{c.position:,}",
                f"{c.path.stat().st_size / 1e6:.1f}",
                "可用" if c.shape == made.shape else "旧结构（不用）",
                c.path.name,
            )
            for c in found
        ]
        echo_table(("日志位置", "MB", "状态", "文件"), rows)
        total = sum(c.path.stat().st_size for c in found)
        click.echo(
            f"检查点 {len(found)} 个，共 {total / 1e6:.1f} MB，在 {made.folder}；每 "
            f"{made.every:,} 个日志位置一个；日志头位置 "
            f"{services.app.recorder.max_notification_id() or 0:,}"
        )


@click.command(cls=Command)
@click.argument("case", metavar="事项")
def history(case: str) -> None:
    """打印事项（id 或形如 XF-2026-000012 的编号）的办理记录，身份信息遮蔽。"""
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
