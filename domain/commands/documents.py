"""Declarations of the documents of a case (文书) and of marking a typical case (典型案例)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.commands.base import (
    EVERY_STATUS,
    INTAKE,
    REVIEW_AUTHORITY,
    STEERING,
    UNIT_STAFF,
    CaseCommand,
    Permission,
    S,
    arg,
)
from domain.values import DocumentKind

TYPICAL_TEXT_LENGTH = 500
"""How long the supervisor's note on a typical case may be (it is printed in the bulletin)."""


@dataclass(frozen=True, kw_only=True)
class IssueDocument(
    CaseCommand,
    path="documents",
    verb="issue_document",
    summary="Issue a document (文书) with its number (文号)",
    allowed_in=EVERY_STATUS - {S.MERGED},
    may=Permission(anyone_of=INTAKE | STEERING, unit_roles=UNIT_STAFF),
):
    """Give a document of the case its number (文号), once: the next of its kind this year.

    The case's state must allow the kind (409 otherwise); a document issued already keeps its
    number (409: print it again with `GET .../documents/{kind}.pdf`). Printing a document that
    has no number yet issues it first.
    """

    kind: DocumentKind = arg("which document", example=DocumentKind.ACCEPTANCE_NOTICE)


@dataclass(frozen=True, kw_only=True)
class MarkTypical(
    CaseCommand,
    path="typical",
    verb="mark_typical",
    summary="Mark the case as a typical case (典型案例) of the monthly bulletin",
    allowed_in=EVERY_STATUS - {S.MERGED},
    may=Permission(anyone_of=REVIEW_AUTHORITY),
):
    """Mark the case as typical (典型案例), with a short text the month's bulletin prints;
    marking it again replaces the text."""

    text: str = arg(
        "what the case shows (printed in the bulletin; name no petitioner)",
        max_length=TYPICAL_TEXT_LENGTH,
        example="多部门联合接访，一次性化解拖欠工资问题",
    )
