"""Small inline SVG charts for printable pages (no JavaScript, no outside assets).

Everything a reader needs is printed on the chart itself, since paper has no hover: each bar's
figure beside it, an axis with its scale, each stacked segment's count and each column's total;
the same figures follow in a table under the chart (api/bulletin_document.py).
"""

from __future__ import annotations

import math
from html import escape

from markupsafe import Markup

from api.bulletin_document import Bars, Stacked

BAR_HEIGHT = 22
LABEL_WIDTH = 150
CHART_WIDTH = 620
PALETTE = (
    "#1f5aa6",
    "#e0701b",
    "#2e9e4f",
    "#c23b3b",
    "#7b4fb0",
    "#8c6d1f",
    "#d45a9e",
    "#6b6b6b",
    "#17a2b8",
)
"""Colours told apart in print and by most colour-blind readers (no two blues alike)."""
EMPTY = Markup('<p class="empty">（无数据）</p>')


def ticks(top: float) -> list[float]:
    """Round steps from 0 up to the first at or above `top` (at most six)."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if top / step <= 5:
            return [step * n for n in range(math.ceil(top / step) + 1)] or [0, step]
    return [0, top]


def bars(chart: Bars) -> Markup:
    """Horizontal bars, largest first, each figure printed at its end, on a scaled axis."""
    if not chart.rows:
        return EMPTY
    scale = ticks(max(value for _, value in chart.rows))
    top = scale[-1] or 1
    span = CHART_WIDTH - LABEL_WIDTH - 70
    height = BAR_HEIGHT * len(chart.rows) + 34
    axis_y = 5 + BAR_HEIGHT * len(chart.rows)
    parts = [
        f'<svg class="chart" width="{CHART_WIDTH}" height="{height}" role="img" '
        f'viewBox="0 0 {CHART_WIDTH} {height}">'
    ]
    for tick in scale:
        x = LABEL_WIDTH + span * tick / top
        parts.append(
            f'<line x1="{x:.1f}" y1="3" x2="{x:.1f}" y2="{axis_y}" stroke="#dddddd"/>'
            f'<text x="{x:.1f}" y="{axis_y + 14}" text-anchor="middle" class="tick">'
            f"{tick:g}{escape(chart.suffix.strip())}</text>"
        )
    parts.append(
        f'<line x1="{LABEL_WIDTH}" y1="3" x2="{LABEL_WIDTH}" y2="{axis_y}" stroke="#333333"/>'
        f'<line x1="{LABEL_WIDTH}" y1="{axis_y}" x2="{LABEL_WIDTH + span}" y2="{axis_y}" '
        'stroke="#333333"/>'
    )
    for index, (label, value) in enumerate(chart.rows):
        y = 5 + index * BAR_HEIGHT
        width = span * value / top
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{width:.1f}" height="{BAR_HEIGHT - 6}" '
            f'fill="{PALETTE[0]}"/>'
            f'<text x="{LABEL_WIDTH + width + 4:.1f}" y="{y + 15}" class="value">'
            f"{value:.{chart.digits}f}{escape(chart.suffix)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked(chart: Stacked) -> Markup:
    """Stacked columns, one per month: each segment's count in it, each column's total on top,
    a legend naming each colour, and a scaled axis."""
    if not chart.series:
        return EMPTY
    totals = [sum(counts[i] for _, counts in chart.series) for i in range(len(chart.months))]
    scale = ticks(max(totals) or 1)
    top = scale[-1] or 1
    column, plot, left = 64, 200, 40
    width = left + column * len(chart.months)
    base = plot + 14
    parts = [
        f'<svg class="chart" width="{width + 170}" height="{plot + 50}" role="img" '
        f'viewBox="0 0 {width + 170} {plot + 50}">'
    ]
    for tick in scale:
        y = base - plot * tick / top
        parts.append(
            f'<line x1="{left - 4}" y1="{y:.1f}" x2="{width}" y2="{y:.1f}" stroke="#dddddd"/>'
            f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" class="tick">{tick:g}</text>'
        )
    parts.append(f'<line x1="{left - 4}" y1="{base}" x2="{width}" y2="{base}" stroke="#333"/>')
    for m_index, month in enumerate(chart.months):
        x = left + 6 + m_index * column
        y = float(base)
        for c_index, (name, counts) in enumerate(chart.series):
            value = counts[m_index]
            if not value:
                continue
            h = plot * value / top
            y -= h
            colour = PALETTE[c_index % len(PALETTE)]
            parts.append(
                f'<rect x="{x}" y="{y:.1f}" width="{column - 18}" height="{h:.1f}" '
                f'fill="{colour}"><title>{escape(name)} {value}</title></rect>'
            )
            if h >= 12:
                parts.append(
                    f'<text x="{x + (column - 18) / 2}" y="{y + h / 2 + 4:.1f}" '
                    f'text-anchor="middle" class="inside">{value}</text>'
                )
        parts.append(
            f'<text x="{x + (column - 18) / 2}" y="{base + 16}" text-anchor="middle">'
            f"{escape(month)}</text>"
            f'<text x="{x + (column - 18) / 2}" y="{y - 4:.1f}" text-anchor="middle" '
            f'class="value">{totals[m_index]}</text>'
        )
    for c_index, (name, _) in enumerate(chart.series):
        colour = PALETTE[c_index % len(PALETTE)]
        y = 15 + c_index * 18
        parts.append(
            f'<rect x="{width + 14}" y="{y}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{width + 32}" y="{y + 11}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def chart(figure: Bars | Stacked | None) -> Markup:
    """The SVG of a section's chart (nothing when it has none)."""
    if figure is None:
        return Markup("")
    return bars(figure) if isinstance(figure, Bars) else stacked(figure)
