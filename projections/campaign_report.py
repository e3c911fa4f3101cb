"""Campaigns on the read side: the targets a rule selects, and the figures as people read them.

The figures themselves are computed by domain/campaigns.py from each target's events; here they
are given names (units, leaders) and the rule's targets are found in the views (open cases
carrying a flag in `ledger_cases`, open risks at a level in `risk_register`), each among those
the launcher may see (projections/visibility.py). No figure names a petitioner or a person
involved: a target is shown by its number.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.application import Xinfang
from domain.campaigns import Campaign, Figures, Tally, figures
from domain.labels import NO_UNIT, label, percent
from domain.registers import Campaigns, Registers
from domain.values import TERMINAL_STATUSES, Actor, Flag, RiskLevel, RiskStatus
from projections.names import Names
from projections.sql import hex_id, member
from projections.store import ViewStore
from projections.visibility import case_filter


class RuleTargets:
    """Finds the targets of a campaign's rule in the views (domain.registers.TargetFinder)."""

    def __init__(self, app: Xinfang, store: ViewStore) -> None:
        self.app = app
        self.store = store

    def __call__(
        self, viewer: Actor, case_flags: Sequence[Flag], risk_levels: Sequence[RiskLevel]
    ) -> tuple[list[UUID], list[UUID]]:
        """The open cases carrying one of `case_flags`, the open risks at one of `risk_levels`."""
        lineage = self.app.lineage(viewer.unit_id)
        cases: list[UUID] = []
        if case_flags:
            where = case_filter(viewer, lineage)
            ended = [s.value for s in TERMINAL_STATUSES]
            where.add(f"c.status NOT IN ({','.join('?' for _ in ended)})", *ended)
            where.add(
                " OR ".join("c.flags LIKE ?" for _ in case_flags),
                *(member(f.value) for f in case_flags),
            )
            rows = self.store.query(
                f"SELECT c.case_id FROM {{p}}ledger_cases c WHERE {where.sql} "
                "ORDER BY c.received_on, c.number",
                where.params,
            )
            cases = [UUID(row["case_id"]) for row in rows]
        risks: list[UUID] = []
        if risk_levels:
            where = case_filter(viewer, lineage)
            where.add("c.status = ?", RiskStatus.OPEN.value)
            levels = [level.value for level in risk_levels]
            where.add(f"c.level IN ({','.join('?' for _ in levels)})", *levels)
            rows = self.store.query(
                f"SELECT c.risk_id FROM {{p}}risk_register c WHERE {where.sql} "
                "ORDER BY c.found_on, c.number",
                where.params,
            )
            risks = [UUID(row["risk_id"]) for row in rows]
        return cases, risks


def campaign_view(campaign: Campaign) -> dict[str, Any]:
    """The campaign as recorded (its targets by id, as launched)."""
    return {
        "id": campaign.id,
        "name": campaign.name,
        "kind": campaign.kind,
        "kind_label": label(campaign.kind),
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "weeks": campaign.weeks,
        "case_flags": campaign.case_flags,
        "risk_levels": campaign.risk_levels,
        "launched_by": campaign.launched_by,
        "launched_at": campaign.launched_at,
        "version": campaign.version,
    }


def _tallies(tallies: dict[UUID | None, Tally], name: Any, key: str) -> list[dict[str, Any]]:
    return [
        {
            key: owner,
            f"{key.removesuffix('_id')}_name": name(hex_id(owner)) or NO_UNIT
            if owner is not None
            else "未明确",
            "resolved": tally.resolved,
            "remaining": tally.remaining,
            "not_reported": tally.not_reported,
        }
        for owner, tally in sorted(
            tallies.items(), key=lambda item: (item[0] is None, str(item[0]))
        )
    ]


def figures_view(figures: Figures, names: Names) -> dict[str, Any]:
    """A campaign's figures over a span, with the names of units and leaders."""
    return {
        "first_day": figures.first,
        "last_day": figures.last,
        "targets": figures.targets,
        "resolved": len(figures.resolved),
        "resolved_numbers": figures.resolved,
        "resolved_before": figures.resolved_before,
        "remaining": len(figures.remaining),
        "remaining_numbers": figures.remaining,
        "ended_otherwise": figures.ended,
        "by_unit": _tallies(figures.by_unit, names.unit, "unit_id"),
        "by_leader": _tallies(figures.by_leader, names.user, "leader_id"),
        "not_reported_units": [
            names.unit(hex_id(u)) or NO_UNIT for u in figures.not_reported_units
        ],
        "not_reported_leaders": [
            names.user(hex_id(u)) or "未明确包案领导" for u in figures.not_reported_leaders
        ],
    }


def week_view(campaign: Campaign, n: int, figures: Figures, names: Names) -> dict[str, Any]:
    """The 调度 snapshot of week `n`."""
    return {
        "campaign_id": campaign.id,
        "name": campaign.name,
        "week": n,
        **figures_view(figures, names),
    }


def report_view(
    campaign: Campaign, figures: Figures, weekly: list[int], names: Names
) -> dict[str, Any]:
    """The final report: the whole period, and how many were resolved each week."""
    done = len(figures.resolved) + figures.resolved_before
    return {
        "campaign_id": campaign.id,
        "name": campaign.name,
        "kind": campaign.kind,
        "kind_label": label(campaign.kind),
        **figures_view(figures, names),
        "resolved_total": done,
        "resolution_rate": round(100 * done / figures.targets, 1) if figures.targets else None,
        "weekly_resolved": [{"week": n, "resolved": count} for n, count in enumerate(weekly, 1)],
    }


def bulletin_campaigns(
    app: Xinfang,
    reader: Actor,
    first: date,
    last: date,
    recorded_by: datetime | None = None,
) -> list[dict[str, Any]]:
    """The month bulletin's 专项行动进展: each campaign active between `first` and `last` (its
    period overlaps them), in the order launched, over the targets `reader` may see (a draft
    leaves out the cases accusing the reader's unit), from the events recorded by
    `recorded_by` (the log position the figures are frozen at): its targets, those resolved
    in the month, resolved by the month's end (in the month or before), remaining at the
    month's end, and the share resolved (one decimal)."""
    campaigns = Campaigns(Registers(app))
    found = []
    for campaign in campaigns.all(None):
        if recorded_by is not None and campaign.created_on > recorded_by:
            continue
        if campaign.starts_on > last or campaign.ends_on < first:
            continue
        span = figures(
            campaigns.targets(reader, campaign, recorded_by),
            max(first, campaign.starts_on),
            min(last, campaign.ends_on),
        )
        done = len(span.resolved) + span.resolved_before
        found.append(
            {
                "campaign": campaign.name,
                "campaign_kind": label(campaign.kind),
                "starts_on": campaign.starts_on.isoformat(),
                "ends_on": campaign.ends_on.isoformat(),
                "targets": span.targets,
                "resolved_in_month": len(span.resolved),
                "resolved_total": done,
                "remaining": len(span.remaining),
                "resolved_percent": percent(done, span.targets),
            }
        )
    return found
