"""Declaration of launching a campaign (百日攻坚, 积案化解; docs/campaigns.md).

The same declarative style as the case commands (domain/commands/base.py): the route, the body
schema, the OpenAPI entry, the permission check and the row of docs/permissions.md derive from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.commands.base import STEERING, Command, Permission, Ref, arg
from domain.values import CampaignKind, Flag, RiskLevel


@dataclass(frozen=True, kw_only=True)
class LaunchCampaign(
    Command,
    path="campaigns",
    summary="Launch a campaign (启动专项行动) on cases and risks",
    may=Permission(anyone_of=STEERING),
):
    """Launch a campaign with its period and targets: cases and risks named by hand, and those
    a rule selects when it is launched (open cases carrying any of `case_flags`, open risks at
    any of `risk_levels`), each among those the launcher may see. The targets are recorded."""

    name: str = arg("the campaign's name", max_length=200, example="2026年信访积案化解百日攻坚")
    kind: CampaignKind = arg("what kind of campaign", example=CampaignKind.HUNDRED_DAYS)
    starts_on: date = arg("its first day", example="2026-09-01")
    ends_on: date = arg("its last day", example="2026-12-09")
    case_ids: list[UUID] = arg(
        "target cases chosen by hand", default=[], max_items=5_000, refers=Ref.CASE
    )
    risk_ids: list[UUID] = arg("target risks chosen by hand", default=[], max_items=5_000)
    case_flags: list[Flag] = arg(
        "rule: also every open case carrying one of these flags", default=[], max_items=6
    )
    risk_levels: list[RiskLevel] = arg(
        "rule: also every open risk at one of these levels", default=[], max_items=3
    )


@dataclass(frozen=True, kw_only=True)
class AddCampaignTargets(
    Command,
    path="targets",
    summary="Add targets to a running campaign (追加目标)",
    may=Permission(anyone_of=STEERING),
):
    """Add cases and risks to a campaign while it runs (up to its last day): each must be one
    the caller may see and still open (a case not ended, a risk neither resolved nor
    converted); those already among its targets are left out, and at least one must be new.
    Each counts from the day it joined: no weekly snapshot ending before that day counts it."""

    campaign_id: UUID = arg("the campaign", in_path=True)
    case_ids: list[UUID] = arg("cases to add", default=[], max_items=5_000, refers=Ref.CASE)
    risk_ids: list[UUID] = arg("risks to add", default=[], max_items=5_000)
