"""The bulletin's figures as people read them: Chinese names of figures, rates with their counts."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from domain.labels import NO_RATE, label_of, rate_text
from domain.values import Channel

FIGURE_NAMES: Mapping[str, str] = {
    "format": "格式版本",
    "month": "月份",
    "as_of": "统计截至",
    "received": "本月受理登记",
    "received_previous_month": "上月受理登记",
    "by_channel": "按渠道",
    "by_category": "按类别",
    "by_area": "按责任单位",
    "trend_by_channel": "近六个月趋势",
    "most_complained_units": "被反映较多的单位",
    "most_overdue_units": "超期件较多的单位",
    "on_time_rates": "按期率",
    "red_list": "红榜",
    "black_list": "黑榜",
    "unranked": "样本不足单位",
    "repeat_petitions": "重复信访",
    "backlog_open": "积案在办",
    "leader_receptions": "领导接访",
    "leader_receptions_recorded": "领导接访（接谈记录）",
    "leader_receptions_registered": "领导接访（渠道登记）",
    "leader_home_visits": "领导下访",
    "leader_appointments": "领导约访",
    "satisfaction": "群众满意度",
    "review_outcomes": "复查决定",
    "recheck_outcomes": "复核决定",
    "risks_by_township": "隐患排查化解（按乡镇）",
    "township": "乡镇",
    "found": "新排查",
    "resolved": "化解销号",
    "converted": "转信访事项",
    "open": "月末在化解",
    "key": "项目",
    "label": "名称",
    "count": "件数",
    "previous": "上月",
    "change": "增减",
    "unit": "单位",
    "rank": "名次",
    "sample": "样本",
    "notices_due": "应告知件",
    "notices_on_time": "按期告知件",
    "timely_acceptance_percent": "及时受理率",
    "handling_due": "应办结件",
    "handling_on_time": "按期办结件",
    "on_time_completion_percent": "按期办结率",
    "overdue": "超期件",
    "severely_overdue": "严重超期件",
    "reasons": "通报理由",
    "rated": "参评件",
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "unsatisfied": "不满意",
    "percent": "满意率",
    "typical_cases": "典型案例",
    "number": "案件编号",
    "category": "类别",
    "text": "典型意义",
    "typical_inspections": "督查典型",
    "task_completion": "任务按期销号",
    "tasks_due": "本月到期任务",
    "tasks_on_time": "按期销号",
    "tasks_late": "逾期",
    "tasks_on_time_percent": "按期销号率",
    "campaign_progress": "专项行动进展",
    "campaign": "专项行动",
    "campaign_kind": "类型",
    "starts_on": "开始日期",
    "ends_on": "结束日期",
    "targets": "目标数",
    "resolved_in_month": "本月化解",
    "resolved_total": "已化解",
    "remaining": "未化解",
    "resolved_percent": "化解率",
}
"""The Chinese name of every key of the figures (compute_figures)."""

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def figure_name(path: str) -> str:
    """A figure's path (`on_time_rates[2].handling_due`) in words: 按期率·第3行·应办结件."""
    parts = []
    for key, index in _STEP.findall(path):
        if index:
            parts.append(f"第{int(index) + 1}行")
        else:
            parts.append(FIGURE_NAMES.get(key) or label_of(Channel, key))
    return "·".join(parts)


def shown(value: Any) -> str:
    """A figure's value in words (a list of units by their names, no codes)."""
    if value is None:
        return NO_RATE
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(shown(v) for v in value) or "无"
    if isinstance(value, dict):
        for name in ("unit", "label"):
            if name in value:
                return str(value[name])
        return "；".join(f"{figure_name(str(k))} {shown(v)}" for k, v in value.items())
    return str(value)


def changed(differences: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The differences since publication, each named in words (its path kept for tracing)."""
    return [
        {
            "path": d["path"],
            "name": figure_name(d["path"]),
            "published": shown(d["published"]),
            "now": shown(d["now"]),
        }
        for d in differences
    ]


def on_time(row: Mapping[str, Any]) -> str:
    """按期办结率 with its counts: 66.7%（2/3）."""
    return rate_text(row["handling_on_time"], row["handling_due"])


def timely(row: Mapping[str, Any]) -> str:
    """及时受理率 with its counts."""
    return rate_text(row["notices_on_time"], row["notices_due"])


def satisfaction(figures: Mapping[str, Any]) -> str:
    """满意率 (satisfied and basically satisfied of those rated) with its counts."""
    rated = figures["satisfaction"]
    content = rated["satisfied"] + rated["basically_satisfied"]
    return rate_text(content, rated["rated"])


def outcomes(rows: Sequence[Mapping[str, Any]]) -> str:
    """Review or recheck decisions in words: 变更 3 件；撤销 1 件 (无 when none)."""
    return "；".join(f"{r['label']} {r['count']} 件" for r in rows) or "无"
