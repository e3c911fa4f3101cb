"""Campaigns (百日攻坚, 积案化解): launch, list, read, the weekly 调度 snapshot, the final report
(docs/campaigns.md). The figures are computed by the domain and named by projections/; the
endpoints here only serialise them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.context import actor, idempotency_key, services
from api.register_context import RECORD_HEADERS, record_context
from api.schemas import IDEMPOTENCY_KEY_HEADER, ActorSchema, choice, command_schema
from domain.application import Context
from domain.campaigns import Campaign
from domain.commands.campaigns import AddCampaignTargets, LaunchCampaign
from domain.values import CampaignKind, Flag, RiskLevel
from projections.campaign_report import campaign_view, report_view, week_view
from projections.names import Names

blp = Blueprint(
    "campaigns", __name__, url_prefix="/api/v1", description="Campaigns 百日攻坚 / 积案化解"
)


class CampaignTargetSchema(Schema):
    """One target of a campaign, by number."""

    kind = fields.String(metadata={"enum": ["case", "risk"]})
    id = fields.UUID()
    number = fields.String()
    added_on = fields.Date(
        allow_none=True, metadata={"description": "the day it was added (null: at the launch)"}
    )
    added_by = fields.Nested(ActorSchema, allow_none=True)


class CampaignSchema(Schema):
    """A campaign as launched, with the targets the viewer may see and its progress so far."""

    id = fields.UUID()
    name = fields.String()
    kind = choice(CampaignKind)
    kind_label = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    weeks = fields.Integer()
    case_flags = fields.List(choice(Flag))
    risk_levels = fields.List(choice(RiskLevel))
    launched_by = fields.Nested(ActorSchema)
    launched_at = fields.AwareDateTime()
    version = fields.Integer()
    targets = fields.List(fields.Nested(CampaignTargetSchema))


class CampaignListSchema(Schema):
    """Every campaign."""

    items = fields.List(fields.Nested(CampaignSchema))


class CampaignTallySchema(Schema):
    """The figures of one unit or one 包案领导."""

    unit_id = fields.UUID(allow_none=True)
    unit_name = fields.String()
    leader_id = fields.UUID(allow_none=True)
    leader_name = fields.String()
    resolved = fields.Integer()
    remaining = fields.Integer()
    not_reported = fields.List(fields.String(), metadata={"description": "targets not reported on"})


class CampaignFiguresSchema(Schema):
    """A campaign's figures over a span (a week, or the whole period)."""

    campaign_id = fields.UUID()
    name = fields.String()
    first_day = fields.Date()
    last_day = fields.Date()
    targets = fields.Integer()
    resolved = fields.Integer(metadata={"description": "resolved within the span"})
    resolved_numbers = fields.List(fields.String())
    resolved_before = fields.Integer()
    remaining = fields.Integer(metadata={"description": "still open at the span's end"})
    remaining_numbers = fields.List(fields.String())
    ended_otherwise = fields.Integer()
    by_unit = fields.List(fields.Nested(CampaignTallySchema))
    by_leader = fields.List(fields.Nested(CampaignTallySchema))
    not_reported_units = fields.List(fields.String())
    not_reported_leaders = fields.List(fields.String())


class CampaignWeekSchema(CampaignFiguresSchema):
    """The weekly 调度 snapshot."""

    week = fields.Integer()


class CampaignWeeklySchema(Schema):
    """How many were resolved in one week."""

    week = fields.Integer()
    resolved = fields.Integer()


class CampaignReportSchema(CampaignFiguresSchema):
    """The final report of a campaign."""

    kind = choice(CampaignKind)
    kind_label = fields.String()
    resolved_total = fields.Integer()
    resolution_rate = fields.Float(allow_none=True)
    weekly_resolved = fields.List(fields.Nested(CampaignWeeklySchema))


def shown_campaign(campaign: Campaign) -> dict[str, Any]:
    """The campaign with the targets the caller may see."""
    view = campaign_view(campaign)
    view["targets"] = []
    for target in services().campaigns.targets(actor(), campaign):
        addition = campaign.addition_of(target.id)
        view["targets"].append(
            {
                "kind": target.kind,
                "id": target.id,
                "number": target.number,
                "added_on": addition.on if addition else None,
                "added_by": addition.actor if addition else None,
            }
        )
    return view


@blp.route("/campaigns")
class Campaigns(MethodView):
    """Launch and list campaigns."""

    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER])
    @blp.arguments(command_schema(LaunchCampaign))
    @blp.response(201, CampaignSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Launch a campaign on cases and risks chosen by hand and by rule."""
        built = services()
        built.catch_up()
        ctx = Context(
            actor=actor(),
            occurred_at=body.pop("occurred_at", None),
            reason=body.pop("reason", None),
            on_behalf_of=body.pop("on_behalf_of", None),
            idempotency_key=idempotency_key(),
        )
        campaign = built.campaigns.launch(LaunchCampaign(**body), ctx)
        return shown_campaign(campaign)

    @blp.response(200, CampaignListSchema)
    def get(self) -> dict[str, Any]:
        """Every campaign, in the order launched (targets limited to those the viewer sees)."""
        built = services()
        return {"items": [shown_campaign(c) for c in built.campaigns.all(actor())]}


@blp.route("/campaigns/<uuid:campaign_id>")
class CampaignResource(MethodView):
    """One campaign."""

    @blp.response(200, CampaignSchema)
    def get(self, campaign_id: UUID) -> dict[str, Any]:
        """The campaign and the targets the viewer may see."""
        return shown_campaign(services().campaigns.get(actor(), campaign_id))


@blp.route("/campaigns/<uuid:campaign_id>/targets", methods=["POST"])
@blp.doc(
    summary=AddCampaignTargets.summary,
    description=AddCampaignTargets.__doc__,
    parameters=RECORD_HEADERS,
)
@blp.arguments(command_schema(AddCampaignTargets))
@blp.response(200, CampaignSchema)
def add_campaign_targets(body: dict[str, Any], campaign_id: UUID) -> Any:
    """Add open cases and risks to a running campaign (dispatcher, supervisor)."""
    built = services()
    built.catch_up()
    ctx = record_context(body)
    campaign = built.campaigns.add_targets(AddCampaignTargets(campaign_id=campaign_id, **body), ctx)
    return shown_campaign(campaign), {"ETag": f'"{campaign.version}"'}


@blp.route("/campaigns/<uuid:campaign_id>/weeks/<int:n>")
class CampaignWeek(MethodView):
    """The weekly 调度 snapshot."""

    @blp.response(200, CampaignWeekSchema)
    def get(self, campaign_id: UUID, n: int) -> dict[str, Any]:
        """Week `n` (1 from the first day): resolved in it, remaining at its end, by unit and
        by 包案领导, and who did not report on a remaining target that week."""
        built = services()
        campaign, figures = built.campaigns.week(actor(), campaign_id, n)
        return week_view(campaign, n, figures, Names(built.app))


@blp.route("/campaigns/<uuid:campaign_id>/report")
class CampaignReport(MethodView):
    """The final report."""

    @blp.response(200, CampaignReportSchema)
    def get(self, campaign_id: UUID) -> dict[str, Any]:
        """The whole period: resolved, remaining, by unit and by 包案领导, week by week."""
        built = services()
        campaign, figures, weekly = built.campaigns.report(actor(), campaign_id)
        return report_view(campaign, figures, weekly, Names(built.app))
