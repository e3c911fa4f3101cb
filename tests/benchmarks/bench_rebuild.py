"""Benchmark: `xinfang rebuild` against the raw floor (select_notifications + decoding).

Run on demand (not part of the test suite):

    .venv/bin/python tests/benchmarks/bench_rebuild.py --cases 100000 --rounds 3

It builds (or reuses) a demo instance under /tmp/xinfang-bench-<cases> on SQLite, then per round
measures, side by side in one process: the floor (every notification selected in batches and
decoded into its domain event) and a full rebuild of the read models. Prints medians and ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from domain.application import Xinfang
from projections.bootstrap import bootstrap, read_models
from projections.parallel import rebuild_in_parallel
from projections.settings import Settings, create_instance


def floor(app: Xinfang, batch: int = 2_000) -> tuple[int, float]:
    """Select and decode the whole log: what any reader of the log must pay."""
    started = time.perf_counter()
    count, position = 0, 0
    while True:
        found = app.recorder.select_notifications(
            start=position, limit=batch, inclusive_of_start=False
        )
        if not found:
            return count, time.perf_counter() - started
        for notification in found:
            app.mapper.to_domain_event(notification)
        count += len(found)
        position = found[-1].id


def ensure_instance(home: Path, cases: int) -> Settings:
    """A demo instance with `cases` cases (built once, then reused)."""
    settings = Settings(home=home)
    if create_instance(settings):
        from scripts import demo

        services = bootstrap(settings, inline_projections=False)
        started = time.perf_counter()
        demo.populate(services.app, cases=cases, seed=2026, bulk=True)
        print(f"generated {cases} cases in {time.perf_counter() - started:.0f} s")
        services.close()
    return settings


def main() -> None:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--home", type=Path, help="instance folder (default /tmp/xinfang-bench-N)")
    args = parser.parse_args()
    home = args.home or Path(f"/tmp/xinfang-bench-{args.cases}")
    settings = ensure_instance(home, args.cases)
    services = bootstrap(settings, inline_projections=False)
    events = services.app.recorder.max_notification_id() or 0
    figures: dict[str, list[float]] = {"floor": [], "rebuild, 1 process": [], "parallel": []}
    for round_number in range(1, args.rounds + 1):
        n, seconds = floor(services.app)
        figures["floor"].append(n / seconds)
        _, seconds = services.runner.rebuild()
        figures["rebuild, 1 process"].append(events / seconds)
        _, seconds = rebuild_in_parallel(
            settings, services.runner, read_models=read_models, workers=args.workers
        )
        figures["parallel"].append(events / seconds)
        print(
            f"round {round_number}: "
            + ", ".join(f"{k} {v[-1]:,.0f} ev/s" for k, v in figures.items())
        )
    medians = {k: statistics.median(v) for k, v in figures.items()}
    db = settings.sqlite_path.stat().st_size + (settings.home / "views.db").stat().st_size
    print(f"cores: {os.cpu_count()}, events: {events:,}, database files: {db / 1e6:,.0f} MB")
    print(f"| measure | events/s (median of {args.rounds}) | ratio to floor |")
    print("|---|---|---|")
    for name, value in medians.items():
        label = f"rebuild, {args.workers} processes" if name == "parallel" else name
        print(f"| {label} | {value:,.0f} | {value / medians['floor']:.2f} |")
    services.close()


if __name__ == "__main__":
    main()
