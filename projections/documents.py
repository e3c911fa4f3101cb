"""The words of a case's documents (文书), composed from the case and its events.

What the viewer may see of the petitioner is decided by projections/disclosure.py, which passes
the petitioners (masked or not) and a function that redacts free text; this module only puts
the sentences together. The PDF is drawn by the HTTP layer (api/paper.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.cases import Case, local_date
from domain.documents import (
    LEGAL_BASIS,
    NUMBERED,
    RIGHTS,
    IssuedDocument,
    OfficeProfile,
    chinese_date,
)
from domain.labels import label
from domain.values import DocumentKind, Petitioner, Rule
from projections.names import Names

K = DocumentKind


@dataclass(frozen=True)
class Paper:
    """One document as it is printed: head, number, addressee, body, rights, signature."""

    kind: DocumentKind
    title: str
    office: OfficeProfile
    number: str | None
    addressee: str
    paragraphs: list[str]
    facts: list[tuple[str, str]] = field(default_factory=list)
    """Rows of a form (the transfer slip, the delivery receipt): label and value."""
    signature_lines: list[tuple[str, str]] = field(default_factory=list)
    """Blank lines to sign on paper: label and what is pre-filled."""
    dated: str = ""
    case_number: str = ""
    masked: bool = False
    form: bool = False
    """Printed as a form (table) rather than a letter."""


def _last(events: Sequence[Any], *names: str) -> Any:
    return next((e for e in reversed(events) if type(e).__name__ in names), None)


def _people(petitioners: Sequence[Petitioner]) -> str:
    names = [p.name for p in petitioners if p.name]
    if len(names) > 3:
        return f"{'、'.join(names[:3])}等{len(names)}人"
    return "、".join(names) or "信访人"


def compose(
    case: Case,
    events: Sequence[Any],
    kind: DocumentKind,
    *,
    office: OfficeProfile,
    names: Names,
    petitioners: Sequence[Petitioner],
    redact: Callable[[str], str],
    masked: bool,
    today: date,
) -> Paper:
    """The document of `kind` for `case` (which must allow it), as the viewer is shown it."""
    issued = case.document(kind)
    if kind is K.DELIVERY_RECEIPT:
        issued = case.issued_documents[-1] if case.issued_documents else None
    day = issued.issued_on if issued is not None else today
    unit = names.unit(case.unit_id.hex if case.unit_id else None) or office.office
    handler = names.user(case.handler_id.hex if case.handler_id else None)
    who = _people(petitioners)
    matter = (
        f"您于{chinese_date(local_date(case.registered_at))}通过{label(case.channel)}渠道反映的"
        f"“{redact(case.subject)}”一事（案件编号{case.number}）"
    )
    basis = LEGAL_BASIS[kind]
    rights = RIGHTS[kind]
    paper: dict[str, Any] = {
        "kind": kind,
        "title": label(kind),
        "office": office,
        "number": issued.number if issued is not None and kind in NUMBERED else None,
        "addressee": f"{who}：",
        "dated": chinese_date(day),
        "case_number": case.number,
        "masked": masked,
    }
    body: list[str]
    if kind is K.ACCEPTANCE_NOTICE:
        accepted = _last(events, "Accepted")
        on = chinese_date(local_date(accepted.occurred_at)) if accepted else paper["dated"]
        body = [
            f"{matter}，{basis}，{unit}已于{on}依法受理。"
            + (f"具体负责人：{handler}。" if handler else ""),
            rights,
            "特此告知。",
        ]
    elif kind is K.NOT_ACCEPTED_NOTICE:
        refused = _last(events, "NotAccepted")
        reason = (
            redact(refused.reason) if refused is not None and refused.reason else "不属于受理范围"
        )
        body = [f"{matter}，经审查，{basis}，决定不予受理。理由：{reason}。", rights, "特此告知。"]
    elif kind is K.EXTENSION_NOTICE:
        extended = _last(events, "Extended")
        handling = case.deadlines.get(Rule.HANDLE_60.value)
        due = chinese_date(handling.due_date) if handling is not None else ""
        reason = redact(extended.reason) if extended is not None and extended.reason else ""
        days = extended.days if extended is not None else 0
        approver = redact(extended.approved_by) if extended is not None else ""
        body = [
            f"{matter}，本机关已依法受理。因{reason}，经{approver}批准，{basis}，"
            f"办理期限延长{days}日，延长后的办理期限至{due}。",
            rights,
            "特此告知。",
        ]
    elif kind is K.RESPONSE:
        responded = _last(events, "Responded", "ReportApproved")
        report = _last(events, "ReportSubmitted")
        text = getattr(responded, "text", None) or (report.text if report is not None else "")
        outcome = label(case.outcome) if case.outcome else ""
        body = [
            f"{matter}，本机关已依法受理并调查核实。{basis}，现提出处理意见如下：",
            redact(text),
            f"处理结论：{outcome}。",
            rights,
        ]
    elif kind in (K.REVIEW_DECISION, K.RECHECK_DECISION):
        review = kind is K.REVIEW_DECISION
        decided = _last(events, "ReviewDecided" if review else "RecheckDecided")
        decision = case.review_decision if review else case.recheck_decision
        asked = _last(events, "ReviewRequested" if review else "RecheckRequested")
        on = chinese_date(local_date(asked.occurred_at)) if asked is not None else ""
        step, against = ("复查", "处理意见") if review else ("复核", "复查意见")
        body = [
            f"{matter}，您不服{against}，于{on}请求{step}。{basis}，"
            f"本机关经{step}，决定：{label(decision) if decision else ''}。",
            f"{step}意见：{redact(decided.text) if decided is not None and decided.text else '无'}",
            rights,
        ]
    elif kind is K.TRANSFER_SLIP:
        sent = _last(events, "Assigned", "Forwarded", "Reassigned")
        assigned = case.mode == "assigned"
        due_date = getattr(sent, "due_date", None) if sent is not None else None
        notice = case.deadlines.get(Rule.NOTICE_15.value)
        how = "交办" if assigned else "转送"
        due = (
            f"请于{chinese_date(due_date)}前报送办理结果。"
            if assigned and due_date is not None
            else (
                f"请于{chinese_date(notice.due_date)}前决定是否受理并书面告知信访人。"
                if notice is not None
                else ""
            )
        )
        paper["title"] = f"信访事项{how}单"
        paper["addressee"] = f"{unit}："
        paper["form"] = True
        paper["facts"] = [
            ("案件编号", case.number),
            ("信访人", who),
            ("登记日期", chinese_date(local_date(case.registered_at))),
            ("信访渠道", label(case.channel)),
            ("信访类别", label(case.category)),
            ("事由", redact(case.subject)),
            (f"{how}日期", chinese_date(local_date(sent.occurred_at)) if sent else ""),
            ("办理期限", due),
        ]
        body = [f"现将{who}反映的信访事项{how}你单位，{basis}，请依法处理。{due}", rights]
    else:  # the delivery receipt
        served: IssuedDocument | None = issued
        address = next((p.address for p in petitioners if p.address), None)
        paper["form"] = True
        paper["facts"] = [
            ("送达文书", f"{label(served.kind)}（{served.number}）" if served else ""),
            ("案件编号", case.number),
            ("受送达人", who),
            ("送达地址", address or ""),
            ("送达机关", office.office),
        ]
        paper["signature_lines"] = [
            ("送达方式", ""),
            ("送达人（签名）", ""),
            ("受送达人（签名或盖章）", ""),
            ("签收日期", "　　　　年　　月　　日"),
            ("备注", ""),
        ]
        paper["addressee"] = ""
        body = [f"{basis}，送达上列文书。{rights}"]
    paper["paragraphs"] = body
    return Paper(**paper)
