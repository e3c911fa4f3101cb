"""The bulletin as a document (issue 12 §3): a 公文 head, A4 print rules, no English in what a
reader sees, sorted bars with their figures and a table under each chart, totals, the typical
cases, the audit root in the footer; the same document as PDF; the workbook names its month."""

from __future__ import annotations

import io
import re
from datetime import date

from flask.testing import FlaskClient
from openpyxl import load_workbook

from api.bulletin_document import Bars, build, issue_of, local_day
from domain.documents import OfficeProfile
from tests.api.test_bulletin_findings_api import BULLETIN, september, visible_text
from tests.conftest import County
from tests.integration.helpers_read import API, fetch, local, read
from tests.render import page_size, pdf_fonts, pdf_pages, pdf_text, require_poppler, save_png

__all__ = ["september"]  # the fixture, shared with the bulletin's findings

HEX_ROOT = re.compile(r"[0-9a-f]{64}")
CASE_NUMBER = re.compile(r"XF-\d{4}-\d{6}")
WORD = re.compile(r"[A-Za-z]+")
TYPICAL = "多部门联合接访，张三反映的欠薪问题一次化解"


def english_words(text: str) -> list[str]:
    """Latin words of a text, once the audit root (hex) and case numbers are taken out."""
    return WORD.findall(CASE_NUMBER.sub("", HEX_ROOT.sub("", text)))


def mark_typical(client: FlaskClient, county: County) -> str:
    """The supervisor marks one September case typical (on 28 September); returns its number."""
    rows = read(client, county, "supervisor", "/ledger", received_from="2026-09-01")["items"]
    case = rows[0]
    response = client.post(
        f"{API}/cases/{case['case_id']}/typical",
        json={"text": TYPICAL, "occurred_at": local(date(2026, 9, 28)).isoformat()},
        headers=county.headers("supervisor"),
    )
    assert response.status_code == 200, response.get_json()
    refused = client.post(
        f"{API}/cases/{case['case_id']}/typical",
        json={"text": "  "},
        headers=county.headers("supervisor"),
    )
    assert refused.status_code == 422
    number: str = case["number"]
    return number


def test_the_published_bulletin_prints_as_a_document_in_html_pdf_and_excel(
    client: FlaskClient, september: County, backend: str
) -> None:
    require_poppler()
    number = mark_typical(client, september)
    published = client.post(f"{API}{BULLETIN}/publish", headers=september.headers("supervisor"))
    assert published.status_code == 201, published.get_json()
    bulletin = published.get_json()
    assert bulletin["figures"]["typical_cases"] == [
        {
            "number": number,
            "category": "申诉求决类",
            "unit": bulletin["figures"]["typical_cases"][0]["unit"],
            # The petitioner named in the note is redacted like every text of the views.
            "text": bulletin["figures"]["typical_cases"][0]["text"],
        }
    ]
    assert "张三" not in bulletin["figures"]["typical_cases"][0]["text"]
    printed_on = local_day(bulletin["published_at"])

    html = fetch(client, september, "auditor", f"{BULLETIN}.html").get_data(as_text=True)
    page = visible_text(html)
    assert english_words(page) == [], english_words(page)
    assert "县信访局" in page
    assert "2026年第9期" in page
    assert f"{printed_on}印发" in page
    assert "十一、典型案例" in page
    assert number in page.split("典型案例")[-1]
    assert "合计" in page
    assert "@page { size: A4" in html
    assert "thead { display: table-header-group; }" in html
    assert "page-break-inside: avoid" in html
    assert html.count("<thead>") >= 10
    assert html.count("<tfoot>") >= 5
    assert "0.6667" not in html
    # The audit root is in the footer, not the head.
    root = bulletin["head"]["root_hash"]
    assert root in html.split('class="footer"')[1]
    assert root not in html.split('class="footer"')[0]
    # Every bar's figure is printed on the chart, largest first.
    volume = re.findall(r'class="value">(\d+) 件</text>', html.split("三、")[1].split("四、")[0])
    assert volume == sorted(volume, key=int, reverse=True)
    assert ">0 件</text>" not in html

    pdf = fetch(client, september, "auditor", f"{BULLETIN}.pdf")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert [round(v) for v in page_size(pdf.data)] == [595, 842]
    fonts = pdf_fonts(pdf.data)
    assert fonts
    assert all(f["emb"] == "yes" and f["type"] == "CID TrueType" for f in fonts), fonts
    pages = pdf_pages(pdf.data)
    text = re.sub(r"\s", "", pdf_text(pdf.data))
    assert english_words(text) == [], english_words(text)
    for words in ("县信访局", "2026年第9期", "红榜（表扬）", "黑榜（通报批评）", "十一、典型案例"):
        assert words in text, words
    assert f"第1页共{pages}页" in text
    assert f"第{pages}页共{pages}页" in text
    assert "20.0%（2/10）" in text
    assert root in text
    if backend == "sqlite":
        save_png(pdf.data, "bulletin", pages=min(pages, 3))

    book = load_workbook(
        io.BytesIO(fetch(client, september, "supervisor", f"{BULLETIN}.xlsx").data)
    )
    overview = dict(book["概况"].iter_rows(min_row=4, values_only=True))
    assert overview["状态"].startswith(f"已发布（{printed_on}印发")
    assert overview["月份"] == "2026-09"
    assert overview["审计树根"] == root
    assert overview["典型案例（件）"] == 1
    assert [r[0] for r in book["典型案例"].iter_rows(min_row=2, values_only=True)] == [number]
    for sheet in book.worksheets:
        assert sheet.page_setup.fitToWidth == 1, sheet.title
        assert sheet.oddFooter.center.text == "第 &P 页 共 &N 页", sheet.title

    # A case marked typical after publication shows as a difference, said in Chinese.
    rows = read(client, september, "supervisor", "/ledger", received_from="2026-09-01")["items"]
    later = client.post(
        f"{API}/cases/{rows[1]['case_id']}/typical",
        json={"text": "补列的典型案例", "occurred_at": local(date(2026, 9, 29)).isoformat()},
        headers=september.headers("supervisor"),
    )
    assert later.status_code == 200, later.get_json()
    again = fetch(client, september, "auditor", f"{BULLETIN}.html").get_data(as_text=True)
    differences = visible_text(again.split('class="diff"')[1].split("</div>")[0])
    assert "典型案例" in differences
    assert english_words(visible_text(again)) == []


def test_the_issue_number_and_the_printing_day_are_the_countys() -> None:
    assert issue_of("2026-11") == "2026年第11期"
    # 17:30 UTC on 30 November is 01:30 on 1 December in the county.
    assert local_day("2026-11-30T17:30:00+00:00") == "2026年12月1日"


def test_bars_are_sorted_without_zeros_and_tables_carry_totals() -> None:
    figures = {
        "month": "2026-09",
        "as_of": "2026-10-01",
        "received": 5,
        "received_previous_month": 2,
        "by_channel": [
            {"key": "visit", "label": "来访", "count": 1, "previous": 2, "change": -1},
            {"key": "letter", "label": "来信", "count": 4, "previous": 0, "change": 4},
        ],
        "by_category": [],
        "by_area": [
            {"key": "a", "label": "甲单位", "count": 0, "previous": 2, "change": -2},
            {"key": "b", "label": "乙单位", "count": 1, "previous": 0, "change": 1},
            {"key": "c", "label": "丙单位", "count": 4, "previous": 0, "change": 4},
        ],
        "trend_by_channel": {"2026-08": {"visit": 2}, "2026-09": {"letter": 4, "visit": 1}},
        "most_complained_units": [],
        "most_overdue_units": [],
        "on_time_rates": [],
        "red_list": [],
        "black_list": [],
        "unranked": [],
        "repeat_petitions": 0,
        "backlog_open": 0,
        "leader_receptions": 0,
        "leader_receptions_recorded": 0,
        "leader_receptions_registered": 0,
        "leader_home_visits": 0,
        "leader_appointments": 0,
        "satisfaction": {
            "rated": 0,
            "satisfied": 0,
            "basically_satisfied": 0,
            "unsatisfied": 0,
            "percent": None,
        },
        "review_outcomes": [],
        "recheck_outcomes": [],
    }
    bulletin = {"figures": figures, "published": False, "position": 7, "differences": []}
    document = build(bulletin, OfficeProfile(office="某县信访局"), [])

    sections = {s.title.split("、", 1)[1]: s for s in document.sections}
    volume = sections["各责任单位信访量"]
    assert isinstance(volume.chart, Bars)
    assert list(volume.chart.rows) == [("丙单位", 4.0), ("乙单位", 1.0)]
    assert volume.tables[0].total == ("合计", 5, 2, "+3")
    channels = sections["总体情况"].tables[0]
    assert [r[0] for r in channels.rows] == ["来信", "来访"]
    trend = sections["近六个月信访量趋势（按渠道）"].tables[0]
    assert trend.headers == ("渠道", "8月", "9月", "合计")
    assert trend.total == ("合计", 2, 5, 7)
    assert sections["典型案例"].empty == "本月未列典型案例。"
    assert document.status == "草稿（未发布）　数据截至 2026-10-01"
    assert document.office == "某县信访局"
