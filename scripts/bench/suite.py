"""The suite's entry point: `python -m scripts.bench [--backend sqlite|postgres|both] [--quick]`."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from projections.bootstrap import bootstrap
from scripts.bench.common import BACKENDS, build_county, fresh_instance, machine, populate
from scripts.bench.compare import ROUNDS as PEER_ROUNDS
from scripts.bench.compare import WINDOW as PEER_WINDOW
from scripts.bench.compare import Comparison, compare, wrk_available
from scripts.bench.compare import table as peer_table
from scripts.bench.inprocess import (
    command_path,
    history_in_process,
    profile_command,
    profile_endpoints,
)
from scripts.bench.report import BackendFigures, chart, tables
from scripts.bench.scale import ScaleFigures, measure_scale
from scripts.bench.served import CLIENTS, run_http

REPO = Path(__file__).resolve().parents[1]
SCALE_HOME = Path("/tmp/xinfang-bench-100000")
HISTORY_EVENTS = 200


@dataclass(frozen=True)
class Sizes:
    """How much each figure measures."""

    rounds: int
    commands: int
    """Commands per variant per round (figure 1)."""
    pool: int
    """Cases the HTTP commands and reads are spread over."""
    seconds: float
    """Measured seconds per endpoint per round (figure 2)."""
    warmup: float
    history_requests: int
    """History requests per viewer per round (figure 3, in-process and over HTTP)."""
    ledger_requests: int
    """Requests per ledger filter per round (figure 5)."""
    verify_runs: int
    profile_requests: int
    """Requests per endpoint under cProfile (the breakdown)."""


FULL = Sizes(
    rounds=3,
    commands=300,
    pool=256,
    seconds=10,
    warmup=1.5,
    history_requests=200,
    ledger_requests=200,
    verify_runs=3,
    profile_requests=100,
)
QUICK = Sizes(
    rounds=3,
    commands=30,
    pool=32,
    seconds=1.5,
    warmup=0.5,
    history_requests=10,
    ledger_requests=3,
    verify_runs=1,
    profile_requests=10,
)


def run_backend(backend: str, sizes: Sizes, root: Path, *, profile: bool) -> BackendFigures:
    """Figures 1–3 on a fresh instance of one event store."""
    with fresh_instance(backend, root / backend) as settings:
        print(f"[{backend}] set-up: county, {sizes.pool} cases, a {HISTORY_EVENTS}-event case")
        # As served: the views follow the log in a thread of their own (docs/read-side.md).
        services = bootstrap(settings, follow=True)
        try:
            county = build_county(services.app)
            populate(services, county, cases=sizes.pool, history_events=HISTORY_EVENTS)
            print(f"[{backend}] 1. in-process command path vs bare aggregate", flush=True)
            command = command_path(services, county, rounds=sizes.rounds, commands=sizes.commands)
            print(f"[{backend}] 3. history in-process", flush=True)
            history = history_in_process(
                services, county, rounds=sizes.rounds, requests=sizes.history_requests
            )
            print(f"[{backend}] where the time goes (cProfile through the test client)", flush=True)
            where = profile_endpoints(services, county, sizes.profile_requests)
            profiled = profile_command(services, county, sizes.commands) if profile else None
        finally:
            services.close()
        print(f"[{backend}] 2./3. HTTP, {CLIENTS} clients", flush=True)
        http = run_http(
            settings,
            county,
            root,
            rounds=sizes.rounds,
            seconds=sizes.seconds,
            warmup=sizes.warmup,
            history_requests=sizes.history_requests,
        )
    return BackendFigures(backend, command, history, http, where, profiled)


def main() -> None:
    """Run the chosen figures, print Markdown, draw the chart."""
    parser = argparse.ArgumentParser(prog="python -m scripts.bench", description=__doc__)
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test")
    parser.add_argument(
        "--scale-home",
        type=Path,
        default=SCALE_HOME,
        help="existing large SQLite instance for figure 5 (read only)",
    )
    parser.add_argument("--no-scale", action="store_true", help="skip figure 5")
    parser.add_argument("--no-as-of", action="store_true", help="figure 5 without the as_of pages")
    parser.add_argument(
        "--only-scale", action="store_true", help="only figure 5 (an existing instance)"
    )
    parser.add_argument(
        "--no-peer", action="store_true", help="skip figure 6 (side by side with the CRUD peer)"
    )
    parser.add_argument(
        "--only-peer", action="store_true", help="only figure 6 (the CRUD peer, wrk)"
    )
    parser.add_argument(
        "--chart", type=Path, default=REPO / "docs" / "benchmarks.png", help="PNG to write"
    )
    parser.add_argument("--json", type=Path, help="also write the raw figures as JSON here")
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of the in-process command"
    )
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    backends = BACKENDS if args.backend == "both" else (args.backend,)
    started = time.monotonic()
    about = machine()
    print(f"machine: {about}", flush=True)
    results: list[BackendFigures] = []
    compared: list[Comparison] = []
    if not args.no_peer and not args.only_scale:
        if wrk_available():
            print("6. side by side with the CRUD peer (wrk)", flush=True)
            rounds, window = (1, 1.0) if args.quick else (PEER_ROUNDS, PEER_WINDOW)
            compared = [compare(b, rounds=rounds, window=window) for b in backends]
            print(peer_table(compared), flush=True)
        else:
            print("6. skipped: needs wrk (apt-get install -y wrk) and pip install -e '.[bench]'")
    if args.only_peer:
        return
    if not args.only_scale:
        with tempfile.TemporaryDirectory(prefix="xinfang-bench-suite-") as tmp:
            for backend in backends:
                results.append(run_backend(backend, sizes, Path(tmp), profile=args.profile))
    scale: ScaleFigures | None = None
    if not args.no_scale:
        if (args.scale_home / "keys").is_dir():
            print(f"5. scale: {args.scale_home}", flush=True)
            scale = measure_scale(
                args.scale_home,
                rounds=sizes.rounds,
                requests=sizes.ledger_requests,
                verify_runs=sizes.verify_runs,
                as_of=not args.no_as_of,
            )
        else:
            print(f"5. scale skipped: no instance at {args.scale_home}")
    about["suite wall time"] = f"{time.monotonic() - started:.0f} s"
    about["load average at end"] = f"{os.getloadavg()[0]:.2f}"
    print()
    print(tables(results, scale, about))
    if compared:
        print("\n**6. Side by side with the CRUD peer** (wrk 2 threads × 16 connections):\n")
        print(peer_table(compared))
    for result in results:
        if result.profile:
            print(f"\ncProfile of the in-process command on {result.backend}:\n{result.profile}")
        if result.http.tracebacks:
            print(f"\nWARNING: {result.http.tracebacks} tracebacks in the {result.backend} logs")
    if chart(results, scale, args.chart):
        print(f"\nchart: {args.chart}")
    else:
        print("\nno chart: matplotlib is missing (pip install -e '.[bench]')")
    if args.json:
        raw = {
            "machine": about,
            "results": [dataclasses.asdict(r) for r in results],
            "scale": dataclasses.asdict(scale) if scale else None,
            "peer": [dataclasses.asdict(c) for c in compared],
        }
        args.json.write_text(json.dumps(raw, indent=1, ensure_ascii=False))
