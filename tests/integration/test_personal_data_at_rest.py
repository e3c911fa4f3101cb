"""Personal data at rest: petitioner identity and accusation content are never stored in clear.

A petitioner with a distinctive name, ID number, phone and address files a claim and an
accusation, then a repeat petition; the cases move on. Then every stored byte is searched: each
file of the instance folder on SQLite (event store, views, their -wal/-shm, keys), every column of
every table of the instance's schema on PostgreSQL. Nothing is found, while the API still shows
the identity to a clerk, masks it for a former sponsor, and finds the earlier cases of the same
person (同人) by ID number, by phone typed differently, and by name.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from psycopg import sql

from projections.bootstrap import Services
from projections.disclosure import ACCUSATION_WITHHELD
from projections.settings import Settings
from tests.api.helpers import API, Office, assert_error, ok, registration
from tests.conftest import County, pg_connect

NAME = "欧阳明远"
ID_NUMBER = "51012319850607123X"
PHONE_DIGITS = "13912345678"
PHONE_TYPED = ("139 1234 5678", "139-1234-5678")
"""How the phone was typed at intake (one per case); neither is stored either."""
ADDRESS = "锦江区红星路三段八十八号"
ACCUSATION = "检举城建局某科长收受开发商贿赂九十九万元并藏匿于地下车库"
REPEAT_ACCUSATION = "再次检举该科长转移赃款至其妻弟名下的砂石场"

SECRETS = (
    NAME,
    ID_NUMBER,
    ID_NUMBER.lower(),
    PHONE_DIGITS,
    *PHONE_TYPED,
    ADDRESS,
    ACCUSATION,
    ACCUSATION[4:14],
    REPEAT_ACCUSATION,
    REPEAT_ACCUSATION[4:14],
)
"""What must be found nowhere at rest, in any of its encodings (see `needles`)."""


def needles() -> dict[bytes, str]:
    """Each secret as stored text could hold it: UTF-8, and JSON with \\u escapes."""
    found: dict[bytes, str] = {}
    for secret in SECRETS:
        found[secret.encode()] = secret
        escaped = json.dumps(secret)[1:-1].encode()
        found[escaped] = secret
        found[escaped.replace(b"\\u", b"\\\\u")] = secret  # escaped twice (JSON in JSON)
    return found


def found_in(data: bytes) -> set[str]:
    """The secrets that `data` holds in clear."""
    return {secret for needle, secret in needles().items() if needle in data}


def person(phone: str, id_number: str = ID_NUMBER) -> dict[str, str]:
    """The petitioner, with the phone as typed this time."""
    return {"name": NAME, "id_number": id_number, "phone": phone, "address": ADDRESS}


def petition_and_handle(office: Office, county: County) -> dict[str, str]:
    """A claim, an accusation with a repeat petition, and commands on both; their ids."""
    claim = office.register(
        subject="拖欠工资",
        # The claim's content names the petitioner: the ledger's search text must not.
        content=f"{NAME}（身份证{ID_NUMBER}，电话{PHONE_TYPED[0]}）反映工地拖欠工资三个月。",
        petitioners=[person(PHONE_TYPED[0])],
    )
    accusation = office.register(
        channel="letter",
        category="accusation",
        subject="检举控告",
        content=ACCUSATION,
        petitioners=[person(PHONE_TYPED[1], ID_NUMBER.lower())],
    )
    leader, leader2 = (str(county.actors[who].id) for who in ("leader", "leader2"))
    steps = [
        ("dispatcher", claim["id"], "forward", {"unit_id": str(county.units["housing"])}),
        ("head", claim["id"], "accept", {"handler_id": str(county.actors["handler"].id)}),
        ("handler", claim["id"], "progress", {"note": "已约谈施工方负责人"}),
        ("dispatcher", accusation["id"], "leader", {"leader_id": leader, "reason": "包案"}),
        # A reason that names the petitioner: the history keeps it, the views must not.
        ("dispatcher", accusation["id"], "leader", {"leader_id": leader2, "reason": f"{NAME}申请"}),
        (
            "clerk",
            accusation["id"],
            "petitions",
            {
                "channel": "phone",
                "content": REPEAT_ACCUSATION,
                "petitioners": [person(PHONE_DIGITS)],
            },
        ),
    ]
    for n, (who, case_id, path, body) in enumerate(steps):
        # Idempotency records keep the request and its answer: they must be sealed too.
        ok(office.send(who, case_id, path, body, **{"Idempotency-Key": f"step-{n}"}))
    return {"claim": claim["id"], "accusation": accusation["id"]}


def stored_files(settings: Settings) -> Iterator[tuple[str, bytes]]:
    """Every file of the instance folder (databases, -wal and -shm files, keys)."""
    for path in sorted(settings.home.rglob("*")):
        if path.is_file():
            yield str(path.relative_to(settings.home)), path.read_bytes()


def stored_columns(settings: Settings) -> Iterator[tuple[str, bytes]]:
    """Every value of every column of every table in the instance's PostgreSQL schema."""
    schema = settings.extra_env["POSTGRES_SCHEMA"]
    with pg_connect() as conn:
        columns = conn.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = %s ORDER BY table_name, ordinal_position",
            [schema],
        ).fetchall()
        assert {"xinfang_events", "ledger_cases", "ledger_actions"} <= {c[0] for c in columns}
        for table, column, data_type in columns:
            query = sql.SQL("SELECT {} FROM {}.{}").format(
                sql.Identifier(column), sql.Identifier(schema), sql.Identifier(table)
            )
            for (value,) in conn.execute(query):
                yield f"{table}.{column} ({data_type})", as_bytes(value)


def as_bytes(value: Any) -> bytes:
    """A column value as the bytes to search (bytea as stored, anything else as text)."""
    if isinstance(value, bytes | memoryview):
        return bytes(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False).encode()
    return str(value).encode()


def test_identity_and_accusations_are_nowhere_in_clear_yet_shown_and_found_by_the_api(
    client: FlaskClient, county: County, services: Services, settings: Settings
) -> None:
    office = Office(client, county)
    ids = petition_and_handle(office, county)
    services.catch_up()

    leaks = {(where, secret) for where, data in stored_files(settings) for secret in found_in(data)}
    if settings.is_postgres:
        leaks |= {
            (where, secret) for where, data in stored_columns(settings) for secret in found_in(data)
        }

    assert not leaks, sorted(leaks)
    shown = office.view(ids["accusation"], "clerk")
    assert shown["petitioners"][0] == person(PHONE_TYPED[1], ID_NUMBER.lower())
    assert shown["content"] == ACCUSATION
    masked = office.view(ids["accusation"], "leader")  # sponsored it before, no longer
    assert masked["identity_masked"] is True
    assert masked["petitioners"][0]["name"] == NAME[0] + "*" * (len(NAME) - 1)
    assert masked["petitioners"][0]["phone"] == "139******5678"
    assert masked["content"] == ACCUSATION_WITHHELD
    history = json.dumps(office.history(ids["accusation"], "leader"), ensure_ascii=False)
    assert not found_in(history.encode())


@pytest.mark.parametrize(
    "identity",
    [
        {"id_number": ID_NUMBER.lower()},
        {"phone": "+86 139-1234-5678"},
        {"phone": "１３９１２３４５６７８"},
        {"name": f" {NAME[:2]} {NAME[2:]} "},
        {"name": "欧阳某", "phone": "+86 13912345678"},
    ],
    ids=["ID number", "phone with +86", "full-width phone", "name with spaces", "any one"],
)
def test_a_clerk_finds_the_earlier_cases_of_the_same_petitioner(
    client: FlaskClient, county: County, identity: dict[str, str]
) -> None:
    office = Office(client, county)
    ids = petition_and_handle(office, county)
    office.register(petitioners=[{"name": "另一人", "phone": "13800000000"}])

    response = client.post(
        f"{API}/petitioners/search", json=identity, headers=county.headers("clerk")
    )

    items = ok(response)["items"]
    assert {row["case_id"] for row in items} == {ids["claim"], ids["accusation"]}
    assert all(row["petitioners"][0]["name"] == NAME for row in items)


def test_a_failed_request_with_identity_in_it_logs_none_of_it(
    client: FlaskClient, county: County, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = registration(content=ACCUSATION, category="accusation", petitioners=[person("x")])
    search = {"name": NAME, "id_number": ID_NUMBER, "phone": PHONE_DIGITS}

    answers = [
        client.post(f"{API}/cases", json={**body, "x": 1}, headers=county.headers("clerk")),
        client.post(f"{API}/cases", json=body, headers=county.headers("handler")),
        client.post(f"{API}/cases", json=body, headers={"Authorization": "Bearer guess"}),
        client.post(f"{API}/petitioners/search", json=search, headers=county.headers("handler")),
    ]

    assert [r.status_code for r in answers] == [422, 403, 401, 403]
    for response in answers:
        assert not found_in(response.data)
        assert_error(response, response.status_code)
    logged = "\n".join(
        f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records
    ).encode()
    assert not found_in(logged)
