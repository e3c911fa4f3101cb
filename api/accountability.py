"""Accountability views: overdue lists, actor activity, scorecards, agenda, backlog, cases
ready to close."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.context import actor, application, services
from api.ledger import LedgerRowSchema, ledger_as_of
from api.register_context import register, today
from api.schemas import instant, month_field
from domain.access import READ_AGENDA, READ_BACKLOG, READ_LEDGER
from domain.cases import local_date
from domain.errors import NotFoundError, no_such
from domain.values import Actor
from domain.visibility import sees_activity_of
from projections import disclosure
from projections.accountability import MIN_VOLUME, Accountability, BacklogRules, require_reader
from projections.meeting_register import add_task_completion

blp = Blueprint(
    "accountability", __name__, url_prefix="/api/v1", description="Accountability views 问责"
)


CASE_SECTIONS = ("key_cases", "new_collective_or_skip_level", "stalled_backlog", "repeat_spikes")
"""The agenda's lists of ledger rows (which show identity to those who may see it)."""


class AsOfQuerySchema(Schema):
    """`as_of`: replay the log up to that moment."""

    as_of = instant(load_default=None)


class PagedAsOfQuerySchema(AsOfQuerySchema):
    """`as_of` and the page of a list (the ledger's paging: docs/accountability.md)."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class MonthQuerySchema(Schema):
    """`month=YYYY-MM` (default: the current month)."""

    month = month_field(load_default=None)


class RangeQuerySchema(Schema):
    """A recorded-time range."""

    from_ = instant(data_key="from", load_default=None)
    to = instant(load_default=None)


class BacklogQuerySchema(Schema):
    """Thresholds of the backlog register (domain.md §6.8)."""

    days_after_acceptance = fields.Integer(
        load_default=90, validate=validate.Range(min=1, max=36_500)
    )
    repeat_petitions = fields.Integer(load_default=3, validate=validate.Range(min=1, max=100_000))


class OverdueItemSchema(Schema):
    """A missed or at-risk deadline and who held the case when it fell due."""

    case_id = fields.UUID()
    number = fields.String()
    subject = fields.String()
    case_status = fields.String()
    rule = fields.String()
    slot = fields.String()
    started_on = fields.String()
    due_date = fields.String()
    provisional = fields.Boolean()
    met_on = fields.String(allow_none=True)
    ended_by = fields.String(allow_none=True)
    level = fields.String()
    days_over = fields.Integer()
    unit_id = fields.UUID(allow_none=True)
    unit_name = fields.String(allow_none=True)
    handler_id = fields.UUID(allow_none=True)
    handler_name = fields.String(allow_none=True)
    leader_id = fields.UUID(allow_none=True)
    leader_name = fields.String(allow_none=True)
    supervision_orders = fields.Integer()


class OverdueSchema(Schema):
    """The overdue and warning list 超期/预警清单."""

    items = fields.List(fields.Nested(OverdueItemSchema))
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()
    as_of = fields.AwareDateTime(allow_none=True)


class ActionSchema(Schema):
    """One thing a person did."""

    position = fields.Integer()
    case_id = fields.UUID()
    number = fields.String()
    version = fields.Integer()
    type = fields.String()
    occurred_at = fields.String()
    recorded_at = fields.String()
    reason = fields.String(allow_none=True)
    actor_role = fields.String()
    actor_unit_id = fields.UUID(allow_none=True)


class ActivitySchema(Schema):
    """A person's actions in a time range."""

    user_id = fields.UUID()
    name = fields.String()
    items = fields.List(fields.Nested(ActionSchema))


class CardsSchema(Schema):
    """Scorecards of a month."""

    month = fields.String()
    items = fields.List(fields.Dict())


class UnitCardsSchema(CardsSchema):
    """Unit scorecards of a month: ranked ones, and those below the minimum sample apart."""

    insufficient_sample = fields.List(fields.Dict())
    minimum_sample = fields.Integer()


class ReadyToCloseSchema(Schema):
    """Cases whose windows passed unused (期满待办结), waiting for a dispatcher to close them."""

    items = fields.List(fields.Nested(LedgerRowSchema))
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()
    as_of = fields.AwareDateTime(allow_none=True)


class AgendaSchema(Schema):
    """The weekly joint-meeting agenda 联席会议调度."""

    week_ending = fields.String()
    key_cases = fields.List(fields.Nested(LedgerRowSchema))
    new_collective_or_skip_level = fields.List(fields.Nested(LedgerRowSchema))
    overdue = fields.List(fields.Nested(OverdueItemSchema))
    stalled_backlog = fields.List(fields.Dict())
    repeat_spikes = fields.List(fields.Nested(LedgerRowSchema))


class BacklogSchema(Schema):
    """The backlog register 积案台账."""

    items = fields.List(fields.Dict())


def _month(args: dict[str, Any]) -> str:
    month: str = args["month"] or local_date(application().clock()).strftime("%Y-%m")
    return month


def _live() -> tuple[Accountability, Any]:
    built = services()
    built.catch_up_ledger()
    return built.accountability, local_date(built.app.clock())


Cards = Callable[[Accountability, Actor, str, date], list[dict[str, Any]]]


def _cards(args: dict[str, Any], compute: Cards) -> dict[str, Any]:
    """Scorecards of the requested month, for a reader of accountability views."""
    viewer = actor()
    require_reader(viewer)
    accountability, today = _live()
    month = _month(args)
    return {"month": month, "items": compute(accountability, viewer, month, today)}


def paged(items: list[dict[str, Any]], total: int, args: dict[str, Any]) -> dict[str, Any]:
    """One page of a list as of `args["as_of"]` (None: now), as the query asked for it."""
    return {
        "items": items,
        "total": total,
        "page": args["page"],
        "page_size": args["page_size"],
        "as_of": args["as_of"],
    }


@blp.route("/accountability/overdue")
class Overdue(MethodView):
    """Missed and at-risk deadlines."""

    @blp.arguments(PagedAsOfQuerySchema, location="query")
    @blp.response(200, OverdueSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Overdue, severely overdue, due-soon and late-met deadlines, with their holders: one
        page (by due date, then case number), and how many in all."""
        viewer = actor()
        require_reader(viewer)
        page, size = args["page"], args["page_size"]
        with ledger_as_of(args["as_of"]) as (ledger, today):
            items, total = Accountability(ledger).deadline_page(viewer, today, page, size)
        return paged(items, total, args)


@blp.route("/accountability/actors/<uuid:user_id>")
class ActorActivity(MethodView):
    """One person's actions."""

    @blp.arguments(RangeQuerySchema, location="query")
    @blp.response(200, ActivitySchema)
    def get(self, args: dict[str, Any], user_id: UUID) -> dict[str, Any]:
        """Everything the person did on cases between `from` and `to` (recorded time)."""
        viewer = actor()
        require_reader(viewer)
        if not sees_activity_of(viewer, user_id):
            # The same answer as for nobody: whether a person exists is not for every reader.
            raise NotFoundError(no_such("人员"))
        person = application().get_user(user_id)
        accountability, _ = _live()
        start: datetime | None = args["from_"]
        items = accountability.actor_activity(viewer, user_id, start, args["to"])
        return {"user_id": user_id, "name": person.name, "items": items}


@blp.route("/accountability/units")
class UnitScorecards(MethodView):
    """Unit scorecards."""

    @blp.arguments(MonthQuerySchema, location="query")
    @blp.response(200, UnitCardsSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Counts beside rates per unit for a month (docs/accountability.md); units with fewer
        deadlines due than the minimum sample are listed apart, never ranked."""
        cards = _cards(args, Accountability.unit_scorecards)
        every = cards["items"]
        # 任务按期销号 of the registers of work beside the deadlines' figures (docs/meetings.md).
        add_task_completion(register(), actor(), every, cards["month"], today())
        return {
            "month": cards["month"],
            "items": [c for c in every if c["rank"] is not None],
            "insufficient_sample": [c for c in every if c["rank"] is None],
            "minimum_sample": MIN_VOLUME,
        }


@blp.route("/accountability/leaders")
class LeaderScorecards(MethodView):
    """Leader scorecards."""

    @blp.arguments(MonthQuerySchema, location="query")
    @blp.response(200, CardsSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Receptions, home visits, appointments; sponsored cases open, overdue, 化解率."""
        return _cards(args, Accountability.leader_scorecards)


@blp.route("/accountability/ready-to-close")
class ReadyToClose(MethodView):
    """Cases ready to close."""

    @blp.arguments(PagedAsOfQuerySchema, location="query")
    @blp.response(200, ReadyToCloseSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Answered or reviewed cases whose review or recheck window expired unused (期满待办结),
        until a dispatcher closes them; as the ledger shows them to the viewer. One page (by
        registration date, then number), and how many in all."""
        viewer = actor()
        page, size = args["page"], args["page_size"]
        with ledger_as_of(args["as_of"]) as (ledger, today):
            items, total = Accountability(ledger).ready_page(viewer, today, page, size)
        disclosure.record_rows(application(), viewer, items, READ_LEDGER)
        return paged(items, total, args)


@blp.route("/accountability/agenda")
class Agenda(MethodView):
    """Weekly joint-meeting agenda."""

    @blp.response(200, AgendaSchema)
    def get(self) -> dict[str, Any]:
        """Key cases, new collective/skip-level petitions, overdue items, stalled backlog."""
        viewer = actor()
        require_reader(viewer)
        accountability, today = _live()
        agenda = accountability.agenda(viewer, today)
        rows = [item for section in CASE_SECTIONS for item in agenda[section]]
        disclosure.record_rows(application(), viewer, rows, READ_AGENDA)
        return agenda


@blp.route("/accountability/backlog")
class Backlog(MethodView):
    """Backlog register."""

    @blp.arguments(BacklogQuerySchema, location="query")
    @blp.response(200, BacklogSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Cases flagged backlog, open long after acceptance, or often repeated."""
        viewer = actor()
        require_reader(viewer)
        accountability, today = _live()
        rules = BacklogRules(
            days_after_acceptance=args["days_after_acceptance"],
            repeat_petitions=args["repeat_petitions"],
        )
        items = accountability.backlog(viewer, today, rules)
        disclosure.record_rows(application(), viewer, items, READ_BACKLOG)
        return {"items": items}
