"""The monthly bulletin prints the risk register's figures by township (docs/risks.md): found,
closed as defused and converted in the month, open at its end; frozen when published, recomputed
identically from the log, and a later correction shows as a difference."""

from __future__ import annotations

import io
from datetime import date

from flask.testing import FlaskClient
from openpyxl import load_workbook

from tests.api.helpers import API, ok
from tests.api.test_risks_api import Register
from tests.conftest import County
from tests.integration.helpers_read import fetch, local, read

MONTH = "2025-09"
BULLETIN = f"/reports/monthly/{MONTH}"


def at(month: int, number: int, hour: int = 9) -> str:
    return local(date(2025, month, number), hour).isoformat()


def test_the_bulletin_counts_risks_by_township_and_recomputes_them_identically(
    client: FlaskClient, county: County
) -> None:
    register = Register(client, county)
    register.enter(occurred_at=at(8, 20))
    first = register.enter(occurred_at=at(9, 2))
    second = register.enter(occurred_at=at(9, 3), level="grave")
    for risk, day in ((first, 4), (second, 5)):
        body = {
            "leader_id": str(county.actors["leader"].id),
            "unit_id": str(county.units["housing"]),
            "handler_id": str(county.actors["handler"].id),
            "occurred_at": at(9, day),
        }
        ok(register.send("dispatcher", risk["id"], "assign", body))
    resolved = {"evidence": "调解协议", "occurred_at": at(9, 20)}
    ok(register.send("supervisor", first["id"], "resolve", resolved))

    draft = read(client, county, "supervisor", BULLETIN)

    expected = {"township": "城关镇", "found": 2, "resolved": 1, "converted": 0, "open": 2}
    assert draft["figures"]["risks_by_township"] == [expected]
    page = fetch(client, county, "auditor", f"{BULLETIN}.html").get_data(as_text=True)
    assert "十二、隐患排查化解（按乡镇）" in page
    workbook = load_workbook(
        io.BytesIO(fetch(client, county, "supervisor", f"{BULLETIN}.xlsx").data)
    )
    assert list(workbook["隐患排查化解"].iter_rows(values_only=True))[1] == ("城关镇", 2, 1, 0, 2)

    published = client.post(f"{API}{BULLETIN}/publish", headers=county.headers("supervisor"))
    assert published.status_code == 201, published.get_json()
    checked = read(client, county, "auditor", f"{BULLETIN}/recompute")
    assert (checked["identical"], checked["differences"]) == (True, [])

    late = {"evidence": "息诉罢访承诺书", "occurred_at": at(9, 28)}
    ok(register.send("supervisor", second["id"], "resolve", late))
    later = read(client, county, "dispatcher", BULLETIN)
    assert later["figures"]["risks_by_township"] == [expected]
    assert {d["path"] for d in later["differences"]} == {
        "risks_by_township[0].resolved",
        "risks_by_township[0].open",
    }


def test_the_unit_scorecards_count_risks_found_in_a_township_and_defused_by_a_unit(
    client: FlaskClient, county: County
) -> None:
    register = Register(client, county)
    first = register.enter(occurred_at=at(9, 2))
    register.enter(occurred_at=at(9, 3))
    body = {
        "leader_id": str(county.actors["leader"].id),
        "unit_id": str(county.units["housing"]),
        "handler_id": str(county.actors["handler"].id),
        "occurred_at": at(9, 4),
    }
    ok(register.send("dispatcher", first["id"], "assign", body))
    closed = {"evidence": "协议", "occurred_at": at(9, 9)}
    ok(register.send("leader", first["id"], "resolve", closed))

    cards = read(client, county, "supervisor", "/accountability/units", month="2025-09")

    every = {c["unit_name"]: c for c in [*cards["items"], *cards["insufficient_sample"]]}
    assert every["城关镇"]["risks_found"] == 2
    assert every["县住建局"]["risks_resolved"] == 1
    assert every["县住建局"]["risks_open"] == 0
    own = read(client, county, "head", "/accountability/units", month="2025-09")
    assert [c["unit_name"] for c in own["insufficient_sample"]] == ["县住建局"]
