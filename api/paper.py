"""PDF pages as a county office prints them: A4, an embedded CJK font, page numbers.

The font is Noto Serif SC / Noto Sans SC (SIL Open Font License) as shipped by the PyPI package
`pylopdf-fonts-zh-cn`, embedded (subset) in every PDF, so every viewer and printer shows the same
glyphs; fpdf2 draws the pages. Nothing is fetched at run time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

import pylopdf_fonts_zh_cn as cjk_fonts
from flask import Response
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from projections.documents import Paper

SERIF = "NotoSerifSC"
SANS = "NotoSansSC"
RED = (196, 18, 24)
BLACK = (17, 17, 17)
GREY = (90, 90, 90)
PDF = "application/pdf"
MM_PER_POINT = 25.4 / 72


class Sheet(FPDF):  # type: ignore[misc]
    """A4 portrait (or landscape) pages with the CJK fonts and a 第 N 页 共 M 页 footer."""

    def __init__(self, footer: str = "", *, landscape: bool = False) -> None:
        super().__init__(orientation="L" if landscape else "P", unit="mm", format="A4")
        self.footer_text = footer
        self.add_font(SERIF, fname=str(cjk_fonts.serif_path()))
        self.add_font(SANS, fname=str(cjk_fonts.sans_path()))
        self.set_margins(left=26, top=25, right=24)
        self.set_auto_page_break(auto=True, margin=22)
        self.set_creator("xinfang")
        self.set_lang("zh-CN")

    def footer(self) -> None:
        """The footer of every page: what it is, and 第 N 页 共 M 页."""
        self.set_y(-16)
        self.set_font(SANS, size=8)
        self.set_text_color(*GREY)
        if self.footer_text:
            self.cell(0, 5, self.footer_text, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.cell(0, 5, f"第 {self.page_no()} 页 共 {{nb}} 页", align=Align.C)
        self.set_text_color(*BLACK)

    def rule(self, colour: tuple[int, int, int] = RED, width: float = 0.6) -> None:
        """A horizontal line across the text width at the current height."""
        self.set_draw_color(*colour)
        self.set_line_width(width)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_draw_color(*BLACK)
        self.set_line_width(0.2)

    def text_line(
        self, text: str, *, size: float, font: str = SERIF, align: Any = Align.L, height: float = 0
    ) -> None:
        """One line (wrapped if long) in the given size."""
        self.set_font(font, size=size)
        self.multi_cell(
            0, height or size * 0.55, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

    def paragraph(self, text: str, *, size: float = 14) -> None:
        """A body paragraph, its first line indented by two characters, broken into lines as
        Chinese print breaks them (no closing punctuation opens a line, no opening one ends
        it, a number or case number is never split)."""
        self.set_font(SERIF, size=size)
        indent = 2 * size * MM_PER_POINT
        width = self.w - self.l_margin - self.r_margin
        height = size * MM_PER_POINT * 1.55
        lines = wrap(text, width, indent, self.get_string_width)
        for index, line in enumerate(lines):
            room = width - (indent if index == 0 else 0)
            # Justified as Chinese print is: the slack spread between the characters of every
            # line but the last (unless a long unbroken run leaves too much of it).
            slack = room - self.get_string_width(line)
            last = index == len(lines) - 1
            if not last and len(line) > 1 and slack < size * MM_PER_POINT * 1.5:
                self.set_char_spacing(slack / (len(line) - 1) / MM_PER_POINT)
            self.set_x(self.l_margin + (indent if index == 0 else 0))
            self.cell(room, height, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_char_spacing(0)
        self.ln(1.5)

    def seal(self, office: str, seal: str, dated: str) -> None:
        """The signature block: office, the seal's place (a red ring), the date."""
        self.ln(8)
        right = self.w - self.r_margin
        self.set_font(SERIF, size=14)
        top = self.get_y()
        self.set_x(right - 80)
        self.cell(80, 8, office, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_x(right - 80)
        self.cell(80, 8, dated, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*RED)
        self.set_line_width(0.5)
        self.ellipse(right - 62, top - 14, 44, 44)
        self.set_text_color(*RED)
        self.set_font(SANS, size=9)
        self.set_xy(right - 62, top + 19)
        self.cell(44, 5, seal, align=Align.C)
        self.set_text_color(*BLACK)
        self.set_draw_color(*BLACK)
        self.set_line_width(0.2)
        self.set_y(max(self.get_y(), top + 32))

    def form(self, rows: Sequence[tuple[str, str]], *, height: float = 10) -> None:
        """A two-column bordered form: label, value (values wrap)."""
        self.set_font(SERIF, size=12)
        with self.table(
            col_widths=(45, 115),
            line_height=7,
            first_row_as_headings=False,
            text_align=("CENTER", "LEFT"),
            padding=2,
        ) as table:
            for name, value in rows:
                row = table.row()
                row.cell(name)
                row.cell(value or ("\n\n" if height > 10 else " "))
        self.ln(height / 2)

    def response(self, filename: str) -> Response:
        """The PDF as a download (inline: browsers show it, offices print it)."""
        body = bytes(self.output())
        answer = Response(body, mimetype=PDF)
        answer.headers["Content-Disposition"] = disposition(filename, inline=True)
        return answer


CLOSING = set("，。、；：？！）》」』】〕”’…%）,.;:?!)")
"""Characters that never open a line (they stay with the character before them)."""
OPENING = set("（《「『【〔“‘(")
"""Characters that never end a line (they go with the character after them)."""
UNBROKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9./:%+\-]*|.", re.DOTALL)
"""A run of Latin letters and digits (a number, a date, a case number) is one unit."""


def wrap(text: str, width: float, indent: float, measure: Callable[[str], float]) -> list[str]:
    """`text` broken into lines of at most `width` (the first `indent` narrower) by the rules
    of Chinese print (避头尾): closing punctuation joins the unit before it, opening the one
    after it; Latin and digit runs stay whole."""
    units: list[str] = []
    for piece in UNBROKEN.findall(text):
        if units and (piece[0] in CLOSING or units[-1][-1] in OPENING):
            units[-1] += piece
        else:
            units.append(piece)
    lines, line = [], ""
    room = width - indent
    for unit in units:
        if line and measure(line + unit) > room:
            lines.append(line)
            line, room = unit.lstrip(), width
        else:
            line += unit
    if line:
        lines.append(line)
    return lines


def disposition(filename: str, *, inline: bool = False) -> str:
    """A Content-Disposition naming a Chinese file: an ASCII fallback and RFC 5987 `filename*`."""
    fallback = "".join(ch if ch.isascii() and ch not in '"\\;' else "_" for ch in filename)
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def paper_pdf(paper: Paper) -> Sheet:
    """A case document on A4: the red head (office, 文号), title, body, seal block."""
    footer = f"案件编号 {paper.case_number}"
    if paper.masked:
        footer += "　（信访人身份信息已按查看权限遮蔽，不得作为送达文书使用）"
    sheet = Sheet(footer)
    sheet.add_page()
    sheet.set_text_color(*RED)
    sheet.text_line(paper.office.office, size=26, align=Align.C, height=14)
    sheet.set_text_color(*BLACK)
    if paper.number:
        sheet.text_line(paper.number, size=13, align=Align.C, height=8)
    sheet.ln(1)
    sheet.rule()
    sheet.ln(7)
    sheet.text_line(paper.title, size=20, align=Align.C, height=11)
    sheet.ln(5)
    if paper.addressee:
        sheet.text_line(paper.addressee, size=14, height=9)
    if paper.form:
        sheet.form(paper.facts)
        if paper.signature_lines:
            sheet.form(paper.signature_lines, height=14)
    for text in paper.paragraphs:
        sheet.paragraph(text)
    sheet.seal(paper.office.office, paper.office.seal, paper.dated)
    return sheet
