"""Case numbers given when the save is written (domain/office.py NumberedSave): registrations
made at once by the threads of two processes' applications are written in groups, and every case
gets its own number, the year's numbers running on without a gap."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from uuid import UUID

import pytest

from domain.cases import Case
from domain.errors import RuleViolationError
from projections.bootstrap import Services, bootstrap
from projections.settings import Settings
from tests.conftest import build_county
from tests.integration.helpers_read import Desk

THREADS = 6
EACH = 5


@pytest.fixture
def two_processes(settings: Settings) -> Iterator[tuple[Services, Services]]:
    """Two sets of services over one instance, as two gunicorn workers hold them."""
    first = bootstrap(settings, inline_projections=False)
    second = bootstrap(settings, inline_projections=False)
    try:
        yield first, second
    finally:
        second.close()
        first.close()


def test_concurrent_registrations_of_two_processes_get_every_number_once(
    two_processes: tuple[Services, Services],
) -> None:
    first, second = two_processes
    county = build_county(first.app)
    desks = [Desk(first.app, county), Desk(second.app, county)]
    start = threading.Barrier(THREADS)
    made: list[UUID] = []
    failures: list[BaseException] = []

    def work(desk: Desk) -> None:
        start.wait()
        try:
            for _ in range(EACH):
                made.append(desk.register())
        except BaseException as error:  # asserted below
            failures.append(error)

    threads = [threading.Thread(target=work, args=(desks[n % 2],)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    numbers = sorted(first.app.repository.get(case_id).number for case_id in made)
    total = THREADS * EACH
    assert len(set(numbers)) == total
    year = numbers[0].split("-")[1]
    assert numbers == [f"XF-{year}-{n:06d}" for n in range(1, total + 1)]
    for case_id in made:
        case = first.app.repository.get(case_id)
        assert isinstance(case, Case)
        assert case.version == 1


def test_registrations_saved_at_once_share_a_transaction(services: Services) -> None:
    county = build_county(services.app)
    desk = Desk(services.app, county)
    start = threading.Barrier(THREADS)
    group = services.app._group
    groups, items = group.groups, group.items

    def work() -> None:
        start.wait()
        for _ in range(EACH):
            desk.register()

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    written = group.items - items
    assert written == THREADS * EACH
    # Registrations are no longer written one at a time: some shared a transaction.
    assert group.groups - groups < written


def test_a_registration_the_case_refuses_fails_alone_and_takes_no_number(
    services: Services,
) -> None:
    """What the aggregate refuses is refused to its own caller, before the save joins a group:
    the registrations saved beside it go through, numbered without a gap."""
    desk = Desk(services.app, build_county(services.app))
    start = threading.Barrier(THREADS)
    refused: list[BaseException] = []
    made: list[UUID] = []

    def work(n: int) -> None:
        start.wait()
        for _ in range(EACH):
            try:
                made.append(desk.register(collective_size=0 if n == 0 else None))
            except RuleViolationError as error:
                refused.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(refused) == EACH
    assert all(getattr(error, "field", None) == "collective_size" for error in refused)
    numbers = sorted(services.app.repository.get(case_id).number for case_id in made)
    year = numbers[0].split("-")[1]
    assert numbers == [f"XF-{year}-{n:06d}" for n in range(1, len(made) + 1)]
    assert len(made) == (THREADS - 1) * EACH
