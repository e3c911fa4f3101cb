"""Documents of a case (文书): which the state allows, their 文号 given once; typical cases."""

from __future__ import annotations

from datetime import date

import pytest

from domain.documents import (
    ABBREVIATION,
    DocumentStateError,
    OfficeProfile,
    chinese_date,
    document_number,
)
from domain.errors import ConflictError, RuleViolationError, TransitionError
from domain.values import Decision, DocumentKind, Status
from tests.unit.builders import (
    CLERK,
    DISPATCHER,
    HEAD,
    LABOUR,
    LABOUR_HEAD,
    LINEAGE,
    SUPERVISOR,
    story_in,
)

K = DocumentKind
S = Status

ALLOWED_IN: dict[Status, list[DocumentKind]] = {
    S.REGISTERED: [],
    S.FORWARDED: [K.TRANSFER_SLIP],
    S.ASSIGNED: [K.TRANSFER_SLIP],
    S.NOT_ACCEPTED: [K.NOT_ACCEPTED_NOTICE],
    S.DIVERTED: [],
    S.ACCEPTED: [K.ACCEPTANCE_NOTICE, K.TRANSFER_SLIP],
    S.EXTENDED: [K.ACCEPTANCE_NOTICE, K.EXTENSION_NOTICE, K.TRANSFER_SLIP],
    S.RESPONDED: [K.ACCEPTANCE_NOTICE, K.RESPONSE, K.TRANSFER_SLIP],
    S.REVIEWED: [K.ACCEPTANCE_NOTICE, K.RESPONSE, K.REVIEW_DECISION, K.TRANSFER_SLIP],
    S.TERMINATED: [
        K.ACCEPTANCE_NOTICE,
        K.RESPONSE,
        K.REVIEW_DECISION,
        K.RECHECK_DECISION,
        K.TRANSFER_SLIP,
    ],
}


@pytest.mark.parametrize("status", list(ALLOWED_IN), ids=lambda s: s.value)
def test_the_state_of_the_case_decides_which_documents_it_allows(status: Status) -> None:
    case = story_in(status).case
    assert case.documents_allowed() == ALLOWED_IN[status]
    for kind in set(DocumentKind) - set(ALLOWED_IN[status]):
        refusal = case.document_refusal(kind)
        assert refusal is not None
        assert refusal.endswith(f"（当前状态：{refusal.rsplit('：', 1)[1]}")


def test_a_document_gets_its_number_once_and_a_second_issue_is_refused() -> None:
    story = story_in(S.ACCEPTED)
    case = story.case
    case.issue_document(story.stamp(HEAD), kind=K.ACCEPTANCE_NOTICE, prefix="某信", serial=12)
    (event,) = story.flush()
    year = event.occurred_at.year
    assert event.number == f"某信受告〔{year}〕12号"
    issued = case.document(K.ACCEPTANCE_NOTICE)
    assert issued is not None
    assert (issued.number, issued.issued_by) == (event.number, HEAD.name)
    # The delivery receipt is allowed now, and is never numbered.
    assert K.DELIVERY_RECEIPT in case.documents_allowed()
    with pytest.raises(ConflictError, match="重印沿用原文号"):
        case.issue_document(story.stamp(CLERK), kind=K.ACCEPTANCE_NOTICE, prefix="某信", serial=13)
    with pytest.raises(RuleViolationError) as unnumbered:
        case.issue_document(story.stamp(CLERK), kind=K.DELIVERY_RECEIPT, prefix="某信", serial=1)
    assert unnumbered.value.field == "kind"
    assert story.flush() == []
    assert case.document(K.ACCEPTANCE_NOTICE) == issued


def test_the_wrong_state_is_a_transition_error_said_in_chinese() -> None:
    story = story_in(S.FORWARDED)
    with pytest.raises(DocumentStateError) as refused:
        story.case.issue_document(story.stamp(CLERK), kind=K.RESPONSE, prefix="某信", serial=1)
    assert isinstance(refused.value, TransitionError)
    assert refused.value.message == "处理意见书须在作出处理意见后出具（当前状态：已转送）"
    assert story.flush() == []


def test_numbers_and_dates_read_as_documents_print_them() -> None:
    assert document_number("X信", K.ACCEPTANCE_NOTICE, 2026, 12) == "X信受告〔2026〕12号"
    assert set(ABBREVIATION) == set(DocumentKind) - {K.DELIVERY_RECEIPT}
    assert len(set(ABBREVIATION.values())) == len(ABBREVIATION)
    assert chinese_date(date(2026, 11, 20)) == "2026年11月20日"
    assert OfficeProfile.from_mapping({"office": " 某县信访局 ", "seal": "", "x": 1}) == (
        OfficeProfile(office="某县信访局")
    )


def test_a_supervisor_marks_a_typical_case_with_a_text_that_a_later_mark_replaces() -> None:
    story = story_in(S.RESPONDED)
    with pytest.raises(RuleViolationError) as empty:
        story.case.mark_typical(story.stamp(SUPERVISOR), text="   ")
    assert empty.value.field == "text"
    story.case.mark_typical(story.stamp(SUPERVISOR), text=" 联合接访化解 ")
    story.case.mark_typical(story.stamp(SUPERVISOR), text="一次化解")
    assert [e.text for e in story.flush()] == ["联合接访化解", "一次化解"]
    assert story.case.typical_text == "一次化解"


def test_a_new_act_is_a_new_document_and_the_old_one_keeps_its_number() -> None:
    story = story_in(S.RESPONDED)
    case = story.case
    case.issue_document(story.stamp(HEAD), kind=K.RESPONSE, prefix="某信", serial=1)
    first = case.document(K.RESPONSE)
    assert first is not None
    # Reviewed and sent back (重新办理): the unit answers again, a new 处理意见书.
    story.request_review().decide_review(Decision.REDO).respond()
    assert case.document(K.RESPONSE) is None
    assert K.RESPONSE in case.documents_allowed()
    case.issue_document(story.stamp(HEAD), kind=K.RESPONSE, prefix="某信", serial=2)
    second = case.document(K.RESPONSE)
    assert second is not None
    assert second.number.endswith("〕2号")
    assert [d.number for d in case.issued_documents if d.kind is K.RESPONSE] == [
        first.number,
        second.number,
    ]
    # The review decision that sent it back is a document of its own, issued once.
    case.issue_document(story.stamp(SUPERVISOR), kind=K.REVIEW_DECISION, prefix="某信", serial=1)
    with pytest.raises(ConflictError):
        case.issue_document(
            story.stamp(SUPERVISOR), kind=K.REVIEW_DECISION, prefix="某信", serial=2
        )


def test_a_case_sent_on_to_another_unit_gets_a_new_transfer_slip() -> None:
    story = story_in(S.IN_PROGRESS)
    case = story.case
    case.issue_document(story.stamp(DISPATCHER), kind=K.TRANSFER_SLIP, prefix="某信", serial=1)
    assert case.document(K.TRANSFER_SLIP) is not None
    case.reassign(
        story.stamp(DISPATCHER, "劳动保障事项"), unit_id=LABOUR, unit_lineage=LINEAGE[LABOUR]
    )
    assert case.document(K.TRANSFER_SLIP) is None
    case.issue_document(story.stamp(DISPATCHER), kind=K.TRANSFER_SLIP, prefix="某信", serial=2)
    slip = case.document(K.TRANSFER_SLIP)
    assert slip is not None
    assert slip.number.endswith("〕2号")


def test_a_case_accepted_again_by_the_unit_it_was_sent_on_to_gets_that_units_notice() -> None:
    story = story_in(S.IN_PROGRESS)
    case = story.case
    case.issue_document(story.stamp(HEAD), kind=K.ACCEPTANCE_NOTICE, prefix="某信", serial=1)
    first = case.document(K.ACCEPTANCE_NOTICE)
    assert first is not None
    case.reassign(
        story.stamp(DISPATCHER, "劳动保障事项"), unit_id=LABOUR, unit_lineage=LINEAGE[LABOUR]
    )
    # Sent on, not yet accepted by the labour bureau: no notice says it accepted the case.
    assert case.document(K.ACCEPTANCE_NOTICE) is None
    assert K.ACCEPTANCE_NOTICE not in case.documents_allowed()
    with pytest.raises(DocumentStateError, match="受理告知书须在案件受理后出具"):
        case.issue_document(story.stamp(HEAD), kind=K.ACCEPTANCE_NOTICE, prefix="某信", serial=2)
    case.accept(story.stamp(LABOUR_HEAD))
    assert case.document(K.ACCEPTANCE_NOTICE) is None
    case.issue_document(story.stamp(LABOUR_HEAD), kind=K.ACCEPTANCE_NOTICE, prefix="某信", serial=2)
    second = case.document(K.ACCEPTANCE_NOTICE)
    assert second is not None
    assert (second.number, second.issued_by) == ("某信受告〔2025〕2号", LABOUR_HEAD.name)
    assert [d.number for d in case.issued_documents if d.kind is K.ACCEPTANCE_NOTICE] == [
        first.number,
        second.number,
    ]
    # Its reprint keeps the labour bureau's number, and it is given once.
    with pytest.raises(ConflictError, match="某信受告〔2025〕2号"):
        case.issue_document(
            story.stamp(LABOUR_HEAD), kind=K.ACCEPTANCE_NOTICE, prefix="某信", serial=3
        )
