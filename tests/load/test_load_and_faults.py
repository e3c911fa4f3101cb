"""Load and faults: 32 clients for 60 s against `xinfang serve`, twice, on each event store.

The second run loses one gunicorn worker and the projection worker (`xinfang project --follow`)
to `kill -9` half-way; gunicorn respawns its worker, the test restarts the projection worker.
A client whose connection dies sends the same command again with the same Idempotency-Key.
Afterwards: no 5xx; every command's marker is in the log exactly once and only the markers that
were sent (nothing lost, nothing phantom); the views have applied every event exactly once and
equal a full `xinfang rebuild`; `xinfang verify` passes; no process logged a traceback.

Opt-in (minutes, real processes, loopback only):

    XINFANG_LOAD=1 .venv/bin/pytest tests/load -q -s

XINFANG_LOAD_SECONDS shortens the runs while working on the test itself.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from domain.application import Xinfang
from projections.bootstrap import Services, Settings, bootstrap
from projections.ledger_projection import CASE_TOPIC
from tests.integration.helpers_read import case_events, head, snapshot

pytestmark = pytest.mark.load

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
CLIENTS = 32
RUN_SECONDS = float(os.environ.get("XINFANG_LOAD_SECONDS", "60"))
IN_PROGRESS_CASES = 96
RESPONDED_CASES = 32
REQUEST_TIMEOUT = 60.0
RETRY_WINDOW = 60.0
"""How long after the end of a run a client keeps retrying a request that got no answer."""
PROJECTOR_DOWN = 5.0
"""Seconds between killing the projection worker and starting it again."""
MARK = "LT"
"""Every command's `reason` is a marker `LT<run>-<kind>-<client>-<seq>`, unique per command."""

EVENT_OF = {
    "register": "Registered",
    "progress": "ProgressRecorded",
    "follow_up": "FollowedUp",
    "flag": "Flagged",
    "visit": "VisitRecorded",
}
READS = ("get_case", "history", "ledger")
MIX = {
    "progress": 20,
    "follow_up": 8,
    "flag": 8,
    "visit": 8,
    "register": 4,
    "get_case": 20,
    "history": 16,
    "ledger": 16,
}
"""Relative weights: about half commands, half reads."""
FLAGS = ("key_case", "backlog", "collective", "skip_level", "urgent", "sensitive")


# -- processes -------------------------------------------------------------------------------
def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def cli_env(settings: Settings) -> dict[str, str]:
    """The environment of `xinfang` processes over the instance under test."""
    return {
        **os.environ,
        "XINFANG_HOME": str(settings.home),
        "PERSISTENCE_MODULE": settings.persistence_module,
        **settings.extra_env,
        "PYTHONPATH": str(REPO),
    }


def run_cli(
    env: dict[str, str], *args: str, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run `xinfang ARGS` to the end."""
    return subprocess.run(
        [sys.executable, "-m", "scripts.cli", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def cli_ok(env: dict[str, str], *args: str) -> str:
    """Run `xinfang ARGS`, insist on success, return stdout."""
    done = run_cli(env, *args)
    assert done.returncode == 0, f"xinfang {' '.join(args)}:\n{done.stdout}{done.stderr}"
    return done.stdout


def spawn(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    """Start `xinfang ARGS` in a session of its own, output appended to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "scripts.cli", *args],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen[bytes], timeout: float = 30) -> int:
    """SIGTERM, then SIGKILL to the whole session if it does not finish in time."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode


def children(pid: int) -> list[int]:
    """The child processes of `pid` (gunicorn's workers, for its master)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return sorted(set(found))


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    """Poll `predicate` until it holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


# -- HTTP ------------------------------------------------------------------------------------
def now_iso() -> str:
    """The present moment as the API expects it."""
    return datetime.now(UTC).isoformat()


@dataclass
class Sample:
    """One attempt: what, its status (None: the connection failed), how long it took."""

    kind: str
    status: int | None
    seconds: float


@dataclass
class Command:
    """One command as the client saw it in the end."""

    marker: str
    kind: str
    status: int | None
    attempts: int


class Connection:
    """A keep-alive HTTP/1.1 connection that sends a request again when the connection dies."""

    def __init__(self, port: int, samples: list[Sample]) -> None:
        self.port = port
        self.samples = samples
        self.conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)

    def send(
        self,
        kind: str,
        method: str,
        path: str,
        token: str,
        body: Any = None,
        *,
        key: str | None = None,
        give_up_at: float | None = None,
    ) -> tuple[int | None, Any, int]:
        """(status, decoded body, attempts); status None if no answer came before `give_up_at`."""
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if key is not None:
            headers["Idempotency-Key"] = key
        attempts = 0
        while True:
            attempts += 1
            started = time.perf_counter()
            try:
                self.conn.request(method, f"/api/v1{path}", body=data, headers=headers)
                response = self.conn.getresponse()
                raw = response.read()
            except (OSError, http.client.HTTPException):
                # No answer is not an answer: the same request (same key) goes again.
                self.conn.close()
                self.samples.append(Sample(kind, None, time.perf_counter() - started))
                if give_up_at is not None and time.monotonic() > give_up_at:
                    return None, None, attempts
                time.sleep(min(0.05 * attempts, 1.0))
                continue
            self.samples.append(Sample(kind, response.status, time.perf_counter() - started))
            if response.will_close:
                self.conn.close()
            try:
                decoded = json.loads(raw) if raw else None
            except ValueError:
                decoded = raw.decode(errors="replace")
            return response.status, decoded, attempts

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


@dataclass
class County:
    """The office under load: tokens, ids and the pool of cases."""

    port: int
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    in_progress: list[str] = field(default_factory=list)
    responded: list[str] = field(default_factory=list)
    flags: dict[tuple[str, str], bool | None] = field(default_factory=dict)
    """Which flag is on which case (each client flags only its own share of the pool)."""

    @property
    def pool(self) -> list[str]:
        """Every case of the pool."""
        return self.in_progress + self.responded


def setup_county(env: dict[str, str], admin_token: str, port: int) -> County:
    """Units and users through the CLI, a pool of cases through the API."""
    county = County(port=port, tokens={"admin": admin_token})
    for key, name, kind in (
        ("bureau", "县信访局", "信访部门"),
        ("housing", "县住建局", "县直部门"),
    ):
        out = cli_ok(env, "units", "add", name, "--kind", kind)
        county.ids[key] = out.strip().splitlines()[-1]
    for key, name, role, unit in (
        ("clerk", "刘晓燕", "clerk", "bureau"),
        ("dispatcher", "王建军", "dispatcher", "bureau"),
        ("head", "赵志刚", "unit_head", "housing"),
        ("handler", "钱文博", "handler", "housing"),
        ("leader", "陈国栋", "leader", None),
        ("supervisor", "卫东", "supervisor", None),
        ("auditor", "蒋纪检", "auditor", None),
    ):
        args = ["users", "add", name, "--role", role]
        if unit is not None:
            args += ["--unit", county.ids[unit]]
        lines = cli_ok(env, *args).strip().splitlines()
        found = re.search(r"\(id ([0-9a-f-]{36})\)", lines[-2])
        assert found is not None, lines
        county.ids[key], county.tokens[key] = found[1], lines[-1]

    def build(index: int) -> tuple[str, bool]:
        samples: list[Sample] = []
        conn = Connection(port, samples)
        respond = index >= IN_PROGRESS_CASES
        status, case, _ = conn.send(
            "setup", "POST", "/cases", county.tokens["clerk"], registration(f"SETUP-{index:03d}")
        )
        assert status == 201, case
        case_id = case["id"]
        steps: list[tuple[str, str, dict[str, Any]]] = [
            ("forward", "dispatcher", {"unit_id": county.ids["housing"]}),
            (
                "accept",
                "head",
                {"handler_id": county.ids["handler"], "leader_id": county.ids["leader"]},
            ),
            ("start-work", "handler", {}),
        ]
        if respond:
            steps.append(
                (
                    "respond",
                    "handler",
                    {"outcome": "supported", "text": "已协调解决。", "delivered_at": now_iso()},
                )
            )
        for path, who, body in steps:
            status, view, _ = conn.send(
                "setup", "POST", f"/cases/{case_id}/{path}", county.tokens[who], body
            )
            assert status == 200, (path, view)
        conn.close()
        return case_id, respond

    with ThreadPoolExecutor(max_workers=8) as pool:
        for case_id, respond in pool.map(build, range(IN_PROGRESS_CASES + RESPONDED_CASES)):
            (county.responded if respond else county.in_progress).append(case_id)
    return county


def registration(subject: str, reason: str | None = None) -> dict[str, Any]:
    """The body of POST /cases."""
    digits = f"{abs(hash(subject)) % 10**8:08d}"
    return {
        "channel": "visit",
        "category": "claim",
        "subject": subject,
        "content": f"信访人反映{subject}问题，请求依法处理。",
        "petitioners": [
            {"name": "张建国", "id_number": "411422196805120318", "phone": f"138{digits}"}
        ],
        "location": "城关镇幸福村",
        "reason": reason,
    }


# -- the clients -----------------------------------------------------------------------------
@dataclass
class Record:
    """Everything one run's clients saw."""

    run: int
    samples: list[Sample] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    seconds: float = 0.0
    timeline: list[str] = field(default_factory=list)

    def acknowledged(self) -> dict[str, str]:
        """Marker → kind of every command answered with 2xx."""
        return {c.marker: c.kind for c in self.commands if c.status is not None and c.status < 300}


class Client(threading.Thread):
    """One of the 32 users of a run: a keep-alive connection, a seeded mix of requests."""

    def __init__(self, index: int, run: int, county: County, stop_at: float) -> None:
        super().__init__(name=f"client-{index}", daemon=True)
        self.index = index
        self.run_number = run
        self.county = county
        self.stop_at = stop_at
        self.rng = random.Random(run * 1000 + index)
        self.samples: list[Sample] = []
        self.commands: list[Command] = []
        self.flag_cases = county.pool[index::CLIENTS]
        self.seq = 0
        self.failure: BaseException | None = None

    def marker(self, kind: str) -> str:
        self.seq += 1
        return f"{MARK}{self.run_number}-{kind}-{self.index:02d}-{self.seq:06d}"

    def run(self) -> None:
        conn = Connection(self.county.port, self.samples)
        kinds, weights = list(MIX), list(MIX.values())
        try:
            while time.monotonic() < self.stop_at:
                self.one(conn, self.rng.choices(kinds, weights)[0])
        except BaseException as error:  # reported by the test
            self.failure = error
        finally:
            conn.close()

    def one(self, conn: Connection, kind: str) -> None:
        county, rng = self.county, self.rng
        tokens, ids = county.tokens, county.ids
        if kind in READS:
            case_id = rng.choice(county.pool)
            who, path = {
                "get_case": ("supervisor", f"/cases/{case_id}"),
                "history": ("auditor", f"/cases/{case_id}/history"),
                "ledger": (
                    "supervisor",
                    f"/ledger?status=in_progress&page_size=20&page={rng.randint(1, 4)}",
                ),
            }[kind]
            conn.send(kind, "GET", path, tokens[who], give_up_at=self.stop_at + RETRY_WINDOW)
            return
        marker = self.marker(kind)
        flag_key: tuple[str, str] | None = None
        if kind == "register":
            who, path, body = "clerk", "/cases", registration(f"负载测试 {marker}", marker)
        elif kind == "progress":
            case_id = rng.choice(county.in_progress)
            who, path = "handler", f"/cases/{case_id}/progress"
            body = {"note": f"调查进展 {marker}", "reason": marker}
        elif kind == "follow_up":
            case_id = rng.choice(county.responded)
            who, path = "clerk", f"/cases/{case_id}/follow-up"
            satisfaction = rng.choice(["satisfied", "basically_satisfied", "unsatisfied"])
            body = {"satisfaction": satisfaction, "note": f"电话回访 {marker}", "reason": marker}
        elif kind == "flag":
            case_id = rng.choice(self.flag_cases)
            flag_key = (case_id, rng.choice(FLAGS))
            if county.flags.get(flag_key, False) is None:
                return  # an earlier outcome is unknown to this client: leave that flag alone
            on = not county.flags.get(flag_key, False)
            who, path = "supervisor", f"/cases/{case_id}/flags"
            body = {"flag": flag_key[1], "on": on, "reason": marker}
        else:
            case_id = rng.choice(county.pool)
            who, path = "leader", f"/cases/{case_id}/visits"
            body = {
                "kind": "reception",
                "leader_id": ids["leader"],
                "held_at": now_iso(),
                "notes": f"包案领导接访 {marker}",
                "reason": marker,
            }
        status, _, attempts = conn.send(
            kind,
            "POST",
            path,
            tokens[who],
            body,
            key=marker,
            give_up_at=self.stop_at + RETRY_WINDOW,
        )
        self.commands.append(Command(marker, kind, status, attempts))
        if flag_key is not None:
            ok = status is not None and status < 300
            county.flags[flag_key] = body["on"] if ok else None


def run_clients(county: County, run: int, chaos: Any = None) -> Record:
    """32 clients for RUN_SECONDS (and `chaos` beside them); every response recorded."""
    record = Record(run=run)
    started = time.monotonic()
    stop_at = started + RUN_SECONDS
    clients = [Client(i, run, county, stop_at) for i in range(CLIENTS)]
    for client in clients:
        client.start()
    helper = None
    if chaos is not None:
        helper = threading.Thread(target=chaos, args=(record, started), daemon=True)
        helper.start()
    for client in clients:
        client.join(timeout=RUN_SECONDS + RETRY_WINDOW + REQUEST_TIMEOUT + 30)
        assert not client.is_alive(), f"{client.name} did not finish"
        assert client.failure is None, f"{client.name}: {client.failure!r}"
        record.samples += client.samples
        record.commands += client.commands
    record.seconds = time.monotonic() - started
    if helper is not None:
        helper.join(timeout=60)
        assert not helper.is_alive(), "the fault injection did not finish"
    return record


# -- figures ---------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of `values`."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(backend: str, record: Record) -> dict[str, Any]:
    """Print a run's figures; return them."""
    answered = [s for s in record.samples if s.status is not None]
    figures: dict[str, Any] = {
        "answered": len(answered),
        "per_second": len(answered) / record.seconds,
        "connection_errors": sum(s.status is None for s in record.samples),
        "statuses": Counter(s.status for s in answered),
        "acknowledged": len(record.acknowledged()),
        "retried": sum(c.attempts > 1 for c in record.commands),
    }
    print(
        f"\n[{backend}] run {record.run}: {figures['answered']} answers in "
        f"{record.seconds:.1f} s = {figures['per_second']:.0f} req/s; "
        f"{figures['acknowledged']} commands acknowledged "
        f"({figures['acknowledged'] / record.seconds:.0f}/s); "
        f"statuses {dict(sorted(figures['statuses'].items()))}; "
        f"connection errors {figures['connection_errors']} "
        f"({figures['retried']} commands sent again with the same key)"
    )
    for line in record.timeline:
        print(f"  {line}")
    print(
        f"  {'kind':<10}{'answers':>8}{'/s':>7}{'mean ms':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'max ms':>9}  statuses"
    )
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for sample in answered:
        by_kind[sample.kind].append(sample)
    for kind in MIX:
        samples = by_kind[kind]
        latencies = [s.seconds * 1000 for s in samples]
        statuses = dict(sorted(Counter(s.status for s in samples).items()))
        print(
            f"  {kind:<10}{len(samples):>8}{len(samples) / record.seconds:>7.0f}"
            f"{sum(latencies) / max(len(latencies), 1):>9.1f}"
            f"{percentile(latencies, 0.5):>9.1f}{percentile(latencies, 0.99):>9.1f}"
            f"{max(latencies, default=float('nan')):>9.1f}  {statuses}"
        )
    return figures


@dataclass
class Logged:
    """What the log holds past a position: markers, their events' types and recording times."""

    found: Counter[str] = field(default_factory=Counter)
    types: dict[str, str] = field(default_factory=dict)
    recorded_at: dict[str, datetime] = field(default_factory=dict)
    unmarked: int = 0


def markers_in_log(app: Xinfang, after: int) -> Logged:
    """Every case event past `after`, read back through the application (decrypted)."""
    logged, start = Logged(), after
    while True:
        batch = app.recorder.select_notifications(
            start=start, limit=2_000, inclusive_of_start=False
        )
        if not batch:
            return logged
        for notification in batch:
            if not notification.topic.startswith(CASE_TOPIC):
                continue
            event: Any = app.mapper.to_domain_event(notification)
            reason = event.reason or ""
            if reason.startswith(MARK):
                logged.found[reason] += 1
                logged.types[reason] = type(event).__name__
                logged.recorded_at[reason] = event.timestamp
            else:
                logged.unmarked += 1
        start = batch[-1].id


def first_traceback(name: str, text: str) -> str:
    """The first logged traceback of a process's log, for the failure message."""
    start = text.index("Traceback")
    lines = text[max(0, text.rfind("\n", 0, start - 1)) :].splitlines()
    return f"{name}:\n" + "\n".join(lines[:60])


@contextmanager
def quiet(settings: Settings) -> Iterator[Services]:
    """Services over the instance that keep no views themselves (the checker's)."""
    services = bootstrap(settings, inline_projections=False)
    try:
        yield services
    finally:
        services.close()


# -- the test --------------------------------------------------------------------------------
@dataclass
class Instance:
    """The running processes over one instance."""

    env: dict[str, str]
    logs: Path
    server: subprocess.Popen[bytes]
    port: int
    admin: str
    projector: subprocess.Popen[bytes] | None = None

    def start_projector(self) -> None:
        """`xinfang project --follow` as a separate process."""
        self.projector = spawn(
            self.env, self.logs / "project.log", "project", "--follow", "--interval", "0.2"
        )

    def workers(self) -> list[int]:
        """gunicorn's worker processes."""
        return children(self.server.pid)


@pytest.fixture
def instance(settings: Settings, tmp_path: Path) -> Iterator[Instance]:
    """`xinfang init`, `xinfang serve --workers 2` on a free port, `xinfang project --follow`."""
    env = cli_env(settings)
    admin = cli_ok(env, "init").strip().splitlines()[-1]
    port = free_port()
    server = spawn(
        env, tmp_path / "serve.log", "serve", "--host", HOST, "--port", str(port), "--workers", "2"
    )
    running = Instance(env=env, logs=tmp_path, server=server, port=port, admin=admin)
    try:
        probe = Connection(port, [])

        def healthy() -> bool:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            probe.conn.timeout = 2
            try:
                probe.conn.request("GET", "/api/v1/health")
                response = probe.conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                probe.conn.close()
                return False
            return response.status == 200

        wait_for(healthy, 60, "xinfang serve")
        probe.close()
        wait_for(lambda: len(running.workers()) == 2, 60, "two gunicorn workers")
        running.start_projector()
        yield running
    finally:
        if running.projector is not None:
            stop(running.projector)
        stop(server)


@pytest.mark.timeout(480)
def test_load_with_a_killed_worker_and_projector_loses_nothing_and_doubles_nothing(
    backend: str, settings: Settings, instance: Instance
) -> None:
    env = instance.env
    started = time.monotonic()
    county = setup_county(env, instance.admin, instance.port)
    with quiet(settings) as checker:
        baseline = head(checker.app)
    print(
        f"\n[{backend}] nproc {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}; "
        f"pool of {len(county.pool)} cases set up in {time.monotonic() - started:.1f} s; "
        f"log at position {baseline}"
    )

    first = run_clients(county, 1)
    report(backend, first)

    killed_at: list[datetime] = []

    def faults(record: Record, began: float) -> None:
        time.sleep(RUN_SECONDS / 2)
        victim = instance.workers()[0]
        killed_at.append(datetime.now(UTC))
        os.kill(victim, signal.SIGKILL)
        assert instance.projector is not None
        instance.projector.kill()
        instance.projector.wait()
        at = time.monotonic() - began
        record.timeline.append(
            f"t={at:.1f}s kill -9 gunicorn worker {victim} and the projection worker"
        )
        time.sleep(PROJECTOR_DOWN)
        instance.start_projector()
        record.timeline.append(f"t={time.monotonic() - began:.1f}s projection worker restarted")
        wait_for(
            lambda: len(instance.workers()) == 2 and victim not in instance.workers(),
            30,
            "gunicorn to respawn its worker",
        )
        record.timeline.append(f"gunicorn workers now {instance.workers()} (respawned)")

    second = run_clients(county, 2, chaos=faults)
    report(backend, second)

    # The server stops; the projection worker alone brings the views to the end of the log.
    assert stop(instance.server) == 0
    with quiet(settings) as checker:
        wait_for(lambda: checker.runner.lag() == 0, 120, "the projection worker to catch up")
        assert instance.projector is not None
        assert stop(instance.projector) == 0
        end = head(checker.app)

        # No 5xx, and every request got an answer in the end.
        for record in (first, second):
            errors = [s for s in record.samples if s.status is not None and s.status >= 500]
            assert errors == [], f"run {record.run}: {len(errors)} answers 5xx"
            unanswered = [c for c in record.commands if c.status is None]
            assert unanswered == [], f"run {record.run}: {len(unanswered)} never answered"
            refused = Counter((c.kind, c.status) for c in record.commands if c.status >= 300)
            assert not refused, f"run {record.run}: commands refused {refused}"

        # Nothing lost, nothing twice, nothing from nowhere.
        acknowledged = {**first.acknowledged(), **second.acknowledged()}
        sent = {c.marker for record in (first, second) for c in record.commands}
        logged = markers_in_log(checker.app, baseline)
        found = logged.found
        twice = {m: n for m, n in found.items() if n != 1}
        assert twice == {}, f"markers recorded more than once: {list(twice.items())[:10]}"
        lost = set(acknowledged) - set(found)
        assert lost == set(), f"{len(lost)} acknowledged commands missing: {sorted(lost)[:10]}"
        phantom = set(found) - sent
        assert phantom == set(), f"{len(phantom)} markers never sent: {sorted(phantom)[:10]}"
        assert set(found) == set(acknowledged)
        assert logged.unmarked == 0, f"{logged.unmarked} case events without a marker"
        wrong = {m: t for m, t in logged.types.items() if EVENT_OF[acknowledged[m]] != t}
        assert wrong == {}, f"markers on the wrong event type: {list(wrong.items())[:10]}"

        # Retried commands the first attempt had already stored were answered, not applied again.
        retried = [c.marker for c in second.commands if c.attempts > 1]
        replayed = [m for m in retried if logged.recorded_at[m] < killed_at[0]]

        # The views applied every event exactly once, and equal a rebuild from zero.
        positions = {p.name: checker.views.position(p.name) for p in checker.runner.projections}
        assert positions == {p.name: end for p in checker.runner.projections}
        actions = checker.views.query("SELECT COUNT(*) AS n FROM {p}ledger_actions")[0]["n"]
        in_log = case_events(checker.app)
        assert int(actions) == in_log
        live = snapshot(checker)
        rebuild = run_cli(env, "rebuild", timeout=300)
        assert rebuild.returncode == 0, rebuild.stdout + rebuild.stderr
        rebuilt = snapshot(checker)
        assert rebuilt == live, "the views differ from a rebuild of the log"

    verify = run_cli(env, "verify", timeout=300)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    server_log = (instance.logs / "serve.log").read_text(errors="replace")
    projector_log = (instance.logs / "project.log").read_text(errors="replace")
    print(
        f"[{backend}] log {baseline} → {end} positions; {len(acknowledged)} commands "
        f"acknowledged, {len(found)} markers in the log, each once ({len(replayed)} of the "
        f"{len(retried)} commands sent again after the kill had been stored by the attempt that "
        f"lost its connection); {sum(found.values())} marked case events of {in_log} case "
        f"events; ledger_actions {actions}; views at {positions}, equal to `xinfang rebuild` "
        f"({rebuild.stdout.strip().splitlines()[-1]}); verify: "
        f"{verify.stdout.strip().splitlines()[-1]}; tracebacks in the logs: server "
        f"{server_log.count('Traceback')}, projection worker {projector_log.count('Traceback')}"
    )
    # Errors the processes survive (a failed inline catch-up is only logged) are failures too.
    for name, text in (("serve.log", server_log), ("project.log", projector_log)):
        assert "Traceback" not in text, first_traceback(name, text)
