"""The case ledger 台账 over HTTP: filters, paging, sorting, the Excel export, access, as_of."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from api.context import services
from api.ledger import LedgerPageSchema
from domain.application import Xinfang
from domain.cases import local_date
from domain.values import Category, Channel, Flag, NoticeKind, Outcome
from projections.ledger import LedgerQuery
from tests.conftest import County
from tests.integration.helpers_read import Desk, fetch, read

FORMULA = '=HYPERLINK("http://evil.example/","点我")'
SCRIPT = "<script>alert(1)</script>"
HEADERS = [
    "序号",
    "案件编号",
    "登记日期",
    "信访渠道",
    "信访类别",
    "信访人",
    "事由",
    "地点",
    "责任单位",
    "包案领导",
    "具体负责人",
    "状态",
    "当前期限",
    "到期日",
    "期限状态",
    "标记",
    "重复信访次数",
    "答复结果",
    "三到位一处理",
    "满意度",
    "办结日期",
]
MASKED = {
    "name": "张*",
    "id_number": "1101**********1234",
    "phone": "138****5678",
    "address": "城关镇*****",
}
UNMASKED = {
    "name": "张三",
    "id_number": "110101199001011234",
    "phone": "13812345678",
    "address": "城关镇幸福村1号",
}


@dataclass(frozen=True)
class Office:
    """Cases of the ledger tests by name, and their numbers."""

    desk: Desk
    ids: dict[str, UUID]

    def numbers(self, *names: str) -> list[str]:
        """The case numbers of the named cases, in the order given."""
        return [self.desk.app._load_case(self.ids[n]).number for n in names]

    def names(self, items: list[dict[str, Any]]) -> list[str]:
        """The names of the cases of ledger rows, in row order."""
        by_id = {str(case_id): name for name, case_id in self.ids.items()}
        return [by_id[item["case_id"]] for item in items]


def notified(desk: Desk, case: UUID, days_ago: int) -> None:
    """The receipt notice reached the petitioner (notice_15 met)."""
    when = desk.ago(days_ago, 2)
    desk.run(
        case,
        "clerk",
        "notify_petitioner",
        when,
        kind=NoticeKind.RECEIPT,
        method="短信",
        delivered_at=when,
    )


def forwarded(desk: Desk, days_ago: int, unit: str, **register: Any) -> UUID:
    """A case registered and forwarded to `unit` `days_ago`."""
    case = desk.register(desk.ago(days_ago), **register)
    desk.run(case, "dispatcher", "forward", desk.ago(days_ago, 1), unit_id=desk.unit(unit))
    return case


@pytest.fixture
def office(xinfang: Xinfang, county: County) -> Office:
    """Seven cases in every corner of the ledger's filters."""
    desk = Desk(xinfang, county)
    ids: dict[str, UUID] = {}
    ids["wages"] = forwarded(desk, 10, "housing")
    desk.run(ids["wages"], "head", "accept", desk.ago(9), handler_id=desk.person("handler"))
    notified(desk, ids["wages"], 9)
    ids["pension"] = forwarded(
        desk,
        40,
        "labour",
        category=Category.SUGGESTION,
        channel=Channel.LETTER,
        subject="养老保险转移接续",
        content="建议简化养老保险转移手续。",
    )
    ids["bribe"] = forwarded(
        desk,
        5,
        "housing",
        category=Category.ACCUSATION,
        channel=Channel.ONLINE,
        subject="举报某局长受贿",
        content="收受红包五万元。",
        accused=["township"],
    )
    ids["road"] = desk.register(
        desk.ago(30),
        channel=Channel.PHONE,
        subject="道路破损",
        content="幸福村道路坑洼，张三多次反映。",
    )
    desk.run(ids["road"], "supervisor", "set_flag", desk.ago(29), flag=Flag.KEY_CASE, on=True)
    ids["answered"] = forwarded(desk, 60, "housing")
    desk.run(ids["answered"], "head", "accept", desk.ago(59), handler_id=desk.person("handler"))
    notified(desk, ids["answered"], 59)
    desk.run(ids["answered"], "handler", "start_work", desk.ago(58))
    desk.run(
        ids["answered"],
        "handler",
        "respond",
        desk.ago(40),
        outcome=Outcome.SUPPORTED,
        text="已解决。",
        delivered_at=desk.ago(40),
    )
    ids["formula"] = desk.register(desk.ago(2), subject=FORMULA, content=FORMULA)
    ids["script"] = desk.register(desk.ago(1), subject=SCRIPT, content=SCRIPT)
    return Office(desk, ids)


def ledger(client: FlaskClient, county: County, who: str = "supervisor", **query: Any) -> Any:
    """One page of the ledger as `who` sees it."""
    return read(client, county, who, "/ledger", **query)


def workbook_rows(client: FlaskClient, county: County, who: str, **query: Any) -> Worksheet:
    """The ledger's Excel export, opened."""
    response = fetch(client, county, who, "/ledger.xlsx", **query)
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert isinstance(sheet, Worksheet)
    return sheet


FILTERS: list[tuple[dict[str, Any], set[str]]] = [
    ({"status": "forwarded"}, {"pension", "bribe"}),
    ({"status": ["forwarded", "registered"]}, {"pension", "bribe", "road", "formula", "script"}),
    ({"category": "accusation"}, {"bribe"}),
    ({"category": "suggestion"}, {"pension"}),
    ({"channel": "phone"}, {"road"}),
    ({"flag": "key_case"}, {"road"}),
    ({"overdue": "true"}, {"pension", "road"}),
    ({"overdue": "false"}, {"wages", "bribe", "answered", "formula", "script"}),
    ({"overdue": "false", "status": "forwarded"}, {"bribe"}),
    ({"q": "坑洼"}, {"road"}),
    ({"q": "养老保险"}, {"pension"}),
    ({"q": "hyperlink"}, {"formula"}),
    ({"q": "受贿"}, {"bribe"}),
    ({"q": "红包"}, set()),
    ({"q": "张三"}, set()),
    ({"q": "%"}, set()),
    ({"q": "_"}, set()),
    ({"q": "\\"}, set()),
    ({"q": "HyperLink"}, {"formula"}),
]
"""Filters and the cases they select. Accusation content is not searchable, its subject is."""


def test_the_ledger_filters_by_status_category_flag_overdue_and_free_text(
    client: FlaskClient, county: County, office: Office
) -> None:
    found = {}
    for query, _ in FILTERS:
        page = ledger(client, county, **query)
        found[repr(query)] = (set(office.names(page["items"])), page["total"])

    assert found == {repr(query): (names, len(names)) for query, names in FILTERS}


def test_the_ledger_filters_by_unit_and_by_received_dates(
    client: FlaskClient, county: County, office: Office
) -> None:
    desk = office.desk
    housing = ledger(client, county, unit_id=str(desk.unit("housing")))
    labour = ledger(client, county, unit_id=str(desk.unit("labour")))
    window = ledger(
        client,
        county,
        received_from=local_date(desk.ago(20)).isoformat(),
        received_to=local_date(desk.ago(2)).isoformat(),
    )

    assert set(office.names(housing["items"])) == {"wages", "bribe", "answered"}
    assert office.names(labour["items"]) == ["pension"]
    assert set(office.names(window["items"])) == {"wages", "bribe", "formula"}


def test_the_ledger_pages_and_sorts(client: FlaskClient, county: County, office: Office) -> None:
    pages = [ledger(client, county, sort="number", page=n, page_size=3) for n in (1, 2, 3, 4)]
    newest_first = ledger(client, county)
    oldest_first = ledger(client, county, sort="received_on")
    by_number_down = ledger(client, county, sort="-number")

    in_order = ["wages", "pension", "bribe", "road", "answered", "formula", "script"]
    assert [office.names(p["items"]) for p in pages] == [
        in_order[:3],
        in_order[3:6],
        in_order[6:],
        [],
    ]
    assert [(p["total"], p["page"], p["page_size"]) for p in pages] == [
        (7, 1, 3),
        (7, 2, 3),
        (7, 3, 3),
        (7, 4, 3),
    ]
    received = ["script", "formula", "bribe", "wages", "road", "pension", "answered"]
    assert office.names(newest_first["items"]) == received
    assert office.names(oldest_first["items"]) == received[::-1]
    assert office.names(by_number_down["items"]) == in_order[::-1]
    assert [i["number"] for i in by_number_down["items"]] == office.numbers(*in_order[::-1])


BAD_FILTERS: list[tuple[dict[str, str], str]] = [
    ({"status": "lost"}, "status"),
    ({"category": "complaint"}, "category"),
    ({"page": "0"}, "page"),
    ({"page_size": "501"}, "page_size"),
    ({"sort": "subject"}, "sort"),
    ({"overdue": "perhaps"}, "overdue"),
    ({"unit_id": "housing"}, "unit_id"),
    ({"received_from": "2026-02-30"}, "received_from"),
    ({"as_of": "yesterday"}, "as_of"),
]


@pytest.mark.parametrize("who", ["clerk", "head", "handler", "supervisor", "dispatcher"])
def test_a_ledger_page_is_written_as_its_schema_dumps_it(
    client: FlaskClient, county: County, xinfang: Xinfang, office: Office, who: str
) -> None:
    """The page is written without walking LedgerPageSchema (api/ledger.py `page_answer`): it
    must say exactly what the schema's dump says, masked rows, deadlines and all."""
    desk = office.desk  # the wages case moves on: its identity is masked for housing now
    desk.run(office.ids["wages"], "handler", "start_work")
    desk.run(office.ids["wages"], "dispatcher", "reassign", unit_id=desk.unit("labour"))
    page = ledger(client, county, who, sort="number")
    with client.application.app_context():
        built = services()
        today = local_date(xinfang.clock())
        items, total = built.ledger.search(county.actors[who], LedgerQuery(sort="number"), today)
    body = {"items": items, "total": total, "page": 1, "page_size": 50, "as_of": None}

    assert page == json.loads(json.dumps(LedgerPageSchema().dump(body)))
    assert any(i["deadline"] for i in page["items"])
    assert any(i["identity_masked"] for i in page["items"]) == (who in {"head", "handler"})
    moment = datetime.now(UTC)
    assert (
        ledger(client, county, "supervisor", as_of=moment.isoformat())["as_of"]
        == (LedgerPageSchema().dump({**body, "as_of": moment})["as_of"])
    )


def test_bad_ledger_filters_are_refused_with_422_naming_the_field(
    client: FlaskClient, county: County
) -> None:
    answers = {}
    for path in ("/ledger", "/ledger.xlsx"):
        for query, _ in BAD_FILTERS:
            response = fetch(client, county, "supervisor", path, **query)
            body = response.get_json()
            answers[path, repr(query)] = (response.status_code, body["code"], set(body["errors"]))

    assert answers == {
        (path, repr(query)): (422, 422, {field})
        for path in ("/ledger", "/ledger.xlsx")
        for query, field in BAD_FILTERS
    }


def test_the_excel_export_holds_the_same_rows_as_the_json_ledger(
    client: FlaskClient, county: County, office: Office
) -> None:
    for query in (
        {},
        {"overdue": "false", "sort": "number"},
        {"unit_id": str(office.desk.unit("housing"))},
    ):
        json_rows = ledger(client, county, page_size=2, **query)
        pages = [json_rows] + [
            ledger(client, county, page=n, page_size=2, **query)
            for n in range(2, json_rows["total"] // 2 + 2)
        ]
        numbers = [item["number"] for page in pages for item in page["items"]]

        sheet = workbook_rows(client, county, "supervisor", **query)

        assert [cell.value for cell in sheet[3]] == HEADERS
        assert sheet.freeze_panes == "A4"
        assert [row[1] for row in sheet.iter_rows(min_row=4, values_only=True)] == numbers
        assert len(numbers) == json_rows["total"]


def test_text_that_looks_like_a_formula_or_markup_is_kept_verbatim_and_never_a_formula(
    client: FlaskClient, county: County, office: Office
) -> None:
    rows = ledger(client, county, sort="number")["items"]
    view = read(client, county, "supervisor", f"/cases/{office.ids['formula']}")
    sheet = workbook_rows(client, county, "supervisor", sort="number")

    subjects = {name: row["subject"] for name, row in zip(office.names(rows), rows, strict=True)}
    assert (subjects["formula"], subjects["script"]) == (FORMULA, SCRIPT)
    assert (view["subject"], view["content"]) == (FORMULA, FORMULA)
    cells = {row[1].value: row[6] for row in sheet.iter_rows(min_row=4)}
    formula, script = (cells[n] for n in office.numbers("formula", "script"))
    assert (formula.value, formula.data_type) == (FORMULA, "s")
    assert (script.value, script.data_type) == (SCRIPT, "s")
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_a_responded_case_whose_review_window_lapsed_is_not_overdue_but_ready_to_close(
    client: FlaskClient, county: County, office: Office
) -> None:
    rows = {r["case_id"]: r for r in ledger(client, county)["items"]}

    answered = rows[str(office.ids["answered"])]
    assert answered["status"] == "responded"
    # Issue 9: a window passed unused is no deadline of the office; the ledger shows the case
    # as waiting to be closed (期满待办结) instead of showing no deadline at all.
    assert (answered["deadline"]["rule"], answered["deadline"]["level"]) == (
        "review_window_30",
        "ready_to_close",
    )
    assert rows[str(office.ids["pension"])]["deadline"]["level"] in {"overdue", "severely_overdue"}


# -- access rules of domain.md §7 on every view and export ---------------------------------------
def test_users_of_an_accused_unit_never_see_the_case_that_accuses_it(
    client: FlaskClient, county: County, xinfang: Xinfang
) -> None:
    desk = Desk(xinfang, county)
    cases = {
        "accusing": forwarded(
            desk,
            40,
            "housing",
            category=Category.ACCUSATION,
            subject="举报镇干部违规发放补贴",
            content="城关镇某干部虚报冒领补贴。",
            accused=["township"],
            collective_size=6,
        ),
        "township": forwarded(desk, 40, "township", collective_size=6),
        "village": forwarded(desk, 40, "village", collective_size=6),
    }
    for case in cases.values():
        for flag in (Flag.KEY_CASE, Flag.BACKLOG):
            desk.run(case, "supervisor", "set_flag", desk.ago(39), flag=flag, on=True)
    number = {name: xinfang._load_case(case).number for name, case in cases.items()}

    def seen(who: str) -> dict[str, set[str]]:
        agenda = read(client, county, who, "/accountability/agenda")
        sheet = workbook_rows(client, county, who)
        return {
            "ledger": {i["number"] for i in ledger(client, county, who)["items"]},
            "xlsx": {r[1] for r in sheet.iter_rows(min_row=4, values_only=True)},
            "overdue": {
                i["number"] for i in read(client, county, who, "/accountability/overdue")["items"]
            },
            "backlog": {
                i["number"] for i in read(client, county, who, "/accountability/backlog")["items"]
            },
            "agenda": {
                i["number"]
                for key in (
                    "key_cases",
                    "new_collective_or_skip_level",
                    "overdue",
                    "stalled_backlog",
                )
                for i in agenda[key]
            },
        }

    township = seen("township_head")
    village = seen("village_handler")
    housing = seen("head")

    assert all(found == {number["township"]} for found in township.values()), township
    assert all(found == {number["village"]} for found in village.values()), village
    assert all(found == {number["accusing"]} for found in housing.values()), housing


def test_petitioner_identity_is_masked_for_a_unit_that_no_longer_holds_the_case(
    client: FlaskClient, county: County, xinfang: Xinfang
) -> None:
    desk = Desk(xinfang, county)
    case = forwarded(desk, 20, "housing")
    desk.run(case, "head", "accept", desk.ago(19), handler_id=desk.person("handler"))
    desk.run(case, "handler", "start_work", desk.ago(18))
    desk.run(case, "dispatcher", "reassign", desk.ago(10), unit_id=desk.unit("labour"))

    shown = {
        who: ledger(client, county, who)["items"][0]["petitioners"]
        for who in ("head", "handler", "labour_head", "clerk", "supervisor", "auditor")
    }
    sheet = workbook_rows(client, county, "head")

    assert shown == {
        "head": [MASKED],
        "handler": [MASKED],
        "labour_head": [UNMASKED],
        "clerk": [UNMASKED],
        "supervisor": [UNMASKED],
        "auditor": [UNMASKED],
    }
    assert [r[5] for r in sheet.iter_rows(min_row=4, values_only=True)] == ["张*"]
    assert "张三" not in {c for row in sheet.iter_rows(values_only=True) for c in row if c}


# -- as of a past moment -------------------------------------------------------------------------
def test_the_ledger_as_of_a_moment_between_two_commands_shows_the_status_then(
    client: FlaskClient, county: County, xinfang: Xinfang
) -> None:
    desk = Desk(xinfang, county)
    case = forwarded(desk, 3, "housing")
    between = datetime.now(UTC)
    desk.run(case, "head", "accept", handler_id=desk.person("handler"))
    later = desk.register(subject="之后登记的案件")

    then = ledger(client, county, as_of=between.isoformat())
    now = ledger(client, county)
    sheet = workbook_rows(client, county, "supervisor", as_of=between.isoformat())

    assert [(UUID(i["case_id"]), i["status"], i["handler_id"]) for i in then["items"]] == [
        (case, "forwarded", None)
    ]
    assert datetime.fromisoformat(then["as_of"]) == between
    assert [(UUID(i["case_id"]), i["status"]) for i in now["items"]] == [
        (later, "registered"),
        (case, "accepted"),
    ]
    assert [(r[1], r[11]) for r in sheet.iter_rows(min_row=4, values_only=True)] == [
        (then["items"][0]["number"], "已转送")
    ]
