"""Side by side with the CRUD peer (issue 11): xinfang, the conventional stack and the bare floor,
served the same way (gunicorn gthread, 2 workers, `serve --reuse-port`) and loaded by `wrk` (2
threads × 16 connections), in one run, on SQLite and PostgreSQL; plus commands/s at 1, 2 and 4
workers on PostgreSQL. With the workers on one shared socket, wrk's 16 connections, opened at
once and kept for the window, could all go to whichever worker accepted first: the figures then
measured that lottery (half the throughput in about half the windows); `--reuse-port` has the
kernel spread them over the workers, on all three servers alike.

Both sides hold the same data: CASES cases, each with VISITS visits (xinfang: a case in
progress, 5 events to get there, then the visits: 30 events), registered with the same body.
The requests: register a case (the clerk), record a visit on a random case (its handler), GET a
random case as a viewer who sees the petitioner (the supervisor: every xinfang read saves an
access record; the peer logs nothing), GET its history. Each (request, side) is measured for
WINDOW seconds per round, the rounds interleaved; the figure is the median of the rounds.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from domain.application import Context
from domain.commands import RecordVisit
from domain.values import VisitKind
from projections.bootstrap import bootstrap
from projections.settings import Settings
from scripts.bench.common import (
    NOTE,
    PETITIONER,
    build_county,
    fresh_instance,
    median,
    open_case,
    pg_connect,
)
from scripts.bench.served import HOST, REPO, Server, answers, free_port, server_env, stop

CASES = 300
VISITS = 25
WINDOW = 5.0
ROUNDS = 3
WRK = ("-t2", "-c16", "--timeout", "10s")
"""2 threads, 16 connections; a request counts however long it takes (up to 10 s, not wrk's 2)."""
REQUESTS = ("register", "visit", "case", "history")
LABELS = {
    "register": "register a case",
    "visit": "record a visit",
    "case": "GET a case (sees identity)",
    "history": "GET its history (30 events)",
    "bare": "bare Flask {ok: true}",
}


@dataclass
class Load:
    """What one wrk run measured."""

    rate: float
    p50_ms: float
    p99_ms: float
    errors: int
    """Answers other than 2xx/3xx, and requests unanswered within wrk's timeout."""


@dataclass
class Comparison:
    """Every round of every (request, side) on one store."""

    backend: str
    rounds: dict[str, dict[str, list[Load]]] = field(default_factory=dict)
    """side → request → the rounds."""
    scaling: dict[int, dict[str, list[Load]]] = field(default_factory=dict)
    """workers → request → the rounds (xinfang, PostgreSQL)."""

    def median_rate(self, side: str, request: str) -> float:
        return median([r.rate for r in self.rounds.get(side, {}).get(request, [])])

    def median_p99(self, side: str, request: str) -> float:
        return median([r.p99_ms for r in self.rounds.get(side, {}).get(request, [])])


def wrk_available() -> bool:
    """Whether `wrk` (Debian package `wrk`) and the peer's libraries (the `bench` extra) are
    installed."""
    try:
        import sqlalchemy_continuum  # noqa: F401
    except ImportError:
        return False
    return shutil.which("wrk") is not None


# -- wrk -------------------------------------------------------------------------------------
def lua(method: str, paths: list[str], body: dict[str, Any] | None, token: str) -> str:
    """A wrk script sending `method` to a random one of `paths` with `body` as `token`."""
    quoted = ",".join(json.dumps(p) for p in paths)
    text = json.dumps(json.dumps(body, ensure_ascii=False), ensure_ascii=False) if body else "nil"
    return f"""
local paths = {{{quoted}}}
local body = {text}
wrk.method = "{method}"
wrk.headers["Authorization"] = "Bearer {token}"
wrk.headers["Content-Type"] = "application/json"
local seeded = false
request = function()
  if not seeded then math.randomseed(os.time() + math.floor(os.clock() * 1e6)); seeded = true end
  return wrk.format("{method}", paths[math.random(#paths)], nil, body)
end
"""


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
LATENCY = re.compile(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)


def run_wrk(
    port: int, script: str, seconds: float, folder: Path, options: Sequence[str] = WRK
) -> Load:
    """One wrk run (`options`: threads, connections, timeout); its requests/s, p50, p99 and
    non-2xx/3xx answers."""
    path = folder / "load.lua"
    path.write_text(script)
    done = subprocess.run(
        ["wrk", *options, f"-d{seconds:g}s", "--latency", "-s", str(path), f"http://{HOST}:{port}"],
        capture_output=True,
        text=True,
        check=False,
    )
    out = done.stdout
    if "Requests/sec" not in out:
        raise RuntimeError(f"wrk failed: {done.stdout} {done.stderr}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    found = {q: float(v) * UNITS[u] for q, v, u in LATENCY.findall(out)}
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    failed = re.search(r"Socket errors:.*?timeout (\d+)", out)
    return Load(
        rate=rate,
        p50_ms=found.get("50", float("nan")),
        p99_ms=found.get("99", float("nan")),
        errors=(int(errors[1]) if errors else 0) + (int(failed[1]) if failed else 0),
    )


# -- servers ---------------------------------------------------------------------------------
@contextmanager
def serve(
    name: str, module: str, env: dict[str, str], logs: Path, workers: int
) -> Iterator[Server]:
    """`python -m MODULE serve` with `workers` workers on a free port, stopped afterwards."""
    port = free_port()
    log = logs / f"{name}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", module, "serve", "--host", HOST, "--port", str(port),
             "--workers", str(workers), "--reuse-port"],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    server = Server(name=name, process=process, port=port, log=log)
    try:
        deadline = time.monotonic() + 90
        while not (len(server.workers()) == workers and answers(port)):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not come up: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield server
    finally:
        stop(process)


# -- data ------------------------------------------------------------------------------------
REGISTRATION = {
    "channel": "visit",
    "category": "claim",
    "subject": "拖欠农民工工资",
    "content": "某建筑工地拖欠工资三个月，多次讨要无果。",
    "petitioners": [
        {
            "name": PETITIONER.name,
            "id_number": PETITIONER.id_number,
            "phone": PETITIONER.phone,
            "address": PETITIONER.address,
        }
    ],
    "location": "城关镇",
}


@dataclass
class Side:
    """One side's server module, environment, tokens and case paths."""

    module: str
    env: dict[str, str]
    tokens: dict[str, str]
    cases: list[str]
    held_at: str

    def script(self, request: str) -> str:
        if request == "register":
            return lua("POST", ["/api/v1/cases"], REGISTRATION, self.tokens["clerk"])
        if request == "visit":
            body = {"kind": "home_visit", "held_at": self.held_at, "notes": NOTE}
            return lua("POST", [f"{c}/visits" for c in self.cases], body, self.tokens["handler"])
        if request == "case":
            return lua("GET", self.cases, None, self.tokens["supervisor"])
        return lua("GET", [f"{c}/history" for c in self.cases], None, self.tokens["supervisor"])


def xinfang_side(settings: Settings) -> Side:
    """The xinfang instance: the county, CASES cases in progress with VISITS visits each."""
    services = bootstrap(settings, inline_projections=False)
    try:
        app = services.app
        county = build_county(app)
        cases = [open_case(app, county, f"拖欠工资 第{i}号") for i in range(CASES)]
        handler = Context(county.actors["handler"])
        held = app.clock()
        for start in range(0, CASES, 50):
            with app.batch():
                for case_id in cases[start : start + 50]:
                    for _ in range(VISITS):
                        visit = RecordVisit(
                            case_id=case_id, kind=VisitKind.HOME_VISIT, held_at=held, notes=NOTE
                        )
                        app.execute(visit, handler)
        services.runner.catch_up()
        return Side(
            module="scripts.cli",
            env=server_env(settings),
            tokens=county.tokens,
            cases=[f"/api/v1/cases/{c}" for c in cases],
            held_at=datetime.now(UTC).isoformat(),
        )
    finally:
        services.close()


def peer_side(url: str, settings: Settings) -> Side:
    """The peer's database with the same cases and visits."""
    from sqlalchemy.orm import sessionmaker

    from scripts.bench import peer

    peer.create_schema(url)
    engine = peer.engine_for(url)
    sessions = sessionmaker(engine, expire_on_commit=False)
    tokens = {}
    with sessions() as session:
        for who in ("clerk", "handler", "supervisor"):
            tokens[who] = peer.add_user(session, who, who)
        session.commit()
        ids = []
        held = datetime.now(UTC).isoformat()
        for _ in range(CASES):
            case = peer.register(session, REGISTRATION, "clerk")
            session.commit()
            for _ in range(VISITS):
                peer.record_visit(session, case, {"kind": "home_visit", "held_at": held}, "h")
                session.commit()
            ids.append(case.id)
    engine.dispose()
    return Side(
        module="scripts.bench.peer",
        env={**server_env(settings), "PEER_DATABASE_URL": url},
        tokens=tokens,
        cases=[f"/api/v1/cases/{i}" for i in ids],
        held_at=datetime.now(UTC).isoformat(),
    )


@contextmanager
def peer_database(backend: str, folder: Path) -> Iterator[str]:
    """The peer's database URL: a SQLite file, or a PostgreSQL schema dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'peer.db'}"
        return
    schema = f"bench_peer_{int(time.time())}"
    with pg_connect() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield (
            f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
        )
    finally:
        with pg_connect() as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


# -- the comparison --------------------------------------------------------------------------
def compare(backend: str, *, rounds: int = ROUNDS, window: float = WINDOW) -> Comparison:
    """Every request on both sides and the bare floor, `rounds` times interleaved."""
    figures = Comparison(backend)
    with tempfile.TemporaryDirectory(prefix=f"xinfang-compare-{backend}-") as tmp:
        folder = Path(tmp)
        with (
            fresh_instance(backend, folder / "home") as settings,
            peer_database(backend, folder) as url,
        ):
            print(f"  {backend}: building both sides", flush=True)
            ours = xinfang_side(settings)
            theirs = peer_side(url, settings)
            bare_env = server_env(settings)
            with (
                serve("bare", "scripts.bench.bare", bare_env, folder, 2) as bare,
                serve("peer", theirs.module, theirs.env, folder, 2) as peer_server,
                serve("xinfang", ours.module, ours.env, folder, 2) as xinfang,
            ):
                bare_script = lua("GET", ["/api/v1/bare"], None, "-")
                for n in range(rounds):
                    print(f"  {backend}: round {n + 1}", flush=True)
                    load = run_wrk(bare.port, bare_script, window, folder)
                    figures.rounds.setdefault("bare", {}).setdefault("bare", []).append(load)
                    for request in REQUESTS:
                        for side, server, data in (
                            ("peer", peer_server, theirs),
                            ("xinfang", xinfang, ours),
                        ):
                            load = run_wrk(server.port, data.script(request), window, folder)
                            figures.rounds.setdefault(side, {}).setdefault(request, []).append(load)
            if backend == "postgres":
                for workers in (1, 2, 4):
                    print(f"  {backend}: xinfang with {workers} workers", flush=True)
                    with serve(f"x{workers}", ours.module, ours.env, folder, workers) as server:
                        for request in ("register", "visit"):
                            for _ in range(max(1, rounds - 1)):
                                load = run_wrk(server.port, ours.script(request), window, folder)
                                figures.scaling.setdefault(workers, {}).setdefault(
                                    request, []
                                ).append(load)
        kept = Path(tempfile.gettempdir()) / f"xinfang-compare-logs-{backend}"
        kept.mkdir(exist_ok=True)
        for log in folder.glob("*.log"):
            shutil.copy(log, kept / log.name)
    return figures


def fmt(value: float, digits: int = 0) -> str:
    return "–" if value != value else f"{value:,.{digits}f}"  # noqa: PLR0124 (NaN)


TARGETS = {
    ("sqlite", "register"): 3.0,
    ("sqlite", "visit"): 3.0,
    ("sqlite", "case"): 1.5,
    ("sqlite", "history"): 2.0,
    ("postgres", "register"): 2.0,
    ("postgres", "visit"): 2.0,
    ("postgres", "case"): 1.5,
    ("postgres", "history"): 1.5,
}
P99_TARGET = {"sqlite": 100.0, "postgres": 150.0}


def table(results: list[Comparison]) -> str:
    """The comparison as markdown: rates, ratios to the peer and to the bare floor, p99."""
    lines = [
        "| store | request | peer req/s | xinfang req/s | ratio to peer | target | "
        "xinfang / bare | peer p99 ms | xinfang p99 ms | p99 target | non-2xx or timeouts |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        bare = result.median_rate("bare", "bare")
        lines.append(
            f"| {result.backend} | {LABELS['bare']} | – | {fmt(bare)} (floor) | – | – | 1.00 | "
            f"– | {fmt(result.median_p99('bare', 'bare'), 1)} | – | – |"
        )
        for request in REQUESTS:
            peer = result.median_rate("peer", request)
            ours = result.median_rate("xinfang", request)
            ratio = ours / peer if peer else float("nan")
            target = TARGETS[(result.backend, request)]
            p99 = result.median_p99("xinfang", request)
            p99_target = P99_TARGET[result.backend] if request in ("register", "visit") else None
            met = "met" if ratio >= target else "**missed**"
            p99_met = (
                "–"
                if p99_target is None
                else f"≤ {p99_target:.0f} " + ("met" if p99 <= p99_target else "**missed**")
            )
            errors = sum(
                r.errors for side in ("peer", "xinfang") for r in result.rounds[side][request]
            )
            lines.append(
                f"| {result.backend} | {LABELS[request]} | {fmt(peer)} | **{fmt(ours)}** | "
                f"**{ratio:.2f}** | ≥ {target} {met} | {ours / bare:.3f} | "
                f"{fmt(result.median_p99('peer', request), 1)} | {fmt(p99, 1)} | {p99_met} | "
                f"{errors} |"
            )
    scaling = [r for r in results if r.scaling]
    for result in scaling:
        lines += [
            "",
            f"xinfang on {result.backend}, commands/s by gunicorn workers (median of rounds):",
            "",
            "| workers | register req/s | register p99 ms | visit req/s | visit p99 ms |",
            "|---|---|---|---|---|",
        ]
        for workers, loads in sorted(result.scaling.items()):
            reg, vis = loads.get("register", []), loads.get("visit", [])
            lines.append(
                f"| {workers} | {fmt(median([r.rate for r in reg]))} | "
                f"{fmt(median([r.p99_ms for r in reg]), 1)} | "
                f"{fmt(median([r.rate for r in vis]))} | "
                f"{fmt(median([r.p99_ms for r in vis]), 1)} |"
            )
    return "\n".join(lines)


def main() -> None:
    """`python -m scripts.bench.compare [sqlite|postgres|both] [rounds] [window]`."""
    which = sys.argv[1] if len(sys.argv) > 1 else "both"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else ROUNDS
    window = float(sys.argv[3]) if len(sys.argv) > 3 else WINDOW
    backends = ("sqlite", "postgres") if which == "both" else (which,)
    print(table([compare(b, rounds=rounds, window=window) for b in backends]))


if __name__ == "__main__":
    main()
