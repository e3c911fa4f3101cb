"""Declarations of review (复查), recheck (复核), closing and reopening."""

from __future__ import annotations

from dataclasses import dataclass

from domain.commands.base import (
    DISPATCH,
    INTAKE,
    NON_TERMINAL,
    REVIEW_AUTHORITY,
    CaseCommand,
    Permission,
    S,
    arg,
    name_arg,
    text_arg,
)
from domain.values import (
    Decision,
    HearingAction,
    Resolution,
)


# -- review (复查) and recheck (复核) --------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class RequestReview(
    CaseCommand,
    path="request-review",
    verb="request_review",
    summary="Request review (复查)",
    allowed_in=frozenset({S.RESPONDED, S.CLOSED}),
    may=Permission(anyone_of=INTAKE),
):
    """Record the petitioner's request for review, within 30 days of delivery."""


@dataclass(frozen=True, kw_only=True)
class DecideReview(
    CaseCommand,
    path="decide-review",
    verb="decide_review",
    summary="Record the review decision",
    allowed_in=frozenset({S.UNDER_REVIEW}),
    may=Permission(anyone_of=REVIEW_AUTHORITY),
):
    """Record the review decision; `redo` sends the case back with a new 60-day clock."""

    decision: Decision = arg("the review authority's decision", example=Decision.UPHELD)
    text: str = text_arg("the review opinion", optional=True, example="维持原处理意见")


@dataclass(frozen=True, kw_only=True)
class RequestRecheck(
    CaseCommand,
    path="request-recheck",
    verb="request_recheck",
    summary="Request recheck (复核)",
    allowed_in=frozenset({S.REVIEWED, S.CLOSED}),
    may=Permission(anyone_of=INTAKE),
):
    """Record the petitioner's request for recheck, within 30 days of the review."""


@dataclass(frozen=True, kw_only=True)
class DecideRecheck(
    CaseCommand,
    path="decide-recheck",
    verb="decide_recheck",
    summary="Record the recheck decision",
    allowed_in=frozenset({S.UNDER_RECHECK}),
    may=Permission(anyone_of=REVIEW_AUTHORITY),
):
    """Record the recheck decision; anything but `redo` terminates the matter (复核终结)."""

    decision: Decision = arg("the recheck authority's decision", example=Decision.UPHELD)
    text: str = text_arg("the recheck opinion", optional=True, example="维持复查意见")


@dataclass(frozen=True, kw_only=True)
class Hearing(
    CaseCommand,
    path="hearing",
    verb="hearing",
    summary="Start or end a recheck hearing (pauses the clock)",
    allowed_in=frozenset({S.UNDER_RECHECK}),
    may=Permission(anyone_of=REVIEW_AUTHORITY),
):
    """Pause (start) or resume (end) the recheck clock for a hearing (听证)."""

    action: HearingAction = arg("start or end of the hearing", example=HearingAction.START)


# -- closing -------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Close(
    CaseCommand,
    path="close",
    verb="close",
    summary="Close (办结) with a resolution",
    allowed_in=frozenset({S.RESPONDED, S.REVIEWED}),
    may=Permission(anyone_of=DISPATCH),
):
    """Close a responded or reviewed case; the petitioner's open window stays open."""

    resolution: Resolution = arg("how the matter ended", example=Resolution.SETTLED)


@dataclass(frozen=True, kw_only=True)
class Reopen(
    CaseCommand,
    path="reopen",
    verb="reopen",
    summary="Reopen a closed case",
    allowed_in=frozenset({S.CLOSED, S.TERMINATED}),
    may=Permission(anyone_of=DISPATCH),
    needs_reason=True,
):
    """Reopen a closed or terminated case with a reason and a named approver."""

    approved_by: str = name_arg("who approved reopening", "县信访局局长")


@dataclass(frozen=True, kw_only=True)
class Withdraw(
    CaseCommand,
    path="withdraw",
    verb="withdraw",
    summary="Withdraw (撤回) on the petitioner's behalf",
    allowed_in=NON_TERMINAL,
    may=Permission(anyone_of=INTAKE),
    needs_reason=True,
):
    """Close the case because the petitioner withdrew it; running clocks stop."""
