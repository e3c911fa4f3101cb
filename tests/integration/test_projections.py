"""Exactly-once projections: rebuilt views equal live ones; crashes, races, kills lose nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from domain.access import IDENTITY, READ_CASE, READ_LEDGER, Access, AccessList
from domain.application import Xinfang
from domain.values import Flag
from projections.audit_access import ACCESS_EVENTS, AccessProjection
from projections.bootstrap import Services, bootstrap, read_models
from projections.ledger_projection import LedgerProjection
from projections.parallel import rebuild_in_parallel
from projections.runner import Follower, Item, Runner
from projections.sealer import PetitionerSealer
from projections.settings import Settings
from projections.store import ViewStore
from tests.conftest import County, build_county
from tests.integration.helpers_read import (
    Desk,
    bulk_log,
    busy_county,
    case_events,
    head,
    snapshot,
)

ROOT = Path(__file__).resolve().parents[2]

WORKER = """
import sys
from projections.bootstrap import bootstrap
from projections.settings import Settings

services = bootstrap(Settings.from_environ(), inline_projections=False)
services.runner.batch_size = int(sys.argv[1])
if sys.argv[2] == "follow":
    services.runner.follow(interval=0.05)
else:
    services.runner.catch_up()
    services.close()
"""
"""The read-model worker as a separate process: `follow` runs until killed, `once` catches up."""


class CrashError(Exception):
    """The projector died in the middle of a batch."""


class CrashingLedger(LedgerProjection):
    """The ledger projection, except that it dies after writing part of the batch holding `at`."""

    def __init__(self, app: Xinfang, sealer: PetitionerSealer, at: int | None) -> None:
        super().__init__(app, sealer)
        self.at = at
        self.uncommitted = 0

    def apply(self, store: ViewStore, cursor: Any, batch: Sequence[Item]) -> None:
        """Write the batch up to `at`, count what the open transaction holds, then die."""
        positions = [item.position for item in batch]
        if self.at not in positions:
            super().apply(store, cursor, batch)
            return
        super().apply(store, cursor, batch[: positions.index(self.at) + 1])
        cursor.execute(
            store.sql("SELECT COUNT(*) AS n FROM {p}ledger_actions WHERE position >= ?"),
            (batch[0].position,),
        )
        self.uncommitted = int(cursor.fetchone()["n"])
        raise CrashError(f"killed at position {self.at}")


class Overtaking:
    """The log as one process reads it, while another process applies the very batch just read
    before the first can write it (the rival's catch-up runs between the read and the write)."""

    def __init__(self, app: Xinfang, rival: Runner) -> None:
        self.read = app.recorder.select_notifications
        self.rival = rival
        self.overtaken: list[int] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        found = self.read(*args, **kwargs)
        if found and not self.overtaken:
            self.overtaken.append(found[-1].id)
            self.rival.catch_up(until=found[-1].id)
        return found


@pytest.fixture
def quiet(settings: Settings) -> Iterator[Services]:
    """Services whose views are not kept live: the log grows, the views wait for a runner."""
    built = bootstrap(settings, inline_projections=False)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def rival(settings: Settings, quiet: Services) -> Iterator[Services]:
    """A second set of services over the same instance, as a second process would hold."""
    built = bootstrap(settings, inline_projections=False)
    try:
        yield built
    finally:
        built.close()


def count_actions(services: Services, after: int = 0) -> int:
    """Rows of ledger_actions beyond a log position."""
    rows = services.views.query(
        "SELECT COUNT(*) AS n FROM {p}ledger_actions WHERE position > ?", [after]
    )
    return int(rows[0]["n"])


def at_head(services: Services) -> dict[str, int]:
    """Every view's position when it has applied the whole log."""
    return {p.name: head(services.app) for p in services.runner.projections}


def rebuilt(services: Services) -> dict[str, Any]:
    """Every view rebuilt from zero, as a snapshot."""
    services.runner.rebuild()
    return snapshot(services)


def test_views_rebuilt_from_zero_equal_the_views_kept_live_while_the_events_arrived(
    services: Services, county: County
) -> None:
    busy_county(Desk(services.app, county), count=30)
    live = snapshot(services)

    again = rebuilt(services)

    assert live["positions"] == at_head(services)
    assert len(live["ledger_cases"]) == 30
    assert len(live["ledger_actions"]) == case_events(services.app)
    assert {row["type"] for row in live["ledger_actions"]} >= {
        "Reassigned",
        "HandlerChanged",
        "LeaderChanged",
        "Extended",
        "ReviewDecided",
        "RecheckDecided",
        "Merged",
        "Absorbed",
        "Reopened",
        "SupervisionOrderAnswered",
    }
    assert again == live


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_rebuild_on_several_processes_equals_the_views_kept_live(
    services: Services, county: County
) -> None:
    busy_county(Desk(services.app, county), count=30)
    live = snapshot(services)
    seen: list[int] = []

    events, _ = rebuild_in_parallel(
        services.settings, services.runner, read_models=read_models, workers=2, progress=seen.append
    )

    assert events == head(services.app)
    assert sum(seen) == head(services.app)
    assert snapshot(services) == live
    assert not list(services.settings.home.glob("rebuild-*"))


def test_a_projector_that_dies_mid_batch_commits_nothing_of_it_and_resumes_exactly_once(
    quiet: Services,
) -> None:
    busy_county(Desk(quiet.app, build_county(quiet.app)), count=20)
    positions = [n.id for n in quiet.app.recorder.select_notifications(start=1, limit=10_000)]
    crash_at = positions[len(positions) // 2 + 7]
    crashing = CrashingLedger(quiet.app, quiet.ledger.sealer, at=crash_at)
    runner = Runner(quiet.app, quiet.views, [crashing], batch_size=40)

    with pytest.raises(CrashError):
        runner.catch_up()

    committed = quiet.views.position("ledger")
    assert 0 < committed < crash_at
    assert crashing.uncommitted > 0
    assert count_actions(quiet, after=committed) == 0
    crashing.at = None
    assert runner.catch_up() == head(quiet.app) - committed
    quiet.runner.catch_up()  # the other views, which this runner does not keep
    resumed = snapshot(quiet)
    assert resumed["positions"] == at_head(quiet)
    assert count_actions(quiet) == case_events(quiet.app)
    assert rebuilt(quiet) == resumed


def test_a_view_that_dies_mid_batch_rolls_the_batch_back_for_every_view_fed_with_it(
    quiet: Services,
) -> None:
    busy_county(Desk(quiet.app, build_county(quiet.app)), count=20)
    positions = [n.id for n in quiet.app.recorder.select_notifications(start=1, limit=10_000)]
    crash_at = positions[len(positions) // 2 + 7]
    crashing = CrashingLedger(quiet.app, quiet.ledger.sealer, at=crash_at)
    runner = Runner(quiet.app, quiet.views, [AccessProjection(), crashing], batch_size=40)

    with pytest.raises(CrashError):
        runner.catch_up()

    committed = quiet.views.position("ledger")
    assert 0 < committed < crash_at
    assert quiet.views.position(AccessProjection.name) == committed
    crashing.at = None
    runner.catch_up()
    quiet.runner.catch_up()  # the other views, which this runner does not keep
    assert count_actions(quiet) == case_events(quiet.app)
    assert snapshot(quiet)["positions"] == at_head(quiet)


def test_views_at_different_positions_are_fed_together_each_from_its_own_position(
    quiet: Services, rival: Services
) -> None:
    desk = Desk(quiet.app, build_county(quiet.app))
    busy_county(desk, count=8)
    quiet.runner.catch_up_one(quiet.runner.projections[0])  # the ledger alone, ahead
    busy_county(desk, count=4)
    before = {p.name: quiet.views.position(p.name) for p in quiet.runner.projections}
    assert len(set(before.values())) > 1

    applied = quiet.runner.catch_up(batch_size=15)

    assert applied == sum(head(quiet.app) - position for position in before.values())
    assert count_actions(quiet) == case_events(quiet.app)
    together = snapshot(quiet)
    assert together["positions"] == at_head(quiet)
    assert rebuilt(rival) == together


def test_a_batch_another_process_applied_first_is_not_applied_twice(
    quiet: Services, rival: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    busy_county(Desk(quiet.app, build_county(quiet.app)), count=10)
    runner = Runner(quiet.app, quiet.views, [LedgerProjection(quiet.app, quiet.ledger.sealer)])
    runner.batch_size = 40
    overtaking = Overtaking(quiet.app, rival.runner)
    monkeypatch.setattr(quiet.app.recorder, "select_notifications", overtaking)

    applied = runner.catch_up()

    assert len(overtaking.overtaken) == 1
    # What the rival applied while this runner waited for the views is not applied again.
    assert applied == head(quiet.app) - overtaking.overtaken[0]
    assert count_actions(quiet) == case_events(quiet.app)
    quiet.runner.catch_up()  # the other views, which this runner does not keep
    assert snapshot(quiet) == rebuilt(rival)


def test_two_runners_catching_up_at_the_same_time_apply_every_event_once(
    quiet: Services, rival: Services
) -> None:
    busy_county(Desk(quiet.app, build_county(quiet.app)), count=20)
    start = threading.Barrier(2)
    applied: list[int] = []
    failures: list[BaseException] = []

    def work(runner: Runner) -> None:
        start.wait()
        try:
            applied.append(runner.catch_up(batch_size=7))
        except BaseException as error:  # a failing thread is asserted below
            failures.append(error)

    threads = [threading.Thread(target=work, args=(s.runner,)) for s in (quiet, rival)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert sum(applied) == head(quiet.app) * len(quiet.runner.projections)
    assert count_actions(quiet) == case_events(quiet.app)
    together = snapshot(quiet)
    assert together["positions"] == at_head(quiet)
    assert rebuilt(rival) == together


def worker(settings: Settings, *args: str) -> subprocess.Popen[bytes]:
    """Start the read-model worker as its own process over the instance."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "XINFANG_HOME": str(settings.home),
        "PERSISTENCE_MODULE": settings.persistence_module,
        **settings.extra_env,
    }
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_a_worker_killed_mid_way_resumes_without_skipping_or_double_counting(
    settings: Settings, quiet: Services
) -> None:
    bulk_log(Desk(quiet.app, build_county(quiet.app)), cases=60, notes=46)
    end = head(quiet.app)
    assert end > 3_000

    process = worker(settings, "5", "follow")
    seen = 0
    deadline = time.monotonic() + 30
    while not 0 < seen < end and time.monotonic() < deadline:
        time.sleep(0.002)
        seen = quiet.views.position("ledger")
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=10)

    killed_at = quiet.views.position("ledger")
    assert 0 < seen <= killed_at < end
    assert count_actions(quiet) == case_events(quiet.app, until=killed_at)
    assert count_actions(quiet, after=killed_at) == 0
    restarted = worker(settings, "500", "once")
    _, errors = restarted.communicate(timeout=60)
    assert restarted.returncode == 0, errors.decode()
    resumed = snapshot(quiet)
    assert resumed["positions"] == at_head(quiet)
    assert count_actions(quiet) == case_events(quiet.app) == 60 * 50
    assert rebuilt(quiet) == resumed


def test_a_reads_access_record_alone_does_not_wake_the_follower_a_command_does(
    quiet: Services,
) -> None:
    """The access records every disclosing read saves are applied on the follower's next round
    (or by whoever reads the access log): they alone do not set it catching up after each read.
    A command's save does, and then everything before it is applied too."""
    desk = Desk(quiet.app, build_county(quiet.app))
    case_id = desk.register()
    quiet.runner.catch_up()
    follower = Follower(quiet.runner, interval=60, quiet=ACCESS_EVENTS)
    quiet.app.save_listeners.append(follower.saved)
    follower.start()
    try:
        reader = desk.county.actors["supervisor"]
        quiet.app.save(Access.record(actor=reader, case_id=case_id, action=READ_CASE, fields=[]))
        listed = AccessList.record(actor=reader, action=READ_LEDGER, shown={case_id: [IDENTITY]})
        quiet.app.save(listed)
        time.sleep(0.3)
        assert quiet.views.position("access") < head(quiet.app)  # nobody woke for it

        desk.run(case_id, "supervisor", "set_flag", flag=Flag.KEY_CASE, on=True)
        deadline = time.monotonic() + 20
        while quiet.views.position("access") < head(quiet.app):
            assert time.monotonic() < deadline, "the follower did not wake for a command"
            time.sleep(0.05)
        assert quiet.views.position("ledger") == head(quiet.app)
    finally:
        follower.close()


def test_an_access_list_is_one_event_and_one_access_log_row_per_case(quiet: Services) -> None:
    """A page of rows is logged as one event: the log grows by one position, the access log by
    a row per case (each with the fields shown of it), the same after a rebuild."""
    desk = Desk(quiet.app, build_county(quiet.app))
    cases = [desk.register() for _ in range(3)]
    reader = desk.county.actors["supervisor"]
    before = head(quiet.app)
    shown = {cases[0]: [IDENTITY], cases[1]: [], cases[2]: [IDENTITY]}
    quiet.app.save(AccessList.record(actor=reader, action=READ_LEDGER, shown=shown, operator="li"))
    quiet.runner.catch_up()

    assert head(quiet.app) == before + 1
    entries = quiet.access.query(actor_id=reader.id)
    assert sorted((str(e.case_id), e.fields) for e in entries) == sorted(
        (str(case_id), fields) for case_id, fields in shown.items()
    )
    assert {(e.position, e.action, e.operator) for e in entries} == {
        (before + 1, READ_LEDGER, "li")
    }
    live = snapshot(quiet)
    assert rebuilt(quiet) == live


@pytest.mark.parametrize(
    ("action", "shown", "refusal"),
    [("read_everything", {"x": []}, "unknown access action"), (READ_LEDGER, {}, "at least one")],
)
def test_an_access_list_refuses_an_unknown_action_and_an_empty_answer(
    quiet: Services, action: str, shown: dict[Any, list[str]], refusal: str
) -> None:
    reader = build_county(quiet.app).actors["supervisor"]
    with pytest.raises(ValueError, match=refusal):
        AccessList.record(actor=reader, action=action, shown=shown)
