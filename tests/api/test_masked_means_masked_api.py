"""Masked means masked: a viewer without the right to the identity never receives any of it.

The petitioner's name, ID number, phone and address are written, each typed another way
(spaces, dashes, full-width digits, a lower-case x, +86), into every free-text field of a case:
subject, content, place, reasons, a progress note, a visit's notes, a supervision order and its
answer. Then the unit that held the case before and the leader who sponsored it before read
everything the API would show them: the case (now and as of a past moment), its history (with
proofs), the ledger page and workbook, the overdue list, the agenda, the backlog, the answer to
their own command and to its idempotent retry. None of it holds any spelling of the identity, and
neither do the stored views (the raw bytes of every SQLite file; every PostgreSQL column).
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from werkzeug.test import TestResponse

from projections.bootstrap import Services
from projections.settings import Settings
from tests.api.helpers import API, Office, command_body, ok
from tests.conftest import County
from tests.integration.test_personal_data_at_rest import stored_columns, stored_files
from tests.render import pdf_text, require_poppler

NAME = "欧阳明远"
ID_NUMBER = "51012319850607123X"
PHONE = "13912345678"
ADDRESS = "锦江区红星路三段八十八号"
PETITIONER = {"name": NAME, "id_number": ID_NUMBER, "phone": PHONE, "address": ADDRESS}

TYPED = {
    "name with a space": "欧阳 明远",
    "name": NAME,
    "ID number with a lower-case x": ID_NUMBER.lower(),
    "ID number in groups": "510123 19850607 123X",
    "phone with dashes": "139-1234-5678",
    "phone with spaces": "139 1234 5678",
    "full-width phone": "１３９１２３４５６７８",
    "phone with +86": "+86 13912345678",
    "address with spaces": "锦江区 红星路 三段八十八号",
    "address": ADDRESS,
}
"""How staff typed the identity into the case's texts."""

COMPARABLE = (NAME, ID_NUMBER, PHONE, ADDRESS)
SEPARATORS = re.compile(r"[\s\-－_.．·・/()（）]")

MASKED_VIEWERS = ["head", "handler", "leader"]
"""The housing bureau held the case before it was reassigned; `leader` sponsored it before."""


def leaks(text: str) -> set[str]:
    """The identity values `text` holds in any spelling (folded as domain.identity compares)."""
    folded = SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()
    return {value for value in COMPARABLE if SEPARATORS.sub("", value).upper() in folded}


def shown(response: TestResponse) -> str:
    """What a response shows: its JSON (non-ASCII unescaped), or a workbook's cells."""
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    if response.mimetype == "application/json":
        return json.dumps(response.get_json(), ensure_ascii=False)
    if response.mimetype == "application/pdf":
        return pdf_text(response.data)
    workbook = load_workbook(io.BytesIO(response.data))
    return "\n".join(
        str(cell) for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row
    )


def texts_naming_the_petitioner(office: Office, county: County) -> dict[str, Any]:
    """A claim whose every text names the petitioner; reassigned and responsored since."""
    case = office.drive(
        "in_progress",
        subject=f"{TYPED['name with a space']}反映拖欠工资",
        content=(
            f"身份证{TYPED['ID number with a lower-case x']}，电话{TYPED['phone with dashes']}，"
            f"住{TYPED['address with spaces']}。"
        ),
        location=TYPED["address"],
        petitioners=[PETITIONER],
    )
    case_id = case["id"]
    supervision = {**command_body("supervision-orders", county)}
    supervision["text"] = f"督办{TYPED['ID number in groups']}反映事项"
    steps = [
        ("handler", "progress", {"note": f"已电话联系{TYPED['full-width phone']}"}),
        (
            "handler",
            "visits",
            {**command_body("visits", county), "notes": f"走访{TYPED['name']}家中"},
        ),
        ("supervisor", "supervision-orders", supervision),
        ("handler", "supervision-orders/1/answer", {"text": f"已回电{TYPED['phone with +86']}"}),
        ("dispatcher", "flags", {"flag": "key_case", "on": True}),
        ("dispatcher", "flags", {"flag": "backlog", "on": True}),
    ]
    for who, path, body in steps:
        ok(office.send(who, case_id, path, body))
    # The handler's own keyed request, retried below after the bureau lost the case.
    keyed = {"note": f"约谈{TYPED['phone with spaces']}"}
    ok(office.send("handler", case_id, "progress", keyed, **{"Idempotency-Key": "mine-1"}))
    reassign = {"unit_id": str(county.units["labour"]), "reason": f"{TYPED['name']}要求换单位"}
    ok(office.send("dispatcher", case_id, "reassign", reassign))
    responsor = {"leader_id": str(county.actors["leader2"].id), "reason": f"{NAME}来电申请"}
    ok(office.send("dispatcher", case_id, "leader", responsor))
    # Accepted by the labour bureau, whose acceptance notice is then printed.
    accept = {"handler_id": str(county.actors["labour_handler"].id)}
    ok(office.send("labour_head", case_id, "accept", accept))
    return {"case": case, "keyed": keyed}


def test_no_spelling_of_the_identity_reaches_a_masked_viewer_or_the_views(
    client: FlaskClient,
    county: County,
    services: Services,
    settings: Settings,
    subtests: pytest.Subtests,
) -> None:
    office = Office(client, county)
    made = texts_naming_the_petitioner(office, county)
    case_id = made["case"]["id"]
    while_held = office.history(case_id)[3]["recorded_at"]
    reception = {**command_body("visits", county), "kind": "reception"}
    reception["notes"] = f"接待{TYPED['name with a space']}"
    require_poppler()
    documents = ("acceptance_notice", "transfer_slip", "delivery_receipt")
    for kind in documents:  # printed first (and numbered) by the bureau, which sees the identity
        printed = client.get(
            f"{API}/cases/{case_id}/documents/{kind}.pdf", headers=county.headers("dispatcher")
        )
        assert leaks(shown(printed)), kind

    for who in MASKED_VIEWERS:
        headers = county.headers(who)
        answers = {
            "case": office.get(case_id, who),
            "case as of": office.get(case_id, who, as_of=while_held),
            "history": client.get(f"{API}/cases/{case_id}/history", headers=headers),
            "proofs": client.get(f"{API}/cases/{case_id}/history?proofs=true", headers=headers),
            "ledger": client.get(f"{API}/ledger", headers=headers),
            "ledger.xlsx": client.get(f"{API}/ledger.xlsx", headers=headers),
            "overdue": client.get(f"{API}/accountability/overdue", headers=headers),
            "agenda": client.get(f"{API}/accountability/agenda", headers=headers),
            "backlog": client.get(f"{API}/accountability/backlog", headers=headers),
            **{
                f"{kind}.pdf": client.get(
                    f"{API}/cases/{case_id}/documents/{kind}.pdf", headers=headers
                )
                for kind in documents
            },
        }
        if who == "leader":
            answers["command answer"] = office.send(who, case_id, "visits", reception)
        if who == "handler":
            retry = {"Idempotency-Key": "mine-1"}
            answers["idempotent retry"] = office.send(
                who, case_id, "progress", made["keyed"], **retry
            )
        for what, response in answers.items():
            with subtests.test(who=who, what=what):
                text = shown(response)

                assert not leaks(text), (what, text)
                if what in ("ledger", "backlog"):
                    assert case_id in text  # the case is listed, only the identity is not

    with subtests.test("those who may see it still do"):
        assert office.view(case_id, "labour_handler")["petitioners"] == [PETITIONER]
        assert leaks(shown(office.get(case_id, "clerk"))) == set(COMPARABLE)

    with subtests.test("the stored views"):
        services.catch_up()
        found = {
            (where, value)
            for where, data in stored_files(settings)
            for value in COMPARABLE
            if any(spelling.encode() in data for spelling in (value, *TYPED.values()))
        }
        if settings.is_postgres:
            found |= {
                (where, value)
                for where, data in stored_columns(settings)
                for value in leaks(data.decode(errors="replace"))
            }
        assert not found, sorted(found)
