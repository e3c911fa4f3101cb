"""`as_of` from the views kept temporally equals a replay of the log up to the moment.

The replay (projections/replay.py `ledger_at`, what `as_of` answered from before) is the
reference: for random county histories and log positions, every ledger table as of the position
and every viewer's ledger, overdue list and cases ready to close are the same, whether the live
views were fed event by event, rebuilt in one pass (several events of a case in one batch) or
rebuilt in parallel shares.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.cases import local_date
from domain.errors import PermissionDeniedError
from projections.accountability import Accountability
from projections.bootstrap import Services, read_models
from projections.ledger import Ledger, LedgerQuery
from projections.ledger_tables import TEMPORAL
from projections.parallel import rebuild_in_parallel
from projections.replay import ledger_at, recorded_at
from projections.temporal import AsOfStore, versions
from tests.conftest import County
from tests.integration.helpers_read import Desk, drawn_lives, every_life, head, lived
from tests.integration.test_as_of_checkpoints import county_instance

EVERYONE = LedgerQuery(page_size=500)


def rows_of(ledger: Ledger) -> dict[str, list[Any]]:
    """Every row of the ledger tables `as_of` reads, sealed columns opened, in a fixed order."""
    found = {}
    for table in (*TEMPORAL, "ledger_actions"):
        rows = [dict(r) for r in ledger.store.query(f"SELECT * FROM {{p}}{table}")]
        for row in rows:
            if row.get("petitioners") is not None:
                row["petitioners"] = ledger.sealer.open(row["petitioners"])
            if row.get("sealed_text") is not None:
                row["sealed_text"] = ledger.sealer.open_text(row["sealed_text"])
        found[table] = sorted(rows, key=lambda r: [(v is None, str(v)) for v in r.values()])
    return found


def answers(ledger: Ledger, county: County, today: date) -> dict[str, Any]:
    """What each user of the county is shown: the ledger, the overdue list, ready to close."""
    accountability = Accountability(ledger)
    shown: dict[str, Any] = {}
    for key, viewer in county.actors.items():
        shown[f"{key}: ledger"] = ledger.search(viewer, EVERYONE, today)
        shown[f"{key}: overdue"] = accountability.deadline_watch(viewer, today)
        shown[f"{key}: overdue page 2 of 3"] = accountability.deadline_page(viewer, today, 2, 3)
        try:
            shown[f"{key}: ready"] = accountability.ready_to_close(viewer, today)
            shown[f"{key}: ready page 2 of 1"] = accountability.ready_page(viewer, today, 2, 1)
        except PermissionDeniedError:
            shown[f"{key}: ready"] = "refused"
    return shown


@contextmanager
def temporal(services: Services, position: int) -> Iterator[Ledger]:
    live = services.ledger
    yield Ledger(live.app, AsOfStore(live.store, position), live.sealer)


def compare(services: Services, county: County, position: int) -> None:
    """The views and every viewer's answers as of `position`: temporal == replayed."""
    moment = recorded_at(services.app, position)
    today = local_date(moment) if moment is not None else local_date(services.app.clock())
    with (
        temporal(services, position) as now,
        ledger_at(services.app, services.ledger.sealer, position) as then,
    ):
        assert rows_of(now) == rows_of(then), f"views at position {position}"
        assert answers(now, county, today) == answers(then, county, today), position


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
@given(
    lives=drawn_lives(min_size=1),
    merge=st.booleans(),
    fed=st.sampled_from(["event by event", "rebuilt in one pass"]),
    picks=st.lists(st.floats(0, 1), min_size=1, max_size=4),
)
def test_as_of_from_the_history_equals_a_replay_at_random_moments(
    lives: list[int], merge: bool, fed: str, picks: list[float]
) -> None:
    with county_instance() as (services, desk):
        lived(desk, lives, merge)
        if fed == "rebuilt in one pass":
            services.runner.rebuild()  # one batch: every case has several events in it
        top = head(services.app)
        for position in sorted({round(p * top) for p in picks}):
            compare(services, desk.county, position)


def test_every_position_equals_a_replay_on_both_backends(services: Services, county: Any) -> None:
    every_life(Desk(services.app, county))
    for position in range(head(services.app) + 1):
        compare(services, county, position)


def test_the_history_does_not_depend_on_how_the_log_was_batched(
    services: Services, county: Any
) -> None:
    every_life(Desk(services.app, county))
    top = head(services.app)

    def history() -> dict[int, Any]:
        sealer = services.ledger.sealer
        return {
            p: rows_of(Ledger(services.app, AsOfStore(services.views, p), sealer))
            for p in range(0, top + 1, 7)
        }

    fed_live = history()
    if services.settings.is_postgres:
        services.runner.rebuild()
    else:
        rebuild_in_parallel(services.settings, services.runner, read_models=read_models, workers=2)
    assert history() == fed_live
    compare(services, county, top // 2)


def test_a_page_of_the_overdue_list_or_of_the_cases_ready_to_close_is_a_slice_of_the_list(
    services: Services, county: Any
) -> None:
    desk = Desk(services.app, county)
    every_life(desk)
    accountability = services.accountability
    viewer = county.actors["supervisor"]
    for later in (0, 3, 10, 40, 100):
        today = desk.today + timedelta(days=later)
        whole = accountability.deadline_watch(viewer, today)
        ready = accountability.ready_to_close(viewer, today)
        for size in (1, 3, 500):
            pages = [
                accountability.deadline_page(viewer, today, page, size)
                for page in range(1, len(whole) // size + 2)
            ]
            assert [item for items, _ in pages for item in items] == whole, (later, size)
            assert {total for _, total in pages} == {len(whole)}
            got = [accountability.ready_page(viewer, today, page, size) for page in (1, 2)]
            assert got[0] == (ready[:size], len(ready))
            assert got[1] == (ready[size : 2 * size], len(ready))
    assert accountability.deadline_watch(viewer, desk.today)  # not an empty comparison


def test_the_past_is_read_only_and_other_views_are_refused(services: Services) -> None:
    past = AsOfStore(services.views, 1)
    with pytest.raises(ValueError, match="read only"), past.transaction():
        pass
    with pytest.raises(ValueError, match="not kept temporally"):
        past.query("SELECT * FROM {p}ledger_identities")


def test_versions_close_what_changed_and_keep_what_did_not() -> None:
    closes, added = versions(
        {1: ("a",), 2: ("b",)},
        [(10, {1: ("a",), 2: ("B",)}), (12, {1: ("a",), 3: ("c",)}), (15, {1: ("x",), 3: ("c",)})],
    )

    assert closes == [(10, 2), (15, 1)]
    assert added == [["B", 10, 12], ["c", 12, None], ["x", 15, None]]
