"""Small inline SVG bar charts for printable pages (no JavaScript, no outside assets)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape

from markupsafe import Markup

BAR_HEIGHT = 22
LABEL_WIDTH = 150
CHART_WIDTH = 620
PALETTE = ("#2f5597", "#c55a11", "#548235", "#7f6000", "#7030a0", "#1f4e79", "#a9a9a9")


def bars(rows: Sequence[tuple[str | None, float]], *, suffix: str = "", digits: int = 0) -> Markup:
    """A horizontal bar chart of labelled values (printed with `digits` decimals)."""
    if not rows:
        return Markup('<p class="empty">（无数据）</p>')
    top = max(value for _, value in rows) or 1
    span = CHART_WIDTH - LABEL_WIDTH - 60
    height = BAR_HEIGHT * len(rows) + 10
    parts = [f'<svg class="chart" width="{CHART_WIDTH}" height="{height}" role="img">']
    for index, (label, value) in enumerate(rows):
        y = 5 + index * BAR_HEIGHT
        width = int(span * value / top)
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end">'
            f"{escape(label or '—')}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{width}" height="{BAR_HEIGHT - 6}" '
            f'fill="{PALETTE[0]}"/>'
            f'<text x="{LABEL_WIDTH + width + 4}" y="{y + 15}">'
            f"{value:.{digits}f}{escape(suffix)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def grouped_bars(series: Mapping[str, Mapping[str, int]], label: Callable[[str], str]) -> Markup:
    """Vertical stacked bars: one per month, one colour per category."""
    months = list(series)
    categories = sorted({c for counts in series.values() for c in counts})
    if not categories:
        return Markup('<p class="empty">（无数据）</p>')
    top = max(sum(counts.values()) for counts in series.values()) or 1
    column, plot = 70, 200
    width = 60 + column * len(months)
    parts = [f'<svg class="chart" width="{width + 160}" height="{plot + 50}" role="img">']
    for m_index, month in enumerate(months):
        x = 40 + m_index * column
        y = plot + 10
        for c_index, category in enumerate(categories):
            value = series[month].get(category, 0)
            h = int(plot * value / top)
            y -= h
            colour = PALETTE[c_index % len(PALETTE)]
            parts.append(
                f'<rect x="{x}" y="{y}" width="{column - 20}" height="{h}" fill="{colour}">'
                f"<title>{escape(label(category))} {value}</title></rect>"
            )
        total = sum(series[month].values())
        parts.append(f'<text x="{x}" y="{plot + 28}">{escape(month)}</text>')
        parts.append(f'<text x="{x}" y="{y - 4}">{total}</text>')
    for c_index, category in enumerate(categories):
        colour = PALETTE[c_index % len(PALETTE)]
        y = 15 + c_index * 18
        parts.append(
            f'<rect x="{width + 10}" y="{y}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{width + 28}" y="{y + 11}">{escape(label(category))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
