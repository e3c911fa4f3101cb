"""The printed 台账 (issue 12 §2): 300 cases on landscape A4, one page wide, the header on
every page, page numbers, borders, wrapped text, real dates, 序号, overdue rows highlighted."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date
from urllib.parse import unquote

from flask.testing import FlaskClient
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from domain.application import Xinfang
from tests.api.helpers import API
from tests.conftest import County
from tests.integration.helpers_read import PERSON, Desk
from tests.render import page_size, page_texts, printed_workbook, require_office, save_png

CASES = 300


def register_300(xinfang: Xinfang, county: County) -> Desk:
    """300 cases registered yesterday, but two 70 days ago and never sorted (overdue)."""
    desk = Desk(xinfang, county)
    with xinfang.batch():
        for n in range(CASES):
            when = desk.ago(70, n) if n < 2 else desk.ago(1, n)
            desk.register(
                when,
                subject=f"第{n + 1}件：拖欠农民工工资，多次讨要无果",
                petitioners=[PERSON, replace(PERSON, name="李四海")] if n % 7 == 0 else [PERSON],
            )
    return desk


def test_the_ledger_of_300_cases_prints_one_page_wide_with_its_header_on_every_page(
    client: FlaskClient, county: County, xinfang: Xinfang
) -> None:
    desk = register_300(xinfang, county)

    response = client.get(
        f"{API}/ledger.xlsx", query_string={"sort": "number"}, headers=county.headers("clerk")
    )

    assert response.status_code == 200
    today = desk.today.isoformat()
    assert unquote(response.headers["Content-Disposition"]).endswith(f"台账-{today}.xlsx")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert isinstance(sheet, Worksheet)
    setup = sheet.page_setup
    assert (setup.orientation, int(setup.paperSize)) == ("landscape", 9)  # 9: A4
    assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)
    assert sheet.sheet_properties.pageSetUpPr is not None
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert sheet.print_title_rows == "$3:$3"
    assert sheet.oddFooter.center.text == "第 &P 页 共 &N 页"
    title, subtitle = sheet["A1"].value, sheet["A2"].value
    assert title == "本县信访事项台账"
    assert f"截至 {today}" in subtitle
    assert "筛选：全部信访事项" in subtitle
    assert f"共 {CASES} 件" in subtitle
    header = [c.value for c in sheet[3]]
    assert header[:3] == ["序号", "案件编号", "登记日期"]
    rows = list(sheet.iter_rows(min_row=4))
    assert len(rows) == CASES
    assert [r[0].value for r in rows] == list(range(1, CASES + 1))
    first = rows[0]
    assert isinstance(first[2].value, date)
    assert first[2].number_format == "yyyy-mm-dd"
    assert all(c.border.left.style == "thin" for c in first)
    assert all(c.alignment.wrap_text for c in first)
    widths = {c: sheet.column_dimensions[c].width for c in ("A", "B", "F", "G")}
    assert widths["A"] < widths["B"] < widths["G"] <= 16  # long texts wrap
    overdue = [r for r in rows if r[14].value and "超期" in r[14].value]
    assert len(overdue) == 2
    assert all(c.fill.fgColor.rgb.endswith("F8CBAD") for c in overdue[0])
    assert not rows[5][0].fill.fgColor.rgb.endswith("F8CBAD")


def test_the_title_says_the_filter_in_words(client: FlaskClient, county: County) -> None:
    response = client.get(
        f"{API}/ledger.xlsx",
        query_string={"status": ["forwarded", "accepted"], "category": "claim", "q": "工资"},
        headers=county.headers("supervisor"),
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert isinstance(sheet, Worksheet)
    subtitle = sheet["A2"].value
    assert "状态：已转送、已受理" in subtitle
    assert "类别：申诉求决类" in subtitle
    assert "关键词：工资" in subtitle


def test_libreoffice_prints_the_300_cases_one_page_wide_with_the_header_on_every_page(
    client: FlaskClient, county: County, xinfang: Xinfang, backend: str
) -> None:
    require_office()
    register_300(xinfang, county)
    response = client.get(
        f"{API}/ledger.xlsx", query_string={"sort": "number"}, headers=county.headers("clerk")
    )
    assert response.status_code == 200

    printed = printed_workbook(response.data)

    pages = page_texts(printed)
    # One strip of pages (the export took 35 pages in 5 strips of columns).
    assert 2 <= len(pages) <= CASES // 15, len(pages)
    for number, text in enumerate(pages, start=1):
        width, height = page_size(printed, number)
        assert (round(width), round(height)) == (842, 595), number  # A4 landscape
        flat = re.sub(r"\s", "", text)
        # Every page carries the whole header, first column to last: nothing is cut off.
        assert "序号案件编号登记日期" in flat, number
        assert "满意度办结日期" in flat, number
        assert f"第{number}页共{len(pages)}页" in flat, number
    rows = "".join(re.sub(r"\s", "", t) for t in pages)
    assert len(re.findall(r"XF-\d{4}-\d{6}", rows)) == CASES
    if backend == "sqlite":
        save_png(printed, "ledger")
