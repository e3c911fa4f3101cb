"""Checkpoints of the `as_of` views: the views a replay builds from a checkpoint plus the tail
equal, table by table, those of a replay from the start, for random county histories and
positions; checkpoints from another log, and replays making the same ones at once, are safe."""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projections.bootstrap import Services, bootstrap
from projections.case_views import CaseViews
from projections.checkpoints import Checkpoints
from projections.ledger import Ledger
from projections.replay import ledger_at, make_checkpoints
from projections.settings import InstanceError, Settings, throwaway_instance
from scripts.cli import main
from scripts.read_commands import follow_checkpoints
from tests.conftest import PG_ENV, build_county
from tests.integration.helpers_read import LIVES, Desk, drawn_lives, every_life, head, lived


def views_of(ledger: Ledger, services: Services) -> dict[str, Any]:
    """Every row of every scratch view (sealed columns opened) and every view's position."""
    store, sealer = ledger.store, ledger.sealer
    tables = [
        row["name"]
        for row in store.query("SELECT name FROM sqlite_master WHERE type = 'table'")
        # Not views: the checkpoint's own record, and the count of batches taken under the
        # views' claim (how many batches made them, which depends on where a replay started).
        if row["name"] not in ("xinfang_checkpoint", "view_claims")
    ]
    found: dict[str, Any] = {}
    cases = CaseViews(store, services.app.mapper)
    for table in sorted(tables):
        rows = [dict(r) for r in store.query(f"SELECT * FROM {table}")]
        for row in rows:
            for column in ("petitioners", "people"):
                if row.get(column) is not None:
                    row[column] = sealer.open(row[column])
            if row.get("sealed_text") is not None:
                row["sealed_text"] = sealer.open_text(row["sealed_text"])
            if table == "ledger_case_states":
                # Encrypted with a fresh nonce per write: compared by the case it holds.
                case = cases.get(UUID(row["case_id"]))
                row["state"] = None if case is None else repr(sorted(vars(case).items()))
        found[table] = sorted(rows, key=lambda r: [(v is None, str(v)) for v in r.values()])
    return found


def replayed(services: Services, position: int, checkpoints: Checkpoints | None) -> Any:
    with ledger_at(services.app, services.ledger.sealer, position, checkpoints) as past:
        return views_of(past, services)


@contextmanager
def county_instance(backend: str = "sqlite") -> Iterator[tuple[Services, Desk]]:
    """A fresh instance with the test county (for examples that cannot use a fixture)."""
    with (
        tempfile.TemporaryDirectory() as home,
        throwaway_instance(backend, Path(home) / "home", PG_ENV, schema_prefix="t") as made,
    ):
        services = bootstrap(made)
        try:
            yield services, Desk(services.app, build_county(services.app))
        finally:
            services.close()


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
@given(
    lives=drawn_lives(min_size=0),
    merge=st.booleans(),
    every=st.integers(2, 11),
    picks=st.lists(st.floats(0, 1), min_size=1, max_size=5),
)
def test_views_from_checkpoints_equal_a_replay_from_the_start(
    lives: list[int], merge: bool, every: int, picks: list[float]
) -> None:
    with county_instance() as (services, desk):
        lived(desk, lives, merge)
        folder = Path(tempfile.mkdtemp())
        checkpoints = Checkpoints(folder, every)
        top = head(services.app)
        for position in [round(p * top) for p in picks]:
            assert replayed(services, position, checkpoints) == replayed(services, position, None)
        assert [c.position for c in checkpoints.found()] == list(
            range(every, round(max(picks) * top) + 1, every)
        )


def test_every_position_from_checkpoints_equals_a_replay_from_the_start(
    services: Services, county: Any
) -> None:
    every_life(Desk(services.app, county))
    checkpoints = Checkpoints(services.settings.home / "cp", 5)
    make_checkpoints(services.app, services.ledger.sealer, checkpoints)

    differing = [
        p
        for p in range(head(services.app) + 1)
        if replayed(services, p, checkpoints) != replayed(services, p, None)
    ]

    assert differing == []


def test_a_checkpoint_of_another_log_is_refused(services: Services, county: Any) -> None:
    desk = Desk(services.app, county)
    for n in range(3):
        LIVES[n](desk, 100 - n, [])
    top = head(services.app)
    mine = Checkpoints(services.settings.home / "cp", 9)
    with county_instance(services.settings.dialect) as (other, other_desk):
        for n in range(3):
            LIVES[n](other_desk, 100 - n, [])
        assert head(other.app) >= top
        # The other instance's checkpoints, put where this one looks for its own.
        make_checkpoints(other.app, other.ledger.sealer, replace(mine), until=top)
        theirs = replayed(other, top, None)
    foreign = {c.path.name for c in mine.found()}
    assert len(foreign) == top // 9
    assert theirs != replayed(services, top, None)  # used, it would give the other log's views

    assert replayed(services, top, mine) == replayed(services, top, None)
    # Each was refused and deleted; the replay made this log's own on its way.
    assert foreign.isdisjoint(c.path.name for c in mine.found())
    assert len(mine.found()) == top // 9
    assert replayed(services, top, mine) == replayed(services, top, None)


def test_replays_making_the_same_checkpoints_at_once_leave_one_good_file_each(
    services: Services, county: Any
) -> None:
    every_life(Desk(services.app, county))
    top = head(services.app)
    checkpoints = Checkpoints(services.settings.home / "cp", 4)
    failures: list[BaseException] = []

    def run() -> None:
        try:
            replayed(services, top, checkpoints)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    positions = [c.position for c in checkpoints.found()]
    assert positions == list(range(4, top + 1, 4))
    # Each is whole: a replay from it alone (and the tail after it) gives the right views.
    want = replayed(services, top, None)
    made = checkpoints.found()
    for number in range(0, len(made), 3):
        alone = Checkpoints(services.settings.home / f"alone-{number}", 4)
        alone.folder.mkdir()
        shutil.copyfile(made[number].path, alone.folder / made[number].path.name)
        assert replayed(services, top, alone) == want
        assert len(alone.found()) == len(made) - number  # used it, made the later ones again


def environ(settings_: Settings, **extra: str) -> dict[str, str]:
    return {
        "XINFANG_HOME": str(settings_.home),
        "PERSISTENCE_MODULE": settings_.persistence_module,
        **settings_.extra_env,
        **extra,
    }


def test_the_checkpoints_command_makes_lists_and_deletes_them_and_rebuild_drops_them(
    services: Services, county: Any
) -> None:
    desk = Desk(services.app, county)
    for n in range(3):
        LIVES[n](desk, 100 - n, [])
    top = head(services.app)
    env = environ(services.settings, XINFANG_CHECKPOINT_EVERY="10")
    folder = services.settings.home / "checkpoints"

    made = CliRunner().invoke(main, ["checkpoints"], env=env)
    again = CliRunner().invoke(main, ["checkpoints"], env=env)
    listed = CliRunner().invoke(main, ["checkpoints", "--list"], env=env)
    positions = sorted(int(p.name.split("-")[1]) for p in folder.glob("views-*.db"))
    rebuilt = CliRunner().invoke(main, ["rebuild", "--workers", "1"], env=env)
    after_rebuild = list(folder.glob("views-*.db"))
    CliRunner().invoke(main, ["checkpoints"], env=env)
    deleted = CliRunner().invoke(main, ["checkpoints", "--delete"], env=env)
    off = CliRunner().invoke(main, ["checkpoints"], env={**env, "XINFANG_CHECKPOINT_EVERY": "0"})
    bad = CliRunner().invoke(main, ["checkpoints"], env={**env, "XINFANG_CHECKPOINT_EVERY": "x"})

    assert made.exit_code == 0, made.output
    assert f"已生成检查点 {top // 10} 个" in made.output
    assert "已生成检查点 0 个" in again.output
    assert positions == list(range(10, top + 1, 10))
    assert listed.exit_code == 0
    assert listed.output.count(" 可用 ") == top // 10
    assert rebuilt.exit_code == 0, rebuilt.output
    assert after_rebuild == []
    assert deleted.exit_code == 0
    assert f"删除检查点文件 {top // 10} 个" in deleted.output
    assert list(folder.glob("views-*.db")) == []
    assert off.exit_code != 0
    assert "检查点已关闭" in off.output
    assert bad.exit_code != 0
    assert "XINFANG_CHECKPOINT_EVERY" in bad.output
    assert (folder.stat().st_mode & 0o777) == 0o700


def test_the_projection_worker_makes_the_checkpoint_of_each_boundary_the_log_passes(
    services: Services, county: Any
) -> None:
    desk = Desk(services.app, county)
    LIVES[0](desk, 100, [])
    checkpoints = services.checkpoints = Checkpoints(services.settings.home / "cp", 10)
    top = head(services.app)

    skipped = follow_checkpoints(services, 0)  # the earlier ones missing: not the worker's
    none = checkpoints.found()
    make_checkpoints(services.app, services.ledger.sealer, checkpoints, until=top - 10)
    tried = follow_checkpoints(services, 0)
    first = [c.position for c in checkpoints.found()]
    LIVES[1](desk, 90, [])
    passed = follow_checkpoints(services, tried)  # several boundaries passed at once: skipped
    after_passing = [c.position for c in checkpoints.found()]
    make_checkpoints(services.app, services.ledger.sealer, checkpoints, until=passed - 10)
    again = follow_checkpoints(services, 0)

    assert skipped == top // 10 * 10
    assert none == []
    assert tried == top // 10 * 10
    assert first == list(range(10, tried + 1, 10))
    assert passed == head(services.app) // 10 * 10 > tried + 10
    assert after_passing == first
    assert again == passed
    assert [c.position for c in checkpoints.found()] == list(range(10, again + 1, 10))
    assert follow_checkpoints(services, again) == again  # nothing new: nothing made


def test_no_checkpoint_is_written_that_would_leave_too_little_disk_free(
    services: Services, county: Any, caplog: pytest.LogCaptureFixture
) -> None:
    desk = Desk(services.app, county)
    LIVES[0](desk, 100, [])
    top = head(services.app)
    full = Checkpoints(services.settings.home / "cp", 10, keep_free=1.0)  # a disk never free enough

    found = replayed(services, top, full)

    assert found == replayed(services, top, None)
    assert full.found() == []
    assert "not written: it would leave less than 100% of the disk free" in caplog.text


def test_no_checkpoint_is_written_beyond_the_bound_of_their_total_size(
    services: Services, county: Any, caplog: pytest.LogCaptureFixture
) -> None:
    desk = Desk(services.app, county)
    LIVES[0](desk, 100, [])
    top = head(services.app)
    bounded = Checkpoints(services.settings.home / "cp", 10, max_bytes=1)  # not even one fits

    found = replayed(services, top, bounded)

    assert found == replayed(services, top, None)
    assert bounded.found() == []
    assert "would take more than XINFANG_CHECKPOINT_MAX_MB" in caplog.text


def test_the_bound_of_the_checkpoints_total_size_is_read_from_the_environment(
    tmp_path: Path,
) -> None:
    settings = Settings.from_environ(
        {"XINFANG_HOME": str(tmp_path), "XINFANG_CHECKPOINT_MAX_MB": "7"}
    )
    assert Checkpoints.of(settings).max_bytes == 7 * 1024 * 1024
    unbounded = Settings.from_environ(
        {"XINFANG_HOME": str(tmp_path), "XINFANG_CHECKPOINT_MAX_MB": "0"}
    )
    assert Checkpoints.of(unbounded).max_bytes is None
    with pytest.raises(InstanceError, match="XINFANG_CHECKPOINT_MAX_MB"):
        Settings.from_environ({"XINFANG_HOME": str(tmp_path), "XINFANG_CHECKPOINT_MAX_MB": "-1"})
