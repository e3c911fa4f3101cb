"""The suite's output: Markdown tables on stdout and a PNG chart (matplotlib, optional)."""

from __future__ import annotations

import importlib
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.bench.common import median
from scripts.bench.inprocess import CommandFigures, Latency
from scripts.bench.scale import ScaleFigures, verify_median
from scripts.bench.served import (
    BARE,
    CASE_DISCLOSING,
    CASE_MASKED,
    COMMAND,
    LEDGER,
    SHORT,
    HttpFigures,
)

RATIO_TARGET = 0.5
COMMANDS_TARGET = 1_000.0
COMMAND_P99_TARGET = 50.0
READS_TARGET = 2_000.0
HISTORY_P99_TARGET = 10.0
READS = (CASE_MASKED, CASE_DISCLOSING, LEDGER)
CORES = os.cpu_count() or 1


@dataclass
class BackendFigures:
    """Everything measured on one event store."""

    backend: str
    command: CommandFigures
    history: dict[str, Latency]
    http: HttpFigures
    breakdown: dict[str, dict[str, float]]
    """Per endpoint: own time per request (ms) by library group, under cProfile."""
    profile: str | None = None


def fmt(value: float, digits: int = 0) -> str:
    """A number with thousands separators, or '–' for NaN."""
    if math.isnan(value):
        return "–"
    return f"{value:,.{digits}f}"


def spread(values: Sequence[float], digits: int = 0) -> str:
    """The rounds' values, e.g. `1,210 · 1,190 · 1,250`."""
    return " · ".join(fmt(v, digits) for v in values)


def verdict(ok: bool) -> str:
    """Whether a target is met."""
    return "met" if ok else "**missed**"


def tables(
    results: Sequence[BackendFigures], scale: ScaleFigures | None, machine: dict[str, str]
) -> str:
    """Every figure as Markdown."""
    out: list[str] = ["| machine | |", "|---|---|"]
    out += [f"| {key} | {value} |" for key, value in machine.items()]
    out += [
        "",
        "**1. In-process command path** (`Xinfang.execute` as served, the views following in a "
        "thread of their own, vs a bare",
    ]
    out += [
        "aggregate: load, one event, save), commands/s, median of rounds. Target ratio ≥ 0.5.",
        "",
    ]
    out += [
        "| store | xinfang (rounds) | floor (rounds) | ratio | target | write alone ms | "
        "catch-up ms | floor ms | one commit ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        c = r.command
        app, floor, ratio = median(c.app), median(c.floor), c.ratio
        out.append(
            f"| {r.backend} | **{fmt(app)}** ({spread(c.app)}) | {fmt(floor)} "
            f"({spread(c.floor)}) | **{ratio:.2f}** | {verdict(ratio >= RATIO_TARGET)} | "
            f"{fmt(median(c.write_ms), 2)} | {fmt(median(c.catch_up_ms), 2)} | "
            f"{fmt(1000 / floor, 2)} | {fmt(median(c.commit_ms), 2)} |"
        )
    out += [
        "",
        "**2. HTTP under gunicorn** (2 gthread workers × 4 threads, 16 keep-alive clients),",
    ]
    out += ["median of rounds; CPU per request of the server processes, the client process and"]
    out += [
        "PostgreSQL, and the ceiling that CPU alone allows (nproc × 1000 / CPU ms per request)."
    ]
    out += ["Targets: commands ≥ 1,000/s with p99 ≤ 50 ms; reads ≥ 2,000/s.", ""]
    out += [
        "| store | endpoint | req/s (rounds) | vs bare | p50 ms | p99 ms | target | "
        "server CPU ms/req | client CPU ms/req | PG CPU ms/req | CPU ceiling req/s | statuses |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        h = r.http
        bare = h.med(BARE, "per_second")
        for label, loads in h.loads.items():
            rate = h.med(label, "per_second")
            p99 = h.med(label, "p99_ms")
            if label == COMMAND:
                target = f"≥ 1,000/s, p99 ≤ 50: {verdict(rate >= COMMANDS_TARGET and p99 <= 50)}"
            elif label in READS:
                target = f"≥ 2,000/s: {verdict(rate >= READS_TARGET)}"
            else:
                target = "floor"
            statuses: dict[str, int] = {}
            for load in loads:
                for status, n in load.statuses.items():
                    statuses[status] = statuses.get(status, 0) + n
            cpu = sum(h.med(label, k) for k in ("server_cpu_ms", "client_cpu_ms", "db_cpu_ms"))
            ceiling = CORES * 1000 / cpu if cpu > 0 else float("nan")
            out.append(
                f"| {r.backend} | {label} | **{fmt(rate)}** "
                f"({spread([x.per_second for x in loads])}) | {rate / bare:.2f} | "
                f"{fmt(h.med(label, 'p50_ms'), 1)} | "
                f"{fmt(p99, 1)} | {target} | {fmt(h.med(label, 'server_cpu_ms'), 2)} | "
                f"{fmt(h.med(label, 'client_cpu_ms'), 2)} | {fmt(h.med(label, 'db_cpu_ms'), 2)} | "
                f"{fmt(ceiling)} | "
                f"{', '.join(f'{k}: {v:,}' for k, v in statuses.items())} |"
            )
    out += ["", "**3. History of a 200-event case** (GET /cases/{id}/history, one request at a"]
    out += ["time), ms, median of rounds. Target p99 ≤ 10 ms.", ""]
    out += [
        "| store | viewer | in-process p50 | in-process p99 | target | HTTP p50 | HTTP p99 "
        "| target |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for label, latency in r.history.items():
            local = median(latency.p99)
            remote = median(r.http.history_p99.get(label, []))
            out.append(
                f"| {r.backend} | {label} | {fmt(median(latency.p50), 1)} | **{fmt(local, 1)}** | "
                f"{verdict(local <= HISTORY_P99_TARGET)} | "
                f"{fmt(median(r.http.history_p50.get(label, [])), 1)} | **{fmt(remote, 1)}** | "
                f"{verdict(remote <= HISTORY_P99_TARGET)} |"
            )
    for r in results:
        out += breakdown_table(r)
    if scale is not None:
        out += scale_tables(scale)
    return "\n".join(out)


def breakdown_table(result: BackendFigures) -> list[str]:
    """Where the time of each endpoint goes, by library, as Markdown."""
    endpoints = list(result.breakdown)
    if not endpoints:
        return []
    groups: list[str] = []
    for found in result.breakdown.values():
        groups += [g for g in found if g not in groups]
    out = ["", f"**Where the time goes on {result.backend}** (cProfile through the Flask test"]
    out += ["client, own time per request in ms by library; cProfile inflates Python code):", ""]
    out.append("| | " + " | ".join(endpoints) + " |")
    out.append("|---" * (len(endpoints) + 1) + "|")
    for group in groups:
        cells = [fmt(result.breakdown[e].get(group, 0.0), 2) for e in endpoints]
        out.append(f"| {group} | " + " | ".join(cells) + " |")
    totals = [fmt(sum(result.breakdown[e].values()), 2) for e in endpoints]
    out.append("| **total** | " + " | ".join(f"**{t}**" for t in totals) + " |")
    return out


def scale_tables(scale: ScaleFigures) -> list[str]:
    """Figure 5 as Markdown."""
    out = ["", f"**5. Scale** ({scale.home}: {scale.events:,} events, {scale.cases:,} cases)", ""]
    out += ["| file | MB | bytes per event |", "|---|---|---|"]
    for name, size in scale.files.items():
        per_event = size / scale.events if scale.events else float("nan")
        out.append(f"| {name} | {fmt(size / 1e6)} | {fmt(per_event)} |")
    total = sum(scale.files.values())
    out.append(f"| **all** | **{fmt(total / 1e6)}** | {fmt(total / max(scale.events, 1))} |")
    out.append("")
    rounds = len(next(iter(scale.ledger_p99.values()), []))
    if scale.ledger_skipped:
        out.append(f"Ledger not measured: {scale.ledger_skipped}.")
    else:
        out += [
            "GET /ledger?page_size=50 through the Flask test client as a supervisor, "
            f"{scale.ledger_requests // max(rounds, 1)} requests per filter per round:",
            "",
            "| filter | rows matching | p50 ms | p99 ms (rounds) |",
            "|---|---|---|---|",
        ]
        for label, p99 in scale.ledger_p99.items():
            out.append(
                f"| {label} | {scale.ledger_totals.get(label, 0):,} | "
                f"{fmt(median(scale.ledger_p50[label]), 1)} | **{fmt(median(p99), 1)}** "
                f"({spread(p99, 1)}) |"
            )
    if scale.served_skipped:
        out += ["", f"Ledger served: not measured, {scale.served_skipped}."]
    elif scale.served_p99:
        served_rounds = len(next(iter(scale.served_p99.values())))
        out += [
            "",
            "The same pages served (`xinfang serve`, gunicorn 2 workers), one request at a time "
            f"(wrk 1 connection), {fmt(scale.served_seconds)} s per filter per round, "
            f"{served_rounds} rounds:",
            "",
            "| filter | req/s | p50 ms | p99 ms (rounds) |",
            "|---|---|---|---|",
        ]
        for label, p99 in scale.served_p99.items():
            out.append(
                f"| {label} | {fmt(median(scale.served_rates[label]))} | "
                f"{fmt(median(scale.served_p50[label]), 1)} | **{fmt(median(p99), 1)}** "
                f"({spread(p99, 1)}) |"
            )
    if scale.as_of:
        out += [
            "",
            '`as_of` (docs/read-side.md, "as_of: views kept temporally"), beside the same page '
            "live and, where measured, the former replay of the log up to the moment; each "
            "asked twice in a row (the first often from the disk, the second from memory):",
            "",
            "| moment | page | log position | as_of (s) | as_of again (s) | live (s) "
            "| live again (s) | replay (s) |",
            "|---|---|--:|--:|--:|--:|--:|--:|",
        ]
        for row in scale.as_of:
            before = f"{row.replay:.2f}" if row.replay is not None else "-"
            out.append(
                f"| {row.moment} | `{row.page}` | {row.position:,} | **{row.seconds:.3f}** | "
                f"**{row.again:.3f}** | {row.live:.3f} | {row.live_again:.3f} | {before} |"
            )
    if scale.verify_seconds:
        out += [
            "",
            f"`xinfang verify`: median **{fmt(verify_median(scale), 1)} s** wall "
            f"(runs {spread(scale.verify_seconds, 1)} s; the check itself "
            f"{spread(scale.verify_rates)} events/s); "
            f"{'OK' if scale.verify_ok else '**FAILED**'}.",
        ]
    return out


# -- the chart -------------------------------------------------------------------------------
def ascii_label(text: str) -> str:
    """A label the default font can draw."""
    return "".join(ch for ch in text if ord(ch) < 128).replace("()", "").strip()


def chart(results: Sequence[BackendFigures], scale: ScaleFigures | None, path: Path) -> bool:
    """Draw the figures against their floors and targets; False without matplotlib."""
    try:
        matplotlib: Any = importlib.import_module("matplotlib")
    except ImportError:
        return False
    matplotlib.use("Agg")
    plt: Any = importlib.import_module("matplotlib.pyplot")
    fig, axes = plt.subplots(3, 2, figsize=(14, 14))
    colours = {"sqlite": "#4c72b0", "postgres": "#dd8452"}
    floor_colour = "#999999"
    width = 0.38

    # (a) in-process commands/s vs floor
    ax = axes[0][0]
    for i, r in enumerate(results):
        ax.bar(
            [i * 3, i * 3 + 1],
            [median(r.command.app), median(r.command.floor)],
            0.8,
            color=[colours[r.backend], floor_colour],
        )
        ax.text(
            i * 3 + 0.5, median(r.command.floor) * 1.02, f"ratio {r.command.ratio:.2f}", ha="center"
        )
    ax.set_xticks([x for i in range(len(results)) for x in (i * 3, i * 3 + 1)])
    ax.set_xticklabels([lab for r in results for lab in (f"{r.backend}\nxinfang", "floor")])
    ax.set_ylabel("commands/s")
    ax.set_ylim(0, max([median(r.command.floor) for r in results] + [1.0]) * 1.15)
    ax.set_title("1. In-process command vs bare aggregate (target ratio >= 0.5)")

    # (b) HTTP requests/s, (c) HTTP p99
    labels = list(results[0].http.loads) if results else []
    positions = list(range(len(labels)))
    for panel, attribute, title, unit in (
        (axes[0][1], "per_second", "2. HTTP requests/s, 16 clients (targets dashed)", "req/s"),
        (axes[1][0], "p99_ms", "2. HTTP p99 latency (command target 50 ms)", "ms"),
    ):
        for j, r in enumerate(results):
            values = [r.http.med(label, attribute) for label in labels]
            panel.bar(
                [p + (j - 0.5) * width for p in positions],
                values,
                width,
                color=colours[r.backend],
                label=r.backend,
            )
        for p, label in zip(positions, labels, strict=True):
            target = None
            if attribute == "per_second":
                target = (
                    COMMANDS_TARGET
                    if label == COMMAND
                    else (READS_TARGET if label in READS else None)
                )
            elif label == COMMAND:
                target = COMMAND_P99_TARGET
            if target is not None:
                panel.hlines(target, p - 0.45, p + 0.45, colors="black", linestyles="dashed")
        panel.set_xticks(positions)
        panel.set_xticklabels([SHORT.get(x, x) for x in labels], fontsize=8)
        panel.set_ylabel(unit)
        panel.set_title(title)
        panel.legend()

    # (d) history p99
    ax = axes[1][1]
    bars: list[tuple[str, float, str]] = []
    for r in results:
        for label, latency in r.history.items():
            short = "masked" if "masked" in label else "disclosing"
            bars.append((f"{r.backend}\n{short}\nin-process", median(latency.p99), r.backend))
            http = median(r.http.history_p99.get(label, []))
            bars.append((f"{r.backend}\n{short}\nHTTP", http, r.backend))
    ax.bar(range(len(bars)), [b[1] for b in bars], 0.7, color=[colours[b[2]] for b in bars])
    ax.axhline(HISTORY_P99_TARGET, color="black", linestyle="dashed")
    ax.set_xticks(range(len(bars)))
    ax.set_xticklabels([b[0] for b in bars], fontsize=7)
    ax.set_ylabel("p99 ms")
    ax.set_title("3. History of a 200-event case, p99 (target 10 ms)")

    # (e) CPU per request over HTTP
    ax = axes[2][0]
    for j, r in enumerate(results):
        server = [r.http.med(label, "server_cpu_ms") for label in labels]
        db = [r.http.med(label, "db_cpu_ms") for label in labels]
        client = [r.http.med(label, "client_cpu_ms") for label in labels]
        shifted = [p + (j - 0.5) * width for p in positions]
        ax.bar(shifted, server, width, color=colours[r.backend], label=f"{r.backend} server")
        ax.bar(
            shifted,
            db,
            width,
            bottom=server,
            color=colours[r.backend],
            alpha=0.5,
            hatch="//",
            label=f"{r.backend} PostgreSQL" if r.backend == "postgres" else None,
        )
        ax.bar(
            shifted,
            client,
            width,
            bottom=[s + d for s, d in zip(server, db, strict=True)],
            color=floor_colour,
            alpha=0.6,
            label="client threads" if j == 0 else None,
        )
    ax.set_xticks(positions)
    ax.set_xticklabels([SHORT.get(x, x) for x in labels], fontsize=8)
    ax.set_ylabel("CPU ms per request")
    ax.set_title("Where the CPU goes per HTTP request (2 cores)")
    ax.legend(fontsize=8)

    # (f) ledger at scale
    ax = axes[2][1]
    if scale is not None and scale.ledger_p99:
        names = list(scale.ledger_p99)
        ax.barh(
            range(len(names)), [median(scale.ledger_p99[n]) for n in names], color=colours["sqlite"]
        )
        ax.set_yticks(range(len(names)))
        ax.set_yticklabels(
            [ascii_label(n) or n.encode("unicode_escape").decode() for n in names], fontsize=8
        )
        ax.invert_yaxis()
        ax.set_xlabel("p99 ms")
        ax.set_title(f"5. Ledger page (50 rows) p99, {scale.events:,} events (SQLite)")
    else:
        ax.set_axis_off()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True
