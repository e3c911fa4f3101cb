"""The case page's documents (文书), on both backends: the documents the case's state allows,
with their 文号 once issued, each a link the signed-in user opens (the same PDF, permission,
masking, numbering and access-log record as `GET /api/v1/cases/{id}/documents/{kind}.pdf`),
and the 签发 form for whoever may issue one; 404 for a user of an accused unit."""

from __future__ import annotations

import re

from flask import Flask

from projections.bootstrap import Services
from tests.api.helpers import Office, ok
from tests.api.test_documents_api import NUMBER, listed
from tests.conftest import County
from tests.render import pdf_text, require_poppler
from tests.web.pagehelpers import post_form
from tests.web.test_pages import desk

ISSUE = "签发并编号"


def text_of(body: bytes) -> str:
    return re.sub(r"\s", "", pdf_text(body))


def test_the_case_page_lists_the_documents_and_issues_and_prints_them(
    flask_app: Flask, county: County, services: Services
) -> None:
    require_poppler()
    client = flask_app.test_client()
    office = Office(client, county)
    case = office.drive("accepted", subject="张三反映拖欠工资")
    url = f"/cases/{case['id']}"
    handler = desk(flask_app, county, "handler")
    page = handler.get(url).text
    section = page.split('id="documents-title"')[1].split("</section>")[0]
    assert "受理告知书" in section
    assert "未签发" in section
    assert ISSUE in section
    assert f'href="{url}/documents/acceptance_notice.pdf"' in section

    issued = post_form(
        handler,
        url,
        f"{url}/actions/issue_document",
        {"kind": "acceptance_notice", "idempotency_key": "a" * 32},
    )
    assert issued.status_code == 302, issued.text
    number = listed(client, county, case["id"], "clerk")["acceptance_notice"]["number"]
    assert number is not None
    assert NUMBER.fullmatch(number)
    assert number in handler.get(url).text

    printed = handler.get(f"{url}/documents/acceptance_notice.pdf")
    assert printed.status_code == 200
    assert printed.mimetype == "application/pdf"
    text = text_of(printed.data)
    assert number in text
    assert "张三" in text
    services.catch_up()
    logged = services.access.query(actor_id=county.actors["handler"].id)
    assert "print_document" in {e.action for e in logged}

    # The auditor may read the case and print an issued document, not issue one.
    auditor = desk(flask_app, county, "auditor")
    assert ISSUE not in auditor.get(url).text
    assert auditor.get(f"{url}/documents/acceptance_notice.pdf").status_code == 200
    refused = auditor.get(f"{url}/documents/delivery_receipt.pdf")
    assert refused.status_code == 200  # unnumbered: printed without issuing
    assert auditor.get(f"{url}/documents/no_such_kind.pdf").status_code == 422


def test_a_masked_viewer_opens_the_document_without_identity(
    flask_app: Flask, county: County, services: Services
) -> None:
    require_poppler()
    client = flask_app.test_client()
    office = Office(client, county)
    case = office.drive("accepted", subject="张三反映拖欠工资")
    change = {"leader_id": str(county.actors["leader2"].id), "reason": "包案领导调整"}
    ok(office.send("dispatcher", case["id"], "leader", change))
    ok(office.send("head", case["id"], "documents", {"kind": "acceptance_notice"}))
    leader = desk(flask_app, county, "leader")
    url = f"/cases/{case['id']}"
    assert ISSUE not in leader.get(url).text
    printed = leader.get(f"{url}/documents/acceptance_notice.pdf")
    assert printed.status_code == 200
    text = text_of(printed.data)
    assert "张三" not in text
    assert "张*" in text
    receipt = text_of(leader.get(f"{url}/documents/delivery_receipt.pdf").data)
    assert "幸福村1号" not in receipt
    services.catch_up()
    logged = services.access.query(actor_id=county.actors["leader"].id)
    prints = [e for e in logged if e.action == "print_document"]
    assert len(prints) == 2
    assert all(not e.fields for e in prints)


def test_a_user_of_an_accused_unit_gets_404_and_nothing_is_issued(
    flask_app: Flask, county: County
) -> None:
    client = flask_app.test_client()
    office = Office(client, county)
    case = office.drive("accepted", accused_unit_ids=[str(county.units["labour"])])
    before = office.history(case["id"])
    url = f"/cases/{case['id']}"
    for who in ("labour_head", "labour_handler"):
        accused = desk(flask_app, county, who)
        response = accused.get(f"{url}/documents/acceptance_notice.pdf")
        assert response.status_code == 404
        assert case["number"] not in response.text
        assert "<h1>未找到</h1>" in response.text
        posted = post_form(
            accused, "/", f"{url}/actions/issue_document", {"kind": "acceptance_notice"}
        )
        assert posted.status_code == 404
    assert office.history(case["id"]) == before
