"""Load and faults: 32 clients for 60 s against `xinfang serve`, twice, on each event store.

The second run loses one gunicorn worker and the projection worker (`xinfang project --follow`)
to `kill -9` half-way; gunicorn respawns its worker, the test restarts the projection worker.
A client whose connection dies sends the same command again with the same Idempotency-Key.
Afterwards: no 5xx; a GET right after a command's answer shows the case at least at the version
answered (read-your-writes, whichever worker answers); every answered read that showed the
petitioner has its access record in the log (none for reads never sent); every command's marker
is in the log exactly once and only the markers that were sent (nothing lost, nothing phantom);
the views have applied every event exactly once and equal a full `xinfang rebuild`;
`xinfang verify` passes; no process logged a traceback.

Opt-in (minutes, real processes, loopback only):

    XINFANG_LOAD=1 .venv/bin/pytest tests/load -q -s

XINFANG_LOAD_SECONDS shortens the runs while working on the test itself. The harness that starts
the processes is in processes.py, the load in traffic.py, a run's figures in figures.py; the
faults and the checks are here.
"""

from __future__ import annotations

import http.client
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from domain.application import Xinfang
from projections.ledger_projection import CASE_TOPIC
from projections.settings import Settings
from scripts.bench.served import free_port, stop
from tests.integration.helpers_read import case_events, head, snapshot
from tests.load.figures import report
from tests.load.processes import (
    HOST,
    Instance,
    cli_env,
    cli_ok,
    first_traceback,
    quiet,
    run_cli,
    spawn,
    wait_for,
)
from tests.load.traffic import (
    MARK,
    READ_ACTION,
    RUN_SECONDS,
    Connection,
    Record,
    run_clients,
    setup_county,
)

pytestmark = pytest.mark.load

PROJECTOR_DOWN = 5.0
"""Seconds between killing the projection worker and starting it again."""

EVENT_OF = {
    "register": "Registered",
    "progress": "ProgressRecorded",
    "follow_up": "FollowedUp",
    "flag": "Flagged",
    "visit": "VisitRecorded",
}


# -- what the log holds ----------------------------------------------------------------------
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


def access_records(checker: Any, after: int) -> dict[tuple[str, str], Counter[str]]:
    """(action, reader role) → access records per case id, past log position `after`."""
    rows = checker.views.query(
        "SELECT case_id, action, actor_role FROM {p}audit_access WHERE position > ?", [after]
    )
    found: dict[tuple[str, str], Counter[str]] = {}
    for row in rows:
        key = (row["action"], row["actor_role"])
        found.setdefault(key, Counter())[str(UUID(row["case_id"]))] += 1
    return found


# -- the test --------------------------------------------------------------------------------
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

        # Read-your-writes: a GET right after a command's answer (either worker) showed it.
        stale = first.stale + second.stale
        assert stale == [], f"{len(stale)} reads missed the caller's own write: {stale[:10]}"

        # Every answered read that showed the petitioner left its access record (committed
        # before the answer, grouped or not), and none appeared for reads never sent.
        logged_reads = access_records(checker, baseline)
        for kind, (action, role) in READ_ACTION.items():
            reads = [r for rec in (first, second) for r in rec.reads if r.kind == kind]
            answered = Counter(r.case_id for r in reads if r.status == 200)
            sent = Counter()
            for r in reads:
                sent[r.case_id] += r.attempts
            found_reads = logged_reads.get((action, role), Counter())
            missing = {c: n for c, n in answered.items() if found_reads[c] < n}
            assert missing == {}, f"{kind}: answered reads without access record: {missing}"
            extra = {c: n for c, n in found_reads.items() if n > sent[c]}
            assert extra == {}, f"{kind}: more access records than reads sent: {extra}"

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
