"""The risk register's view: exactly once, rebuilt equal to live, and no identity at rest.

The people involved in a risk are protected exactly like petitioners: after a risk naming a
distinctive person is entered, assigned, worked on and converted into a case, no stored byte
holds their name, ID number, phone or address in clear (SQLite files; every PostgreSQL column),
while the API still shows them to a clerk.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from flask.testing import FlaskClient

from projections.bootstrap import Services, read_models
from projections.merkle import verify_inclusion
from projections.parallel import rebuild_in_parallel
from projections.settings import Settings
from tests.api.helpers import ok
from tests.api.test_risks_api import Register
from tests.conftest import County
from tests.integration.helpers_read import snapshot
from tests.integration.test_personal_data_at_rest import (
    ADDRESS,
    ID_NUMBER,
    NAME,
    PHONE_TYPED,
    found_in,
    stored_columns,
    stored_files,
)

PERSON = {"name": NAME, "id_number": ID_NUMBER, "phone": PHONE_TYPED[0], "address": ADDRESS}


def fill(register: Register, count: int) -> list[dict[str, Any]]:
    """`count` risks in every state: open, assigned, worked on, resolved, converted."""
    made = []
    for n in range(count):
        risk = register.enter(level=("ordinary", "serious", "grave")[n % 3])
        if n % 5:
            risk = register.assign(
                risk["id"], leader_id="leader", unit_id="housing", handler_id="handler"
            )
        if n % 5 in {2, 3, 4}:
            ok(register.send("handler", risk["id"], "steps", {"text": f"第{n}次走访"}))
        if n % 5 == 3:
            risk = ok(register.send("supervisor", risk["id"], "resolve", {"evidence": "协议"}))
        if n % 5 == 4:
            body = {"channel": "visit", "category": "claim"}
            risk = ok(register.send("clerk", risk["id"], "convert", body))
        made.append(risk)
    return made


def test_the_register_rebuilt_from_zero_equals_the_register_kept_live(
    client: FlaskClient, county: County, services: Services
) -> None:
    fill(Register(client, county), 15)
    live = snapshot(services)

    services.runner.rebuild()

    assert len(live["risk_register"]) == 15
    assert {r["status"] for r in live["risk_register"]} == {"open", "resolved", "converted"}
    assert snapshot(services) == live


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_register_rebuilt_on_several_processes_equals_the_register_kept_live(
    client: FlaskClient, county: County, services: Services
) -> None:
    fill(Register(client, county), 10)
    live = snapshot(services)

    rebuild_in_parallel(services.settings, services.runner, read_models=read_models, workers=2)

    assert snapshot(services) == live


def test_the_people_of_a_risk_are_nowhere_in_clear_at_rest(
    client: FlaskClient, county: County, services: Services, settings: Settings
) -> None:
    register = Register(client, county)
    risk = register.enter(
        people=[PERSON],
        subject=f"{NAME}承包地纠纷",
        description=f"{NAME}（身份证{ID_NUMBER}，电话{PHONE_TYPED[0]}）与邻户发生争执。",
    )
    register.assign(risk["id"], leader_id="leader", unit_id="housing", handler_id="handler")
    ok(register.send("handler", risk["id"], "steps", {"text": f"入户走访{NAME}"}))
    converted = ok(
        register.send("clerk", risk["id"], "convert", {"channel": "visit", "category": "claim"})
    )
    register.rows("clerk")
    services.catch_up()

    leaks = {(where, secret) for where, data in stored_files(settings) for secret in found_in(data)}
    if settings.is_postgres:
        leaks |= {
            (where, secret) for where, data in stored_columns(settings) for secret in found_in(data)
        }

    assert not leaks, sorted(leaks)
    assert ok(register.get(risk["id"], "clerk"))["people"] == [PERSON]
    (row,) = register.rows("clerk")
    assert row["subject"] == f"{NAME}承包地纠纷"
    assert row["people"] == [PERSON]
    case = ok(client.get(f"/api/v1/cases/{converted['case_id']}", headers=county.headers("clerk")))
    assert case["petitioners"] == [PERSON]


def test_the_audit_tree_covers_every_event_of_the_registers(
    client: FlaskClient, county: County, services: Services
) -> None:
    register = Register(client, county)
    made = fill(register, 5)
    launched = client.post(
        "/api/v1/campaigns",
        json={
            "name": "百日攻坚",
            "kind": "hundred_days",
            "starts_on": "2026-01-01",
            "ends_on": "2026-04-10",
            "risk_ids": [r["id"] for r in made],
        },
        headers=county.headers("supervisor"),
    )
    assert launched.status_code == 201, launched.get_json()
    trail = services.audit

    report = trail.verify()

    assert report.ok
    assert trail.tree_size() == services.app.recorder.max_notification_id()
    head = trail.head()
    for item in [*made, launched.get_json()]:
        versions = [e.originator_version for e in services.app.events.get(UUID(item["id"]))]
        signed, proofs = trail.case_proofs(UUID(item["id"]))
        assert sorted(proofs) == versions
        for proof in proofs.values():
            verify_inclusion(
                proof.leaf_hash, proof.leaf_index, signed.tree_size, proof.path, signed.root_hash
            )
    assert head.tree_size >= len(made)
