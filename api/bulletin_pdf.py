"""The monthly bulletin as PDF: the document of api/bulletin_document.py drawn on A4.

The same head, sections, charts (drawn as rectangles, each figure printed), tables (the header
repeated on every page, a row never split) and footer as the printable page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fpdf.enums import Align, TableBordersLayout, TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace

from api.bulletin_document import Bars, BulletinDocument, Section, Stacked, Table
from api.charts import PALETTE, ticks
from api.paper import BLACK, GREY, RED, SANS, SERIF, Sheet, render, text_of
from api.spreadsheets import text_width

HEADER_FACE = FontFace(family=SANS, size_pt=9, fill_color=(238, 243, 250))
TOTAL_FACE = FontFace(family=SANS, fill_color=(240, 240, 240))
ROW_HEIGHT = 7.5
"""Roughly how tall a table row prints (mm): a one-line cell and its padding."""
MIN_ROWS = 3
"""Rows a table keeps together on either side of a page break."""


def column_widths(table: Table) -> tuple[float, ...]:
    """Relative column widths from the content (CJK characters count double), each column
    between 6 and 40 characters wide, so long texts wrap, short figures stay narrow and a
    long header wraps rather than widen its column."""
    lines = [*table.rows, *([table.total] if table.total else [])]
    widths = []
    for column, title in enumerate(table.headers):
        longest = max((text_width(row[column]) for row in lines if column < len(row)), default=0)
        widths.append(float(min(max(longest + 2, min(text_width(title), 12), 6), 40)))
    return tuple(widths)


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


CELL_CHARACTERS = 300
"""The most characters a printed cell holds: a longer text goes on in the cells below it (fpdf2
draws each table row on one page, so a row taller than a page could not be printed at all)."""


def pieces(text: str) -> list[str]:
    """A text cut into pieces of at most CELL_CHARACTERS, each ending at the last sentence or
    clause mark in its final third when there is one (so a cut falls between phrases)."""
    found = []
    while len(text) > CELL_CHARACTERS:
        window = text[:CELL_CHARACTERS]
        cut = max(window.rfind(mark) for mark in "。；！？，、\n") + 1
        if cut < CELL_CHARACTERS * 2 // 3:
            cut = CELL_CHARACTERS
        found.append(text[:cut])
        text = text[cut:]
    return [*found, text]


def fitted(rows: Sequence[Sequence[Any]]) -> list[Sequence[Any]]:
    """The rows with every text longer than CELL_CHARACTERS cut into `pieces`, each piece in a
    row of its own below the first (the row's other cells left empty there)."""
    out: list[Sequence[Any]] = []
    for values in rows:
        pieces_of = [pieces(v) if isinstance(v, str) else [v] for v in values]
        for line in range(max((len(p) for p in pieces_of), default=1)):
            out.append([p[line] if line < len(p) else "" for p in pieces_of])
    return out


def draw_table(sheet: Sheet, table: Table) -> None:
    """A bordered table: its header repeated on every page it runs over, no row split,
    never fewer than three rows on either side of a page break."""
    sheet.set_font(SERIF, size=9)
    sheet.set_fill_color(255, 255, 255)
    colour = (176, 0, 0) if table.css == "red" else BLACK
    sheet.set_text_color(*colour)
    rows: list[Sequence[Any]] = [*fitted(table.rows), *([table.total] if table.total else [])]
    # Never a row or two alone: a table that breaks leaves at least three rows under its
    # header on each side of the break (the header is repeated on the next page).
    room = (sheet.h - sheet.b_margin - sheet.get_y()) / ROW_HEIGHT - 1
    if room < len(rows) and (room < MIN_ROWS or len(rows) - room < MIN_ROWS):
        sheet.add_page()
    with sheet.table(
        col_widths=column_widths(table),
        headings_style=HEADER_FACE,
        line_height=5.5,
        padding=1.2,
        borders_layout=TableBordersLayout.ALL,
        first_row_as_headings=True,
        repeat_headings=1,
        cell_fill_mode=TableCellFillMode.NONE,
    ) as drawn:
        head = drawn.row()
        for title in table.headers:
            head.cell(str(title))
        for index, values in enumerate(rows):
            row = drawn.row()
            total = table.total is not None and index == len(rows) - 1
            for value in values:
                align = "RIGHT" if isinstance(value, int | float) else "LEFT"
                style = TOTAL_FACE if total else None
                row.cell(str(value), align=align, style=style)
    sheet.set_text_color(*BLACK)
    sheet.ln(2)


def _bars(sheet: Sheet, chart: Bars) -> None:
    if not chart.rows:
        return
    label_w, span, bar_h = 42.0, 95.0, 5.5
    scale = ticks(max(v for _, v in chart.rows))
    top = scale[-1] or 1
    height = bar_h * len(chart.rows) + 9
    if sheet.will_page_break(height):
        sheet.add_page()
    x0, y0 = sheet.l_margin + label_w, sheet.get_y() + 1
    sheet.set_font(SANS, size=7)
    sheet.set_text_color(*GREY)
    axis_y = y0 + bar_h * len(chart.rows)
    for tick in scale:
        x = x0 + span * tick / top
        sheet.set_draw_color(221, 221, 221)
        sheet.line(x, y0, x, axis_y)
        sheet.set_xy(x - 8, axis_y + 0.5)
        sheet.cell(16, 3.5, f"{tick:g}{chart.suffix.strip()}", align=Align.C)
    sheet.set_draw_color(*BLACK)
    sheet.line(x0, y0, x0, axis_y)
    sheet.line(x0, axis_y, x0 + span, axis_y)
    sheet.set_text_color(*BLACK)
    sheet.set_font(SANS, size=8)
    for index, (label, value) in enumerate(chart.rows):
        y = y0 + index * bar_h
        width = span * value / top
        sheet.set_xy(sheet.l_margin, y + 0.5)
        sheet.cell(label_w - 2, bar_h - 1, label, align=Align.R)
        sheet.set_fill_color(*_rgb(PALETTE[0]))
        sheet.rect(x0, y + 1, width, bar_h - 2, style="F")
        sheet.set_xy(x0 + width + 1, y + 0.5)
        sheet.cell(30, bar_h - 1, f"{value:.{chart.digits}f}{chart.suffix}")
    sheet.set_xy(sheet.l_margin, axis_y + 6)


def _stacked(sheet: Sheet, chart: Stacked) -> None:
    if not chart.series:
        return
    totals = [sum(c[i] for _, c in chart.series) for i in range(len(chart.months))]
    scale = ticks(max(totals) or 1)
    top = scale[-1] or 1
    plot, column, left = 55.0, 16.0, sheet.l_margin + 10
    if sheet.will_page_break(plot + 20):
        sheet.add_page()
    base = sheet.get_y() + plot + 8
    sheet.set_font(SANS, size=7)
    for tick in scale:
        y = base - plot * tick / top
        sheet.set_draw_color(221, 221, 221)
        sheet.line(left, y, left + column * len(chart.months), y)
        sheet.set_xy(left - 10, y - 1.8)
        sheet.set_text_color(*GREY)
        sheet.cell(9, 3.5, f"{tick:g}", align=Align.R)
    sheet.set_draw_color(*BLACK)
    sheet.line(left, base, left + column * len(chart.months), base)
    for m, month in enumerate(chart.months):
        x = left + 2 + m * column
        y = base
        for c, (_, counts) in enumerate(chart.series):
            value = counts[m]
            if not value:
                continue
            h = plot * value / top
            y -= h
            sheet.set_fill_color(*_rgb(PALETTE[c % len(PALETTE)]))
            sheet.rect(x, y, column - 4, h, style="F")
            if h >= 3.5:
                sheet.set_text_color(255, 255, 255)
                sheet.set_xy(x, y + h / 2 - 1.8)
                sheet.cell(column - 4, 3.5, str(value), align=Align.C)
        sheet.set_text_color(*BLACK)
        sheet.set_xy(x - 1, y - 4)
        sheet.cell(column - 2, 3.5, str(totals[m]), align=Align.C)
        sheet.set_xy(x - 1, base + 0.8)
        sheet.cell(column - 2, 3.5, month, align=Align.C)
    legend_x = left + column * len(chart.months) + 6
    for c, (name, _) in enumerate(chart.series):
        y = base - plot + c * 5
        sheet.set_fill_color(*_rgb(PALETTE[c % len(PALETTE)]))
        sheet.rect(legend_x, y, 3.5, 3.5, style="F")
        sheet.set_xy(legend_x + 5, y - 0.2)
        sheet.set_text_color(*BLACK)
        sheet.cell(40, 3.8, name)
    sheet.set_xy(sheet.l_margin, base + 7)


def _opening(section: Section) -> float:
    """The height a section's heading needs below it on the same page: its paragraphs and its
    chart, or the first rows of its first table (a heading never ends a page)."""
    height = 12.0 + 12.0 * len(section.paragraphs)
    if isinstance(section.chart, Bars) and section.chart.rows:
        return height + 5.5 * len(section.chart.rows) + 10
    if isinstance(section.chart, Stacked) and section.chart.series:
        return height + 76
    if section.tables:
        return height + ROW_HEIGHT * min(len(section.tables[0].rows) + 2, MIN_ROWS + 1)
    return height + 8


def bulletin_pdf(document: BulletinDocument) -> bytes:
    """The bulletin on A4 pages with the page numbers in the footer."""
    return render(
        lambda sheet: _draw(sheet, document),
        text=text_of(document) + DRAWN_TEXT,
        footer=f"{document.office}　{document.title}　{document.issue}",
    )


DRAWN_TEXT = "发布后数据变更（来自后续更正事件）：发布时现在→件%"
"""What the drawing adds to the document's own text."""


def _draw(sheet: Sheet, document: BulletinDocument) -> None:
    sheet.add_page()
    sheet.set_text_color(*RED)
    sheet.text_line(document.office, size=24, align=Align.C, height=12)
    sheet.set_text_color(*BLACK)
    sheet.text_line(document.issue, size=12, align=Align.C, height=7)
    if not document.published:
        sheet.set_text_color(*RED)
    sheet.text_line(document.status, size=10, align=Align.C, height=6)
    sheet.set_text_color(*BLACK)
    sheet.ln(1)
    sheet.rule()
    sheet.ln(4)
    sheet.text_line(document.title, size=18, align=Align.C, height=10)
    if document.differences:
        sheet.set_font(SANS, size=9)
        sheet.multi_cell(
            0,
            5,
            "发布后数据变更（来自后续更正事件）：\n"
            + "\n".join(
                f"{d['name']}：发布时 {d['published']} → 现在 {d['now']}"
                for d in document.differences
            ),
            border=1,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    for section in document.sections:
        if sheet.will_page_break(_opening(section)):
            sheet.add_page()
        sheet.ln(2)
        sheet.text_line(section.title, size=13, font=SANS, height=8)
        for text in section.paragraphs:
            sheet.paragraph(text, size=10.5)
        if isinstance(section.chart, Bars):
            _bars(sheet, section.chart)
        elif isinstance(section.chart, Stacked):
            _stacked(sheet, section.chart)
        for table in section.tables:
            draw_table(sheet, table)
        if not section.tables and section.empty:
            sheet.text_line(section.empty, size=10.5, height=6)
    sheet.ln(4)
    sheet.rule(GREY, 0.3)
    sheet.ln(1)
    sheet.set_text_color(*GREY)
    for line in document.footer:
        sheet.text_line(line, size=8, font=SANS, height=4.5)
    sheet.set_text_color(*BLACK)
