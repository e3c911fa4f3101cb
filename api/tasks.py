"""Tasks of the 任务清单: the queues (by owner, unit, status, overdue), one task, its reports and
closing (销号), and task completion on time by unit."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.context import actor
from api.register_context import (
    RECORD_HEADERS,
    desk,
    history_schema,
    record_context,
    register,
    today,
)
from api.schemas import ActorSchema, choice, command_schema, month_field
from domain.commands.registers import TASK_COMMANDS, RecordCommand
from domain.register_values import TaskStatus
from domain.tasks import Task
from projections.meeting_register import TaskQuery

blp = Blueprint("tasks", __name__, url_prefix="/api/v1", description="Tasks 任务清单")


class TaskQuerySchema(Schema):
    """Filters of the task list."""

    owner = fields.UUID(
        load_default=None, metadata={"description": "tasks whose handler or leader this is"}
    )
    unit_id = fields.UUID(load_default=None, metadata={"description": "tasks of this unit"})
    status = choice(TaskStatus, load_default=None)
    overdue = fields.Boolean(
        load_default=None, metadata={"description": "open past the due date (or not)"}
    )
    meeting_id = fields.UUID(load_default=None, metadata={"description": "tasks of one meeting"})


class TaskRowSchema(Schema):
    """A task as the queues list it."""

    id = fields.UUID()
    origin = fields.String()
    source_id = fields.UUID(metadata={"description": "the meeting (or inspection) it came from"})
    n = fields.Integer()
    problem = fields.String()
    task = fields.String()
    due_date = fields.Date()
    leader_id = fields.UUID()
    leader_name = fields.String(allow_none=True)
    unit_id = fields.UUID()
    unit_name = fields.String(allow_none=True)
    handler_id = fields.UUID()
    handler_name = fields.String(allow_none=True)
    case_id = fields.UUID(allow_none=True)
    case_number = fields.String(allow_none=True)
    risk_id = fields.UUID(
        allow_none=True, metadata={"description": "only to a reader who may see the risk"}
    )
    risk_number = fields.String(allow_none=True)
    status = fields.String()
    status_label = fields.String()
    level = fields.String()
    level_label = fields.String()
    overdue = fields.Boolean()
    days_over = fields.Integer()
    version = fields.Integer()


class TaskListRowSchema(TaskRowSchema):
    """A row of the task list."""

    reports = fields.Integer()
    last_report_on = fields.String(allow_none=True)
    closed_on = fields.Date(allow_none=True)


class TaskListSchema(Schema):
    """The task list."""

    items = fields.List(fields.Nested(TaskListRowSchema))


class TaskReportSchema(Schema):
    """One report on a task."""

    text = fields.String()
    completed = fields.Boolean()
    actor = fields.Nested(ActorSchema)
    occurred_at = fields.AwareDateTime()


class TaskSchema(TaskRowSchema):
    """One task with its reports and closing."""

    reports = fields.List(fields.Nested(TaskReportSchema))
    evidence = fields.String(allow_none=True)
    closed_by = fields.Nested(ActorSchema, allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    assigned_at = fields.AwareDateTime()


class CompletionQuerySchema(Schema):
    """`month=YYYY-MM` (default: the current month)."""

    month = month_field(load_default=None)


class CompletionSchema(Schema):
    """Task completion on time by unit for a month."""

    month = fields.String()
    items = fields.List(fields.Dict())


@blp.route("/tasks")
class Tasks(MethodView):
    """The task queues."""

    @blp.arguments(TaskQuerySchema, location="query")
    @blp.response(200, TaskListSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """The tasks the caller may see: every task for the overseers, their unit's for unit
        staff, those they answer for for a leader; `owner` selects one person's queue."""
        items = register().tasks(actor(), TaskQuery(**query), today())
        return {"items": items}


@blp.route("/tasks/completion")
class TaskCompletion(MethodView):
    """Task completion on time by unit."""

    @blp.arguments(CompletionQuerySchema, location="query")
    @blp.response(200, CompletionSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Per unit, the tasks falling due in the month, closed on time and late (按期销号率)."""
        month = query["month"] or today().strftime("%Y-%m")
        return {"month": month, "items": register().completion(actor(), month, today())}


@blp.route("/tasks/<uuid:task_id>")
class TaskResource(MethodView):
    """One task."""

    @blp.response(200, TaskSchema)
    def get(self, task_id: UUID) -> tuple[dict[str, Any], dict[str, str]]:
        """The task, its reports and its closing."""
        task = desk().task(actor(), task_id)
        return register().task_view(actor(), task, today()), {"ETag": f'"{task.version}"'}


TaskHistorySchema = history_schema("task")
"""A task's trail, as its reader is shown it."""


@blp.route("/tasks/<uuid:task_id>/history")
class TaskHistory(MethodView):
    """The trail of one task."""

    @blp.response(200, TaskHistorySchema)
    def get(self, task_id: UUID) -> dict[str, Any]:
        """Every event of the task in order (given, reported, closed), each with its actor, both
        times and reason."""
        task = desk().task(actor(), task_id)
        return {"task_id": task.id, "events": register().task_history(task)}


def _task_command(declaration: type[RecordCommand]) -> Any:
    def view(body: dict[str, Any], task_id: UUID) -> Any:
        ctx = record_context(body)
        command: Any = declaration
        task = desk().execute(command(task_id=task_id, **body), ctx)
        assert isinstance(task, Task)
        return register().task_view(actor(), task, today()), {"ETag": f'"{task.version}"'}

    view.__name__ = f"task_{declaration.verb}"
    view.__doc__ = f"{declaration.summary}.\n\n{declaration.__doc__}"
    return view


def _register_commands() -> None:
    """One POST per declared task command, its body schema derived from the declaration."""
    for declaration in TASK_COMMANDS:
        view = _task_command(declaration)
        documented = blp.doc(
            summary=declaration.summary,
            description=declaration.__doc__,
            parameters=RECORD_HEADERS,
        )(blp.arguments(command_schema(declaration))(blp.response(200, TaskSchema)(view)))
        blp.route(
            f"/tasks/<uuid:task_id>/{declaration.path}", methods=["POST"], endpoint=view.__name__
        )(documented)


_register_commands()
