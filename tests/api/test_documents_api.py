"""Documents of a case (文书) as PDF: each kind in the right state, 文号 given once, 409 in the
wrong state, identity only for those who may see it, every print logged; looked at with poppler."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.api.helpers import API, Office, assert_error, ok
from tests.api.test_concurrency_api import all_at_once
from tests.conftest import County
from tests.render import page_size, pdf_fonts, pdf_text, require_poppler, save_png

A4 = (595.28, 841.89)
NUMBER = re.compile(r"县信(?:受告|不受告|延告|处意|复查|复核|转交)〔\d{4}〕\d+号")

KINDS: dict[str, tuple[str, str, list[str]]] = {
    # kind: (status to drive the case to, title, words the document must carry)
    "acceptance_notice": ("accepted", "受理告知书", ["第二十三条", "60日内办结", "钱办事"]),
    "not_accepted_notice": ("not_accepted", "不予受理告知书", ["不予受理", "受理范围"]),
    "extension_notice": ("extended", "延期办理告知书", ["第三十四条", "延长10日", "赵局长"]),
    "response": ("responded", "处理意见书", ["第三十二条", "予以支持", "30日内", "复查"]),
    "review_decision": ("reviewed", "复查意见书", ["第三十五条", "维持", "30日内", "复核"]),
    "recheck_decision": ("terminated", "复核意见书", ["第三十六条", "终结", "不再受理"]),
    "transfer_slip": ("forwarded", "转送单", ["县住建局", "第二十二条", "5个工作日"]),
}


def pdf(client: FlaskClient, county: County, case_id: str, kind: str, who: str) -> TestResponse:
    return client.get(f"{API}/cases/{case_id}/documents/{kind}.pdf", headers=county.headers(who))


def listed(client: FlaskClient, county: County, case_id: str, who: str) -> dict[str, Any]:
    response = client.get(f"{API}/cases/{case_id}/documents", headers=county.headers(who))
    items: list[dict[str, Any]] = ok(response)["items"]
    return {item["kind"]: item for item in items}


def looked_at(response: TestResponse) -> str:
    """The text of a PDF answer (without spaces and line breaks), after checking it is an A4 PDF
    with every font embedded."""
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/pdf"
    body = response.data
    assert body.startswith(b"%PDF-")
    width, height = page_size(body)
    assert (round(width), round(height)) == (round(A4[0]), round(A4[1]))
    fonts = pdf_fonts(body)
    assert fonts
    assert all(f["emb"] == "yes" and f["type"] == "CID TrueType" for f in fonts), fonts
    assert any("NotoSerifSC" in f["name"] for f in fonts), fonts
    return re.sub(r"\s", "", pdf_text(body))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_document_renders_in_its_state_with_a_number_given_once(
    client: FlaskClient, county: County, backend: str, kind: str
) -> None:
    require_poppler()
    office = Office(client, county)
    status, title, words = KINDS[kind]
    case = office.drive(status)
    assert kind in listed(client, county, case["id"], "clerk")
    assert listed(client, county, case["id"], "clerk")[kind]["number"] is None

    first = pdf(client, county, case["id"], kind, "clerk")
    text = looked_at(first)
    number = NUMBER.search(text)
    assert number is not None, text
    assert title in text
    assert "县信访局" in text
    assert "张三" in text  # the clerk sees the petitioner
    for word in words:
        assert word in text, (word, text)
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", text)
    assert "filename*=UTF-8''" in first.headers["Content-Disposition"]

    # A reprint, by someone else, carries the same number; the list names it.
    again = looked_at(pdf(client, county, case["id"], kind, "supervisor"))
    assert NUMBER.findall(again) == NUMBER.findall(text)
    assert listed(client, county, case["id"], "auditor")[kind]["number"] == number.group()
    issued = [e for e in office.history(case["id"]) if e["type"] == "DocumentIssued"]
    assert [e["data"]["number"] for e in issued] == [number.group()]
    assert issued[0]["actor"]["name"] == county.actors["clerk"].name
    if backend == "sqlite":
        save_png(first.data, kind)


def test_numbers_run_per_kind_and_year(client: FlaskClient, county: County) -> None:
    office = Office(client, county)
    cases = [office.drive("accepted")["id"] for _ in range(3)]
    numbers = []
    for case_id in cases:
        sent = office.send("head", case_id, "documents", {"kind": "acceptance_notice"})
        numbers.append(ok(sent) and listed(client, county, case_id, "head")["acceptance_notice"])
    serials = [int(re.search(r"〕(\d+)号", n["number"]).group(1)) for n in numbers]  # type: ignore[union-attr]
    assert serials == [1, 2, 3]
    slip = office.send("dispatcher", cases[0], "documents", {"kind": "transfer_slip"})
    assert "县信转交〔" in listed(client, county, cases[0], "head")["transfer_slip"]["number"]
    assert ok(slip)
    # Issuing the same document again is refused: it keeps its number.
    twice = office.send("head", cases[0], "documents", {"kind": "acceptance_notice"})
    assert "重印沿用原文号" in assert_error(twice, 409)["message"]


def test_the_unit_a_case_is_reassigned_to_gives_its_own_acceptance_notice(
    client: FlaskClient, county: County
) -> None:
    require_poppler()
    office = Office(client, county)
    case_id = office.drive("in_progress")["id"]
    ok(office.send("head", case_id, "documents", {"kind": "acceptance_notice"}))
    first = listed(client, county, case_id, "head")["acceptance_notice"]["number"]
    reassign = {"unit_id": str(county.units["labour"]), "reason": "劳动保障事项由人社局办理"}
    ok(office.send("dispatcher", case_id, "reassign", reassign))
    # Sent on, the labour bureau has not accepted: no notice says it has.
    refused = assert_error(pdf(client, county, case_id, "acceptance_notice", "clerk"), 409)
    assert refused["message"].startswith("受理告知书须在案件受理后出具")
    handler = {"handler_id": str(county.actors["labour_handler"].id)}
    ok(office.send("labour_head", case_id, "accept", handler))
    assert listed(client, county, case_id, "labour_head")["acceptance_notice"]["number"] is None
    text = looked_at(pdf(client, county, case_id, "acceptance_notice", "labour_head"))
    second = NUMBER.search(text)
    assert second is not None, text
    assert second.group(0) != first
    assert "县人社局已于" in text
    assert "吴经办" in text
    assert "县住建局" not in text
    assert "钱办事" not in text
    numbers = [
        e["data"]["number"]
        for e in office.history(case_id)
        if e["type"] == "DocumentIssued" and e["data"]["kind"] == "acceptance_notice"
    ]
    assert numbers == [first, second.group(0)]


def test_the_wrong_state_is_409_and_records_nothing(client: FlaskClient, county: County) -> None:
    office = Office(client, county)
    case = office.drive("forwarded")
    before = office.history(case["id"])
    for kind in ("acceptance_notice", "response", "review_decision", "delivery_receipt"):
        body = assert_error(pdf(client, county, case["id"], kind, "clerk"), 409)
        assert "当前状态：已转送" in body["message"]
        assert kind not in listed(client, county, case["id"], "clerk")
    refused = office.send("clerk", case["id"], "documents", {"kind": "response"})
    assert assert_error(refused, 409)["message"].startswith("处理意见书须在作出处理意见后出具")
    assert office.history(case["id"]) == before
    unknown = client.get(
        f"{API}/cases/{case['id']}/documents/letter.pdf", headers=county.headers("clerk")
    )
    assert "kind" in assert_error(unknown, 422)["errors"]


def test_the_delivery_receipt_names_the_document_it_delivers(
    client: FlaskClient, county: County, backend: str
) -> None:
    require_poppler()
    office = Office(client, county)
    case = office.drive("accepted")
    notice = looked_at(pdf(client, county, case["id"], "acceptance_notice", "head"))
    number = NUMBER.search(notice)
    assert number is not None
    receipt = pdf(client, county, case["id"], "delivery_receipt", "clerk")
    text = looked_at(receipt)
    assert "送达回证" in text
    assert number.group() in text
    assert "城关镇幸福村1号" in text  # the address to deliver to
    assert "受送达人（签名或盖章）" in text
    assert listed(client, county, case["id"], "clerk")["delivery_receipt"]["number"] is None
    if backend == "sqlite":
        save_png(receipt.data, "delivery_receipt")


def test_a_masked_viewer_gets_the_document_without_identity(
    client: FlaskClient, county: County
) -> None:
    require_poppler()
    office = Office(client, county)
    case = office.drive("accepted", subject="张三反映拖欠工资")
    changed = office.send(
        "dispatcher",
        case["id"],
        "leader",
        {"leader_id": str(county.actors["leader2"].id), "reason": "包案领导调整"},
    )
    ok(changed)
    text = looked_at(pdf(client, county, case["id"], "acceptance_notice", "clerk"))
    assert "张三" in text
    # The former sponsor still sees the case, masked: no name, no address, in any text.
    masked = looked_at(pdf(client, county, case["id"], "acceptance_notice", "leader"))
    assert "张三" not in masked
    assert "张*" in masked
    assert "遮蔽" in masked
    receipt = looked_at(pdf(client, county, case["id"], "delivery_receipt", "leader"))
    assert "幸福村1号" not in receipt
    access = client.get(
        f"{API}/audit/access",
        query_string={"case_id": case["id"]},
        headers=county.headers("auditor"),
    )
    assert access.status_code == 200, access.get_json()
    actions = [
        (e["actor"]["name"], e["action"], e["fields"], e["document"]) for e in access.get_json()
    ]
    number = NUMBER.search(text)
    assert number is not None
    notice = f"受理告知书 {number.group()}"
    clerk, leader = county.actors["clerk"].name, county.actors["leader"].name
    assert (clerk, "print_document", ["petitioner_identity"], notice) in actions
    assert (leader, "print_document", [], notice) in actions
    assert (leader, "print_document", [], "送达回证") in actions


def test_a_user_of_an_accused_unit_gets_404(client: FlaskClient, county: County) -> None:
    office = Office(client, county)
    case = office.drive("accepted", accused_unit_ids=[str(county.units["labour"])])
    for who in ("labour_head", "labour_handler"):
        for path in ("documents", "documents/acceptance_notice.pdf"):
            response = client.get(f"{API}/cases/{case['id']}/{path}", headers=county.headers(who))
            assert_error(response, 404)
        assert_error(office.send(who, case["id"], "documents", {"kind": "transfer_slip"}), 404)


def test_only_those_who_may_issue_print_a_document_first(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    case = office.drive("accepted")
    before = office.history(case["id"])
    for who in ("auditor", "leader"):  # they may read the case, not issue its documents
        refused = pdf(client, county, case["id"], "acceptance_notice", who)
        assert_error(refused, 403)
    assert office.history(case["id"]) == before
    assert listed(client, county, case["id"], "auditor")["acceptance_notice"]["number"] is None
    issued = pdf(client, county, case["id"], "acceptance_notice", "handler")
    assert issued.status_code == 200
    # Once issued, whoever may see the case may print it again.
    assert pdf(client, county, case["id"], "acceptance_notice", "auditor").status_code == 200


def test_documents_printed_at_once_on_many_cases_get_distinct_numbers(
    flask_app: Flask, client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    cases = [office.drive("accepted", sponsor=None)["id"] for _ in range(6)]

    def send(each: FlaskClient, i: int) -> TestResponse:
        return each.get(
            f"{API}/cases/{cases[i]}/documents/acceptance_notice.pdf",
            headers=county.headers("clerk"),
        )

    answers = all_at_once(flask_app, send, writers=len(cases))

    assert [a.status_code for a in answers] == [200] * len(cases)
    numbers = [listed(client, county, c, "clerk")["acceptance_notice"]["number"] for c in cases]
    serials = sorted(int(re.search(r"〕(\d+)号", n).group(1)) for n in numbers)  # type: ignore[union-attr]
    assert serials == list(range(1, len(cases) + 1))
