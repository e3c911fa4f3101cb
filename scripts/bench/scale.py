"""Scale: a large SQLite instance: file sizes, the ledger (test client and served), verify.

The ledger is read as a supervisor of its directory through the Flask test client, with a token
issued for the run and revoked after it (two small events); each page that shows petitioners
saves its access record, as it does for any reader. If the views are behind the log the ledger
is not measured.

The same pages are then asked of the instance served as `xinfang serve` serves it (gunicorn, 2
workers, the views caught up by each worker's follower thread off the request path), one request
at a time (wrk, 1 connection): what a clerk waits for. In the test client the views' catch-up
after each access record, with SQLite's WAL checkpoint of the views every thousand pages, runs in
the request itself, which a served request never waits for.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask.testing import FlaskClient

from api import create_app
from domain.cases import local_date
from domain.directory import SYSTEM_ACTOR
from domain.values import Role
from projections.bootstrap import Services, bootstrap
from projections.ledger import LedgerQuery
from projections.replay import ledger_at
from projections.settings import Settings
from scripts.bench.common import median, percentile
from scripts.bench.compare import lua, run_wrk, serve, wrk_available
from scripts.bench.served import server_env

REPO = Path(__file__).resolve().parents[1]
VERIFIED = re.compile(r"已核验 ([\d,]+) 条事件.*用时 ([\d.]+) 秒（每秒 ([\d,]+) 条）")
"""`xinfang verify`'s summary line: events, seconds, events/s (tests/cli/test_verify_cli.py)."""


@dataclass
class ScaleFigures:
    """Figure 5."""

    home: str
    events: int = 0
    cases: int = 0
    files: dict[str, int] = field(default_factory=dict)
    """Bytes per file of the instance (events, views, their WAL files)."""
    ledger_p50: dict[str, list[float]] = field(default_factory=dict)
    ledger_p99: dict[str, list[float]] = field(default_factory=dict)
    ledger_totals: dict[str, int] = field(default_factory=dict)
    ledger_requests: int = 0
    ledger_skipped: str | None = None
    served_p50: dict[str, list[float]] = field(default_factory=dict)
    """The ledger pages served (SERVED_WORKERS workers, one connection): p50 ms per round."""
    served_p99: dict[str, list[float]] = field(default_factory=dict)
    served_rates: dict[str, list[float]] = field(default_factory=dict)
    """Requests answered per second, one at a time."""
    served_seconds: float = 0.0
    """How long each filter was asked for in a round."""
    served_skipped: str | None = None
    verify_seconds: list[float] = field(default_factory=list)
    """Wall time of each `xinfang verify` run (process start to exit)."""
    verify_rates: list[float] = field(default_factory=list)
    """Events/s each run printed (its own timing of the check)."""
    verify_ok: bool = True
    as_of: list[AsOfFigure] = field(default_factory=list)
    """`as_of` answers at an early, a middle and a late moment, beside the same page live."""


@dataclass(frozen=True)
class AsOfFigure:
    """One `GET ...?as_of=` answer: where in the log, and how long."""

    moment: str
    """early, middle, late."""
    page: str
    position: int
    seconds: float
    """From the views' history (docs/read-side.md, "as_of: views kept temporally"): the first
    request for the moment (its pages often read from the disk: cold)."""
    again: float
    """The same request right after (its pages in memory: warm)."""
    live: float
    """The same page without `as_of` (the first request)."""
    live_again: float
    """The same page without `as_of`, right after."""
    replay: float | None
    """The ledger page from a replay of the log up to the moment (the former way; None: not
    measured, XINFANG_BENCH_REPLAY unset)."""


def file_sizes(home: Path) -> dict[str, int]:
    """Sizes of the instance's database files, as found."""
    names = ("xinfang.db", "xinfang.db-wal", "views.db", "views.db-wal")
    return {name: (home / name).stat().st_size for name in names if (home / name).exists()}


def ledger_queries(unit_id: str) -> dict[str, str]:
    """Typical ledger pages (page_size 50), by label."""
    return {
        "newest first (no filter)": "",
        "status=in_progress": "&status=in_progress",
        "overdue=true": "&overdue=true",
        "unit_id=<a unit>": f"&unit_id={unit_id}",
        "category=claim&received_from": "&category=claim&received_from=2025-01-01",
        "flag=key_case": "&flag=key_case",
        "q=工资 (text search)": "&q=工资",
        "status=in_progress, page 100": "&status=in_progress&page=100",
    }


SERVED_WORKERS = 2
SERVED_SECONDS = 5.0
ONE_AT_A_TIME = ("-t1", "-c1", "--timeout", "10s")
"""wrk: one thread, one connection: each request is sent when the last is answered."""


def measure_served(
    home: Path,
    token: str,
    queries: dict[str, str],
    figures: ScaleFigures,
    *,
    rounds: int,
    seconds: float = SERVED_SECONDS,
) -> None:
    """The ledger pages of `queries` as `xinfang serve` answers them, one request at a time:
    a warm-up second per filter, then `rounds` rounds of `seconds` per filter."""
    if not wrk_available():
        figures.served_skipped = "wrk (Debian package wrk) or the bench extra is not installed"
        return
    figures.served_seconds = seconds
    env = server_env(Settings(home=home))
    paths = {
        label: quote(f"/api/v1/ledger?page_size=50{query}", safe="/?&=")
        for label, query in queries.items()
    }
    with (
        tempfile.TemporaryDirectory(prefix="xinfang-bench-scale-") as tmp,
        serve("xinfang-scale", "scripts.cli", env, Path(tmp), SERVED_WORKERS) as server,
    ):
        folder = Path(tmp)
        for warm_up in (True, *([False] * rounds)):
            for label, path in paths.items():
                script = lua("GET", [path], None, token)
                window = 1.0 if warm_up else seconds
                load = run_wrk(server.port, script, window, folder, ONE_AT_A_TIME)
                if load.errors:
                    raise RuntimeError(f"{label}: {load.errors} failed answers; see {server.log}")
                if not warm_up:
                    figures.served_p50.setdefault(label, []).append(load.p50_ms)
                    figures.served_p99.setdefault(label, []).append(load.p99_ms)
                    figures.served_rates.setdefault(label, []).append(load.rate)


def measure_scale(
    home: Path,
    *,
    rounds: int,
    requests: int,
    verify_runs: int,
    as_of: bool = True,
    served: bool = True,
) -> ScaleFigures:
    """Sizes first (before anything opens the files), then the ledger through the test client
    and, with `served`, served; then verify. `as_of` off leaves out the replays (at 100,000
    cases one from the start takes minutes, and the checkpoints of the whole log tens of GB:
    docs/read-side.md)."""
    figures = ScaleFigures(home=str(home), files=file_sizes(home))
    services = bootstrap(Settings(home=home))
    try:
        app = services.app
        figures.events = app.recorder.max_notification_id() or 0
        lag = services.runner.lag()
        if lag:
            figures.ledger_skipped = f"the views are {lag:,} positions behind the log"
        else:
            supervisors = [
                u for u in app.users(SYSTEM_ACTOR) if u.role is Role.SUPERVISOR and u.active
            ]
            units = app.units()
            # A real token (two small events), so requests take the real sign-in path.
            issued = app.issue_token(
                SYSTEM_ACTOR, supervisors[0].id, expires_in_days=1, reason="benchmark"
            )
            token = issued.token
            client = create_app(services, {"TESTING": True}).test_client()
            headers = {"Authorization": f"Bearer {token}"}
            queries = ledger_queries(str(units[len(units) // 2].id))
            for _ in range(rounds):
                samples: dict[str, list[float]] = {label: [] for label in queries}
                for i in range(requests + 2):
                    for label, query in queries.items():
                        started = time.perf_counter()
                        response = client.get(
                            f"/api/v1/ledger?page_size=50{query}", headers=headers
                        )
                        elapsed = (time.perf_counter() - started) * 1000
                        assert response.status_code == 200, response.get_data(as_text=True)
                        body = response.get_json()
                        figures.ledger_totals[label] = int(body["total"])
                        if i >= 2:  # the first two warm the page cache
                            samples[label].append(elapsed)
                for label, values in samples.items():
                    figures.ledger_p50.setdefault(label, []).append(percentile(values, 0.5))
                    figures.ledger_p99.setdefault(label, []).append(percentile(values, 0.99))
            figures.ledger_requests = requests * rounds
            if as_of:
                measure_as_of(services, client, headers, figures)
            figures.cases = figures.ledger_totals.get("newest first (no filter)", 0)
            try:
                if services.runner.lag():
                    figures.ledger_skipped = "the log grew while the ledger was measured"
                elif served:
                    measure_served(home, token, queries, figures, rounds=rounds)
            finally:
                app.revoke_token(
                    SYSTEM_ACTOR, supervisors[0].id, issued.token_id, reason="benchmark"
                )
    finally:
        services.close()
    for _ in range(verify_runs):
        seconds, rate, ok = verify(home)
        figures.verify_seconds.append(seconds)
        figures.verify_rates.append(rate)
        figures.verify_ok = figures.verify_ok and ok
    return figures


AS_OF_MOMENTS = {"early": 0.05, "middle": 0.5, "late": 0.95}
"""Where in the log the `as_of` moments fall (fractions of the log)."""
AS_OF_PAGES = {
    "/ledger": ("/api/v1/ledger", {"page_size": "50"}),
    "/accountability/overdue": ("/api/v1/accountability/overdue", {}),
    "/accountability/ready-to-close": ("/api/v1/accountability/ready-to-close", {}),
    "/ledger.xlsx?flag=key_case": ("/api/v1/ledger.xlsx", {"flag": "key_case"}),
}


def measure_as_of(
    services: Services, client: FlaskClient, headers: dict[str, str], figures: ScaleFigures
) -> None:
    """`as_of` at an early, a middle and a late moment, for every page of AS_OF_PAGES, beside
    the same page live; with XINFANG_BENCH_REPLAY=1 also the ledger page from a replay of the
    log up to each moment (`projections.replay.ledger_at`, what `as_of` did before: minutes at
    county scale)."""
    app = services.app
    moments: dict[str, tuple[int, str]] = {}
    for label, fraction in AS_OF_MOMENTS.items():
        found = app.recorder.select_notifications(
            start=max(1, int(figures.events * fraction)), limit=1
        )
        if found:
            event: Any = app.mapper.to_domain_event(found[0])
            moments[label] = (found[0].id, event.timestamp.isoformat())

    def timed(path: str, params: dict[str, str], moment: str | None) -> float:
        query = {**params, "as_of": moment} if moment else params
        started = time.perf_counter()
        response = client.get(path, query_string=query, headers=headers)
        seconds = time.perf_counter() - started
        assert response.status_code == 200, response.get_data(as_text=True)
        return seconds

    live = {
        page: (timed(path, params, None), timed(path, params, None))
        for page, (path, params) in AS_OF_PAGES.items()
    }
    supervisor = next(
        u.as_actor for u in app.users(SYSTEM_ACTOR) if u.role is Role.SUPERVISOR and u.active
    )
    for label, (position, moment) in moments.items():
        replayed = None
        if os.environ.get("XINFANG_BENCH_REPLAY"):
            started = time.perf_counter()
            with ledger_at(app, services.ledger.sealer, position) as past:
                past.search(supervisor, LedgerQuery(page_size=50), local_date(app.clock()))
            replayed = time.perf_counter() - started
        for page, (path, params) in AS_OF_PAGES.items():
            figures.as_of.append(
                AsOfFigure(
                    moment=label,
                    page=page,
                    position=position,
                    seconds=timed(path, params, moment),
                    again=timed(path, params, moment),
                    live=live[page][0],
                    live_again=live[page][1],
                    replay=replayed if page == "/ledger" else None,
                )
            )


def verify(home: Path) -> tuple[float, float, bool]:
    """`xinfang verify` on the instance: wall seconds, the events/s it printed, and success."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "PERSISTENCE_MODULE" and not k.startswith("POSTGRES_")
    }
    env.update({"XINFANG_HOME": str(home), "PYTHONPATH": str(REPO)})
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "scripts.cli", "verify"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    seconds = time.perf_counter() - started
    found = VERIFIED.search(done.stdout)
    rate = float(found[3].replace(",", "")) if found else float("nan")
    return seconds, rate, done.returncode == 0


def verify_median(figures: ScaleFigures) -> float:
    """Median wall time of the verify runs."""
    return median(figures.verify_seconds)
