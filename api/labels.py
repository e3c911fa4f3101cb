"""Chinese labels for codes, as county offices print them in 台账 and 通报."""

from __future__ import annotations

STATUS = {
    "registered": "已登记",
    "forwarded": "已转送",
    "assigned": "已交办",
    "diverted": "已分流",
    "not_accepted": "不予受理",
    "merged": "已并案",
    "accepted": "已受理",
    "in_progress": "办理中",
    "extended": "已延期",
    "report_submitted": "办结报告待审",
    "responded": "已答复",
    "under_review": "复查中",
    "reviewed": "已复查",
    "under_recheck": "复核中",
    "terminated": "复核终结",
    "closed": "已办结",
}
CHANNEL = {
    "letter": "来信",
    "visit": "来访",
    "phone": "电话",
    "online": "网上信访",
    "email": "电子邮件",
    "fax": "传真",
    "hotline_12345": "12345热线",
    "leader_reception": "领导接访",
    "transferred_from_above": "上级转交",
}
CATEGORY = {"suggestion": "建议意见类", "accusation": "检举控告类", "claim": "申诉求决类"}
LEVEL = {
    "open": "正常",
    "due_soon": "预警",
    "overdue": "超期",
    "severely_overdue": "严重超期",
    "met": "按期",
    "met_late": "逾期完成",
    "ready_to_close": "期满待办结",
}
RULE = {
    "sort_15": "15日内分办",
    "notice_15": "15日内告知",
    "object_5wd": "5个工作日内异议",
    "handle_60": "60日内办结",
    "assign_due": "交办期限",
    "review_window_30": "复查申请期",
    "review_decide_30": "30日内复查",
    "recheck_window_30": "复核申请期",
    "recheck_decide_30": "30日内复核",
    "supervision_due": "督办期限",
}
FLAG = {
    "key_case": "重点",
    "backlog": "积案",
    "collective": "集体访",
    "skip_level": "越级",
    "urgent": "重大紧急",
    "sensitive": "敏感",
}
OUTCOME = {"supported": "予以支持", "explained": "解释说明", "not_supported": "不予支持"}
DISPOSITION = {
    "resolved": "解决问题到位",
    "educated": "思想教育到位",
    "assisted": "帮扶救助到位",
    "handled_by_law": "依法处理",
}
SATISFACTION = {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意"}
RESOLUTION = {
    "settled": "息诉罢访",
    "resolved": "已化解",
    "unresolved": "未化解",
    "withdrawn": "撤回",
}


def label(table: dict[str, str], code: str | None) -> str:
    """The Chinese label of a code (the code itself if unknown, blank for none)."""
    if not code:
        return ""
    return table.get(code, code)
