"""PDF pages as a county office prints them: A4, an embedded CJK font, page numbers.

The font is Noto Serif SC / Noto Sans SC (SIL Open Font License) as shipped by the PyPI package
`pylopdf-fonts-zh-cn`, embedded in every PDF as a TrueType subset of the characters the document
prints (api/fonts.py), so every viewer and printer shows the same glyphs; fpdf2 draws the pages.
Nothing is fetched at run time.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Response
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from api.fonts import SANS_SOURCE, SERIF_SOURCE, truetype_subset
from projections.documents import Paper

SERIF = "NotoSerifSC"
SANS = "NotoSansSC"
RED = (196, 18, 24)
BLACK = (17, 17, 17)
GREY = (90, 90, 90)
PDF = "application/pdf"
MM_PER_POINT = 25.4 / 72


STATIC_TEXT = (
    "".join(chr(code) for code in range(0x20, 0x7F)) + "第页共　（）：，。、；“”《》〔〕—…→"
)
"""Characters every page may print besides its own text (the page numbers, punctuation)."""


class Sheet(FPDF):  # type: ignore[misc]
    """A4 portrait pages with the CJK fonts (subsets of `characters`, written into `folder`)
    and a 第 N 页 共 M 页 footer."""

    def __init__(self, footer: str, *, characters: frozenset[str], folder: Path) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer
        for family, source in ((SERIF, SERIF_SOURCE), (SANS, SANS_SOURCE)):
            path = folder / f"{family}.ttf"
            path.write_bytes(truetype_subset(source, characters))
            self.add_font(family, fname=str(path))
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

    def missing(self) -> set[str]:
        """Characters drawn that the embedded fonts lack (none, once `render` is done)."""
        return {chr(code) for font in self.fonts.values() for code in font.missing_glyphs}


def text_of(value: Any) -> str:
    """Every text a document model holds (to cut the fonts down to its characters)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return "".join(text_of(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, dict):
        return "".join(text_of(k) + text_of(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return "".join(text_of(item) for item in value)
    return ""


def render(draw: Callable[[Sheet], None], *, text: str, footer: str) -> bytes:
    """Draw a document and return its PDF, the fonts cut down to the characters it prints
    (drawn again with the fonts completed should it print one that `text` lacked)."""
    characters = frozenset(text + footer + STATIC_TEXT)
    for _ in range(2):
        with tempfile.TemporaryDirectory() as folder:
            sheet = Sheet(footer, characters=characters, folder=Path(folder))
            draw(sheet)
            body = bytes(sheet.output())
            missing = sheet.missing()
        if not missing:
            break
        characters |= missing
    return body


def pdf_response(body: bytes, filename: str) -> Response:
    """A PDF as a download (inline: browsers show it, offices print it)."""
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


def paper_pdf(paper: Paper) -> bytes:
    """A case document on A4: the red head (office, 文号), title, body, seal block."""
    footer = f"案件编号 {paper.case_number}"
    if paper.masked:
        footer += "　（信访人身份信息已按查看权限遮蔽，不得作为送达文书使用）"
    return render(lambda sheet: _draw_paper(sheet, paper), text=text_of(paper), footer=footer)


def _draw_paper(sheet: Sheet, paper: Paper) -> None:
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
