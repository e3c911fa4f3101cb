"""The registers' pages: 隐患排查台账, 联席会议 and their tasks, campaigns, 督查 and 问责 records.

Each page reads through the code its API endpoint uses (api/risks.py, api/register_context.py,
api/campaigns.py, projections/disclosure.py), so it shows each role what the API shows and logs
what it discloses; each form is derived from the command's declaration (api/pages/forms.py),
loaded by the API's schema and run by the same use case. docs/web.md, "Registers".
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable
from typing import Any
from uuid import UUID

from flask import flash, redirect, request, url_for
from marshmallow import ValidationError
from werkzeug.wrappers import Response as BaseResponse

from api import campaigns as campaigns_api
from api import meetings as meetings_api
from api import risks as risks_api
from api.context import actor, services
from api.errors import STATUS_OF
from api.inspections import AccountabilityQuerySchema, InspectionQuerySchema
from api.pages import forms, wording
from api.pages.views import blp, case_id_of, case_numbers, directory_choices, page
from api.pages.wording import NO_SUCH_COMMAND
from api.register_context import desk, register, today
from api.schemas import is_month
from api.tasks import TaskQuerySchema
from domain import permissions
from domain import tasks as task_rules
from domain.application import Context
from domain.commands import Command
from domain.commands.campaigns import AddCampaignTargets, LaunchCampaign
from domain.commands.registers import (
    CloseTask,
    ConveneMeeting,
    IssueFollowUp,
    MarkInspectionTypical,
    OpenInspection,
    RecordAccountability,
    RecordDecision,
    RecordFinding,
    ReportTask,
    ReturnTaskReport,
)
from domain.commands.risks import RISK_COMMANDS, RegisterRisk
from domain.errors import DomainError, NotFoundError, RuleViolationError
from domain.inspections import AccountabilityRecord
from domain.labels import (
    CAMPAIGN_EVENT,
    FIELD,
    INSPECTION_FIELD,
    MISSING_DUTY,
    REGISTER_COMMAND,
    REGISTER_EVENT,
    REGISTER_FIELD,
    RISK_EVENT,
    label_of,
)
from domain.register_values import TaskStatus
from domain.values import RiskLevel, RiskStatus, Rule
from domain.work_registers import require_accountability_reader, require_meeting_reader
from projections import disclosure
from projections.accountability import Accountability
from projections.campaign_report import report_view, week_view
from projections.inspection_register import InspectionQuery, InspectionRegister
from projections.meeting_register import TaskQuery
from projections.names import Names

Execute = Callable[[Any, Context], Any]
Render = Callable[[forms.Form, int], Any]
EVENT_LINE = re.compile(r"\s*(\S+?)\s*(?:#|第)\s*([0-9]{1,18})\s*[条步项]?\s*")
"""One event of a case typed into a form: its case number and its number in the case's
办理经过 (the # column), as `XF-2026-000012#5` or `XF-2026-000012 第5条`."""
MAX_EVENT_LINES: int = next(
    f.metadata["max_items"] for f in dataclasses.fields(RecordAccountability) if f.name == "events"
)
"""As many events as a 问责 record may rest on (the declaration's `max_items`)."""
EVENTS_HINT = "（每行一条：事项编号#序号，序号见事项页办理经过的 # 列）"
EVENT_NAMES = {**RISK_EVENT, **REGISTER_EVENT, **CAMPAIGN_EVENT}


# -- forms of the registers' commands -----------------------------------------------------------
def record_form(
    declaration: type[Command],
    action: str,
    *,
    sent: dict[str, Any] | None = None,
    errors: dict[str, Any] | None = None,
    choices: forms.Choices | None = None,
) -> forms.Form:
    """The form of a register command: the declaration's fields, titled and labelled in Chinese,
    the overdue records, risks and inspections the user may see offered as choices."""
    form = forms.build(
        declaration, action, choices or directory_choices(), sent=sent, errors=errors
    )
    form.verb = declaration.__name__
    form.title = REGISTER_COMMAND.get(declaration.__name__, form.title)
    for entry in form.inputs:
        if entry.name in REGISTER_FIELD:
            entry.label = REGISTER_FIELD[entry.name]
        if declaration is OpenInspection:
            entry.label = INSPECTION_FIELD.get(entry.name, entry.label)
        if entry.name == "overdue":
            entry.widget = "checkboxes"
            entry.choices = overdue_choices()
        elif entry.name == "events":
            entry.widget = "textarea"
            entry.label += EVENTS_HINT
            if isinstance(entry.value, list):
                entry.value = "\n".join(entry.value)
        elif entry.name == "risk_id":
            entry.widget = "select"
            entry.choices = risk_choices()
        elif entry.name == "risk_ids":
            entry.widget = "checkboxes"
            entry.choices = risk_choices()
        elif entry.name == "month":
            entry.widget = "month"
        elif entry.name == "inspection_id" and declaration is RecordAccountability:
            entry.widget = "select"
            entry.choices = [
                (str(i["id"]), f"{i['month']} {i['unit_name'] or ''}")
                for i in InspectionRegister(register()).inspections(actor(), InspectionQuery())
            ]
    return form


def overdue_choices() -> list[tuple[str, str]]:
    """The overdue records the user may name (deadlines of cases, overdue tasks), each as the
    value the form sends: `deadline:<case>:<slot>:<due date>` or `task:<task>`."""
    built = services()
    built.catch_up()
    now = today()
    listed = [
        (
            f"deadline:{d['case_id']}:{d['slot']}:{d['due_date']}",
            f"{d['number']} {label_of_rule(d['rule'])} 到期 {d['due_date']}",
        )
        for d in Accountability(built.ledger).deadline_watch(actor(), now)
        if d["level"] in {"overdue", "severely_overdue"} or d.get("met_late")
    ]
    listed += [
        (
            f"task:{t['id']}",
            f"任务 {t['task'][:30]}（{t['unit_name'] or ''}，期限 {t['due_date']}）",
        )
        for t in register().tasks(actor(), TaskQuery(overdue=True), now)
    ]
    return listed


def label_of_rule(rule: str) -> str:
    """A deadline rule by its Chinese name."""
    return label_of(Rule, rule)


def risk_choices() -> list[tuple[str, str]]:
    """The open risks the user may see (a decision about a 隐患)."""
    built = services()
    built.catch_up()
    return [
        (r.row["risk_id"], f"{r.row['number']} {r.row['subject']}")
        for r in built.risks.open_risks(actor())
    ]


def _overdue_refs(values: list[str]) -> list[dict[str, str]]:
    refs = []
    for value in values:
        parts = value.split(":")
        if parts[0] == "task" and len(parts) == 2:
            refs.append({"task_id": parts[1]})
        elif parts[0] == "deadline" and len(parts) == 4:
            refs.append({"case_id": parts[1], "slot": parts[2], "due_date": parts[3]})
        else:
            refs.append({"task_id": value})
    return refs


def _event_refs(typed: list[str]) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """The events of cases typed one a line (`XF-2026-000012#5`; full-width marks and digits as
    an IME types them are read as ASCII), as the API's refs, and the field errors: more lines
    than the command takes (before any is looked up), or the lines that name no event the user
    may see (a case they may not see is no case), the first few quoted."""
    lines = [
        unicodedata.normalize("NFKC", line).strip()
        for text in typed
        for line in text.splitlines()
        if line.strip()
    ]
    if len(lines) > MAX_EVENT_LINES:
        return [], {"events": [f"最多 {MAX_EVENT_LINES} 项（收到 {len(lines)} 行）"]}
    refs: list[dict[str, Any]] = []
    wrong: list[str] = []
    for line in lines:
        match = EVENT_LINE.fullmatch(line)
        case_id = case_id_of(match[1]) if match else None
        if match is None or case_id is None:
            wrong.append(line[:40])
            continue
        refs.append({"case_id": case_id, "version": int(match[2])})
    if wrong:
        quoted = "、".join(wrong[:5]) + (f" 等 {len(wrong)} 行" if len(wrong) > 5 else "")
        message = f"无法识别或无权查看的办理记录：{quoted}（每行一条，如 XF-2026-000012#5）"
        return refs, {"events": [message]}
    return refs, {}


def submit(
    declaration: type[Command],
    action: str,
    execute: Execute,
    rerender: Render,
    **path: Any,
) -> tuple[bool, Any]:
    """Run the posted form of a register command through its use case, as the API does: the
    body loaded by the API's schema, the record's version as If-Match, the form's own
    Idempotency-Key. (False, the page again with the errors beside their fields) on a refusal;
    (True, what the use case answered) once done."""
    body = forms.received(declaration, request.form)
    if "overdue" in body:
        body["overdue"] = _overdue_refs(body["overdue"])
    typed_events = body.pop("events", None)
    shown = forms.for_form(body)
    if "overdue" in body:
        shown["overdue"] = request.form.getlist("overdue")
    if typed_events is not None:
        shown["events"] = typed_events

    def failed(errors: dict[str, Any], message: str | None = None) -> forms.Form:
        form = record_form(declaration, action, sent=shown, errors=errors)
        if message:
            form.errors.append(message)
        return form

    unknown = case_numbers(declaration, body)
    if typed_events is not None:
        body["events"], wrong = _event_refs(typed_events)
        unknown.update(wrong)
    if unknown:
        return False, rerender(failed(unknown), 422)
    try:
        loaded = forms.load(declaration, body)
    except ValidationError as err:
        return False, rerender(failed(forms.field_errors(err)), 422)
    ctx = Context(
        actor=actor(),
        occurred_at=loaded.pop("occurred_at", None),
        reason=loaded.pop("reason", None),
        on_behalf_of=loaded.pop("on_behalf_of", None),
        expected_version=request.form.get("version", type=int),
        idempotency_key=forms.request_key(request.form),
    )
    try:
        answer = execute(declaration(**path, **loaded), ctx)
    except RuleViolationError as err:
        names = {i.name for i in failed({}).inputs}
        words = wording.refusal(err)
        form = failed({err.field: [words]}) if err.field in names else failed({}, words)
        return False, rerender(form, 422)
    except NotFoundError:
        raise
    except DomainError as err:
        code = next(s for t, s in STATUS_OF.items() if isinstance(err, t))
        return False, rerender(failed({}, wording.refusal(err)), code)
    flash(f"已办理：{REGISTER_COMMAND.get(declaration.__name__, declaration.__name__)}")
    return True, answer


def command_on(
    record: str,
    declaration: type[Command] | None,
    *,
    verb: str,
    see: Callable[[], object],
    execute: Execute,
    rerender: Render,
    **path: Any,
) -> Any:
    """Run one command from a record's form (a risk, a task, an inspection) with `submit`:
    404 for a verb the record has no form for; `see` refuses a user who may not see the
    record as its page does (404, or 403 for a role that reads no such records); the record's
    page again with the errors on a refusal; else back to its page (the endpoints
    `pages.<record>` and `pages.<record>_command`)."""
    if declaration is None:
        raise NotFoundError(NO_SUCH_COMMAND)
    see()
    action = url_for(f"pages.{record}_command", verb=verb, **path)
    done, answer = submit(declaration, action, execute, rerender, **path)
    if not done:
        return answer
    return redirect(url_for(f"pages.{record}", **path))


def _query(schema: Any) -> dict[str, Any]:
    """The page's filters loaded by the API's query schema (a Chinese refusal if malformed)."""
    raw = {k: v for k, v in request.args.items() if v != "" and k in schema().fields}
    try:
        loaded: dict[str, Any] = schema().load(raw)
    except ValidationError as err:
        message = "；".join(
            f"{REGISTER_FIELD.get(k, FIELD.get(k, k))}："
            f"{str(v[0]) if isinstance(v, list) else str(v)}"
            for k, v in forms.field_errors(err).items()
        )
        raise RuleViolationError("query", f"筛选条件有误（{message}）") from None
    return loaded


def event_name(kind: str) -> str:
    """A register event by its Chinese name."""
    return EVENT_NAMES.get(kind, kind)


# -- 隐患排查台账 -------------------------------------------------------------------------------
RISK_FILTERS = ("status", "level", "township_id", "unit_id", "incomplete", "q", "page_size")


@blp.route("/risks")
def risks() -> Any:
    """The register with the API's filters; incomplete risks marked 不完整."""
    args = _query(risks_api.RiskQuerySchema)
    found = risks_api.risk_page(args)
    total = found["total"]
    pages = max(1, -(-total // args["page_size"]))
    selection = [
        (k, v) for k, v in request.args.items() if k in RISK_FILTERS and v != "" and k != "page"
    ]
    return page(
        "pages/risks.html",
        items=found["items"],
        total=total,
        page_n=args["page"],
        pages=pages,
        args=request.args,
        selection=selection,
        units=services().app.units(),
        statuses=list(RiskStatus),
        levels=list(RiskLevel),
        may_enter=actor().role in RegisterRisk.permission.anyone_of,
        missing_duty=MISSING_DUTY,
    )


@blp.route("/risks.xlsx")
def risks_export() -> BaseResponse:
    """The same selection as the register page, every page of it, as a workbook (logged)."""
    return risks_api.risk_export(_query(risks_api.RiskQuerySchema))


@blp.route("/risks/report")
def risk_report() -> Any:
    """The monthly 排查 report by township and level."""
    month = request.args.get("month") or today().strftime("%Y-%m")
    if not is_month(month):
        raise RuleViolationError("month", "月份格式应为 年-月，例如 2026-11")
    return page("pages/risk_report.html", report=risks_api.risk_report(month))


@blp.route("/risks/new", methods=["GET", "POST"])
def risk_new() -> Any:
    """The entry form (录入隐患): every field of the declaration, any number of people."""
    permissions.require_role(actor(), RegisterRisk.permission.anyone_of, "录入隐患")
    action = url_for("pages.risk_new")

    def again(form: forms.Form, status: int) -> Any:
        return page("pages/risk_new.html", status, form=form)

    if request.method == "GET":
        return again(record_form(RegisterRisk, action), 200)
    done, answer = submit(RegisterRisk, action, services().registers.execute, again)
    if not done:
        return answer
    return redirect(url_for("pages.risk", risk_id=answer.risk.id))


def _risk_forms(risk: Any, failed: forms.Form | None) -> list[forms.Form]:
    viewer = actor()
    shown = []
    for declaration in RISK_COMMANDS:
        if risk.status not in declaration.allowed_in:
            continue
        if not permissions.offered_on_record(declaration, viewer, risk.standing()):
            continue
        if failed is not None and failed.verb == declaration.__name__:
            shown.append(failed)
            continue
        action = url_for("pages.risk_command", risk_id=risk.id, verb=declaration.path)
        shown.append(record_form(declaration, action, choices=_risk_choices(risk)))
    return shown


def _risk_choices(risk: Any) -> forms.Choices:
    """Staff choices of a risk's forms: the 责任单位's staff once one is named (any unit's staff
    before: naming the unit and its 具体负责人 together)."""

    class Responsible:
        unit_id = risk.unit_id
        intake_unit_id = None

    return directory_choices(Responsible if risk.unit_id else None)


def risk_page(
    risk_id: UUID, failed: forms.Form | None = None, status: int = 200
) -> tuple[str, int]:
    """A risk as the user is shown it (read and logged as GET /api/v1/risks/{id}), its history
    and the forms of the commands the user may issue on it."""
    built = services()
    built.catch_up()
    view = disclosure.read_risk(built.registers, actor(), risk_id)
    risk = built.registers.get_risk(actor(), risk_id)
    drawn = _risk_forms(risk, failed)
    refused = failed if failed is not None and failed not in drawn else None
    return page(
        "pages/risk.html",
        status,
        risk=view,
        forms=drawn,
        refused=refused,
        missing_duty=MISSING_DUTY,
        event_name=event_name,
    )


@blp.route("/risks/<uuid:risk_id>")
def risk(risk_id: UUID) -> Any:
    """One risk: its facts, its three duties, its steps, its history and its forms."""
    return risk_page(risk_id)


@blp.route("/risks/<uuid:risk_id>/actions/<verb>", methods=["POST"])
def risk_command(risk_id: UUID, verb: str) -> Any:
    """Run one command on a risk from its form."""
    registers = services().registers
    return command_on(
        "risk",
        next((d for d in RISK_COMMANDS if d.path == verb), None),
        verb=verb,
        see=lambda: registers.get_risk(actor(), risk_id),
        execute=registers.execute,
        rerender=lambda form, status: risk_page(risk_id, form, status),
        risk_id=risk_id,
    )


# -- 联席会议, 三清单 and tasks -------------------------------------------------------------------
STEERING = ConveneMeeting.permission.anyone_of


@blp.route("/meetings", methods=["GET", "POST"])
def meetings() -> Any:
    """Every meeting, latest first; the form recording a meeting (steering roles)."""
    viewer = actor()
    require_meeting_reader(viewer)
    action = url_for("pages.meetings")

    def again(form: forms.Form | None, status: int) -> Any:
        if form is None and viewer.role in STEERING:
            form = record_form(ConveneMeeting, action)
        return page("pages/meetings.html", status, items=register().meetings(viewer), form=form)

    if request.method == "GET":
        return again(None, 200)
    done, answer = submit(ConveneMeeting, action, desk().execute, again)
    if not done:
        return answer
    return redirect(url_for("pages.meeting", meeting_id=answer.id))


def meeting_page(
    meeting_id: UUID, failed: forms.Form | None = None, status: int = 200
) -> tuple[str, int]:
    """A meeting as GET /api/v1/meetings/{id} shows it, the three lists, the decision form."""
    viewer = actor()
    found = desk().meeting(viewer, meeting_id)
    view = register().meeting_view(viewer, found, today())
    form = None
    if viewer.role in RecordDecision.permission.anyone_of:
        action = url_for("pages.meeting_decide", meeting_id=meeting_id)
        form = failed or record_form(RecordDecision, action)
    history = register().meeting_history(found, view)
    return page(
        "pages/meeting.html", status, m=view, form=form, history=history, event_name=event_name
    )


@blp.route("/meetings/<uuid:meeting_id>")
def meeting(meeting_id: UUID) -> Any:
    """A meeting: its agenda, its decisions (the three lists) and the decision form."""
    return meeting_page(meeting_id)


@blp.route("/meetings/<uuid:meeting_id>/decisions", methods=["POST"])
def meeting_decide(meeting_id: UUID) -> Any:
    """Record a decision; its task goes into the handler's queue."""
    desk().meeting(actor(), meeting_id)
    action = url_for("pages.meeting_decide", meeting_id=meeting_id)
    done, answer = submit(
        RecordDecision,
        action,
        desk().execute,
        lambda form, status: meeting_page(meeting_id, form, status),
        meeting_id=meeting_id,
    )
    if not done:
        return answer
    return redirect(url_for("pages.meeting", meeting_id=meeting_id))


@blp.route("/meetings/<uuid:meeting_id>/minutes.html")
def meeting_minutes(meeting_id: UUID) -> BaseResponse:
    """The printable 会议纪要, the same page as the API's, with its PDF and workbook."""
    downloads = {
        "PDF": url_for("pages.meeting_minutes_pdf", meeting_id=meeting_id),
        "Excel": url_for("pages.meeting_minutes_xlsx", meeting_id=meeting_id),
    }
    return meetings_api.minutes_page(meeting_id, downloads)


@blp.route("/meetings/<uuid:meeting_id>/minutes.pdf")
def meeting_minutes_pdf(meeting_id: UUID) -> BaseResponse:
    """The 会议纪要 as PDF (the API's)."""
    return meetings_api.minutes_document(meeting_id)


@blp.route("/meetings/<uuid:meeting_id>/minutes.xlsx")
def meeting_minutes_xlsx(meeting_id: UUID) -> BaseResponse:
    """The 会议纪要 as a workbook (the API's)."""
    return meetings_api.minutes_spreadsheet(meeting_id)


TASK_FORMS = ((ReportTask, "report"), (ReturnTaskReport, "return"), (CloseTask, "close"))


def task_page(task_id: UUID, failed: forms.Form | None = None, status: int = 200) -> Any:
    """A task as GET /api/v1/tasks/{id} shows it, its history and the forms the user may use."""
    viewer = actor()
    task = desk().task(viewer, task_id)
    view = register().task_view(viewer, task, today())
    history = register().task_history(task)
    drawn = []
    for declaration, verb in TASK_FORMS:
        open_for = (
            task.status is not TaskStatus.CLOSED
            if declaration is ReportTask
            else task.status is TaskStatus.REPORTED
        )
        if not open_for or not task_rules.may(declaration, viewer, task):
            continue
        if failed is not None and failed.verb == declaration.__name__:
            drawn.append(failed)
            continue
        action = url_for("pages.task_command", task_id=task_id, verb=verb)
        drawn.append(record_form(declaration, action))
    refused = failed if failed is not None and failed not in drawn else None
    return page(
        "pages/task.html",
        status,
        t=view,
        history=history,
        forms=drawn,
        refused=refused,
        event_name=event_name,
    )


@blp.route("/tasks/<uuid:task_id>")
def task(task_id: UUID) -> Any:
    """One task: the problem, the task, who answers for it, its reports and closing."""
    return task_page(task_id)


@blp.route("/tasks/<uuid:task_id>/actions/<verb>", methods=["POST"])
def task_command(task_id: UUID, verb: str) -> Any:
    """Report on a task or close it from its form."""
    return command_on(
        "task",
        {v: d for d, v in TASK_FORMS}.get(verb),
        verb=verb,
        see=lambda: desk().task(actor(), task_id),
        execute=desk().execute,
        rerender=lambda form, status: task_page(task_id, form, status),
        task_id=task_id,
    )


@blp.route("/tasks")
def tasks() -> Any:
    """The task list with the API's filters."""
    query = _query(TaskQuerySchema)
    items = register().tasks(actor(), TaskQuery(**query), today())
    return page("pages/tasks.html", items=items, args=request.args, units=services().app.units())


# -- campaigns ----------------------------------------------------------------------------------
@blp.route("/campaigns", methods=["GET", "POST"])
def campaigns() -> Any:
    """Every campaign, with the targets the user may see; the form launching one (steering
    roles): targets by case number and among the open risks, and by rule."""
    viewer = actor()
    built = services()
    built.catch_up()
    action = url_for("pages.campaigns")
    may_launch = viewer.role in LaunchCampaign.permission.anyone_of

    def again(form: forms.Form | None, status: int) -> Any:
        if form is None and may_launch:
            form = record_form(LaunchCampaign, action)
        items = [campaigns_api.shown_campaign(c) for c in built.campaigns.all(viewer)]
        return page("pages/campaigns.html", status, items=items, form=form)

    if request.method == "GET":
        return again(None, 200)
    permissions.require_role(viewer, LaunchCampaign.permission.anyone_of, "启动专项行动")
    done, answer = submit(LaunchCampaign, action, built.campaigns.launch, again)
    if not done:
        return answer
    return redirect(url_for("pages.campaign", campaign_id=answer.id))


def campaign_page(
    campaign_id: UUID, failed: forms.Form | None = None, status: int = 200
) -> tuple[str, int]:
    """A campaign as GET /api/v1/campaigns/{id} shows it, a weekly snapshot (`?week=`), the
    final report, and the form adding targets (steering roles, while it runs)."""
    viewer = actor()
    built = services()
    built.catch_up()
    found = built.campaigns.get(viewer, campaign_id)
    view = campaigns_api.shown_campaign(found)
    week = request.args.get("week", type=int) or 1
    if not 1 <= week <= max(1, view["weeks"]):
        raise RuleViolationError("week", f"周次应在 1 至 {view['weeks']} 之间")
    _, figures = built.campaigns.week(viewer, campaign_id, week)
    snapshot = week_view(found, week, figures, Names(built.app))
    _, total, weekly = built.campaigns.report(viewer, campaign_id)
    final = report_view(found, total, weekly, Names(built.app))
    form = None
    if viewer.role in AddCampaignTargets.permission.anyone_of and found.takes_targets_on(today()):
        action = url_for("pages.campaign_command", campaign_id=campaign_id, verb="targets")
        form = failed or record_form(AddCampaignTargets, action)
        for entry in form.inputs:
            if entry.name == "risk_ids":  # those not yet among its targets
                targeted = set(found.risk_ids)
                entry.choices = [c for c in entry.choices if forms.as_uuid(c[0]) not in targeted]
    refused = failed if failed is not None and failed is not form else None
    return page(
        "pages/campaign.html",
        status,
        c=view,
        week=snapshot,
        report=final,
        form=form,
        refused=refused,
    )


@blp.route("/campaigns/<uuid:campaign_id>")
def campaign(campaign_id: UUID) -> Any:
    """A campaign: its targets, a weekly 调度 snapshot (`?week=`), the final report and the
    form adding targets."""
    return campaign_page(campaign_id)


@blp.route("/campaigns/<uuid:campaign_id>/actions/<verb>", methods=["POST"])
def campaign_command(campaign_id: UUID, verb: str) -> Any:
    """Add targets to a campaign from its form (steering roles; 403 before anything is read
    for anyone else)."""
    permissions.require_role(actor(), AddCampaignTargets.permission.anyone_of, "为专项行动追加目标")
    built = services()
    return command_on(
        "campaign",
        AddCampaignTargets if verb == "targets" else None,
        verb=verb,
        see=lambda: built.campaigns.get(actor(), campaign_id),
        execute=built.campaigns.add_targets,
        rerender=lambda form, status: campaign_page(campaign_id, form, status),
        campaign_id=campaign_id,
    )


# -- 督查 and 问责 ---------------------------------------------------------------------------
def _inspections() -> InspectionRegister:
    return InspectionRegister(register())


@blp.route("/inspections", methods=["GET", "POST"])
def inspections() -> Any:
    """Inspections (overseers: every unit's; a unit head: their unit's); the form recording
    the month's inspection of a unit with its checklist (supervisor)."""
    viewer = actor()
    action = url_for("pages.inspections")

    def again(form: forms.Form | None, status: int) -> Any:
        if form is None and viewer.role in OpenInspection.permission.anyone_of:
            form = record_form(OpenInspection, action)
        query = _query(InspectionQuerySchema)
        items = _inspections().inspections(viewer, InspectionQuery(**query))
        return page("pages/inspections.html", status, items=items, args=request.args, form=form)

    if request.method == "GET":
        return again(None, 200)
    permissions.require_role(viewer, OpenInspection.permission.anyone_of, "记录月度督查")
    done, answer = submit(OpenInspection, action, desk().execute, again)
    if not done:
        return answer
    return redirect(url_for("pages.inspection", inspection_id=answer.id))


INSPECTION_FORMS = (
    (RecordFinding, "findings"),
    (IssueFollowUp, "orders"),
    (MarkInspectionTypical, "typical"),
)


def inspection_page(
    inspection_id: UUID, failed: forms.Form | None = None, status: int = 200
) -> Any:
    """An inspection as GET /api/v1/inspections/{id} shows it, and the supervisor's forms."""
    viewer = actor()
    found = desk().inspection(viewer, inspection_id)
    view = _inspections().inspection_view(viewer, found, today())
    drawn = []
    for declaration, verb in INSPECTION_FORMS:
        if viewer.role not in declaration.permission.anyone_of:
            continue
        if failed is not None and failed.verb == declaration.__name__:
            drawn.append(failed)
            continue
        action = url_for("pages.inspection_command", inspection_id=inspection_id, verb=verb)
        drawn.append(record_form(declaration, action))
    history = _inspections().inspection_history(found, view)
    return page(
        "pages/inspection.html", status, i=view, forms=drawn, history=history, event_name=event_name
    )


@blp.route("/inspections/<uuid:inspection_id>")
def inspection(inspection_id: UUID) -> Any:
    """An inspection: its checklist, findings with their overdue records, orders, 典型案例."""
    return inspection_page(inspection_id)


@blp.route("/inspections/<uuid:inspection_id>/actions/<verb>", methods=["POST"])
def inspection_command(inspection_id: UUID, verb: str) -> Any:
    """Record a finding, an order or the 典型案例 mark from its form."""
    return command_on(
        "inspection",
        {v: d for d, v in INSPECTION_FORMS}.get(verb),
        verb=verb,
        see=lambda: desk().inspection(actor(), inspection_id),
        execute=desk().execute,
        rerender=lambda form, status: inspection_page(inspection_id, form, status),
        inspection_id=inspection_id,
    )


@blp.route("/accountability", methods=["GET", "POST"])
def accountability() -> Any:
    """问责 records (supervisor, auditor) and the form recording one (supervisor)."""
    viewer = actor()
    require_accountability_reader(viewer)
    action = url_for("pages.accountability")

    def again(form: forms.Form | None, status: int) -> Any:
        if form is None and viewer.role in RecordAccountability.permission.anyone_of:
            form = record_form(RecordAccountability, action)
        query = _query(AccountabilityQuerySchema)
        items = _inspections().accountability_records(**query)
        return page("pages/accountability.html", status, items=items, form=form)

    if request.method == "GET":
        return again(None, 200)
    done, answer = submit(RecordAccountability, action, desk().execute, again)
    if not done:
        return answer
    assert isinstance(answer, AccountabilityRecord)
    return redirect(url_for("pages.accountability_record", record_id=answer.id))


@blp.route("/accountability/<uuid:record_id>")
def accountability_record(record_id: UUID) -> Any:
    """A 问责 record and the overdue records, events and inspection it rests on (linked)."""
    record = desk().accountability_record(actor(), record_id)
    view = _inspections().accountability_view(actor(), record, today())
    return page("pages/accountability_record.html", r=view)
