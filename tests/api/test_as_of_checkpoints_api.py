"""`as_of` over HTTP from checkpoints of the views plus the tail of the log: the ledger and the
overdue list answer exactly as a replay from the start does, for every moment; a damaged
checkpoint, one of another view shape or one that claims another position is never used."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from api import create_app
from domain.application import Xinfang
from projections.bootstrap import Services, bootstrap
from projections.checkpoints import FOLDER
from projections.replay import position_at
from projections.settings import Settings
from tests.conftest import County
from tests.integration.helpers_read import Desk, busy_county, head, read

EVERY = 7
PAGES = {"/ledger": {"page_size": 500, "sort": "number"}, "/accountability/overdue": {}}
"""The views answered as of a moment, and the query of each."""


@pytest.fixture
def checkpointed(settings: Settings) -> Iterator[Services]:
    """The instance's services with a checkpoint every EVERY log positions."""
    built = bootstrap(replace(settings, checkpoint_every=EVERY))
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def from_checkpoints(checkpointed: Services) -> FlaskClient:
    """The API with checkpoints."""
    return create_app(checkpointed, {"TESTING": True}).test_client()


@pytest.fixture
def from_start(settings: Settings) -> Iterator[FlaskClient]:
    """The API of the same instance with checkpoints off: every as_of replays from the start."""
    built = bootstrap(replace(settings, checkpoint_every=0))
    try:
        yield create_app(built, {"TESTING": True}).test_client()
    finally:
        built.close()


@pytest.fixture
def apis(from_checkpoints: FlaskClient, from_start: FlaskClient) -> tuple[FlaskClient, FlaskClient]:
    """The API with checkpoints, and the API replaying from the start."""
    return from_checkpoints, from_start


def recorded_moments(app: Xinfang) -> list[datetime]:
    """A moment between each two neighbouring events of the log, and one before the first.

    An event's recorded time can be a few milliseconds before that of the event logged just
    ahead of it (a command's identity-access record is stamped before the case event it is
    saved after), so a moment inside such a window has no single log position; it is skipped.
    """
    found = app.recorder.select_notifications(start=1, limit=10_000)
    times = [app.mapper.to_domain_event(n).timestamp for n in found]
    moments = [times[0] - timedelta(seconds=1)]
    for p in range(1, len(times)):
        before, after = max(times[:p]), min(times[p:])
        if before < after:
            moments.append(before + (after - before) / 2)
    return moments


def answers(client: FlaskClient, county: County, moment: datetime) -> dict[str, Any]:
    """The ledger and the overdue list as a supervisor reads them as of `moment`."""
    return {
        path: read(client, county, "supervisor", path, as_of=moment.isoformat(), **query)
        for path, query in PAGES.items()
    }


def folder(settings: Settings) -> Path:
    return settings.home / FOLDER


def files(settings: Settings) -> list[Path]:
    """The checkpoint files, by name (that is, by position)."""
    return sorted(folder(settings).glob("views-*.db"))


def test_as_of_from_checkpoints_answers_as_a_replay_from_the_start_for_every_moment(
    apis: tuple[FlaskClient, FlaskClient],
    county: County,
    xinfang: Xinfang,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from_checkpoints, from_start = apis
    busy_county(Desk(xinfang, county), 12)
    moments = recorded_moments(xinfang)
    assert len(moments) > head(xinfang) * 3 // 4
    # Late moments and early ones mixed: checkpoints are made on the way and used afterwards.
    random.Random(11).shuffle(moments)
    caplog.set_level(logging.INFO, logger="projections.replay")

    pairs = [
        (answers(from_checkpoints, county, m), answers(from_start, county, m)) for m in moments
    ]

    assert [m for m, (got, want) in zip(moments, pairs, strict=True) if got != want] == []
    # Not an empty comparison: the moments saw cases in the ledger and overdue deadlines.
    assert max(len(want["/ledger"]["items"]) for _, want in pairs) == 12
    assert any(want["/accountability/overdue"]["items"] for _, want in pairs)
    made = [int(p.name.split("-")[1]) for p in files(settings)]
    assert made == list(range(EVERY, position_at(xinfang, max(moments)) + 1, EVERY))
    started_from = [r.getMessage() for r in caplog.records if "replaying the log" in r.getMessage()]
    assert sum("from the checkpoint at" in m for m in started_from) > len(moments) // 2


def test_a_damaged_checkpoint_is_ignored_and_logged_and_the_answer_stays_right(
    apis: tuple[FlaskClient, FlaskClient],
    county: County,
    xinfang: Xinfang,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from_checkpoints, from_start = apis
    busy_county(Desk(xinfang, county), 6)
    latest = recorded_moments(xinfang)[-1]
    answers(from_checkpoints, county, latest)  # makes every checkpoint
    newest, older = files(settings)[-1], files(settings)[-2]
    data = newest.read_bytes()
    newest.write_bytes(data[: len(data) // 2])  # truncated
    older.write_bytes(older.read_bytes()[:-4096] + b"\0" * 4096)  # damaged in place
    caplog.set_level(logging.INFO)

    found = answers(from_checkpoints, county, latest)

    assert found == answers(from_start, county, latest)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(newest.name in w and "does not match its digest" in w for w in warnings)
    assert any(older.name in w for w in warnings)
    started = [r.getMessage() for r in caplog.records if "replaying the log" in r.getMessage()]
    position = int(files(settings)[-3].name.split("-")[1])
    assert started[0].endswith(f"from the checkpoint at {position}"), started
    # Refused files are deleted, and the replay that passed their positions made them again.
    assert len(files(settings)) == position_at(xinfang, latest) // EVERY
    assert newest.name not in {p.name for p in files(settings)}


def test_checkpoints_of_another_view_shape_are_ignored(
    apis: tuple[FlaskClient, FlaskClient],
    county: County,
    xinfang: Xinfang,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from_checkpoints, from_start = apis
    busy_county(Desk(xinfang, county), 4)
    latest = recorded_moments(xinfang)[-1]
    answers(from_checkpoints, county, latest)
    for path in files(settings):
        position, _shape, digest = path.name.split("-")[1:]
        path.rename(path.with_name(f"views-{position}-{'0' * 16}-{digest}"))
    caplog.set_level(logging.INFO)

    found = answers(from_checkpoints, county, latest)

    assert found == answers(from_start, county, latest)
    messages = [r.getMessage() for r in caplog.records]
    assert any("of another shape of the views ignored" in m for m in messages)
    assert next(m for m in messages if "replaying the log" in m).endswith("from the start")


def test_a_checkpoint_is_never_used_for_an_earlier_moment_even_if_renamed_to_look_earlier(
    apis: tuple[FlaskClient, FlaskClient],
    county: County,
    xinfang: Xinfang,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from_checkpoints, from_start = apis
    busy_county(Desk(xinfang, county), 6)
    moments = recorded_moments(xinfang)
    answers(from_checkpoints, county, moments[-1])
    first, later = files(settings)[0], files(settings)[-1]
    # The content of the latest checkpoint under the name (and digest) of the first one.
    first.unlink()
    position = first.name.split("-")[1]
    later.rename(first.with_name(f"views-{position}-{'-'.join(later.name.split('-')[2:])}"))
    caplog.set_level(logging.INFO)
    # A moment after the first checkpoint and before the later one.
    moment = next(m for m in moments if position_at(xinfang, m) == int(position) + 1)

    found = answers(from_checkpoints, county, moment)

    assert found == answers(from_start, county, moment)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("does not match its name" in w for w in warnings), warnings
