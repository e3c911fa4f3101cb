"""The visibility contract: domain/visibility.py and its SQL twin agree on every case and actor.

Hypothesis generates cases (accused units, units that held it, sponsors, the present sponsor, the
intake unit, the responsible unit) and actors of every role and unit, including units below an
accused unit. Each case is written to the ledger as the projection writes it; then, for every
actor, the ledger's own read path (`Ledger.search`, which filters with projections/visibility.py
and discloses with projections/disclosure.py) must show exactly the cases the Python rule lets the
actor see, with the petitioner masked exactly where the Python identity rule masks it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.cases import LOCAL_TZ, Case, make_stamp
from domain.directory import SYSTEM_ACTOR
from domain.values import Actor, Category, Channel, Petitioner, Role
from domain.visibility import Standing, Tie, can_see, is_accused, sees_identity
from projections.bootstrap import Services
from projections.ledger import LedgerQuery
from projections.ledger_projection import LedgerProjection
from projections.ledger_tables import CASE_COLUMNS
from projections.visibility import TIE_SQL, accusing, row_standing

TREE = (
    ("county", None),
    ("township", "county"),
    ("village", "township"),
    ("bureau", None),
    ("office", "bureau"),
    ("other", None),
)
"""Units and their parents: three levels under the county, two under the bureau, one alone."""

PEOPLE = tuple(UUID(int=0x500 + n) for n in range(3))
"""The ids actors and sponsors are drawn from, so that an actor is sometimes the sponsor."""

PETITIONER = Petitioner(name="欧阳明远", id_number="51012319850607123X", phone="13912345678")
TODAY = date(2026, 3, 2)
REGISTERED_AT = datetime(2026, 3, 2, 9, tzinfo=LOCAL_TZ)


@pytest.fixture
def units(services: Services) -> dict[str, UUID]:
    """The unit tree of TREE in the instance (the rule reads lineages from the directory)."""
    found: dict[str, UUID] = {}
    for name, parent in TREE:
        unit = services.app.add_unit(
            SYSTEM_ACTOR, name=name, parent_id=found[parent] if parent else None
        )
        found[name] = unit.id
    return found


def some_unit(units: dict[str, UUID]) -> st.SearchStrategy[UUID | None]:
    """One of the units, or none."""
    return st.one_of(st.none(), st.sampled_from(sorted(units.values())))


def some_units(units: dict[str, UUID]) -> st.SearchStrategy[list[UUID]]:
    """A few distinct units."""
    return st.lists(st.sampled_from(sorted(units.values())), unique=True, max_size=3)


def actors(units: dict[str, UUID]) -> st.SearchStrategy[Actor]:
    """An actor of any role, in any unit or none, with one of the PEOPLE ids."""
    return st.builds(
        Actor,
        id=st.sampled_from(PEOPLE),
        name=st.just("某人"),
        role=st.sampled_from(list(Role)),
        unit_id=some_unit(units),
    )


@st.composite
def cases(draw: st.DrawFn, units: dict[str, UUID]) -> Case:
    """A registered case whose standing facts are then set to any combination.

    The facts are set on the aggregate directly: commands would reach only some combinations,
    and the contract must hold for all of them.
    """
    clerk = Actor(id=uuid4(), name="登记员", role=Role.CLERK, unit_id=draw(some_unit(units)))
    case = Case.register(
        make_stamp(clerk, now=REGISTERED_AT),
        case_id=uuid4(),
        number=f"XF-2026-{draw(st.integers(1, 999_999)):06d}",
        channel=Channel.LETTER,
        category=draw(st.sampled_from([Category.CLAIM, Category.ACCUSATION])),
        subject="拖欠工程款",
        content="某公司拖欠农民工工资三个月。",
        petitioners=[PETITIONER],
        accused_unit_ids=draw(some_units(units)),
    )
    case.unit_id = draw(some_unit(units))
    case.held_unit_ids = draw(some_units(units))
    case.leader_id = draw(st.one_of(st.none(), st.sampled_from(PEOPLE)))
    case.sponsor_ids = draw(st.lists(st.sampled_from(PEOPLE), unique=True, max_size=2))
    return case


def write_rows(services: Services, generated: list[Case]) -> None:
    """Replace every ledger row with those of `generated`, as the projection writes them."""
    projection = LedgerProjection(services.app, services.ledger.sealer)
    store = services.views
    rows: list[list[Any]] = []
    for case in generated:
        row = {**projection.case_row(case), "last_activity_on": TODAY.isoformat()}
        rows.append([row[c] for c in CASE_COLUMNS])
    marks = ",".join("?" for _ in CASE_COLUMNS)
    with store.transaction() as cursor:
        store.run(cursor, "DELETE FROM {p}ledger_cases")
        store.run_many(
            cursor,
            f"INSERT INTO {{p}}ledger_cases ({','.join(CASE_COLUMNS)}) VALUES ({marks})",
            rows,
        )


def test_every_tie_of_the_rule_has_its_sql_condition() -> None:
    assert set(TIE_SQL) == set(Tie)


def test_the_python_rule_and_the_sql_filter_agree(
    services: Services, units: dict[str, UUID]
) -> None:
    app = services.app

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        generated=st.lists(cases(units), min_size=1, max_size=6),
        viewers=st.lists(actors(units), min_size=1, max_size=6),
    )
    def agree(generated: list[Case], viewers: list[Actor]) -> None:
        write_rows(services, generated)
        by_id = {case.id: case for case in generated}
        stored = services.views.query("SELECT * FROM {p}ledger_cases c")
        for row in stored:
            assert row_standing(row) == Standing.of(by_id[UUID(row["case_id"])])
        for viewer in viewers:
            lineage = app.lineage(viewer.unit_id)
            items, total = services.ledger.search(viewer, LedgerQuery(page_size=500), TODAY)
            expected = {case.id for case in generated if can_see(viewer, case, lineage)}
            assert {item["case_id"] for item in items} == expected, viewer
            assert total == len(expected)
            for item in items:
                case = by_id[item["case_id"]]
                assert item["identity_masked"] is not sees_identity(viewer, case), viewer
            hidden = accusing(services.views, lineage, set(by_id))
            assert hidden == {case.id for case in generated if is_accused(case, lineage)}

    agree()
