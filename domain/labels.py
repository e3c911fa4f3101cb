"""The Chinese names of the domain's codes, and how its rates read (domain.md §2, docs/).

One table per enum of `domain.values`, keyed by its members, and one for the Case events, so the
台账, the 月通报, the CLI and any other page print the same word for the same code.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Any, TypeVar

from domain.register_values import (
    AgendaSource,
    CheckItem,
    RecordDecisionKind,
    TaskLevel,
    TaskOrigin,
    TaskStatus,
)
from domain.values import (
    CampaignKind,
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
    RiskKind,
    RiskLevel,
    RiskSource,
    RiskStatus,
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

# -- the risk register (隐患排查台账) and campaigns ------------------------------------------------
RISK_KIND: Mapping[RiskKind, str] = {
    RiskKind.DISPUTE: "矛盾纠纷",
    RiskKind.GROUP_GRIEVANCE: "群体性诉求",
    RiskKind.PERSON_AT_RISK: "重点人员",
}
RISK_SOURCE: Mapping[RiskSource, str] = {
    RiskSource.SURVEY: "排查",
    RiskSource.GRID: "网格员报告",
    RiskSource.HOTLINE_12345: "12345热线",
    RiskSource.VISIT_SIGN: "来访苗头",
    RiskSource.REFERRAL: "部门移交",
}
RISK_LEVEL: Mapping[RiskLevel, str] = {
    RiskLevel.ORDINARY: "一般",
    RiskLevel.SERIOUS: "较大",
    RiskLevel.GRAVE: "重大",
}
RISK_STATUS: Mapping[RiskStatus, str] = {
    RiskStatus.OPEN: "化解中",
    RiskStatus.RESOLVED: "已化解销号",
    RiskStatus.CONVERTED: "已转信访事项",
}
CAMPAIGN_KIND: Mapping[CampaignKind, str] = {
    CampaignKind.HUNDRED_DAYS: "百日攻坚",
    CampaignKind.BACKLOG: "积案化解",
}
RISK_EVENT: Mapping[str, str] = {
    "Registered": "录入隐患",
    "Assigned": "落实包案责任",
    "StepRecorded": "化解措施",
    "Resolved": "化解销号",
    "Converted": "转为信访事项",
}
"""The events of a risk, by class name."""
CAMPAIGN_EVENT: Mapping[str, str] = {
    "Launched": "启动专项行动",
    "TargetsAdded": "追加目标",
}
"""The events of a campaign, by class name."""
INCOMPLETE = "责任未落实"
"""A risk lacking its 包案领导, 责任单位 or 具体负责人 (不漏一人一事)."""
MISSING_DUTY = {"leader_id": "包案领导", "unit_id": "责任单位", "handler_id": "具体负责人"}
"""What a risk may lack, by field."""

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
    # -- the risk register and campaigns (docs/risks.md, docs/campaigns.md)
    RiskKind: RISK_KIND,
    RiskSource: RISK_SOURCE,
    RiskLevel: RISK_LEVEL,
    RiskStatus: RISK_STATUS,
    CampaignKind: CAMPAIGN_KIND,
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
    table = TABLES.get(type(code)) or REGISTER_TABLES[type(code)]
    return table[code]


def label_of(enum: type[E], code: str | None) -> str:
    """The Chinese name of a stored code of `enum` (blank for none; an unknown code as is)."""
    if not code:
        return ""
    try:
        member = enum(code)
    except ValueError:
        return code
    return label(member)


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


# -- the registers of work: 一会议三清单, 督查, 问责 (domain/register_values.py) ---------
AGENDA_SOURCE: Mapping[AgendaSource, str] = {
    AgendaSource.KEY_CASE: "重点信访案件",
    AgendaSource.OVERDUE_DEADLINE: "超期事项",
    AgendaSource.BACKLOG: "信访积案",
    AgendaSource.OPEN_TASK: "前次会议未销号任务",
    AgendaSource.HIGH_RISK: "重大隐患",
}
TASK_STATUS: Mapping[TaskStatus, str] = {
    TaskStatus.OPEN: "办理中",
    TaskStatus.REPORTED: "已报结待销号",
    TaskStatus.CLOSED: "已销号",
}
TASK_ORIGIN: Mapping[TaskOrigin, str] = {
    TaskOrigin.MEETING: "联席会议决定",
    TaskOrigin.INSPECTION: "督查整改要求",
}
TASK_LEVEL: Mapping[TaskLevel, str] = {
    TaskLevel.OPEN: "未到期",
    TaskLevel.DUE_SOON: "即将到期",
    TaskLevel.OVERDUE: "超期未销号",
    TaskLevel.CLOSED_ON_TIME: "按期销号",
    TaskLevel.CLOSED_LATE: "逾期销号",
}
CHECK_ITEM: Mapping[CheckItem, str] = {
    CheckItem.MEETING_HELD: "按时参加每周联席会议",
    CheckItem.LISTS_COMPLETE: "三清单（问题、任务、责任）齐全",
    CheckItem.TASKS_ON_TIME: "任务按期报结销号",
    CheckItem.DEADLINES_KEPT: "信访事项无超期",
    CheckItem.KEY_CASES_SPONSORED: "重点案件和积案落实包案领导",
    CheckItem.LEDGER_CURRENT: "台账及时更新",
}
RECORD_DECISION: Mapping[RecordDecisionKind, str] = {
    RecordDecisionKind.REMINDER: "谈话提醒",
    RecordDecisionKind.CRITICISM: "批评教育",
    RecordDecisionKind.CIRCULATED: "通报批评",
    RecordDecisionKind.ADMONITION: "诫勉",
    RecordDecisionKind.ORGANISATIONAL: "组织处理",
    RecordDecisionKind.DISCIPLINARY: "纪律处分",
    RecordDecisionKind.NONE: "不予问责",
}
REGISTER_TABLES: Mapping[type[Enum], Mapping[Any, str]] = {
    AgendaSource: AGENDA_SOURCE,
    TaskStatus: TASK_STATUS,
    TaskOrigin: TASK_ORIGIN,
    TaskLevel: TASK_LEVEL,
    CheckItem: CHECK_ITEM,
    RecordDecisionKind: RECORD_DECISION,
}
"""Every enum of domain.register_values and its labels (a test checks that none is missing)."""

REGISTER_EVENT: Mapping[str, str] = {
    "Meeting.Convened": "召开联席会议",
    "Meeting.DecisionRecorded": "会议决定事项",
    "Task.Assigned": "交办任务",
    "Task.Reported": "任务报告",
    "Task.ReportReturned": "退回报结",
    "Task.Closed": "任务销号",
    "Inspection.Opened": "督查",
    "Inspection.FindingRecorded": "督查发现问题",
    "Inspection.FollowUpOrdered": "督查整改要求",
    "Inspection.MarkedTypical": "列为典型案例",
    "AccountabilityRecord.Recorded": "问责",
}
"""The events of the registers, by aggregate and class name."""

MINUTES_TITLE = "会议纪要"
PROBLEM_LIST = "问题清单"
TASK_LIST = "任务清单"
RESPONSIBILITY_LIST = "责任清单"
# -- web pages (api/pages): what each command and each of its fields is called on a form ------
COMMAND: Mapping[str, str] = {
    "register": "登记",
    "forward": "转送",
    "assign": "交办",
    "divert": "分流",
    "not_accept": "不予受理",
    "merge": "并案",
    "accept": "受理",
    "object": "提出异议",
    "decide_objection": "异议决定",
    "start_work": "开始办理",
    "record_visit": "接谈记录（接访/下访/约访）",
    "extend": "延期",
    "respond": "答复",
    "submit_report": "提交办结报告",
    "approve_report": "审核通过办结报告",
    "return_report": "退回办结报告",
    "reassign": "重新转交",
    "request_review": "申请复查",
    "decide_review": "复查决定",
    "request_recheck": "申请复核",
    "decide_recheck": "复核决定",
    "hearing": "听证",
    "close": "办结",
    "reopen": "重新启动",
    "withdraw": "撤回",
    "record_progress": "办理进展",
    "notify_petitioner": "书面告知",
    "record_dispositions": "三到位一处理",
    "record_follow_up": "回访",
    "issue_document": "出具文书",
    "mark_typical": "列为典型案例",
    "change_handler": "更换具体负责人",
    "change_leader": "指定包案领导",
    "link_petition": "重复信访",
    "set_flag": "标记",
    "issue_supervision_order": "督办",
    "answer_supervision_order": "督办回复",
    "declare_recusal": "声明回避",
    "request_recusal": "申请回避",
    "decide_recusal": "回避决定",
}
"""The Chinese name of each command, by its verb (`register` for registering a case)."""

FIELD: Mapping[str, str] = {
    "channel": "信访渠道",
    "category": "信访类别",
    "subject": "事由",
    "content": "信访内容",
    "petitioners": "信访人",
    "location": "问题发生地",
    "accused_unit_ids": "被反映单位",
    "collective_size": "集体访人数",
    "unit_id": "责任单位",
    "due_date": "期限",
    "target": "分流去向",
    "into_case_id": "并入案件编号",
    "handler_id": "具体负责人",
    "leader_id": "包案领导",
    "upheld": "异议是否成立",
    "kind": "类别",
    "held_at": "接谈时间",
    "notes": "接谈记录",
    "days": "延长天数",
    "approved_by": "批准人",
    "outcome": "处理结果",
    "text": "正文",
    "delivered_at": "送达时间",
    "decision": "决定",
    "action": "听证",
    "resolution": "办结方式",
    "note": "说明",
    "method": "送达方式",
    "kinds": "三到位一处理",
    "satisfaction": "满意度",
    "flag": "标记",
    "on": "标记或取消",
    "n": "督办序号",
    "person_id": "当事人员",
    "granted": "是否回避",
    "reason": "理由",
    "occurred_at": "实际发生时间（补录时填写）",
    "intake_unit_id": "登记单位",
    "reopens": "重新启动",
    "name": "姓名",
    "id_number": "身份证号",
    "phone": "联系电话",
    "address": "住址",
}
"""The Chinese name of each field of a command form (and of a petitioner)."""

ACCESS: Mapping[str, str] = {
    "read_case": "查看事项",
    "read_history": "查看办理经过",
    "export": "导出",
    "bundle_download": "下载审计包",
    "read_ledger": "查看台账",
    "read_agenda": "查看调度议程",
    "read_backlog": "查看积案台账",
    "petitioner_identity": "信访人身份",
    "accusation_content": "检举控告内容",
}
"""What the access log records (domain/access.py), as the audit page names it."""


# -- the registers' web forms (docs/web.md, "Registers") ----------------------------------------
REGISTER_COMMAND: Mapping[str, str] = {
    "RegisterRisk": "录入隐患",
    "AssignRisk": "落实包案责任",
    "RecordRiskStep": "记录化解措施",
    "ResolveRisk": "化解销号",
    "ConvertRisk": "转为信访事项",
    "ConveneMeeting": "记录联席会议",
    "RecordDecision": "记录会议决定（三清单）",
    "ReportTask": "报告任务进展",
    "ReturnTaskReport": "退回报结",
    "CloseTask": "任务销号",
    "RecordFinding": "记录督查发现",
    "IssueFollowUp": "下达整改要求",
    "MarkInspectionTypical": "列为典型案例",
    "RecordAccountability": "记录问责",
    "LaunchCampaign": "启动专项行动",
    "AddCampaignTargets": "追加目标",
    "OpenInspection": "记录月度督查",
}
"""The title of each register command's form, by its declaration (verbs repeat across records)."""

REGISTER_FIELD: Mapping[str, str] = {
    "source": "来源",
    "level": "风险等级",
    "description": "基本情况",
    "township_id": "所在乡镇",
    "village": "村（社区）",
    "people": "涉及人员",
    "headcount": "涉及总人数",
    "evidence": "化解（完成）依据",
    "problem": "问题（问题清单）",
    "task": "任务（任务清单）",
    "completed": "是否已完成（报结）",
    "overdue": "所依据的超期记录",
    "risk_id": "关联隐患",
    "case_id": "关联信访事项编号",
    "held_on": "日期",
    "title": "标题",
    "chair_id": "主持领导",
    "attendee_ids": "参会人员",
    "place": "地点",
    "decision": "问责决定",
    "decided_by": "决定机关",
    "decided_on": "决定日期",
    "outcome": "处理结果",
    "person_id": "被问责人",
    "inspection_id": "所依据的督查",
    "events": "所依据的办理记录",
    "name": "专项行动名称",
    "starts_on": "开始日期",
    "ends_on": "结束日期",
    "case_ids": "目标信访事项（编号，可填多个）",
    "risk_ids": "目标隐患",
    "case_flags": "另按标记选定未办结的信访事项",
    "risk_levels": "另按风险等级选定未化解的隐患",
    "month": "督查月份（年-月）",
    "checklist": "督查清单",
    "passed": "落实情况",
}
"""Field names of the registers' forms where they differ from a case command's (FIELD)."""

INSPECTION_FIELD: Mapping[str, str] = {"unit_id": "被督查单位", "held_on": "督查日期"}
"""Field names of the inspection form where they differ from the other registers' forms."""
