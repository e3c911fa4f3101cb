"""The monthly bulletin 月通报 as an Excel workbook: one sheet per table, every text Chinese."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openpyxl import Workbook

from api import bulletin_text as text
from api.bulletin_document import issue_of, local_day
from api.spreadsheets import PERCENT_FORMAT, print_sheet
from domain.documents import OfficeProfile
from domain.errors import RuleViolationError
from domain.labels import NO_RATE, percent

RANKED_SHEET = (
    "榜单",
    "名次",
    "单位",
    "应办结件",
    "按期办结件",
    "按期办结率",
    "超期件",
    "严重超期件",
    "说明",
)

CAMPAIGN_SHEET = (
    "专项行动",
    "类型",
    "开始日期",
    "结束日期",
    "目标数",
    "本月化解",
    "已化解",
    "未化解",
    "化解率",
)


def _fraction(numerator: int, denominator: int) -> float | str:
    """A rate as a number Excel formats as a percentage (0.0%), or — when nothing was due."""
    value = percent(numerator, denominator)
    return NO_RATE if value is None else value / 100


def _overview(workbook: Workbook, bulletin: Mapping[str, Any], office: OfficeProfile) -> None:
    """The first sheet: which bulletin this is (month, 期号, status) and its headline figures."""
    figures = bulletin["figures"]
    month = figures["month"]
    sheet = workbook.create_sheet("概况", 0)
    rates = figures["on_time_rates"]
    rated = figures["satisfaction"]
    status = (
        f"已发布（{local_day(bulletin['published_at'])}印发，{bulletin.get('published_by', '')}）"
        if bulletin["published"]
        else "草稿（未发布）"
    )
    head = bulletin.get("head") or {}
    rows: list[tuple[str, Any]] = [
        ("发文机关", office.office),
        ("期号", issue_of(month)),
        ("月份", month),
        ("状态", status),
        ("统计截至", figures["as_of"]),
        ("数据日志位置", bulletin["position"]),
        ("审计树根", head.get("root_hash", "（草稿无签名树根）")),
        ("本月受理登记（件）", figures["received"]),
        ("上月受理登记（件）", figures["received_previous_month"]),
        ("重复信访（件次）", figures["repeat_petitions"]),
        ("积案在办（件）", figures["backlog_open"]),
        ("领导接访（次）", figures["leader_receptions"]),
        (
            "及时受理率（全县）",
            _fraction(
                sum(r["notices_on_time"] for r in rates), sum(r["notices_due"] for r in rates)
            ),
        ),
        (
            "按期办结率（全县）",
            _fraction(
                sum(r["handling_on_time"] for r in rates), sum(r["handling_due"] for r in rates)
            ),
        ),
        (
            "满意率（满意与基本满意／参评）",
            _fraction(rated["satisfied"] + rated["basically_satisfied"], rated["rated"]),
        ),
        ("红榜单位（个）", len(figures["red_list"])),
        ("黑榜单位（个）", len(figures["black_list"])),
        ("典型案例（件）", len(figures.get("typical_cases", []))),
        ("督查典型（件）", len(figures.get("typical_inspections", []))),
    ]
    print_sheet(
        sheet,
        (f"{office.office}信访工作月通报（{issue_of(month)}）", f"{month} 月　{status}"),
        ("项目", "数值"),
        rows,
        formats={1: PERCENT_FORMAT},
        landscape=False,
    )


def bulletin_workbook(bulletin: Mapping[str, Any], office: OfficeProfile) -> Workbook:
    """The sheets 概况, 总量, 按期率, 红黑榜, 被投诉单位, 典型案例, 其他指标, 隐患排查化解,
    任务按期销号 and 专项行动进展 of one month's bulletin, each set up to print (A4, one page
    wide, header repeated, page numbers)."""
    figures = bulletin["figures"]
    workbook = Workbook()
    first = workbook.active
    if first is None:
        raise RuleViolationError("month", "无法生成工作簿")
    first.title = "总量"
    print_sheet(
        first,
        (),
        ("维度", "项目", "本月", "上月", "增减"),
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
    print_sheet(
        workbook.create_sheet("按期率"),
        (),
        (
            "单位",
            "名次",
            "应告知件",
            "按期告知件",
            "及时受理率",
            "应办结件",
            "按期办结件",
            "按期办结率",
            "样本",
        ),
        [
            (
                r["unit"],
                r["rank"] or "—",
                r["notices_due"],
                r["notices_on_time"],
                _fraction(r["notices_on_time"], r["notices_due"]),
                r["handling_due"],
                r["handling_on_time"],
                _fraction(r["handling_on_time"], r["handling_due"]),
                r["sample"],
            )
            for r in figures["on_time_rates"]
        ],
        formats={4: PERCENT_FORMAT, 7: PERCENT_FORMAT},
    )
    print_sheet(
        workbook.create_sheet("红黑榜"),
        (),
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
    print_sheet(
        workbook.create_sheet("被投诉单位"),
        (),
        ("单位", "件数"),
        [(r["unit"], r["count"]) for r in figures["most_complained_units"]],
        landscape=False,
    )
    print_sheet(
        workbook.create_sheet("典型案例"),
        (),
        ("案件编号／督查月份", "类别", "责任单位／督查单位", "典型意义"),
        [
            (c["number"], c["category"], c["unit"], c["text"])
            for c in figures.get("typical_cases", [])
        ]
        + [
            (i["month"], "督查典型", i["unit"], i["text"])
            for i in figures.get("typical_inspections", [])
        ],
    )
    print_sheet(
        workbook.create_sheet("其他指标"),
        (),
        ("指标", "数值"),
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
        landscape=False,
    )
    print_sheet(
        workbook.create_sheet("隐患排查化解"),
        (),
        ("乡镇", "本月新排查", "本月化解销号", "本月转信访事项", "月末在化解"),
        [
            (r["township"], r["found"], r["resolved"], r["converted"], r["open"])
            for r in figures.get("risks_by_township", [])
        ],
        landscape=False,
    )
    tasks = figures.get("task_completion", [])
    print_sheet(
        workbook.create_sheet("任务按期销号"),
        (),
        ("责任单位", "本月到期任务", "按期销号", "逾期", "按期销号率"),
        [
            (
                r["unit"],
                r["tasks_due"],
                r["tasks_on_time"],
                r["tasks_late"],
                _fraction(r["tasks_on_time"], r["tasks_due"]),
            )
            for r in tasks
        ]
        + (
            [
                (
                    "合计",
                    sum(r["tasks_due"] for r in tasks),
                    sum(r["tasks_on_time"] for r in tasks),
                    sum(r["tasks_late"] for r in tasks),
                    _fraction(
                        sum(r["tasks_on_time"] for r in tasks),
                        sum(r["tasks_due"] for r in tasks),
                    ),
                )
            ]
            if tasks
            else []
        ),
        formats={4: PERCENT_FORMAT},
        landscape=False,
    )
    print_sheet(
        workbook.create_sheet("专项行动进展"),
        (),
        (
            "专项行动",
            "类型",
            "开始日期",
            "结束日期",
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
                r["starts_on"],
                r["ends_on"],
                r["targets"],
                r["resolved_in_month"],
                r["resolved_total"],
                r["remaining"],
                _fraction(r["resolved_total"], r["targets"]),
            )
            for r in figures.get("campaign_progress", [])
        ],
        formats={8: PERCENT_FORMAT},
    )
    _overview(workbook, bulletin, office)
    return workbook
