"""The monthly bulletin 月通报 as an Excel workbook: one sheet per table, every text Chinese."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openpyxl import Workbook

from api import bulletin_text as text
from api.spreadsheets import write_sheet
from domain.errors import RuleViolationError

RANKED_SHEET = (
    ("榜单", 14),
    ("名次", 6),
    ("单位", 20),
    ("应办结件", 10),
    ("按期办结件", 10),
    ("按期办结率", 16),
    ("超期件", 8),
    ("严重超期件", 10),
    ("说明", 40),
)


def bulletin_workbook(figures: Mapping[str, Any]) -> Workbook:
    """The sheets 总量, 按期率, 红黑榜, 被投诉单位 and 其他指标 of one month's figures."""
    workbook = Workbook()
    first = workbook.active
    if first is None:
        raise RuleViolationError("month", "无法生成工作簿")
    first.title = "总量"
    write_sheet(
        first,
        (("维度", 14), ("项目", 22), ("本月", 10), ("上月", 10), ("增减", 10)),
        [
            (dimension, row["label"], row["count"], row["previous"], row["change"])
            for dimension, key in (
                ("渠道", "by_channel"),
                ("类别", "by_category"),
                ("责任单位", "by_area"),
            )
            for row in figures[key]
        ],
    )
    write_sheet(
        workbook.create_sheet("按期率"),
        (
            ("单位", 20),
            ("名次", 6),
            ("应告知件", 10),
            ("按期告知件", 10),
            ("及时受理率", 16),
            ("应办结件", 10),
            ("按期办结件", 10),
            ("按期办结率", 16),
            ("样本", 36),
        ),
        [
            (
                r["unit"],
                r["rank"] or "—",
                r["notices_due"],
                r["notices_on_time"],
                text.timely(r),
                r["handling_due"],
                r["handling_on_time"],
                text.on_time(r),
                r["sample"],
            )
            for r in figures["on_time_rates"]
        ],
    )
    write_sheet(
        workbook.create_sheet("红黑榜"),
        RANKED_SHEET,
        [
            (
                roll,
                r["rank"] or "—",
                r["unit"],
                r["handling_due"],
                r["handling_on_time"],
                text.on_time(r),
                r["overdue"],
                r["severely_overdue"],
                "；".join(r.get("reasons", [])) or note,
            )
            for roll, key, note in (
                ("红榜", "red_list", "表扬"),
                ("黑榜（通报批评）", "black_list", ""),
                ("样本不足（不排名）", "unranked", "本月收件不足，不参与排名"),
            )
            for r in figures[key]
        ],
    )
    write_sheet(
        workbook.create_sheet("被投诉单位"),
        (("单位", 20), ("件数", 8)),
        [(r["unit"], r["count"]) for r in figures["most_complained_units"]],
    )
    write_sheet(
        workbook.create_sheet("其他指标"),
        (("指标", 24), ("数值", 40)),
        [
            ("重复信访（件次）", figures["repeat_petitions"]),
            ("积案在办（件）", figures["backlog_open"]),
            ("领导接访（次）", figures["leader_receptions"]),
            ("其中：接谈记录（次）", figures["leader_receptions_recorded"]),
            ("其中：领导接访渠道登记（件）", figures["leader_receptions_registered"]),
            ("领导下访（次）", figures["leader_home_visits"]),
            ("领导约访（次）", figures["leader_appointments"]),
            ("满意率（满意与基本满意／参评）", text.satisfaction(figures)),
            ("复查决定", text.outcomes(figures["review_outcomes"])),
            ("复核决定", text.outcomes(figures["recheck_outcomes"])),
        ],
    )
    write_sheet(
        workbook.create_sheet("隐患排查化解"),
        (
            ("乡镇", 16),
            ("本月新排查", 12),
            ("本月化解销号", 12),
            ("本月转信访事项", 14),
            ("月末在化解", 12),
        ),
        [
            (r["township"], r["found"], r["resolved"], r["converted"], r["open"])
            for r in figures.get("risks_by_township", [])
        ],
    )
    return workbook
