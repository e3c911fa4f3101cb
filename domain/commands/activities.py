"""Declarations of activities that record without changing status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from domain.commands.base import (
    ACTIVE,
    ENDED_ELSEWHERE,
    EVERY_STATUS,
    HANDLED,
    INTAKE,
    NON_TERMINAL,
    STEERING,
    UNIT_HEAD,
    UNIT_STAFF,
    CaseCommand,
    Permission,
    Ref,
    S,
    arg,
    name_arg,
    text_arg,
)
from domain.values import (
    Channel,
    Disposition,
    Flag,
    NoticeKind,
    Petitioner,
    Satisfaction,
)


# -- activities (no change of status) ------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class RecordProgress(
    CaseCommand,
    path="progress",
    verb="record_progress",
    summary="Record progress",
    allowed_in=ACTIVE,
    may=Permission(unit_roles=UNIT_STAFF),
):
    """Record progress of the investigation."""

    note: str = text_arg("what was done", example="走访调查")


@dataclass(frozen=True, kw_only=True)
class NotifyPetitioner(
    CaseCommand,
    path="notices",
    verb="notify_petitioner",
    summary="Record a notice to the petitioner (告知)",
    allowed_in=EVERY_STATUS - {S.MERGED},
    may=Permission(anyone_of=INTAKE),
):
    """Record a written notice (告知) to the petitioner; receipt/acceptance meet notice_15."""

    kind: NoticeKind = arg("which notice", example=NoticeKind.ACCEPTANCE)
    method: str = name_arg("how it was delivered", "邮寄送达")
    delivered_at: datetime = arg("when it reached the petitioner")


@dataclass(frozen=True, kw_only=True)
class RecordDispositions(
    CaseCommand,
    path="dispositions",
    verb="record_dispositions",
    summary="Record dispositions (三到位一处理)",
    allowed_in=HANDLED,
    may=Permission(unit_roles=UNIT_STAFF),
):
    """Record one or more dispositions (三到位一处理)."""

    kinds: list[Disposition] = arg(
        "one or more dispositions", min_items=1, max_items=4, example=[Disposition.RESOLVED]
    )
    note: str = text_arg("how the matter was dealt with", optional=True, example="已解决")


@dataclass(frozen=True, kw_only=True)
class RecordFollowUp(
    CaseCommand,
    path="follow-up",
    verb="record_follow_up",
    summary="Record a follow-up (回访)",
    allowed_in=frozenset({S.RESPONDED, S.REVIEWED, S.CLOSED, S.TERMINATED}),
    may=Permission(anyone_of=INTAKE),
):
    """Record a follow-up call (回访) and the satisfaction given."""

    satisfaction: Satisfaction = arg("the petitioner's rating", example=Satisfaction.SATISFIED)
    note: str = text_arg("what the petitioner said", optional=True, example="电话回访")


@dataclass(frozen=True, kw_only=True)
class ChangeHandler(
    CaseCommand,
    path="handler",
    verb="change_handler",
    summary="Change the handler",
    allowed_in=NON_TERMINAL - {S.REGISTERED},
    may=Permission(unit_roles=UNIT_HEAD),
    needs_reason=True,
):
    """Hand the case to another handler of the same unit (with a reason)."""

    handler_id: UUID = arg("the new handler", refers=Ref.UNIT_STAFF)


@dataclass(frozen=True, kw_only=True)
class ChangeLeader(
    CaseCommand,
    path="leader",
    verb="change_leader",
    summary="Designate the sponsoring leader (包案领导)",
    allowed_in=EVERY_STATUS - ENDED_ELSEWHERE,
    may=Permission(anyone_of=STEERING),
    needs_reason=True,
):
    """Designate or change the sponsoring leader (with a reason)."""

    leader_id: UUID = arg("the sponsoring leader", refers=Ref.LEADER)


@dataclass(frozen=True, kw_only=True)
class LinkPetition(
    CaseCommand,
    path="petitions",
    verb="link_petition",
    summary="Attach a repeat petition",
    allowed_in=EVERY_STATUS - {S.MERGED},
    may=Permission(anyone_of=INTAKE),
):
    """Attach a repeat petition (重复信访) about the same matter."""

    channel: Channel = arg("how the repeat petition arrived", example=Channel.PHONE)
    content: str = text_arg("what the petitioner asks again", example="再次反映")
    petitioners: list[Petitioner] = arg(
        "who petitions this time", min_items=1, max_items=500, example=[]
    )


@dataclass(frozen=True, kw_only=True)
class SetFlag(
    CaseCommand,
    path="flags",
    verb="set_flag",
    summary="Put a flag on or off",
    allowed_in=EVERY_STATUS,
    may=Permission(anyone_of=STEERING),
):
    """Put on or take off a flag (key case, backlog…); taking one off needs a reason."""

    flag: Flag = arg("which flag", example=Flag.KEY_CASE)
    on: bool = arg("on (true) or off (false)", example=True)


@dataclass(frozen=True, kw_only=True)
class IssueSupervisionOrder(
    CaseCommand,
    path="supervision-orders",
    verb="issue_supervision_order",
    summary="Issue a supervision order (督办)",
    allowed_in=NON_TERMINAL,
    may=Permission(anyone_of=STEERING),
):
    """Issue a supervision order (督办) that the unit must answer by its due date."""

    due_date: date = arg("when the answer is due", example=date(2026, 12, 31))
    text: str = text_arg("what is ordered", example="限期办结")


@dataclass(frozen=True, kw_only=True)
class AnswerSupervisionOrder(
    CaseCommand,
    path="supervision-orders/<int:n>/answer",
    verb="answer_supervision_order",
    summary="Answer a supervision order",
    allowed_in=EVERY_STATUS,
    may=Permission(unit_roles=UNIT_STAFF),
):
    """Answer supervision order number `n`."""

    n: int = arg("the order's number within the case", in_path=True, example=1)
    text: str = text_arg("the answer", example="已办结")
