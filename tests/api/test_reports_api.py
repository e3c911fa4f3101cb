"""The monthly bulletin 月通报: figures, Excel, printable page, publishing, recomputing."""

from __future__ import annotations

import io
from datetime import date
from uuid import UUID

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

from domain.application import Xinfang
from domain.bulletins import Bulletin
from domain.values import Category, Channel, Outcome, Satisfaction
from tests.conftest import County
from tests.integration.helpers_read import API, Desk, fetch, local, read

MONTH = "2025-09"
BULLETIN = f"/reports/monthly/{MONTH}"


def day(month: int, number: int) -> date:
    """A day of 2025."""
    return date(2025, month, number)


@pytest.fixture
def answered(xinfang: Xinfang, county: County) -> UUID:
    """August: one letter. September: a visit answered by housing, a letter, an accusation."""
    desk = Desk(xinfang, county)
    desk.register(local(day(8, 20)), channel=Channel.LETTER)
    case = desk.register(local(day(9, 2)), channel=Channel.VISIT)
    desk.run(case, "dispatcher", "forward", local(day(9, 2), 11), unit_id=desk.unit("housing"))
    desk.run(case, "head", "accept", local(day(9, 3)), handler_id=desk.person("handler"))
    desk.run(case, "handler", "start_work", local(day(9, 4)))
    desk.run(
        case,
        "handler",
        "respond",
        local(day(9, 15)),
        outcome=Outcome.SUPPORTED,
        text="已解决。",
        delivered_at=local(day(9, 15)),
    )
    letter = desk.register(local(day(9, 5)), channel=Channel.LETTER)
    desk.run(letter, "dispatcher", "forward", local(day(9, 5), 11), unit_id=desk.unit("labour"))
    desk.register(
        local(day(9, 10)),
        channel=Channel.LETTER,
        category=Category.ACCUSATION,
        subject="举报镇干部违规发放补贴",
        content="城关镇某干部虚报冒领补贴。",
        accused=["township"],
    )
    return case


def test_the_draft_bulletin_counts_the_month_beside_the_month_before(
    client: FlaskClient, county: County, answered: UUID
) -> None:
    bulletin = read(client, county, "supervisor", BULLETIN)

    figures = bulletin["figures"]
    assert (bulletin["month"], bulletin["published"], bulletin["differences"]) == (
        MONTH,
        False,
        [],
    )
    assert (figures["month"], figures["as_of"]) == (MONTH, "2025-10-01")
    assert (figures["received"], figures["received_previous_month"]) == (3, 1)
    assert figures["by_channel"] == [
        {"key": "letter", "label": "来信", "count": 2, "previous": 1, "change": 1},
        {"key": "visit", "label": "来访", "count": 1, "previous": 0, "change": 1},
    ]
    assert figures["by_category"] == [
        {"key": "accusation", "label": "检举控告类", "count": 1, "previous": 0, "change": 1},
        {"key": "claim", "label": "申诉求决类", "count": 2, "previous": 1, "change": 1},
    ]
    assert figures["trend_by_channel"]["2025-08"] == {"letter": 1}
    assert figures["trend_by_channel"][MONTH] == {"letter": 2, "visit": 1}
    assert list(figures["trend_by_channel"]) == [
        "2025-04",
        "2025-05",
        "2025-06",
        "2025-07",
        "2025-08",
        MONTH,
    ]
    assert figures["most_complained_units"] == [{"unit": "城关镇", "count": 1}]
    assert figures["satisfaction"] == {
        "rated": 0,
        "satisfied": 0,
        "basically_satisfied": 0,
        "unsatisfied": 0,
        "percent": None,
    }


def test_the_bulletin_is_also_a_workbook_and_a_printable_page_without_outside_assets(
    client: FlaskClient, county: County, answered: UUID
) -> None:
    workbook = fetch(client, county, "supervisor", f"{BULLETIN}.xlsx")
    page = fetch(client, county, "auditor", f"{BULLETIN}.html")

    assert workbook.status_code == 200
    book = load_workbook(io.BytesIO(workbook.data))
    assert book.sheetnames == [
        "概况",
        "总量",
        "按期率",
        "红黑榜",
        "被投诉单位",
        "典型案例",
        "其他指标",
        "隐患排查化解",
        "任务按期销号",
        "专项行动进展",
    ]
    overview = dict(book["概况"].iter_rows(min_row=4, values_only=True))
    assert (overview["月份"], overview["期号"], overview["状态"]) == (
        MONTH,
        "2025年第9期",
        "草稿（未发布）",
    )
    assert overview["本月受理登记（件）"] == 3
    rate_cells = [row[1] for row in book["概况"].iter_rows(min_row=4) if "率" in row[0].value]
    assert [c.number_format for c in rate_cells] == ["0.0%"] * 3
    assert overview["满意率（满意与基本满意／参评）"] == "—"  # nobody rated
    rates = book["按期率"]
    assert all(rates.cell(row=r, column=8).number_format == "0.0%" for r in range(2, 4))
    totals = list(book["总量"].iter_rows(values_only=True))
    assert totals[0] == ("维度", "项目", "本月", "上月", "增减")
    assert ("渠道", "来信", 2, 1, 1) in totals
    assert ("类别", "检举控告类", 1, 0, 1) in totals
    assert list(book["被投诉单位"].iter_rows(values_only=True)) == [("单位", "件数"), ("城关镇", 1)]
    assert book["总量"].freeze_panes == "A2"
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "信访工作月通报" in html
    assert "2025年第9期" in html
    assert "@page { size: A4" in html
    assert html.count("<svg") >= 2
    assert "http://" not in html
    assert "https://" not in html
    assert "<script" not in html


def test_a_published_bulletin_is_frozen_and_a_later_correction_shows_as_a_difference(
    client: FlaskClient, county: County, xinfang: Xinfang, answered: UUID
) -> None:
    draft = read(client, county, "supervisor", BULLETIN)
    head = xinfang.recorder.max_notification_id()
    refused = client.post(f"{API}{BULLETIN}/publish", headers=county.headers("clerk"))
    published = client.post(f"{API}{BULLETIN}/publish", headers=county.headers("supervisor"))
    again = client.post(f"{API}{BULLETIN}/publish", headers=county.headers("supervisor"))
    checked = read(client, county, "auditor", f"{BULLETIN}/recompute")

    assert refused.status_code == 403
    assert published.status_code == 201
    frozen = published.get_json()
    assert (frozen["published"], frozen["published_by"]) == (True, "卫督查")
    assert frozen["figures"] == draft["figures"]
    assert frozen["position"] == head
    assert frozen["differences"] == []
    # The bulletin carries a signed audit head covering the log it was computed from.
    signed = frozen["head"]
    assert signed["tree_size"] > 0
    assert set(signed) >= {"tree_size", "root_hash", "issued_at", "signature", "key_id"}
    public = client.get(f"{API}/audit/head", headers=county.headers("auditor")).get_json()
    assert public["key_id"] == signed["key_id"]
    assert again.status_code == 409
    assert again.get_json()["code"] == 409
    assert (checked["identical"], checked["differences"]) == (True, [])
    assert checked["position"] == frozen["position"]

    Desk(xinfang, county).run(
        answered,
        "clerk",
        "record_follow_up",
        local(day(9, 20)),
        satisfaction=Satisfaction.SATISFIED,
        note="电话回访",
    )
    later = read(client, county, "dispatcher", BULLETIN)
    rechecked = read(client, county, "supervisor", f"{BULLETIN}/recompute")

    assert later["figures"] == frozen["figures"]
    assert later["position"] == frozen["position"]
    assert later["differences"] == [
        {"path": "satisfaction.percent", "published": None, "now": 100.0},
        {"path": "satisfaction.rated", "published": 0, "now": 1},
        {"path": "satisfaction.satisfied", "published": 0, "now": 1},
    ]
    assert (rechecked["identical"], rechecked["differences"]) == (True, [])
    page = fetch(client, county, "supervisor", f"{BULLETIN}.html").get_data(as_text=True)
    assert "群众满意度·参评件：发布时 0 → 现在 1" in page
    assert 'title="satisfaction.rated"' in page


def test_bulletins_refuse_bad_months_and_readers_without_the_role(
    client: FlaskClient, county: County
) -> None:
    answers = {
        (who, path): fetch(client, county, who, path).status_code
        for who, path in (
            ("supervisor", "/reports/monthly/2025-13"),
            ("supervisor", "/reports/monthly/2999-01"),
            ("supervisor", f"{BULLETIN}/recompute"),
            ("clerk", BULLETIN),
            ("head", BULLETIN),
            ("leader", f"{BULLETIN}.xlsx"),
            ("handler", f"{BULLETIN}.pdf"),
            ("supervisor", "/reports/monthly/2025-13.pdf"),
        )
    }

    assert answers == {
        ("supervisor", "/reports/monthly/2025-13"): 422,
        ("supervisor", "/reports/monthly/2999-01"): 422,
        ("supervisor", f"{BULLETIN}/recompute"): 409,
        ("clerk", BULLETIN): 403,
        ("head", BULLETIN): 403,
        ("leader", f"{BULLETIN}.xlsx"): 403,
        ("handler", f"{BULLETIN}.pdf"): 403,
        ("supervisor", "/reports/monthly/2025-13.pdf"): 422,
    }


def test_a_bulletin_published_in_the_older_shape_differs_in_its_format_only(
    client: FlaskClient, county: County, xinfang: Xinfang, answered: UUID
) -> None:
    older = {"month": MONTH, "received": 3, "red_list": [{"unit": "县住建局"}]}
    xinfang.save(
        Bulletin.publish(
            month=MONTH,
            position=xinfang.recorder.max_notification_id() or 0,
            as_of_date=date(2025, 10, 1),
            figures=older,
            head=None,
            actor=county.actors["supervisor"],
            occurred_at=xinfang.clock(),
            today=date(2025, 10, 1),
        )
    )

    bulletin = read(client, county, "supervisor", BULLETIN)
    page = fetch(client, county, "supervisor", f"{BULLETIN}.html")
    workbook = fetch(client, county, "supervisor", f"{BULLETIN}.xlsx")
    pdf = fetch(client, county, "supervisor", f"{BULLETIN}.pdf")

    assert (bulletin["published"], bulletin["figures"]) == (True, older)
    assert pdf.status_code == 409
    assert bulletin["differences"] == [{"path": "format", "published": None, "now": 2}]
    assert (page.status_code, workbook.status_code) == (409, 409)
    assert "旧格式" in page.get_json()["message"]
