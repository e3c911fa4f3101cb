"""In-process figures: the command path against a bare aggregate, and a long case's history."""

from __future__ import annotations

import cProfile
import io
import pstats
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from api import create_app
from projections.bootstrap import Services
from projections.settings import Settings
from scripts.bench.common import NOTE, County, median, percentile, pg_connect, progress


# -- the floor: a bare aggregate in a plain Application ----------------------------------------
class Tally(Aggregate):
    """The smallest useful aggregate: it counts the notes it was given."""

    def __init__(self) -> None:
        """A new tally has counted nothing."""
        self.count = 0

    class Noted(Aggregate.Event):
        """One note was given."""

        note: str

        def apply(self, aggregate: Any) -> None:
            """Count it."""
            aggregate.count += 1

    def noted(self, note: str) -> None:
        """Take one note (one event)."""
        self.trigger_event(self.Noted, note=note)


class Floor(Application[UUID]):
    """The library's own Application with its plain recorder: no audit tree, no read models."""

    name = "BenchFloor"

    def note(self, tally_id: UUID) -> None:
        """Load the tally, give it one note, save: the shape of a command, with nothing else."""
        tally: Tally = self.repository.get(tally_id)
        tally.noted(NOTE)
        self.save(tally)


def floor_env(settings: Settings) -> dict[str, str]:
    """The instance's event store settings (cipher, compressor, SQLite WAL with synchronous FULL
    or the same PostgreSQL schema) without the audit recorder; on SQLite a file of its own in
    the same folder (the library names every SQLite table `stored_events`).
    """
    env = settings.event_store_env()
    del env["APPLICATION_RECORDER_TOPIC"]
    if not settings.is_postgres:
        env["SQLITE_DBNAME"] = str(settings.home / "floor.db")
    return env


# -- figure 1 --------------------------------------------------------------------------------
@dataclass
class CommandFigures:
    """Figure 1 and its breakdown, per round: commands/s, and ms per command of each part."""

    commands: int
    app: list[float] = field(default_factory=list)
    """Commands/s of `Xinfang.execute` with the inline catch-up (the real path)."""
    floor: list[float] = field(default_factory=list)
    """Commands/s of the bare aggregate (load, one event, save)."""
    write_ms: list[float] = field(default_factory=list)
    """Median ms of `execute` without the inline catch-up (load, command, save with the tree)."""
    catch_up_ms: list[float] = field(default_factory=list)
    """Median ms of the catch-up of both views after such a command."""
    commit_ms: list[float] = field(default_factory=list)
    """Median ms of one empty-ish write transaction on the same store (the commit floor)."""

    @property
    def ratio(self) -> float:
        """Median over rounds of app/floor."""
        return median([a / f for a, f in zip(self.app, self.floor, strict=True)])


class CommitProbe:
    """One tiny write transaction on the same store, committed as the library commits: the
    fsync floor (SQLite WAL with synchronous FULL in the same folder; PostgreSQL with its
    default synchronous_commit).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pg: psycopg.Connection[tuple[object, ...]] | None = None
        self.db: sqlite3.Connection | None = None
        if settings.is_postgres:
            self.pg = pg_connect()
            self.pg.execute(f"CREATE TABLE {self.table} (n BIGINT)")
            self.pg.execute(f"INSERT INTO {self.table} VALUES (0)")
        else:
            self.db = sqlite3.connect(self.path, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("CREATE TABLE IF NOT EXISTS bench_commit (n INTEGER)")
            self.db.execute("INSERT INTO bench_commit VALUES (0)")

    @property
    def table(self) -> str:
        """The probe's PostgreSQL table, in the instance's schema."""
        return f'"{self.settings.extra_env.get("POSTGRES_SCHEMA", "public")}".bench_commit'

    @property
    def path(self) -> Path:
        """The probe's SQLite file, beside the instance's."""
        return self.settings.home / "commit.db"

    def __call__(self) -> None:
        """Commit one update."""
        if self.pg is not None:
            with self.pg.transaction():
                self.pg.execute(f"UPDATE {self.table} SET n = n + 1")
        elif self.db is not None:
            self.db.execute("BEGIN")
            self.db.execute("UPDATE bench_commit SET n = n + 1")
            self.db.execute("COMMIT")

    def close(self) -> None:
        """Drop the probe's table or file."""
        if self.pg is not None:
            self.pg.execute(f"DROP TABLE IF EXISTS {self.table}")
            self.pg.close()
        if self.db is not None:
            self.db.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)


def command_path(
    services: Services, county: County, *, rounds: int, commands: int
) -> CommandFigures:
    """Figure 1: the same number of commands on both, interleaved one by one, per round.

    Each round also times, interleaved with them, the write alone (listeners off) followed by
    the catch-up alone, and a bare commit: the breakdown that explains the ratio.
    """
    app = services.app
    floor = Floor(floor_env(services.settings))
    tallies = [Tally() for _ in range(len(county.pool))]
    floor.save(*tallies)
    commit = CommitProbe(services.settings)
    listeners = list(app.listeners)
    figures = CommandFigures(commands=commands)
    try:
        for _ in range(rounds):
            full: list[float] = []
            bare: list[float] = []
            write: list[float] = []
            catch_up: list[float] = []
            commits: list[float] = []
            for i in range(commands):
                case_id = county.pool[i % len(county.pool)]
                tally_id = tallies[i % len(tallies)].id
                steps: list[tuple[list[float], Callable[[], object]]] = [
                    (full, partial(progress, app, county, case_id)),
                    (bare, partial(floor.note, tally_id)),
                    (commits, commit),
                ]
                for sink, step in steps if i % 2 else reversed(steps):
                    started = time.perf_counter()
                    step()
                    sink.append(time.perf_counter() - started)
                app.listeners.clear()
                started = time.perf_counter()
                progress(app, county, case_id)
                write.append(time.perf_counter() - started)
                app.listeners[:] = listeners
                started = time.perf_counter()
                services.runner.catch_up()
                catch_up.append(time.perf_counter() - started)
            figures.app.append(commands / sum(full))
            figures.floor.append(commands / sum(bare))
            figures.write_ms.append(median(write) * 1000)
            figures.catch_up_ms.append(median(catch_up) * 1000)
            figures.commit_ms.append(median(commits) * 1000)
    finally:
        app.listeners[:] = listeners
        floor.close()
        commit.close()
    return figures


def profile_command(services: Services, county: County, commands: int) -> str:
    """cProfile of `commands` commands: the top functions by own time, as text."""
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(commands):
        progress(services.app, county, county.pool[i % len(county.pool)])
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(20)
    return out.getvalue()


# -- figure 3, in-process ----------------------------------------------------------------------
@dataclass
class Latency:
    """Per round: p50 and p99 in ms, and how many requests."""

    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    count: int = 0


def history_in_process(
    services: Services, county: County, *, rounds: int, requests: int
) -> dict[str, Latency]:
    """GET /cases/{id}/history of the long case through the Flask test client, per viewer."""
    assert county.long_case is not None
    client = create_app(services, {"TESTING": True}).test_client()
    path = f"/api/v1/cases/{county.long_case}/history"
    viewers = {"masked (former sponsor)": "leader", "disclosing (auditor)": "auditor"}
    figures = {label: Latency() for label in viewers}
    for _ in range(rounds):
        samples: dict[str, list[float]] = {label: [] for label in viewers}
        for i in range(requests):
            order = list(viewers.items()) if i % 2 else list(reversed(viewers.items()))
            for label, who in order:
                headers = {"Authorization": f"Bearer {county.tokens[who]}"}
                started = time.perf_counter()
                response = client.get(path, headers=headers)
                samples[label].append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.get_data(as_text=True)
        for label, values in samples.items():
            figures[label].p50.append(percentile(values, 0.5))
            figures[label].p99.append(percentile(values, 0.99))
            figures[label].count += len(values)
    return figures


# -- where the time goes ------------------------------------------------------------------------
GROUPS = (
    ("SQLite driver (C), incl. commit", ("sqlite3",)),
    ("psycopg / libpq", ("psycopg",)),
    ("cipher + compression (AES-GCM, zlib)", ("cryptography", "zlib", "_cffi")),
    ("json (stdlib)", ("/json/", "_json")),
    ("chinese_calendar (working days)", ("chinese_calendar",)),
    ("eventsourcing library", ("/eventsourcing/",)),
    ("marshmallow / flask-smorest / webargs", ("marshmallow", "flask_smorest", "webargs")),
    ("Flask / Werkzeug", ("/flask/", "/werkzeug/")),
    ("xinfang domain/", ("/domain/",)),
    ("xinfang api/", ("/api/",)),
    ("xinfang projections/", ("/projections/",)),
)
REST = "rest (below 0.1 ms everywhere)"


def group_of(filename: str, function: str) -> str:
    """The group of one profiled function: by its file, or for a builtin by its name."""
    where = f"{filename} {function}"
    for label, needles in GROUPS:
        if any(needle in where for needle in needles):
            return label
    if filename == "~":
        return "builtins (isinstance, getattr, dict, …)"
    if "site-packages" not in filename and "/lib/python3" in filename:
        return f"stdlib {Path(filename).name}"
    return "other libraries"


def breakdown(profiler: cProfile.Profile, requests: int) -> dict[str, float]:
    """Own time per request (ms) by group, largest first.

    A builtin that no group claims by name (min, isinstance, getattr, …) counts for the group of
    whoever called it, in proportion to the time spent under each caller.
    """
    stats = pstats.Stats(profiler)
    groups: dict[str, float] = {}
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    for (filename, _, function), (_, _, own, _, callers) in raw.items():
        label = group_of(filename, function)
        shares: list[tuple[str, float]] = [(label, own)]
        if filename == "~" and label.startswith("builtins") and callers:
            under = sum(float(c[2]) for c in callers.values()) or 1.0
            shares = [
                (group_of(caller[0], caller[2]), own * float(c[2]) / under)
                for caller, c in callers.items()
            ]
        for group, seconds in shares:
            groups[group] = groups.get(group, 0.0) + seconds * 1000 / requests
    return dict(sorted(groups.items(), key=lambda kv: -kv[1]))


def fold_small(found: dict[str, dict[str, float]], under: float = 0.1) -> None:
    """Fold the groups below `under` ms in every endpoint into REST."""
    small = {
        group
        for by_group in found.values()
        for group in by_group
        if all(other.get(group, 0.0) < under for other in found.values())
    }
    for by_group in found.values():
        rest = sum(by_group.pop(group, 0.0) for group in small)
        by_group[REST] = rest


def profile_endpoints(
    services: Services, county: County, requests: int
) -> dict[str, dict[str, float]]:
    """cProfile of each measured endpoint through the Flask test client, grouped by library.

    The same requests as the HTTP figures (without gunicorn); cProfile inflates pure-Python
    code more than C calls, so the shares are indicative.
    """
    assert county.long_case is not None
    client = create_app(services, {"TESTING": True}).test_client()
    note = {"note": NOTE}
    pool = county.pool

    def auth(who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {county.tokens[who]}"}

    calls: dict[str, Callable[[int], object]] = {
        "POST /cases/{id}/progress": lambda i: client.post(
            f"/api/v1/cases/{pool[i % len(pool)]}/progress", json=note, headers=auth("handler")
        ),
        "GET /cases/{id} (masked)": lambda i: client.get(
            f"/api/v1/cases/{pool[i % len(pool)]}", headers=auth("leader")
        ),
        "GET /cases/{id} (disclosing)": lambda i: client.get(
            f"/api/v1/cases/{pool[i % len(pool)]}", headers=auth("supervisor")
        ),
        "GET /ledger?page_size=20": lambda i: client.get(
            "/api/v1/ledger?page_size=20", headers=auth("supervisor")
        ),
        "GET history, 200 events (masked)": lambda i: client.get(
            f"/api/v1/cases/{county.long_case}/history", headers=auth("leader")
        ),
    }
    found = {}
    for label, call in calls.items():
        call(0)
        profiler = cProfile.Profile()
        profiler.enable()
        for i in range(requests):
            call(i)
        profiler.disable()
        found[label] = breakdown(profiler, requests)
    fold_small(found)
    return found
