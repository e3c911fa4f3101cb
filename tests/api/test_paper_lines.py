"""How document paragraphs break into lines (避头尾) and how Chinese file names are sent."""

from __future__ import annotations

from urllib.parse import unquote

from api.paper import CLOSING, OPENING, disposition, wrap


def width(text: str) -> float:
    """Every character one unit wide."""
    return float(len(text))


def test_no_line_opens_with_closing_punctuation_or_ends_with_opening_one() -> None:
    text = "您于2026年12月2日反映的“拖欠工资”一事（案件编号XF-2026-000001），经审查，决定受理。"
    for room in range(8, 30):
        lines = wrap(text, room, 2, width)
        assert "".join(lines) == text
        assert all(line[0] not in CLOSING for line in lines[1:]), (room, lines)
        assert all(line[-1] not in OPENING for line in lines[:-1]), (room, lines)
        assert any("XF-2026-000001" in line for line in lines), (room, lines)
        assert len(lines[0]) <= room - 2  # the first line is indented
        # Only a run longer than the line (the case number on a narrow line) may overflow it.
        assert all(len(line) <= room for line in lines if "XF" not in line), (room, lines)


def test_a_chinese_file_name_has_an_ascii_fallback_and_an_rfc_5987_name() -> None:
    header = disposition("台账-2026-12-01.xlsx")
    assert header.startswith('attachment; filename="__-2026-12-01.xlsx"; ')
    assert unquote(header.split("filename*=UTF-8''")[1]) == "台账-2026-12-01.xlsx"
    assert disposition("受理告知书.pdf", inline=True).startswith("inline; ")
