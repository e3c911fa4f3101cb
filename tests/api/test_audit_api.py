"""Audit endpoints (api.md, "Audit integrity"): heads, proofs, proofs in a history, access log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flask.testing import FlaskClient

from projections.audit_recorders import record_leaf
from projections.audit_signing import head_message
from projections.bootstrap import Services
from projections.merkle import leaf_hash, verify_consistency, verify_inclusion
from scripts import verify_bundle
from tests.api.helpers import API, Office, assert_error, command_body, ok
from tests.conftest import County

AUDIT = f"{API}/audit"
AUDITORS = ("auditor", "supervisor", "admin")
OTHERS = ("clerk", "dispatcher", "head", "handler", "leader")
ENDPOINTS = (
    "/head",
    "/proof/inclusion?index=0&tree_size=1",
    "/proof/consistency?first=1&second=2",
    "/access",
)


def head_of(client: FlaskClient, county: County, who: str = "auditor") -> dict[str, Any]:
    """GET /audit/head (asserting 200)."""
    return ok(client.get(f"{AUDIT}/head", headers=county.headers(who)))


def public_key(services: Services) -> Ed25519PublicKey:
    """The instance's head-signing key."""
    key = load_pem_public_key(services.audit.public_key_pem().encode())
    assert isinstance(key, Ed25519PublicKey)
    return key


# -- access control ------------------------------------------------------------------------------
@pytest.mark.parametrize("who", OTHERS)
@pytest.mark.parametrize("path", ENDPOINTS)
def test_unit_and_intake_users_get_403_on_every_audit_endpoint(
    client: FlaskClient, county: County, who: str, path: str
) -> None:
    assert_error(client.get(f"{AUDIT}{path}", headers=county.headers(who)), 403)


def test_the_bundle_download_is_for_auditors_only(client: FlaskClient, county: County) -> None:
    case = Office(client, county).register()

    assert_error(
        client.get(f"{AUDIT}/cases/{case['id']}/bundle", headers=county.headers("clerk")), 403
    )


@pytest.mark.parametrize("who", AUDITORS)
def test_auditors_supervisors_and_admins_get_a_signed_head(
    client: FlaskClient, county: County, services: Services, who: str
) -> None:
    head = head_of(client, county, who)

    assert set(head) == {"tree_size", "root_hash", "issued_at", "signature", "key_id"}
    assert head["tree_size"] == services.audit.tree_size()
    assert len(head["root_hash"]) == 64
    assert len(head["signature"]) == 128
    assert head["key_id"] == services.audit.key_id
    message = head_message(head["tree_size"], bytes.fromhex(head["root_hash"]), head["issued_at"])
    public_key(services).verify(bytes.fromhex(head["signature"]), message)


def test_without_a_token_the_audit_endpoints_answer_401(client: FlaskClient) -> None:
    assert_error(client.get(f"{AUDIT}/head"), 401)


# -- proofs --------------------------------------------------------------------------------------
def test_inclusion_proofs_verify_against_the_signed_head(
    client: FlaskClient, county: County
) -> None:
    head = head_of(client, county)
    size, root = head["tree_size"], bytes.fromhex(head["root_hash"])

    for index in (0, 1, size // 2, size - 1):
        proof = ok(
            client.get(
                f"{AUDIT}/proof/inclusion",
                query_string={"index": index, "tree_size": size},
                headers=county.headers("auditor"),
            )
        )
        assert (proof["index"], proof["tree_size"]) == (index, size)
        path = [bytes.fromhex(h) for h in proof["path"]]
        verify_inclusion(bytes.fromhex(proof["leaf_hash"]), index, size, path, root)


def test_a_consistency_proof_links_an_older_head_to_a_newer_one(
    client: FlaskClient, county: County
) -> None:
    old = head_of(client, county)
    Office(client, county).register()
    new = head_of(client, county)
    proof = ok(
        client.get(
            f"{AUDIT}/proof/consistency",
            query_string={"first": old["tree_size"], "second": new["tree_size"]},
            headers=county.headers("supervisor"),
        )
    )

    assert (proof["first"], proof["second"]) == (old["tree_size"], new["tree_size"])
    verify_consistency(
        old["tree_size"],
        new["tree_size"],
        bytes.fromhex(old["root_hash"]),
        bytes.fromhex(new["root_hash"]),
        [bytes.fromhex(h) for h in proof["path"]],
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"index": 5, "tree_size": 5}, "index"),
        ({"index": 0, "tree_size": 10**9}, "tree_size"),
        ({"index": -1, "tree_size": 3}, "index"),
        ({"index": 0, "tree_size": 0}, "tree_size"),
        ({"tree_size": 3}, "index"),
        ({"index": "x", "tree_size": 3}, "index"),
    ],
)
def test_an_inclusion_proof_out_of_range_is_422_naming_the_field(
    client: FlaskClient, county: County, query: dict[str, Any], field: str
) -> None:
    response = client.get(
        f"{AUDIT}/proof/inclusion", query_string=query, headers=county.headers("auditor")
    )

    assert field in assert_error(response, 422)["errors"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"first": 5, "second": 3}, "first"),
        ({"first": 0, "second": 3}, "first"),
        ({"first": 1, "second": 10**9}, "second"),
        ({"first": -1, "second": 3}, "first"),
        ({"first": 1}, "second"),
    ],
)
def test_a_consistency_proof_out_of_range_is_422_naming_the_field(
    client: FlaskClient, county: County, query: dict[str, Any], field: str
) -> None:
    response = client.get(
        f"{AUDIT}/proof/consistency", query_string=query, headers=county.headers("auditor")
    )

    assert field in assert_error(response, 422)["errors"]


def test_history_with_proofs_gives_each_event_a_verifiable_inclusion_proof(
    client: FlaskClient, county: County, services: Services
) -> None:
    office = Office(client, county)
    case = office.drive("accepted")
    response = client.get(
        f"{API}/cases/{case['id']}/history",
        query_string={"proofs": "true"},
        headers=county.headers("handler"),
    )
    history = ok(response)
    head = history["head"]
    root = bytes.fromhex(head["root_hash"])
    records = {
        r.originator_version: r for r in services.audit.recorder.records_of(UUID(case["id"]))
    }

    message = head_message(head["tree_size"], root, head["issued_at"])
    public_key(services).verify(bytes.fromhex(head["signature"]), message)
    assert [e["version"] for e in history["events"]] == list(range(1, case["version"] + 1))
    for event in history["events"]:
        record = records[event["version"]]
        assert event["log_position"] == record.id
        value = bytes.fromhex(event["leaf_hash"])
        path = [bytes.fromhex(h) for h in event["inclusion_proof"]]
        verify_inclusion(value, event["leaf_index"], head["tree_size"], path, root)
        assert value == leaf_hash(record_leaf(record))


def test_history_without_proofs_has_no_proof_fields(client: FlaskClient, county: County) -> None:
    case = Office(client, county).register()
    history = ok(client.get(f"{API}/cases/{case['id']}/history", headers=county.headers("clerk")))

    assert "head" not in history
    assert not {"leaf_index", "inclusion_proof"} & set(history["events"][0])


# -- bundles -------------------------------------------------------------------------------------
def test_an_auditor_downloads_a_bundle_that_verifies_offline(
    client: FlaskClient, county: County
) -> None:
    case = Office(client, county).drive("accepted")
    response = client.get(f"{AUDIT}/cases/{case['id']}/bundle", headers=county.headers("auditor"))

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert verify_bundle.verify(response.get_data()).startswith("核验通过")


# -- the access log --------------------------------------------------------------------------------
def access_log(client: FlaskClient, county: County, **query: Any) -> list[dict[str, Any]]:
    """GET /audit/access as the auditor (asserting 200)."""
    response = client.get(f"{AUDIT}/access", query_string=query, headers=county.headers("auditor"))
    entries: list[dict[str, Any]] = ok(response)
    return entries


def test_reading_a_case_with_identity_is_logged_with_who_when_and_which_fields(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    case = office.register()
    before = datetime.now(UTC) - timedelta(seconds=1)
    office.view(case["id"], "clerk")
    office.history(case["id"], "dispatcher")

    entries = access_log(client, county, case_id=case["id"])

    assert [(e["actor"]["name"], e["action"], e["fields"]) for e in entries] == [
        ("王分办", "read_history", ["petitioner_identity"]),
        ("李登记", "read_case", ["petitioner_identity"]),
    ]
    assert entries[0]["actor"]["role"] == "dispatcher"
    assert all(datetime.fromisoformat(e["recorded_at"]) >= before for e in entries)
    assert all(e["case_id"] == case["id"] for e in entries)


def test_reading_an_accusation_logs_the_accusation_content_too(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    case = office.register(category="accusation", content="某所长收受贿赂。")
    office.view(case["id"], "supervisor")

    (entry,) = access_log(client, county, case_id=case["id"])
    assert entry["fields"] == ["petitioner_identity", "accusation_content"]


def test_a_masked_read_is_not_logged(client: FlaskClient, county: County) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")
    reassign = {**command_body("reassign", county), "unit_id": str(county.units["labour"])}
    ok(office.send("dispatcher", case["id"], "reassign", reassign))

    view = office.view(case["id"], "handler")
    assert view["identity_masked"] is True
    assert access_log(client, county, actor_id=str(county.actors["handler"].id)) == []


def test_the_access_log_filters_by_actor_and_time_window(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    case = office.register()
    office.view(case["id"], "clerk")
    office.view(case["id"], "auditor")
    clerk = str(county.actors["clerk"].id)
    now = datetime.now(UTC)

    assert [e["actor"]["id"] for e in access_log(client, county, actor_id=clerk)] == [clerk]
    window = {
        "from": (now - timedelta(minutes=5)).isoformat(),
        "to": (now + timedelta(minutes=5)).isoformat(),
    }
    assert len(access_log(client, county, **window)) == 2
    later = {"from": (now + timedelta(minutes=5)).isoformat()}
    assert access_log(client, county, **later) == []


def test_an_empty_time_window_is_422(client: FlaskClient, county: County) -> None:
    now = datetime.now(UTC).isoformat()
    response = client.get(
        f"{AUDIT}/access", query_string={"from": now, "to": now}, headers=county.headers("auditor")
    )

    assert "to" in assert_error(response, 422)["errors"]


def test_a_bundle_download_is_logged(client: FlaskClient, county: County) -> None:
    case = Office(client, county).register()
    ok(client.get(f"{AUDIT}/cases/{case['id']}/bundle", headers=county.headers("supervisor")))

    (entry,) = access_log(client, county, case_id=case["id"])
    assert (entry["action"], entry["actor"]["role"]) == ("bundle_download", "supervisor")


def test_the_access_log_is_itself_in_the_audit_tree(
    client: FlaskClient, county: County, services: Services
) -> None:
    office = Office(client, county)
    office.view(office.register()["id"], "clerk")
    (entry,) = access_log(client, county)
    head = head_of(client, county)

    assert entry["position"] <= services.app.recorder.max_notification_id()
    assert services.audit.verify().ok
    assert head["tree_size"] == services.audit.tree_size()
