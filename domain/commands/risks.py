"""Declarations of the risk register's commands (隐患排查台账, docs/risks.md).

The same declarative style as the case commands (domain/commands/base.py): one frozen dataclass
per command, whose fields are its arguments and whose class keywords say where it is served,
in which statuses the risk allows it, whether it needs a reason and who may issue it. The routes,
body schemas, OpenAPI entries, permission check and the rows of docs/permissions.md derive
from these classes.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar
from uuid import UUID

from domain.commands.base import (
    INTAKE,
    STEERING,
    UNIT_STAFF,
    Command,
    Permission,
    R,
    Ref,
    arg,
    text_arg,
)
from domain.values import (
    Category,
    Channel,
    Petitioner,
    RiskKind,
    RiskLevel,
    RiskSource,
    RiskStatus,
)

OPEN = frozenset({RiskStatus.OPEN})
RISK_REPORTERS = frozenset({R.CLERK, R.DISPATCHER, R.SUPERVISOR, R.UNIT_HEAD, R.HANDLER})
"""Who may enter a risk: the bureau, and the staff of every unit (a township's 网格员 too)."""
APPROVERS = frozenset({R.SUPERVISOR})
"""Who may close (销号) any risk; a sponsoring leader may close their own."""


@dataclass(frozen=True, kw_only=True)
class RegisterRisk(
    Command,
    path="risks",
    summary="Enter a risk (录入隐患) in the register",
    may=Permission(anyone_of=RISK_REPORTERS),
):
    """Enter a risk in the register; it is listed incomplete until its 包案领导, 责任单位 and
    具体负责人 are named (`assign`)."""

    kind: RiskKind = arg("what the risk is", example=RiskKind.DISPUTE)
    source: RiskSource = arg("where it was found", example=RiskSource.GRID)
    level: RiskLevel = arg("how grave it is (一般/较大/重大)", example=RiskLevel.SERIOUS)
    subject: str = arg("a one-line subject", max_length=500, example="土地承包纠纷")
    description: str = text_arg("what the matter is", example="两户村民因承包地边界发生争执")
    township_id: UUID = arg("the township (乡镇) where it lies", refers=Ref.UNIT)
    village: str | None = arg("the village (村/社区)", default=None, max_length=200)
    people: list[Petitioner] = arg(
        "the people involved (protected like petitioners)", min_items=1, max_items=500, example=[]
    )
    headcount: int | None = arg(
        "how many people are involved in all", default=None, min_value=1, max_value=100_000
    )
    accused_unit_ids: list[UUID] = arg(
        "units the matter concerns (they never see the risk)", default=[], refers=Ref.UNIT
    )


@dataclass(frozen=True, kw_only=True)
class RiskCommand(Command):
    """Base of every command on an existing risk."""

    verb: ClassVar[str]
    allowed_in: ClassVar[frozenset[RiskStatus]]

    risk_id: UUID = arg("the risk", in_path=True)

    def __init_subclass__(
        cls, *, verb: str = "", allowed_in: frozenset[RiskStatus] = OPEN, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if verb:
            cls.verb = verb
            cls.allowed_in = allowed_in

    def arguments(self) -> dict[str, Any]:
        """The command's own arguments (not the risk it applies to)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "risk_id"}


@dataclass(frozen=True, kw_only=True)
class AssignRisk(
    RiskCommand,
    path="assign",
    verb="assign",
    summary="Name the 包案领导, 责任单位 and 具体负责人 (落实包案责任)",
    may=Permission(anyone_of=STEERING),
):
    """Name or change who answers for the risk; what is left out stays as it is. Replacing
    someone already named needs a reason; a new 责任单位 names its own 具体负责人."""

    leader_id: UUID | None = arg("the 包案领导 (a leader)", default=None, refers=Ref.LEADER)
    unit_id: UUID | None = arg("the 责任单位", default=None, refers=Ref.UNIT)
    handler_id: UUID | None = arg(
        "the 具体负责人 (staff of the 责任单位)", default=None, refers=Ref.UNIT_STAFF
    )


@dataclass(frozen=True, kw_only=True)
class RecordRiskStep(
    RiskCommand,
    path="steps",
    verb="record_step",
    summary="Record a 化解 step",
    may=Permission(anyone_of=STEERING, unit_roles=UNIT_STAFF, sponsor=True),
):
    """Record what was done to defuse the risk (走访, 调解, 协调 ...), at its business time."""

    text: str = text_arg("what was done", example="镇村两级干部入户调解，双方初步达成一致")


@dataclass(frozen=True, kw_only=True)
class ResolveRisk(
    RiskCommand,
    path="resolve",
    verb="resolve",
    summary="Close the risk as defused (已化解销号)",
    may=Permission(anyone_of=APPROVERS, sponsor=True),
):
    """Close the risk as defused, on evidence; whoever closes it is recorded as its approver.
    An incomplete risk cannot be closed."""

    evidence: str = text_arg("the evidence it is defused", example="双方签订调解协议书")


@dataclass(frozen=True, kw_only=True)
class ConvertRisk(
    RiskCommand,
    path="convert",
    verb="convert",
    summary="Convert the risk into a case (转为信访事项)",
    may=Permission(anyone_of=INTAKE),
):
    """Register a case from the risk (its people as petitioners, its place as the location,
    the units it concerns as accused); the two are linked both ways and the case's history
    starts from the conversion."""

    channel: Channel = arg("how the petition arrived", example=Channel.VISIT)
    category: Category = arg("条例 第二十九至三十一条 category", example=Category.CLAIM)
    subject: str | None = arg(
        "the case's subject (default: the risk's)", default=None, max_length=500
    )
    content: str | None = arg(
        "what the petitioners ask (default: the risk's description)",
        default=None,
        max_length=20_000,
    )


RISK_COMMANDS: tuple[type[RiskCommand], ...] = (
    AssignRisk,
    RecordRiskStep,
    ResolveRisk,
    ConvertRisk,
)
"""Every command on an existing risk."""

__all__ = [
    "RISK_COMMANDS",
    "AssignRisk",
    "ConvertRisk",
    "RecordRiskStep",
    "RegisterRisk",
    "ResolveRisk",
    "RiskCommand",
]
