"""Declarations of registration, sorting (分办) and acceptance (受理)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.commands.base import (
    DISPATCH,
    INTAKE,
    UNIT_HEAD,
    CaseCommand,
    Command,
    Permission,
    Ref,
    S,
    arg,
    name_arg,
    unit_arg,
)
from domain.values import (
    Category,
    Channel,
    Petitioner,
)


@dataclass(frozen=True, kw_only=True)
class RegisterCase(
    Command,
    path="cases",
    summary="Register a petition (登记) as a new case",
    may=Permission(anyone_of=INTAKE),
):
    """Register a petition as a new case; the sorting and notice clocks start."""

    channel: Channel = arg("how the petition arrived", example=Channel.LETTER)
    category: Category = arg("条例 第二十九至三十一条 category", example=Category.CLAIM)
    subject: str = arg("a one-line subject", max_length=500, example="拖欠工程款")
    content: str = arg("what the petitioner asks", example="反映某公司拖欠工资三个月")
    petitioners: list[Petitioner] = arg(
        "who petitions (at least one)", min_items=1, max_items=500, example=[]
    )
    location: str | None = arg("where the matter lies", default=None, max_length=500)
    accused_unit_ids: list[UUID] = arg(
        "units the petition accuses (they never see it)", default=[], refers=Ref.UNIT
    )
    collective_size: int | None = arg(
        "headcount of a collective petition", default=None, min_value=1, max_value=100_000
    )


# -- sorting (分办) -----------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Forward(
    CaseCommand,
    path="forward",
    verb="forward",
    summary="Forward (转送) to a unit",
    allowed_in=frozenset({S.REGISTERED}),
    may=Permission(anyone_of=DISPATCH),
):
    """Forward (转送) the case to the competent unit, which must not be accused by it."""

    unit_id: UUID = unit_arg("the unit that is to handle the case")


@dataclass(frozen=True, kw_only=True)
class Assign(
    CaseCommand,
    path="assign",
    verb="assign",
    summary="Assign (交办) to a unit with a due date",
    allowed_in=frozenset({S.REGISTERED}),
    may=Permission(anyone_of=DISPATCH),
):
    """Assign (交办) the case to a unit with a due date and a duty to report back."""

    unit_id: UUID = unit_arg("the unit that is to handle the case")
    due_date: date = arg("when the completion report is due", example=date(2026, 12, 31))


@dataclass(frozen=True, kw_only=True)
class Divert(
    CaseCommand,
    path="divert",
    verb="divert",
    summary="Divert (分流) to another channel",
    allowed_in=frozenset({S.REGISTERED}),
    may=Permission(anyone_of=DISPATCH),
):
    """Divert (分流) the case to 政法/纪检监察/courts/arbitration/复议."""

    target: str = name_arg("where the case is diverted to", "县人民法院")


@dataclass(frozen=True, kw_only=True)
class NotAccept(
    CaseCommand,
    path="not-accept",
    verb="not_accept",
    summary="Do not accept (不予受理)",
    allowed_in=frozenset({S.REGISTERED, S.FORWARDED, S.ASSIGNED}),
    may=Permission(anyone_of=DISPATCH),
    needs_reason=True,
):
    """Refuse to accept the case (不予受理), with a reason."""


@dataclass(frozen=True, kw_only=True)
class Merge(
    CaseCommand,
    path="merge",
    verb="merge",
    summary="Merge (并案) into another case",
    allowed_in=frozenset({S.REGISTERED}),
    may=Permission(anyone_of=DISPATCH),
):
    """Merge (并案) the case into another case about the same matter, which carries on."""

    into_case_id: UUID = arg("the case that carries on", refers=Ref.CASE)


# -- acceptance (受理) ---------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Accept(
    CaseCommand,
    path="accept",
    verb="accept",
    summary="Accept (受理) in the responsible unit",
    allowed_in=frozenset({S.REGISTERED, S.FORWARDED, S.ASSIGNED}),
    may=Permission(unit_roles=UNIT_HEAD),
):
    """Accept (受理) the case in the responsible unit; the 60-day clock starts."""

    handler_id: UUID | None = arg(
        "the handler (具体负责人) named on acceptance", default=None, refers=Ref.UNIT_STAFF
    )
    leader_id: UUID | None = arg(
        "the sponsoring leader (包案领导) named on acceptance", default=None, refers=Ref.LEADER
    )


@dataclass(frozen=True, kw_only=True)
class Object(
    CaseCommand,
    path="object",
    verb="object",
    summary="Object (异议) within 5 working days",
    allowed_in=frozenset({S.FORWARDED, S.ASSIGNED}),
    may=Permission(unit_roles=UNIT_HEAD),
    needs_reason=True,
):
    """Object, within 5 working days, that the case belongs elsewhere."""


@dataclass(frozen=True, kw_only=True)
class DecideObjection(
    CaseCommand,
    path="objection-decision",
    verb="decide_objection",
    summary="Decide a unit's objection",
    allowed_in=frozenset({S.FORWARDED, S.ASSIGNED}),
    may=Permission(anyone_of=DISPATCH),
):
    """Decide a pending objection; upheld returns the case for sorting."""

    upheld: bool = arg("whether the objection is upheld", example=True)
