"""The monthly bulletin 月通报 as one document: head, sections (text, chart, tables), footer.

The HTML page (templates/bulletin.html) and the PDF (api/bulletin_pdf.py) print the same
model, so the paper and the screen say the same: a 公文-style head (issuing office, 期号, 印发日期
in the county's time), Chinese for every code, percentages with one decimal, totals rows, bars
sorted with their figures printed and the figures again in a table under each chart, the 红榜
and 黑榜, the typical cases, and the audit root in the footer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from api import bulletin_text as text
from domain.cases import LOCAL_TZ
from domain.documents import OfficeProfile, chinese_date
from domain.labels import label_of, percent, percent_text, rate_text
from domain.values import Channel


@dataclass(frozen=True)
class Table:
    """A table: headers, rows, and a totals row (or none)."""

    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    total: Sequence[Any] | None = None
    css: str = ""


@dataclass(frozen=True)
class Bars:
    """A bar chart: labelled values, largest first (zeros left out), printed with a suffix."""

    rows: Sequence[tuple[str, float]]
    suffix: str = ""
    digits: int = 0


@dataclass(frozen=True)
class Stacked:
    """Stacked columns: one per month, one colour per channel (Chinese names)."""

    months: Sequence[str]
    series: Sequence[tuple[str, Sequence[int]]]
    """Each channel's name and its count per month."""


@dataclass(frozen=True)
class Section:
    """One numbered part of the bulletin."""

    title: str
    paragraphs: Sequence[str] = ()
    chart: Bars | Stacked | None = None
    tables: Sequence[Table] = ()
    empty: str = ""
    """Said instead of the tables when there is nothing to list."""


@dataclass(frozen=True)
class BulletinDocument:
    """The whole bulletin as it is printed."""

    office: str
    title: str
    issue: str
    """期号: 2026年第11期."""
    status: str
    """印发日期 (published, county time) or the draft's date."""
    published: bool
    sections: Sequence[Section]
    differences: Sequence[Mapping[str, str]] = field(default_factory=list)
    footer: Sequence[str] = ()


NUMERALS = "一二三四五六七八九十"
OVERVIEW = (
    "本月受理登记信访事项 {received} 件，上月 {received_previous_month} 件。"
    "重复信访 {repeat_petitions} 件次，积案在办 {backlog_open} 件。"
    "领导接访 {leader_receptions} 次（接谈记录 {leader_receptions_recorded} 次，"
    "经领导接访渠道登记 {leader_receptions_registered} 件），"
    "下访 {leader_home_visits} 次，约访 {leader_appointments} 次。"
)


def issue_of(month: str) -> str:
    """The bulletin's 期号: the month's number in its year (2026年第11期)."""
    year, number = month.split("-")
    return f"{year}年第{int(number)}期"


def local_day(instant: str) -> str:
    """The county's date of a stored instant (publication is 印发 on the county's day)."""
    return chinese_date(datetime.fromisoformat(instant).astimezone(LOCAL_TZ).date())


def _sorted_bars(rows: Sequence[tuple[str, float | None]], **options: Any) -> Bars:
    kept = [(name, float(value)) for name, value in rows if value]
    kept.sort(key=lambda item: (-item[1], item[0]))
    return Bars(kept, **options)


def _counts(rows: Sequence[Mapping[str, Any]], name: str) -> Table:
    ordered = sorted(rows, key=lambda r: (-r["count"], r["label"]))
    return Table(
        (name, "本月（件）", "上月（件）", "增减"),
        [(r["label"], r["count"], r["previous"], _signed(r["change"])) for r in ordered],
        (
            "合计",
            sum(r["count"] for r in rows),
            sum(r["previous"] for r in rows),
            _signed(sum(r["change"] for r in rows)),
        ),
    )


def _signed(change: int) -> str:
    return f"+{change}" if change > 0 else str(change)


def _trend(figures: Mapping[str, Any]) -> tuple[Stacked, Table]:
    series = figures["trend_by_channel"]
    months = list(series)
    codes = sorted(
        {c for counts in series.values() for c in counts},
        key=lambda c: -sum(series[m].get(c, 0) for m in months),
    )
    rows = [(label_of(Channel, code), [series[m].get(code, 0) for m in months]) for code in codes]
    short = [f"{int(m[5:])}月" for m in months]
    table = Table(
        ("渠道", *short, "合计"),
        [(name, *counts, sum(counts)) for name, counts in rows],
        ("合计", *[sum(series[m].values()) for m in months], sum(sum(c) for _, c in rows)),
    )
    return Stacked(short, rows), table


def _rates(figures: Mapping[str, Any]) -> Table:
    rows = figures["on_time_rates"]
    return Table(
        (
            "名次",
            "单位",
            "及时受理率（按期告知／应告知）",
            "按期办结率（按期办结／应办结）",
            "样本",
        ),
        [(r["rank"] or "—", r["unit"], text.timely(r), text.on_time(r), r["sample"]) for r in rows],
        (
            "",
            "合计",
            rate_text(sum(r["notices_on_time"] for r in rows), sum(r["notices_due"] for r in rows)),
            rate_text(
                sum(r["handling_on_time"] for r in rows), sum(r["handling_due"] for r in rows)
            ),
            "",
        ),
    )


def typical_section(figures: Mapping[str, Any]) -> Section:
    """典型案例: the cases supervisors marked typical this month, then the inspections marked
    typical (督查典型, docs/inspections.md)."""
    cases = figures.get("typical_cases", [])
    inspections = figures.get("typical_inspections", [])
    tables = []
    if cases:
        tables.append(
            Table(
                ("案件编号", "类别", "责任单位", "典型意义"),
                [(c["number"], c["category"], c["unit"], c["text"]) for c in cases],
            )
        )
    if inspections:
        tables.append(
            Table(
                ("督查单位", "督查月份", "督查典型情况"),
                [(i["unit"], _month_text(i["month"]), i["text"]) for i in inspections],
            )
        )
    return Section("典型案例", tables=tables, empty="本月未列典型案例。")


def _month_text(month: str) -> str:
    year, number = month.split("-")
    return f"{year}年{int(number)}月"


def tasks_section(figures: Mapping[str, Any]) -> Section:
    """“一会议三清单”任务按期销号: the tasks due in the month by unit (docs/meetings.md)."""
    rows = figures.get("task_completion", [])
    return Section(
        "“一会议三清单”任务按期销号（按单位）",
        chart=_sorted_bars(
            [(r["unit"], r["tasks_on_time_percent"]) for r in rows], suffix="%", digits=1
        ),
        tables=[
            Table(
                ("责任单位", "本月到期任务", "按期销号", "逾期", "按期销号率"),
                [
                    (
                        r["unit"],
                        r["tasks_due"],
                        r["tasks_on_time"],
                        r["tasks_late"],
                        percent_text(r["tasks_on_time_percent"]),
                    )
                    for r in rows
                ],
                (
                    "合计",
                    sum(r["tasks_due"] for r in rows),
                    sum(r["tasks_on_time"] for r in rows),
                    sum(r["tasks_late"] for r in rows),
                    percent_text(
                        percent(
                            sum(r["tasks_on_time"] for r in rows),
                            sum(r["tasks_due"] for r in rows),
                        )
                    ),
                ),
            )
        ]
        if rows
        else [],
        empty="本月无到期任务。",
    )


CAMPAIGN_HEADERS = (
    "专项行动",
    "类型",
    "起止日期",
    "目标数",
    "本月化解",
    "已化解",
    "未化解",
    "化解率",
)


def campaigns_section(figures: Mapping[str, Any]) -> Section:
    """专项行动进展: each campaign active in the month (docs/campaigns.md)."""
    rows = figures.get("campaign_progress", [])
    return Section(
        "专项行动进展",
        paragraphs=["已化解为截至月末累计化解的目标数，化解率为已化解占目标总数之比。"]
        if rows
        else [],
        tables=[
            Table(
                (
                    "专项行动",
                    "类型",
                    "起止日期",
                    "目标数",
                    "本月化解",
                    "已化解",
                    "未化解",
                    "化解率",
                ),
                [
                    (
                        r["campaign"],
                        r["campaign_kind"],
                        f"{r['starts_on']}至{r['ends_on']}",
                        r["targets"],
                        r["resolved_in_month"],
                        r["resolved_total"],
                        r["remaining"],
                        percent_text(r["resolved_percent"]),
                    )
                    for r in rows
                ],
            )
        ]
        if rows
        else [],
        empty="本月无进行中的专项行动。",
    )


def risks_section(figures: Mapping[str, Any]) -> Section:
    """隐患排查化解（按乡镇）: the risk register's month by township (docs/risks.md)."""
    rows = figures.get("risks_by_township", [])
    keys = ("found", "resolved", "converted", "open")
    return Section(
        "隐患排查化解（按乡镇）",
        chart=_sorted_bars([(r["township"], r["found"]) for r in rows], suffix=" 件"),
        tables=[
            Table(
                ("乡镇", "本月新排查", "本月化解销号", "本月转信访事项", "月末在化解"),
                [(r["township"], *(r[k] for k in keys)) for r in rows],
                ("合计", *(sum(r[k] for r in rows) for k in keys)),
            )
        ]
        if rows
        else [],
        empty="本月无隐患排查数据。",
    )


def build(
    bulletin: Mapping[str, Any], office: OfficeProfile, changed: Sequence[Mapping[str, str]]
) -> BulletinDocument:
    """The bulletin as it is printed (from its frozen or draft figures)."""
    figures = bulletin["figures"]
    month = figures["month"]
    rated = figures["satisfaction"]
    trend, trend_table = _trend(figures)
    volume = figures["by_area"]
    overdue = figures["most_overdue_units"]
    complained = figures["most_complained_units"]
    ranked = [r for r in figures["on_time_rates"] if r["rank"] is not None]
    sections = [
        Section(
            "总体情况",
            paragraphs=[OVERVIEW.format(**figures)],
            tables=[
                _counts(figures["by_channel"], "渠道"),
                _counts(figures["by_category"], "类别"),
            ],
        ),
        Section("近六个月信访量趋势（按渠道）", chart=trend, tables=[trend_table]),
        Section(
            "各责任单位信访量",
            chart=_sorted_bars([(r["label"], r["count"]) for r in volume], suffix=" 件"),
            tables=[_counts(volume, "责任单位")],
        ),
        Section(
            "超期件较多的单位",
            chart=_sorted_bars([(r["unit"], r["count"]) for r in overdue], suffix=" 件"),
            tables=[
                Table(
                    ("单位", "超期件（件）"),
                    [(r["unit"], r["count"]) for r in overdue],
                    ("合计", sum(r["count"] for r in overdue)),
                )
            ]
            if overdue
            else [],
            empty="本月无超期件。",
        ),
        Section(
            "及时受理率与按期办结率",
            paragraphs=["条形图为参与排名单位的按期办结率（由高到低）。"],
            chart=_sorted_bars(
                [(r["unit"], r["on_time_completion_percent"]) for r in ranked],
                suffix="%",
                digits=1,
            ),
            tables=[_rates(figures)],
        ),
        Section(
            "红榜（表扬）",
            tables=[
                Table(
                    ("名次", "单位", "按期办结率", "超期件"),
                    [
                        (r["rank"], r["unit"], text.on_time(r), r["overdue"])
                        for r in figures["red_list"]
                    ],
                    css="red",
                )
            ]
            if figures["red_list"]
            else [],
            empty="本月无单位上红榜。",
        ),
        Section(
            "黑榜（通报批评）",
            tables=[
                Table(
                    ("单位", "按期办结率", "超期件", "严重超期件", "通报理由"),
                    [
                        (
                            r["unit"],
                            text.on_time(r),
                            r["overdue"],
                            r["severely_overdue"],
                            "；".join(r["reasons"]),
                        )
                        for r in figures["black_list"]
                    ],
                    css="black",
                )
            ]
            if figures["black_list"]
            else [],
            empty="本月无单位被通报批评。",
        ),
        Section(
            "样本不足、不参与排名的单位",
            paragraphs=["以下单位本月到期事项不足，另行列出，不参与排名。"]
            if figures["unranked"]
            else [],
            tables=[
                Table(
                    ("单位", "按期办结率", "超期件", "严重超期件"),
                    [
                        (r["unit"], text.on_time(r), r["overdue"], r["severely_overdue"])
                        for r in figures["unranked"]
                    ],
                )
            ]
            if figures["unranked"]
            else [],
            empty="无。",
        ),
        Section(
            "被反映较多的单位",
            chart=_sorted_bars([(r["unit"], r["count"]) for r in complained], suffix=" 件"),
            tables=[
                Table(
                    ("单位", "件数"),
                    [(r["unit"], r["count"]) for r in complained],
                    ("合计", sum(r["count"] for r in complained)),
                )
            ]
            if complained
            else [],
            empty="本月无被反映的单位。",
        ),
        Section(
            "群众满意度与复查复核",
            paragraphs=[
                f"回访评价 {rated['rated']} 件：满意 {rated['satisfied']} 件，基本满意 "
                f"{rated['basically_satisfied']} 件，不满意 {rated['unsatisfied']} 件；满意率 "
                f"{text.satisfaction(figures)}。",
                f"复查决定：{text.outcomes(figures['review_outcomes'])}。"
                f"复核决定：{text.outcomes(figures['recheck_outcomes'])}。",
            ],
            tables=[
                Table(
                    ("评价", "件数", "占比"),
                    [
                        (name, rated[key], percent_text(percent(rated[key], rated["rated"])))
                        for key, name in (
                            ("satisfied", "满意"),
                            ("basically_satisfied", "基本满意"),
                            ("unsatisfied", "不满意"),
                        )
                    ],
                    ("合计", rated["rated"], percent_text(100.0 if rated["rated"] else None)),
                )
            ],
        ),
        typical_section(figures),
        risks_section(figures),
        tasks_section(figures),
        campaigns_section(figures),
    ]
    numbered = [
        Section(f"{NUMERALS[i] if i < 10 else '十' + NUMERALS[i - 10]}、{s.title}", *_rest(s))
        for i, s in enumerate(sections)
    ]
    if bulletin["published"]:
        status = f"{office.office}　{local_day(bulletin['published_at'])}印发"
    else:
        status = f"草稿（未发布）　数据截至 {figures['as_of']}"
    footer = [f"统计截至 {figures['as_of']}；数据来自事件日志位置 {bulletin['position']}。"]
    head = bulletin.get("head")
    if head:
        footer.append(
            f"审计树根 {head['root_hash']}（规模 {head['tree_size']}），"
            "可与审计接口公布的签名树根核对。"
        )
    return BulletinDocument(
        office=office.office,
        title="信访工作月通报",
        issue=issue_of(month),
        status=status,
        published=bool(bulletin["published"]),
        sections=numbered,
        differences=changed,
        footer=footer,
    )


def _rest(section: Section) -> tuple[Any, ...]:
    return (section.paragraphs, section.chart, section.tables, section.empty)
