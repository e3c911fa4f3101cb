"""The visibility contract for risks: the cases' rule over `Risk.standing()` and its SQL twin over
the register's view agree on every risk and actor (tests/integration/test_visibility_contract.py
does the same for cases).

Hypothesis generates risks (units the risk concerns, the unit that entered it, its 责任单位, the
units that answered for it, the present and former 包案领导) and actors of every role and unit;
each risk is written to the view as the projection writes it; then the register's read path
(`RiskRegister.search`, filtered by projections/visibility.py, shown by projections/disclosure.py)
must list exactly the risks the Python rule shows, with the people masked exactly where it masks.
"""

from __future__ import annotations

from uuid import UUID, uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.cases import make_stamp
from domain.risks import Risk
from domain.values import Actor, RiskKind, RiskLevel, RiskSource, Role
from domain.visibility import shows_identity, visible
from projections.bootstrap import Services
from projections.disclosure import register_row
from projections.names import Names
from projections.risk_register import RiskQuery, RiskRegisterProjection
from tests.integration.test_visibility_contract import (
    PEOPLE,
    PETITIONER,
    REGISTERED_AT,
    actors,
    some_unit,
    some_units,
    units,
)

__all__ = ["units"]  # the fixture, used here


@st.composite
def risks(draw: st.DrawFn, units: dict[str, UUID]) -> Risk:
    """An entered risk whose standing facts are then set to any combination."""
    reporter = Actor(id=uuid4(), name="网格员", role=Role.HANDLER, unit_id=draw(some_unit(units)))
    risk = Risk.register(
        make_stamp(reporter, now=REGISTERED_AT),
        risk_id=uuid4(),
        number=f"YH-2026-{draw(st.integers(1, 999_999)):06d}",
        kind=RiskKind.DISPUTE,
        source=RiskSource.GRID,
        level=draw(st.sampled_from(list(RiskLevel))),
        subject="承包地纠纷",
        description="两户村民因承包地边界争执",
        township_id=draw(st.sampled_from(sorted(units.values()))),
        people=[PETITIONER],
        accused_unit_ids=draw(some_units(units)),
    )
    risk.unit_id = draw(some_unit(units))
    risk.held_unit_ids = draw(some_units(units))
    risk.leader_id = draw(st.one_of(st.none(), st.sampled_from(PEOPLE)))
    risk.sponsor_ids = draw(st.lists(st.sampled_from(PEOPLE), unique=True, max_size=2))
    return risk


def write_rows(services: Services, generated: list[Risk]) -> None:
    """Replace every row of the register's view with those of `generated`."""
    projection = RiskRegisterProjection(services.app, services.ledger.sealer)
    rows = [projection._row(risk) for risk in generated]
    store = services.views
    with store.transaction() as cursor:
        store.run(cursor, "DELETE FROM {p}risk_register")
        marks = ",".join("?" for _ in rows[0])
        store.run_many(cursor, f"INSERT INTO {{p}}risk_register VALUES ({marks})", rows)


def test_the_python_rule_and_the_sql_filter_agree_on_risks(
    services: Services, units: dict[str, UUID]
) -> None:
    app = services.app
    names = Names(app)

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        generated=st.lists(risks(units), min_size=1, max_size=6),
        viewers=st.lists(actors(units), min_size=1, max_size=6),
    )
    def agree(generated: list[Risk], viewers: list[Actor]) -> None:
        write_rows(services, generated)
        by_id = {risk.id: risk for risk in generated}
        for viewer in viewers:
            lineage = app.lineage(viewer.unit_id)
            found, total = services.risks.search(viewer, RiskQuery(limit=500))
            expected = {r.id for r in generated if visible(viewer, r.standing(), lineage)}
            assert {UUID(item.row["risk_id"]) for item in found} == expected, viewer
            assert total == len(expected)
            for item in found:
                shown = register_row(viewer, item, names)
                risk = by_id[shown["risk_id"]]
                assert shown["identity_masked"] is not shows_identity(viewer, risk.standing())
                if shown["identity_masked"]:
                    assert PETITIONER.phone not in str(shown)

    agree()
