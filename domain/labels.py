"""The Chinese names of the domain's codes, and how its rates read (domain.md §2, docs/).

One table per enum of `domain.values`, keyed by its members, and one for the Case events, so the
台账, the 月通报, the CLI and any other page print the same word for the same code.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Any, TypeVar

from domain.values import (
    Category,
    Channel,
    ClockEnd,
    DayUnit,
    Decision,
    Disposition,
    DocumentKind,
    Flag,
    HearingAction,
    Level,
    NoticeKind,
    Outcome,
    Resolution,
    Role,
    Rule,
    Satisfaction,
    Status,
    VisitKind,
)

E = TypeVar("E", bound=Enum)

ROLE: Mapping[Role, str] = {
    Role.ADMIN: "系统管理员",
    Role.CLERK: "登记员",
    Role.DISPATCHER: "分办员",
    Role.UNIT_HEAD: "单位负责人",
    Role.HANDLER: "承办人",
    Role.LEADER: "包案领导",
    Role.SUPERVISOR: "督查员",
    Role.AUDITOR: "问责审查员",
}
CHANNEL: Mapping[Channel, str] = {
    Channel.LETTER: "来信",
    Channel.VISIT: "来访",
    Channel.PHONE: "电话",
    Channel.ONLINE: "网上信访",
    Channel.EMAIL: "电子邮件",
    Channel.FAX: "传真",
    Channel.HOTLINE_12345: "12345热线",
    Channel.LEADER_RECEPTION: "领导接访",
    Channel.TRANSFERRED_FROM_ABOVE: "上级转交",
}
CATEGORY: Mapping[Category, str] = {
    Category.SUGGESTION: "建议意见类",
    Category.ACCUSATION: "检举控告类",
    Category.CLAIM: "申诉求决类",
}
STATUS: Mapping[Status, str] = {
    Status.REGISTERED: "已登记",
    Status.FORWARDED: "已转送",
    Status.ASSIGNED: "已交办",
    Status.DIVERTED: "已分流",
    Status.NOT_ACCEPTED: "不予受理",
    Status.MERGED: "已并案",
    Status.ACCEPTED: "已受理",
    Status.IN_PROGRESS: "办理中",
    Status.EXTENDED: "已延期",
    Status.REPORT_SUBMITTED: "办结报告待审",
    Status.RESPONDED: "已答复",
    Status.UNDER_REVIEW: "复查中",
    Status.REVIEWED: "已复查",
    Status.UNDER_RECHECK: "复核中",
    Status.TERMINATED: "复核终结",
    Status.CLOSED: "已办结",
}
VISIT_KIND: Mapping[VisitKind, str] = {
    VisitKind.RECEPTION: "接访",
    VisitKind.HOME_VISIT: "下访",
    VisitKind.APPOINTMENT: "约访",
}
OUTCOME: Mapping[Outcome, str] = {
    Outcome.SUPPORTED: "予以支持",
    Outcome.EXPLAINED: "解释说明",
    Outcome.NOT_SUPPORTED: "不予支持",
}
DISPOSITION: Mapping[Disposition, str] = {
    Disposition.RESOLVED: "解决问题到位",
    Disposition.EDUCATED: "思想教育到位",
    Disposition.ASSISTED: "帮扶救助到位",
    Disposition.HANDLED_BY_LAW: "依法处理",
}
SATISFACTION: Mapping[Satisfaction, str] = {
    Satisfaction.SATISFIED: "满意",
    Satisfaction.BASICALLY_SATISFIED: "基本满意",
    Satisfaction.UNSATISFIED: "不满意",
}
RESOLUTION: Mapping[Resolution, str] = {
    Resolution.SETTLED: "息诉罢访",
    Resolution.RESOLVED: "已化解",
    Resolution.UNRESOLVED: "未化解",
    Resolution.WITHDRAWN: "撤回",
}
DECISION: Mapping[Decision, str] = {
    Decision.UPHELD: "维持",
    Decision.CHANGED: "变更",
    Decision.REVOKED: "撤销",
    Decision.REDO: "重新办理",
}
FLAG: Mapping[Flag, str] = {
    Flag.KEY_CASE: "重点",
    Flag.BACKLOG: "积案",
    Flag.COLLECTIVE: "集体访",
    Flag.SKIP_LEVEL: "越级",
    Flag.URGENT: "重大紧急",
    Flag.SENSITIVE: "敏感",
}
NOTICE_KIND: Mapping[NoticeKind, str] = {
    NoticeKind.RECEIPT: "收件告知",
    NoticeKind.ACCEPTANCE: "受理告知",
    NoticeKind.EXTENSION: "延期告知",
    NoticeKind.NOT_ACCEPTED: "不予受理告知",
    NoticeKind.RESPONSE: "答复告知",
    NoticeKind.REVIEW: "复查意见告知",
    NoticeKind.RECHECK: "复核意见告知",
    NoticeKind.OTHER: "其他告知",
}
DOCUMENT_KIND: Mapping[DocumentKind, str] = {
    DocumentKind.ACCEPTANCE_NOTICE: "受理告知书",
    DocumentKind.NOT_ACCEPTED_NOTICE: "不予受理告知书",
    DocumentKind.EXTENSION_NOTICE: "延期办理告知书",
    DocumentKind.RESPONSE: "信访事项处理意见书",
    DocumentKind.REVIEW_DECISION: "信访事项复查意见书",
    DocumentKind.RECHECK_DECISION: "信访事项复核意见书",
    DocumentKind.TRANSFER_SLIP: "信访事项转送（交办）单",
    DocumentKind.DELIVERY_RECEIPT: "送达回证",
}
HEARING_ACTION: Mapping[HearingAction, str] = {
    HearingAction.START: "听证开始",
    HearingAction.END: "听证结束",
}
DAY_UNIT: Mapping[DayUnit, str] = {
    DayUnit.CALENDAR_DAYS: "自然日",
    DayUnit.WORKING_DAYS: "工作日",
}
RULE: Mapping[Rule, str] = {
    Rule.SORT_15: "15日内分办",
    Rule.NOTICE_15: "15日内告知",
    Rule.OBJECT_5WD: "5个工作日内异议",
    Rule.HANDLE_60: "60日内办结",
    Rule.ASSIGN_DUE: "交办期限",
    Rule.REVIEW_WINDOW_30: "复查申请期",
    Rule.REVIEW_DECIDE_30: "30日内复查",
    Rule.RECHECK_WINDOW_30: "复核申请期",
    Rule.RECHECK_DECIDE_30: "30日内复核",
    Rule.SUPERVISION_DUE: "督办期限",
}
CLOCK_END: Mapping[ClockEnd, str] = {
    ClockEnd.MET: "已履行",
    ClockEnd.TRANSFERRED: "已转出",
    ClockEnd.WITHDRAWN: "已撤回",
    ClockEnd.MERGED: "已并案",
    ClockEnd.DIVERTED: "已分流",
    ClockEnd.NOT_ACCEPTED: "不予受理",
    ClockEnd.SUPERSEDED: "由新时限接替",
    ClockEnd.WAIVED: "未行使",
}
LEVEL: Mapping[Level, str] = {
    Level.OPEN: "正常",
    Level.DUE_SOON: "预警",
    Level.OVERDUE: "超期",
    Level.SEVERELY_OVERDUE: "严重超期",
    Level.PAUSED: "暂停计时",
    Level.MET: "按期",
    Level.MET_LATE: "逾期完成",
    Level.STOPPED: "终止计时",
    Level.MISSED: "超期未办",
    Level.EXPIRED: "期满",
}

TABLES: Mapping[type[Enum], Mapping[Any, str]] = {
    Role: ROLE,
    Channel: CHANNEL,
    Category: CATEGORY,
    Status: STATUS,
    VisitKind: VISIT_KIND,
    Outcome: OUTCOME,
    Disposition: DISPOSITION,
    Satisfaction: SATISFACTION,
    Resolution: RESOLUTION,
    Decision: DECISION,
    Flag: FLAG,
    NoticeKind: NOTICE_KIND,
    DocumentKind: DOCUMENT_KIND,
    HearingAction: HEARING_ACTION,
    DayUnit: DAY_UNIT,
    Rule: RULE,
    ClockEnd: CLOCK_END,
    Level: LEVEL,
}
"""Every enum of domain.values and its labels (a test checks that none is missing)."""

EVENT: Mapping[str, str] = {
    "Registered": "登记",
    "Forwarded": "转送",
    "Assigned": "交办",
    "Diverted": "分流",
    "NotAccepted": "不予受理",
    "Merged": "并案",
    "Absorbed": "并入他案",
    "Accepted": "受理",
    "Objected": "提出异议",
    "ObjectionDecided": "异议决定",
    "WorkStarted": "开始办理",
    "Extended": "延期",
    "Responded": "答复",
    "ReportSubmitted": "提交办结报告",
    "ReportApproved": "办结报告审核通过",
    "ReportReturned": "办结报告退回",
    "Reassigned": "重新转交",
    "ReviewRequested": "申请复查",
    "ReviewDecided": "复查决定",
    "RecheckRequested": "申请复核",
    "HearingHeld": "听证",
    "RecheckDecided": "复核决定",
    "Closed": "办结",
    "Reopened": "重新启动",
    "Withdrawn": "撤回",
    "DeadlinesCorrected": "期限更正",
    "VisitRecorded": "接谈记录",
    "ProgressRecorded": "办理进展",
    "PetitionerNotified": "书面告知",
    "DispositionsRecorded": "三到位一处理",
    "FollowedUp": "回访",
    "HandlerChanged": "更换具体负责人",
    "LeaderChanged": "更换包案领导",
    "PetitionLinked": "重复信访",
    "Flagged": "标记",
    "SupervisionOrderIssued": "督办",
    "SupervisionOrderAnswered": "督办回复",
    "RecusalDeclared": "回避",
    "RecusalRequested": "申请回避",
    "RecusalDecided": "回避决定",
    "DocumentIssued": "出具文书",
    "MarkedTypical": "列为典型案例",
}
"""The events of a case, by class name (as the ledger's actions store them)."""

NO_UNIT = "未明确责任单位"
"""Printed where a figure belongs to no unit at all (never "unknown")."""
NO_RATE = "—"
"""Printed for a rate with nothing due (0 of 0)."""
RANKED = "参与排名"
"""A scorecard with the minimum sample: it is ranked."""


def unranked(minimum: int) -> str:
    """A scorecard below the minimum sample (never "insufficient sample"): listed apart."""
    return f"样本不足（本月到期事项少于 {minimum} 件），不参与排名"


READY_TO_CLOSE = "期满待办结"
"""The ledger's state of a case whose review or recheck window passed unused."""


def deadline_state(code: str | None) -> str:
    """The Chinese name of a ledger row's deadline state: a Level, or ready to close."""
    return READY_TO_CLOSE if code == "ready_to_close" else label_of(Level, code)


def label(code: Enum | None) -> str:
    """The Chinese name of a code of the domain (blank for none)."""
    if code is None:
        return ""
    return TABLES[type(code)][code]


def label_of(enum: type[E], code: str | None) -> str:
    """The Chinese name of a stored code of `enum` (blank for none; an unknown code as is)."""
    if not code:
        return ""
    try:
        member = enum(code)
    except ValueError:
        return code
    return TABLES[enum][member]


def event_label(name: str) -> str:
    """The Chinese name of a Case event by its class name (an unknown name as is)."""
    return EVENT.get(name, name)


def percent(numerator: int, denominator: int) -> float | None:
    """A share as a percentage with one decimal, rounded half up (None when nothing was due)."""
    if not denominator:
        return None
    share = Decimal(100 * numerator) / Decimal(denominator)
    return float(share.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def percent_text(value: float | None) -> str:
    """A percentage as people read it: 66.7% (— when nothing was due)."""
    return NO_RATE if value is None else f"{value:.1f}%"


def rate_text(numerator: int, denominator: int) -> str:
    """A rate with its counts beside it: 66.7%（2/3）, or —（0/0）when nothing was due."""
    return f"{percent_text(percent(numerator, denominator))}（{numerator}/{denominator}）"
