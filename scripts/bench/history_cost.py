"""What the views' history (docs/read-side.md, "as_of: views kept temporally") adds to each
command's catch-up: the same commands with the ledger's history written and not, interleaved.

    .venv/bin/python -m scripts.bench.history_cost [--backend sqlite|postgres] [--commands N]

Each command (a progress note, one event, on one of the pool's cases, as figure 1) is saved
without the inline catch-up, then the views are caught up and that catch-up alone is timed;
odd commands with the history, even ones without (so the machine's load weighs on both alike).
Rebuild figures come from `xinfang rebuild` itself (it prints its events/s).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from projections.bootstrap import bootstrap
from projections.ledger_projection import LedgerProjection
from scripts.bench.common import build_county, fresh_instance, median, populate, progress


def main() -> None:
    """Print the median catch-up of a command, with and without the history, in ms."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="sqlite", choices=("sqlite", "postgres"))
    parser.add_argument("--commands", type=int, default=400)
    parser.add_argument("--cases", type=int, default=200)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as folder,
        fresh_instance(args.backend, Path(folder) / "home") as settings,
    ):
        services = bootstrap(settings)
        try:
            county = build_county(services.app)
            populate(services, county, cases=args.cases, history_events=10)
            ledger = next(p for p in services.runner.projections if isinstance(p, LedgerProjection))
            app = services.app
            listeners = list(app.listeners)
            spent: dict[bool, list[float]] = {True: [], False: []}
            for i in range(args.commands):
                ledger.history = bool(i % 2)
                app.listeners.clear()
                progress(app, county, county.pool[i % len(county.pool)])
                app.listeners[:] = listeners
                started = time.perf_counter()
                services.runner.catch_up()
                spent[ledger.history].append(time.perf_counter() - started)
            ledger.history = True
        finally:
            services.close()
    with_history, without = median(spent[True]) * 1000, median(spent[False]) * 1000
    print(
        f"{args.backend}: catch-up of one command, median of {len(spent[True])} each: "
        f"{with_history:.2f} ms with the history, {without:.2f} ms without "
        f"(+{with_history - without:.2f} ms, {with_history / without - 1:+.0%})"
    )


if __name__ == "__main__":
    main()
