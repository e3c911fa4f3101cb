"""HTTP figures: `xinfang serve --workers 2` and a bare server, 16 keep-alive clients, loopback."""

from __future__ import annotations

import http.client
import json
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from projections.settings import Settings
from scripts.bench.bare import BARE_PATH
from scripts.bench.common import NOTE, County, median, percentile

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
WORKERS = 2
CLIENTS = 16
REQUEST_TIMEOUT = 30.0
TICK = os.sysconf("SC_CLK_TCK")

Request = tuple[str, str, bytes | None, dict[str, str]]
"""Method, path, body, headers."""
Factory = Callable[[int, int, random.Random], Request]
"""(client index, its sequence number, its random generator) → the request to send."""


# -- processes -------------------------------------------------------------------------------
def free_port() -> int:
    """A TCP port on loopback nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(settings: Settings) -> dict[str, str]:
    """The environment of a `xinfang` process over the instance."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PERSISTENCE_MODULE"} and not k.startswith("POSTGRES_")
    }
    return {
        **env,
        "XINFANG_HOME": str(settings.home),
        "PERSISTENCE_MODULE": settings.persistence_module,
        **settings.extra_env,
        "PYTHONPATH": str(REPO),
    }


@dataclass
class Server:
    """A gunicorn master started by the suite, and where its output goes."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def workers(self) -> list[int]:
        """The master's worker processes."""
        found: set[int] = set()
        for task in Path(f"/proc/{self.process.pid}/task").glob("*"):
            try:
                found.update(int(p) for p in (task / "children").read_text().split())
            except OSError:
                continue
        return sorted(found)

    def cpu_seconds(self) -> float:
        """CPU time used so far by the master and its workers."""
        return sum(process_cpu(pid) for pid in [self.process.pid, *self.workers()])

    def tracebacks(self) -> int:
        """Tracebacks in the server's output."""
        return self.log.read_text(errors="replace").count("Traceback")


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of one process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def postgres_cpu() -> float:
    """CPU seconds used so far by every PostgreSQL process of the machine."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if "(postgres)" in text:
            total += process_cpu(int(stat.parent.name))
    return total


@contextmanager
def serving(name: str, module: str, settings: Settings, logs: Path) -> Iterator[Server]:
    """`python -m MODULE serve` on a free loopback port with 2 workers, stopped afterwards."""
    port = free_port()
    log = logs / f"{name}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                module,
                "serve",
                "--host",
                HOST,
                "--port",
                str(port),
                "--workers",
                str(WORKERS),
            ],
            env=server_env(settings),
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(name=name, process=process, port=port, log=log)
    try:
        wait_until_up(server)
        yield server
    finally:
        stop(process)


def wait_until_up(server: Server, timeout: float = 90) -> None:
    """Until the server answers and both workers are up."""
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            msg = f"{server.name} exited: {server.log.read_text(errors='replace')[-3000:]}"
            raise RuntimeError(msg)
        if len(server.workers()) == WORKERS and answers(server.port):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{server.name} did not come up in {timeout:.0f} s")
        time.sleep(0.2)


def answers(port: int) -> bool:
    """Whether anything answers HTTP on `port`."""
    conn = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        conn.request("GET", "/api/v1/health")
        conn.getresponse().read()
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()
    return True


def stop(process: subprocess.Popen[bytes], timeout: float = 30) -> int:
    """SIGTERM to the master (gunicorn stops its workers), SIGKILL to its session if stuck;
    returns the exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode


# -- clients ---------------------------------------------------------------------------------
@dataclass
class Sample:
    """One request: when it started and ended (perf_counter) and its status (None: no answer)."""

    started: float
    ended: float
    status: int | None


class Client(threading.Thread):
    """One user: a keep-alive HTTP/1.1 connection sending requests until `stop_at`."""

    def __init__(
        self, index: int, port: int, factory: Factory, go: threading.Barrier, stop_at: float
    ) -> None:
        super().__init__(name=f"bench-client-{index}", daemon=True)
        self.index = index
        self.port = port
        self.factory = factory
        self.go = go
        self.stop_at = stop_at
        self.rng = random.Random(index)
        self.samples: list[Sample] = []

    def run(self) -> None:
        """Send requests back to back until the end of the measurement."""
        conn = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
        self.go.wait()
        seq = 0
        while time.perf_counter() < self.stop_at:
            method, path, body, headers = self.factory(self.index, seq, self.rng)
            seq += 1
            started = time.perf_counter()
            status: int | None
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException):
                conn.close()
                status = None
            self.samples.append(Sample(started, time.perf_counter(), status))
        conn.close()


@dataclass
class Load:
    """One measurement: requests completed in the window, latencies, where the CPU went."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    statuses: dict[str, int]
    server_cpu_ms: float
    """Server CPU (master and workers) per request, ms."""
    client_cpu_ms: float
    """This process's CPU (the 16 client threads) per request, ms."""
    db_cpu_ms: float
    """PostgreSQL processes' CPU per request, ms (0 on SQLite)."""

    @property
    def per_second(self) -> float:
        """Requests completed per second of the window."""
        return self.requests / self.seconds


def drive(
    server: Server,
    factory: Factory,
    *,
    seconds: float,
    warmup: float,
    clients: int = CLIENTS,
    postgres: bool = False,
) -> Load:
    """`clients` clients for warmup + seconds; only requests inside the window count."""
    go = threading.Barrier(clients + 1)
    begin = time.perf_counter() + 0.05
    window_start = begin + warmup
    window_end = window_start + seconds
    threads = [Client(i, server.port, factory, go, window_end) for i in range(clients)]
    for thread in threads:
        thread.start()
    go.wait()
    while time.perf_counter() < window_start:
        time.sleep(0.005)
    cpu = (server.cpu_seconds(), own_cpu(), postgres_cpu() if postgres else 0.0)
    for thread in threads:
        thread.join(timeout=seconds + warmup + REQUEST_TIMEOUT + 10)
    # The window ends at window_end; requests still running then are not counted.
    after = (server.cpu_seconds(), own_cpu(), postgres_cpu() if postgres else 0.0)
    samples = [
        s
        for thread in threads
        for s in thread.samples
        if s.started >= window_start and s.ended <= window_end
    ]
    latencies = [(s.ended - s.started) * 1000 for s in samples if s.status is not None]
    statuses = Counter("none" if s.status is None else str(s.status) for s in samples)
    # CPU is read from the start of the window until every client stopped: per request ended
    # in that interval.
    count = max(sum(s.ended >= window_start for t in threads for s in t.samples), 1)
    return Load(
        requests=len(samples),
        seconds=seconds,
        p50_ms=percentile(latencies, 0.5),
        p99_ms=percentile(latencies, 0.99),
        statuses=dict(sorted(statuses.items())),
        server_cpu_ms=(after[0] - cpu[0]) * 1000 / count,
        client_cpu_ms=(after[1] - cpu[1]) * 1000 / count,
        db_cpu_ms=(after[2] - cpu[2]) * 1000 / count,
    )


def own_cpu() -> float:
    """CPU seconds of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- what the clients send -------------------------------------------------------------------
def _headers(token: str, body: bool = False) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    if body:
        headers["Content-Type"] = "application/json"
    return headers


def workloads(county: County, clients: int = CLIENTS) -> dict[str, Factory]:
    """The endpoints measured, by label; the bare endpoint first."""
    tokens = county.tokens
    pool = [str(c) for c in county.pool]
    note = json.dumps({"note": NOTE}, ensure_ascii=False).encode()
    pages = max(1, min(4, len(pool) // 20))

    def bare(index: int, seq: int, rng: random.Random) -> Request:
        return "GET", BARE_PATH, None, _headers(tokens["supervisor"])

    def command(index: int, seq: int, rng: random.Random) -> Request:
        # Each client cycles through its own share of the pool: no two clients write one case.
        mine = pool[index::clients] or pool
        case_id = mine[seq % len(mine)]
        path = f"/api/v1/cases/{case_id}/progress"
        return "POST", path, note, _headers(tokens["handler"], body=True)

    def case_masked(index: int, seq: int, rng: random.Random) -> Request:
        return "GET", f"/api/v1/cases/{rng.choice(pool)}", None, _headers(tokens["leader"])

    def case_disclosing(index: int, seq: int, rng: random.Random) -> Request:
        return "GET", f"/api/v1/cases/{rng.choice(pool)}", None, _headers(tokens["supervisor"])

    def ledger(index: int, seq: int, rng: random.Random) -> Request:
        path = f"/api/v1/ledger?page_size=20&page={rng.randint(1, pages)}"
        return "GET", path, None, _headers(tokens["supervisor"])

    return {
        BARE: bare,
        COMMAND: command,
        CASE_MASKED: case_masked,
        CASE_DISCLOSING: case_disclosing,
        LEDGER: ledger,
    }


BARE = "bare Flask {ok: true}"
COMMAND = "POST /cases/{id}/progress"
CASE_MASKED = "GET /cases/{id} (masked)"
CASE_DISCLOSING = "GET /cases/{id} (disclosing)"
LEDGER = "GET /ledger?page_size=20"
SHORT = {
    BARE: "bare Flask",
    COMMAND: "command\n(progress)",
    CASE_MASKED: "GET case\nmasked",
    CASE_DISCLOSING: "GET case\ndisclosing",
    LEDGER: "GET ledger\n20 rows",
}
"""Labels for the chart."""


@dataclass
class HttpFigures:
    """Figure 2 per endpoint (one Load per round) and figure 3 over HTTP (p50/p99 per round)."""

    loads: dict[str, list[Load]] = field(default_factory=dict)
    history_p50: dict[str, list[float]] = field(default_factory=dict)
    history_p99: dict[str, list[float]] = field(default_factory=dict)
    history_requests: int = 0
    tracebacks: int = 0

    def med(self, label: str, attribute: str) -> float:
        """Median over rounds of one attribute of an endpoint's loads."""
        return median([float(getattr(load, attribute)) for load in self.loads[label]])


def run_http(
    settings: Settings,
    county: County,
    logs: Path,
    *,
    rounds: int,
    seconds: float,
    warmup: float,
    history_requests: int,
) -> HttpFigures:
    """Both servers up side by side; per round every endpoint in turn, then history latency."""
    figures = HttpFigures()
    loads = workloads(county)
    with (
        serving("xinfang", "scripts.cli", settings, logs) as api,
        serving("bare", "bench.bare", settings, logs) as bare,
    ):
        for label in loads:
            figures.loads[label] = []
        for round_number in range(rounds):
            order = list(loads.items())
            if round_number % 2:
                order = [order[0], *reversed(order[1:])]
            for label, factory in order:
                server = bare if label == BARE else api
                load = drive(
                    server, factory, seconds=seconds, warmup=warmup, postgres=settings.is_postgres
                )
                figures.loads[label].append(load)
                print(
                    f"  round {round_number + 1} {label}: {load.per_second:,.0f}/s "
                    f"p50 {load.p50_ms:.1f} ms p99 {load.p99_ms:.1f} ms {load.statuses}",
                    flush=True,
                )
            p50, p99 = history_over_http(api, county, history_requests)
            for label in p50:
                figures.history_p50.setdefault(label, []).append(p50[label])
                figures.history_p99.setdefault(label, []).append(p99[label])
        figures.history_requests = history_requests * rounds
        figures.tracebacks = api.tracebacks() + bare.tracebacks()
    return figures


def history_over_http(
    server: Server, county: County, requests: int
) -> tuple[dict[str, float], dict[str, float]]:
    """One client, one request at a time: the history of the long case, per viewer."""
    assert county.long_case is not None
    path = f"/api/v1/cases/{county.long_case}/history"
    viewers = {"masked (former sponsor)": "leader", "disclosing (auditor)": "auditor"}
    conn = http.client.HTTPConnection(HOST, server.port, timeout=REQUEST_TIMEOUT)
    samples: dict[str, list[float]] = {label: [] for label in viewers}
    try:
        for i in range(requests + 5):
            order: Sequence[tuple[str, str]] = list(viewers.items())
            if i % 2:
                order = list(reversed(order))
            for label, who in order:
                started = time.perf_counter()
                conn.request("GET", path, headers=_headers(county.tokens[who]))
                response = conn.getresponse()
                response.read()
                elapsed = (time.perf_counter() - started) * 1000
                if response.status != 200:
                    raise RuntimeError(f"history answered {response.status}")
                if i >= 5:  # the first few warm up both workers' connections and caches
                    samples[label].append(elapsed)
    finally:
        conn.close()
    p50 = {label: percentile(values, 0.5) for label, values in samples.items()}
    p99 = {label: percentile(values, 0.99) for label, values in samples.items()}
    return p50, p99
