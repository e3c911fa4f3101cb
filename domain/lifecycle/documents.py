"""Documents of a case (文书): which the case's state allows, and their numbers, given once."""

from __future__ import annotations

from domain.documents import (
    NUMBERED,
    DocumentStateError,
    IssuedDocument,
    document_number,
)
from domain.errors import ConflictError, RuleViolationError
from domain.labels import label
from domain.lifecycle.core import CaseCore, CaseEvent, Phase, local_date
from domain.values import ClockEnd, Deadline, DocumentKind, Rule, Stamp, Status

K = DocumentKind


def clocks_of(case: CaseCore, rule: Rule) -> list[Deadline]:
    """The case's clocks of `rule`, ended ones first, oldest first (one per handling, review,
    recheck: a reassignment or a 重新办理 starts a new one)."""
    return [d for d in (*case.past_deadlines, *case.deadlines.values()) if d.rule is rule]


def basis_of(case: CaseCore, kind: DocumentKind) -> str:
    """What the document of `kind` rests on now. A document is issued once per basis: its
    reprints keep its number, while a new act (a second response after 重新办理, a second review
    decision, a further extension, the case sent to another unit) is a new document."""

    def last(rule: Rule) -> str:
        found = clocks_of(case, rule)
        if not found:
            return ""
        clock = found[-1]
        return f"{clock.started_on}:{clock.met_on}:{clock.extended_days}"

    if kind is K.RESPONSE:
        return f"{case.delivered_on}"
    if kind is K.REVIEW_DECISION:
        return last(Rule.REVIEW_DECIDE_30)
    if kind is K.RECHECK_DECISION:
        return last(Rule.RECHECK_DECIDE_30)
    if kind is K.EXTENSION_NOTICE:
        handling = [d for d in clocks_of(case, Rule.HANDLE_60) if d.extended_days]
        return f"{handling[-1].started_on}:{handling[-1].extended_days}" if handling else ""
    if kind is K.TRANSFER_SLIP:
        return f"{case.unit_id.hex if case.unit_id else ''}:{case.mode}"
    if kind is K.ACCEPTANCE_NOTICE:
        # Each unit that accepts the case gives its own notice: a unit's acceptance ends when
        # the case is sent on from it (its handling clock ends as transferred).
        sent_on = sum(1 for d in clocks_of(case, Rule.HANDLE_60) if d.end is ClockEnd.TRANSFERRED)
        return f"transferred:{sent_on}" if sent_on else ""
    return ""


class Documents(Phase):
    """The documents issued for the case, each with the 文号 it was given."""

    issued_documents: tuple[IssuedDocument, ...] = ()
    """Class default: a case (or snapshot) from before documents existed has issued none."""

    class DocumentIssued(CaseEvent):
        """A document of the case was issued with its number (文号)."""

        kind: DocumentKind
        number: str

        def change(self, case: CaseCore) -> None:
            issued = IssuedDocument(
                kind=self.kind,
                number=self.number,
                issued_on=local_date(self.occurred_at),
                issued_by=self.actor.name,
                basis=basis_of(case, self.kind),
            )
            case.issued_documents = (*case.issued_documents, issued)

    def issue_document(self, stamp: Stamp, *, kind: DocumentKind, prefix: str, serial: int) -> None:
        """Give the document of `kind` its number: the `serial`th of its kind this year."""
        self._check("issue_document", stamp, step=False)
        if kind not in NUMBERED:
            raise RuleViolationError(
                "kind", f"{label(kind)}随所送达的文书出具，不单独编号：请直接打印"
            )
        refusal = self.document_refusal(kind)
        if refusal is not None:
            raise DocumentStateError(kind, refusal)
        existing = self.document(kind)
        if existing is not None:
            raise ConflictError(
                f"{label(kind)}已于{existing.issued_on.isoformat()}出具，文号{existing.number}："
                "重印沿用原文号"
            )
        year = local_date(stamp.occurred_at).year
        number = document_number(prefix, kind, year, serial)
        self._record(self.DocumentIssued, stamp, kind=kind, number=number)

    def document(self, kind: DocumentKind) -> IssuedDocument | None:
        """The document of `kind` issued for what the case now rests on, if it was (an earlier
        one, for a superseded act, stays in `issued_documents`)."""
        basis = basis_of(self, kind)
        return next(
            (d for d in reversed(self.issued_documents) if d.kind is kind and d.basis == basis),
            None,
        )

    def document_refusal(self, kind: DocumentKind) -> str | None:
        """Why the case's state does not allow the document of `kind` (None if it does)."""
        status = label(self.status)
        if self.status is Status.MERGED:
            return f"案件已并案（{status}），文书由并入的案件出具"
        handled = clocks_of(self, Rule.HANDLE_60)
        # Accepted by the unit that holds it now: not only by one it was sent on from.
        accepted = bool(handled) and handled[-1].end is not ClockEnd.TRANSFERRED
        allowed = {
            K.ACCEPTANCE_NOTICE: (accepted, "受理告知书须在案件受理后出具"),
            K.NOT_ACCEPTED_NOTICE: (
                self.status is Status.NOT_ACCEPTED,
                "不予受理告知书须在作出不予受理决定后出具",
            ),
            K.EXTENSION_NOTICE: (
                any(d.extended_days for d in handled),
                "延期办理告知书须在延期获批后出具",
            ),
            K.RESPONSE: (self.outcome is not None, "处理意见书须在作出处理意见后出具"),
            K.REVIEW_DECISION: (
                self.review_decision is not None,
                "复查意见书须在作出复查决定后出具",
            ),
            K.RECHECK_DECISION: (
                self.recheck_decision is not None,
                "复核意见书须在作出复核决定后出具",
            ),
            K.TRANSFER_SLIP: (
                self.unit_id is not None and self.mode in {"forwarded", "assigned"},
                "转送（交办）单须在案件转送或交办给责任单位后出具",
            ),
            K.DELIVERY_RECEIPT: (
                bool(self.issued_documents),
                "送达回证须在出具至少一份编号文书后打印",
            ),
        }
        ok, message = allowed[kind]
        return None if ok else f"{message}（当前状态：{status}）"

    def documents_allowed(self) -> list[DocumentKind]:
        """The kinds of document the case's state allows, in the order of a case's life."""
        return [kind for kind in DocumentKind if self.document_refusal(kind) is None]

    # -- typical cases (典型案例) --------------------------------------------------------------
    typical_text: str | None = None
    """The supervisor's note when the case is marked typical (class default: not marked)."""

    class MarkedTypical(CaseEvent):
        """A supervisor marked the case as typical (典型案例) for the monthly bulletin."""

        text: str

        def change(self, case: CaseCore) -> None:
            case.typical_text = self.text

    def mark_typical(self, stamp: Stamp, *, text: str) -> None:
        """Mark the case as typical, with what it shows (printed in the month's bulletin)."""
        self._check("mark_typical", stamp, step=False)
        if not text.strip():
            raise RuleViolationError("text", "请写明该案例的典型意义")
        self._record(self.MarkedTypical, stamp, text=text.strip())
