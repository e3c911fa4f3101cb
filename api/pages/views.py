"""The pages: sign-in, work queues, the intake form, the case page, the ledger, overseers' views.

Every page reads through the same code as the API (projections/disclosure.py for cases and
histories, the ledger for rows, the accountability views) and every form runs a command through
`Xinfang.execute`, as the API does; errors are drawn beside the field they name.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta
from enum import Enum
from typing import Any
from uuid import UUID, uuid4

from flask import (
    Blueprint,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from api import documents as documents_api
from api import ledger as ledger_api
from api import register_context, reports
from api.accountability import CASE_SECTIONS
from api.context import actor, application, services
from api.errors import STATUS_OF
from api.pages import duplicates, forms, queues, signin, wording
from api.pages.wording import NO_SUCH_COMMAND, NO_SUCH_MONTH
from api.schemas import is_month
from domain import permissions
from domain.access import READ_AGENDA, READ_BACKLOG, READ_LEDGER
from domain.application import Context, today_in_county
from domain.commands import (
    BY_VERB,
    CASE_COMMANDS,
    CaseCommand,
    Command,
    IssueDocument,
    Ref,
    RegisterCase,
)
from domain.directory import UNIT_ROLES
from domain.errors import (
    AuthenticationError,
    DomainError,
    NotFoundError,
    RuleViolationError,
)
from domain.labels import (
    ACCESS,
    COMMAND,
    FIELD,
    REGISTER_FIELD,
    ROLE,
    deadline_state,
    event_label,
    label,
    label_of,
    rate_text,
)
from domain.lifecycle.core import LOCAL_TZ
from domain.register_values import TaskStatus
from domain.values import (
    Category,
    Channel,
    Decision,
    Disposition,
    Flag,
    HearingAction,
    Level,
    NoticeKind,
    Outcome,
    Petitioner,
    Resolution,
    RiskKind,
    RiskLevel,
    RiskSource,
    RiskStatus,
    Role,
    Rule,
    Satisfaction,
    Status,
    VisitKind,
)
from domain.visibility import AS_OF_READERS
from projections import disclosure
from projections.accountability import Accountability, require_reader
from projections.ledger import LedgerQuery
from projections.names import Names

logger = logging.getLogger(__name__)
blp = Blueprint(
    "pages",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",
)
PUBLIC = frozenset({"pages.login", "pages.static"})
AUDIT_ROLES = permissions.AUDIT_ROLES


# -- every request ----------------------------------------------------------------------------
@blp.before_request
def guard() -> BaseResponse | None:
    """CSRF on every POST (before anything changes), then the session."""
    if request.endpoint == "pages.static":
        return None
    if request.method == "POST":
        signin.protect()
    if request.endpoint in PUBLIC:
        signin.current()
        return None
    if signin.current() is None:
        return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))
    return None


@blp.after_request
def no_store(response: BaseResponse) -> BaseResponse:
    """Pages with personal data are not kept by the browser or a proxy; no framing."""
    if request.endpoint != "pages.static":
        response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'self'"
    )
    return response


def local_time(value: Any) -> str:
    """A moment as the county reads it (Asia/Shanghai), to the minute."""
    if value is None or value == "":
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if isinstance(moment, datetime):
        return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    return str(moment)


def days_text(days: int | None) -> str:
    """Days left on a deadline as a person reads them."""
    if days is None:
        return ""
    if days < 0:
        return f"超期 {-days} 天"
    if days == 0:
        return "今日到期"
    return f"剩余 {days} 天"


@blp.app_context_processor
def helpers() -> dict[str, Any]:
    """What every template may use."""
    return {
        "label": label,
        "label_of": label_of,
        "deadline_state": deadline_state,
        "event_label": event_label,
        "local_time": local_time,
        "days_text": days_text,
        "ROLE": ROLE,
        "ACCESS": ACCESS,
        "event_value": event_value,
        "role_name": role_name,
        "FIELD": FIELD,
        "COMMAND": COMMAND,
        "E": {
            "Status": Status,
            "Channel": Channel,
            "Category": Category,
            "Rule": Rule,
            "Level": Level,
            "Flag": Flag,
            "Outcome": Outcome,
            "Satisfaction": Satisfaction,
            "Resolution": Resolution,
            "RiskLevel": RiskLevel,
            "RiskStatus": RiskStatus,
            "RiskKind": RiskKind,
            "RiskSource": RiskSource,
            "TaskStatus": TaskStatus,
        },
        "FIELD_R": REGISTER_FIELD,
    }


EVENT_ENUMS: dict[str, tuple[type[Enum], ...]] = {
    "channel": (Channel,),
    "category": (Category,),
    "outcome": (Outcome,),
    "satisfaction": (Satisfaction,),
    "resolution": (Resolution,),
    "decision": (Decision,),
    "flag": (Flag,),
    "kind": (VisitKind, NoticeKind),
    "kinds": (Disposition,),
    "action": (HearingAction,),
}
PEOPLE_FIELDS = frozenset({"handler_id", "leader_id", "person_id", "prev_handler_id"})
UNIT_FIELDS = frozenset({"unit_id", "prev_unit_id", "intake_unit_id", "accused_unit_ids"})


def role_name(role: Any) -> str:
    """A role (a Role or its code) by its Chinese name."""
    return label_of(Role, role) if isinstance(role, str) else label(role)


def event_value(name: str, value: Any) -> str:
    """A value of an event's data as a person reads it: codes by their Chinese names, people
    and units by name, booleans as 是/否."""
    if isinstance(value, list):
        return "、".join(event_value(name, v) for v in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        for enum in EVENT_ENUMS.get(name, ()):
            shown = label_of(enum, value)
            if shown != value:
                return shown
        if name in PEOPLE_FIELDS | UNIT_FIELDS and forms.as_uuid(value) is not None:
            names = g.setdefault("names", Names(application()))
            found = (
                names.user(UUID(value).hex)
                if name in PEOPLE_FIELDS
                else names.unit(UUID(value).hex)
            )
            return found or value
        if len(value) >= 20 and value[4:5] == "-" and "T" in value:
            return local_time(value)
        return value
    if isinstance(value, dict):
        return "；".join(f"{FIELD.get(k, k)}：{event_value(k, v)}" for k, v in value.items())
    return "" if value is None else str(value)


def page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """A rendered page with the signed-in actor."""
    return render_template(template, me=g.get("actor"), **context), status


# -- errors: a page in Chinese, never a stack trace -------------------------------------------
TITLES = {
    400: "请求无效",
    401: "请先登录",
    403: "无权办理",
    404: "未找到",
    409: "状态已变化",
    413: "提交内容过大",
    422: "填写有误",
    429: "尝试次数过多",
    500: "系统错误",
}


@blp.errorhandler(CSRFError)
def csrf_refused(err: CSRFError) -> tuple[str, int]:
    """A form without a valid CSRF token changes nothing."""
    return page(
        "pages/error.html",
        400,
        title="表单已失效",
        message="表单已失效或来源不明，请刷新页面后重新提交。",
    )


@blp.errorhandler(DomainError)
def domain_error(err: DomainError) -> tuple[str, int]:
    """A refusal of the domain, with the status of the API's error table."""
    code = next(s for t, s in STATUS_OF.items() if isinstance(err, t))
    if code == 404:
        return page(
            "pages/error.html", 404, title=TITLES[404], message="没有此事项，或您无权查看。"
        )
    title = TITLES.get(code, "无法办理")
    return page("pages/error.html", code, title=title, message=wording.refusal(err))


@blp.errorhandler(Exception)
def unexpected(err: Exception) -> tuple[str, int]:
    """A defect: logged with its trace for the operator, a plain Chinese page for the reader."""
    logger.exception("page %s failed", request.path, exc_info=err)
    return page(
        "pages/error.html", 500, title=TITLES[500], message="系统出现错误，已记录，请稍后再试。"
    )


@blp.errorhandler(HTTPException)
def http_error(err: HTTPException) -> tuple[str, int]:
    """Any other HTTP error, in Chinese."""
    code = err.code or 500
    return page("pages/error.html", code, title=TITLES.get(code, "出错了"), message="")


# -- sign-in ------------------------------------------------------------------------------------
def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("pages.home")


@blp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The sign-in form: an API token, and the CSRF token every form carries."""
    error = None
    if request.method == "POST":
        token = request.form.get("token", "")
        try:
            if not token.strip():
                raise AuthenticationError("empty")
            signin.sign_in(token)
        except AuthenticationError:
            error = "令牌无效、已过期或已被吊销。"
        else:
            return redirect(safe_next(request.args.get("next")))
    elif g.get("actor") is not None:
        return redirect(url_for("pages.home"))
    return page("pages/login.html", 401 if error else 200, error=error)


@blp.route("/logout", methods=["POST"])
def logout() -> BaseResponse:
    """Sign out: the session ends on the server and the cookie is cleared."""
    signin.sign_out()
    return redirect(url_for("pages.login"))


# -- work queues --------------------------------------------------------------------------------
@blp.route("/")
def home() -> Any:
    """The signed-in user's work queue (sign-in first for a visitor)."""
    viewer = actor()
    built = services()
    built.catch_up()
    today = today_in_county(built.app)
    sections = queues.queue(built.ledger, viewer, today)
    disclosure.record_rows(built.app, viewer, queues.every_row(sections), READ_LEDGER)
    extra: dict[str, Any] = {}
    if viewer.role is Role.SUPERVISOR:
        # The list's first 50 items, read as one page (not the whole list cut to 50).
        extra["overdue"] = Accountability(built.ledger).deadline_page(viewer, today, 1, 50)[0]
    if viewer.role is Role.LEADER:
        month = today.strftime("%Y-%m")
        extra["cards"] = built.accountability.leader_scorecards(viewer, month, today)
        extra["month"] = month
        since = built.app.clock() - timedelta(days=30)
        extra["actions"] = built.accountability.actor_activity(viewer, viewer.id, since, None)
    if viewer.role in queues.TASK_OWNERS:
        extra["tasks"] = queues.open_tasks(register_context.register(), viewer, today)
    if viewer.role in AUDIT_ROLES and viewer.role is not Role.SUPERVISOR:
        extra["head"] = built.audit.head().as_json()
    return page("pages/home.html", sections=sections, today=today, **extra)


# -- registering a case -------------------------------------------------------------------------
def directory_choices(case: Any = None) -> forms.Choices:
    """The choices of id fields: units, the responsible unit's staff, leaders, people."""
    app = application()
    if "people" not in g:
        g.people = [app.get_user(e.item_id) for e in app.user_log.get()]
    people = [u for u in g.people if u.active]
    responsible = None if case is None else case.unit_id or case.intake_unit_id

    def choices(refers: Ref, name: str) -> list[tuple[str, str]]:
        if refers is Ref.UNIT:
            return [(str(u.id), u.name) for u in app.units()]
        if refers is Ref.UNIT_STAFF:
            return [
                (str(u.id), f"{u.name}（{ROLE[u.role]}）")
                for u in people
                if u.role in UNIT_ROLES and (responsible is None or u.unit_id == responsible)
            ]
        if refers is Ref.LEADER:
            return [(str(u.id), u.name) for u in people if u.role is Role.LEADER]
        return [
            (str(u.id), f"{u.name}（{ROLE[u.role]}）")
            for u in people
            if u.role is Role.LEADER
            or (u.role in UNIT_ROLES and (responsible is None or u.unit_id == responsible))
        ]

    return choices


@blp.route("/cases/new", methods=["GET", "POST"])
def register() -> Any:
    """The intake form (登记): all fields, any number of petitioners, the 同人同事 check."""
    viewer = actor()
    permissions.require_role(viewer, RegisterCase.permission.anyone_of, "登记信访事项")
    action = url_for("pages.register")
    choices = directory_choices()
    if request.method == "GET":
        form = forms.build(RegisterCase, action, choices)
        return page("pages/register.html", form=form, checked=None)
    body = forms.received(RegisterCase, request.form)
    rows = max(len(body.get("petitioners", [])) + 1, forms.PETITIONER_ROWS)
    shown = forms.for_form(body)
    try:
        loaded = forms.load(RegisterCase, body)
    except ValidationError as err:
        form = forms.build(
            RegisterCase,
            action,
            choices,
            sent=shown,
            errors=forms.field_errors(err),
            petitioner_rows=rows,
        )
        return page("pages/register.html", 422, form=form, checked=None)
    built = services()
    built.catch_up()
    key = forms.request_key(request.form)
    if key is not None and built.app.applied(viewer, key):
        # Sent again (a double click, a reload): the first answer, without a second check.
        return _register(loaded, viewer, key, form_for=None)
    found = duplicates.check(
        built.app,
        built.ledger,
        viewer,
        petitioners=loaded["petitioners"],
        subject=loaded["subject"],
        today=today_in_county(built.app),
    )
    confirmed = request.form.get("confirm_new") == "yes"
    if request.form.get("intent") == "check" or (found.found and not confirmed):
        form = forms.build(RegisterCase, action, choices, sent=shown, petitioner_rows=rows)
        return page("pages/register.html", form=form, checked=found)
    return _register(loaded, viewer, key, form_for=(shown, rows, found))


def _register(loaded: dict[str, Any], viewer: Any, key: str | None, *, form_for: Any) -> Any:
    """Register the loaded case through `Xinfang.execute`; a refusal naming a field goes back
    to the form (`form_for`: what was sent, its petitioner rows, the check's findings)."""
    ctx = Context(
        actor=viewer,
        occurred_at=loaded.pop("occurred_at", None),
        reason=loaded.pop("reason", None),
        on_behalf_of=loaded.pop("on_behalf_of", None),
        idempotency_key=key,
    )
    try:
        outcome = application().execute(RegisterCase(**loaded), ctx)
    except RuleViolationError as err:
        if form_for is None:
            raise
        shown, rows, found = form_for
        words = wording.refusal(err)
        form = forms.build(
            RegisterCase,
            url_for("pages.register"),
            directory_choices(),
            sent=shown,
            errors={err.field: [words]},
            petitioner_rows=rows,
        )
        if err.field not in {i.name for i in form.inputs}:
            form.errors.append(words)
        return page("pages/register.html", 422, form=form, checked=found)
    flash(f"已登记：{outcome.case.number}")
    return redirect(url_for("pages.case", case_id=outcome.case.id))


# -- the case page ------------------------------------------------------------------------------
def offered(case: Any) -> list[type[CaseCommand]]:
    """The commands the signed-in user may issue on the case in its status."""
    viewer = actor()
    return [d for d in CASE_COMMANDS if permissions.offered(d, viewer, case)]


def case_forms(
    case: Any, failed: forms.Form | None = None, answer_n: int | None = None
) -> list[forms.Form]:
    """The forms of the offered commands (the one that failed, as it was sent, with errors)."""
    choices = directory_choices(case)
    built: list[forms.Form] = []
    for declaration in offered(case):
        if declaration.verb == "answer_supervision_order":
            for order in case.supervision_orders:
                if order.answer is not None:
                    continue
                form = forms.build(
                    declaration,
                    url_for("pages.command", case_id=case.id, verb=declaration.verb, n=order.n),
                    choices,
                )
                form.title = f"{form.title}（第 {order.n} 号督办）"
                if failed is not None and failed.verb == declaration.verb and answer_n == order.n:
                    form = failed
                built.append(form)
            continue
        if failed is not None and failed.verb == declaration.verb:
            built.append(failed)
            continue
        action = url_for("pages.command", case_id=case.id, verb=declaration.verb)
        built.append(forms.build(declaration, action, choices))
    return built


def case_page(
    case_id: UUID,
    *,
    as_of: datetime | None = None,
    failed: forms.Form | None = None,
    answer_n: int | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The case page as the signed-in user is shown it (read and logged as the API does)."""
    viewer = actor()
    app = application()
    view = disclosure.read_case(app, viewer, case_id, as_of=as_of)
    history = disclosure.read_history(app, viewer, case_id)
    events = history["events"]
    if as_of is not None:
        events = [e for e in events if e["recorded_at"] <= as_of]
    case = app.get_case(viewer, case_id)
    names = Names(app)

    def named(value: UUID | None) -> str:
        return (names.user(value.hex) or "") if value else ""

    def unit_named(value: UUID | None) -> str:
        return (names.unit(value.hex) or "") if value else ""

    drawn = [] if as_of is not None else case_forms(case, failed, answer_n)
    documents = [] if as_of is not None else documents_api.documents_of(case)
    may_issue = as_of is None and IssueDocument in offered(case)
    # A form whose command the case no longer offers (it moved on): its refusal goes on top.
    refused = failed if failed is not None and failed not in drawn else None
    return page(
        "pages/case.html",
        status,
        case=view,
        events=events,
        refused=refused,
        forms=drawn,
        documents=documents,
        may_issue=may_issue,
        issue_key=lambda: uuid4().hex,
        as_of=as_of,
        named=named,
        unit_named=unit_named,
        today=today_in_county(app),
    )


def _as_of() -> datetime | None:
    """The moment of `?as_of=` (the county's local time if no offset is given)."""
    raw = request.args.get("as_of", "").strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(forms.local_moment(raw))
    except ValueError:
        raise RuleViolationError("as_of", "时间格式应为 年-月-日 时:分") from None
    if moment.tzinfo is None:
        raise RuleViolationError("as_of", "时间格式应为 年-月-日 时:分")
    # As `GET /api/v1/cases/{id}?as_of=`: whoever may see the case now (docs/permissions.md).
    return moment


@blp.route("/cases/<uuid:case_id>")
def case(case_id: UUID) -> Any:
    """Number, status, parties, deadlines, the timeline and the allowed actions."""
    return case_page(case_id, as_of=_as_of())


@blp.route("/cases/<uuid:case_id>/documents/<kind>.pdf")
def case_document(case_id: UUID, kind: str) -> BaseResponse:
    """A document of the case as PDF, through the API's function (same permission, masking,
    文号 issuing on the first print of a numbered document, and access-log record)."""
    return documents_api.document_pdf(case_id, kind)


@blp.route("/cases/<uuid:case_id>/actions/<verb>", methods=["POST"])
def command(case_id: UUID, verb: str) -> Any:
    """Run one command from its form, through `Xinfang.execute` as the API does."""
    declaration = BY_VERB.get(verb)
    if declaration is None:
        raise NotFoundError(NO_SUCH_COMMAND)
    viewer = actor()
    app = application()
    current = app.get_case(viewer, case_id)  # 404 for a case the user may not see
    n = request.args.get("n", type=int)
    action = (
        url_for("pages.command", case_id=case_id, verb=verb, n=n)
        if n
        else url_for("pages.command", case_id=case_id, verb=verb)
    )
    body = forms.received(declaration, request.form)
    shown = forms.for_form(body)

    def failed(errors: dict[str, Any], message: str | None = None) -> forms.Form:
        form = forms.build(
            declaration, action, directory_choices(current), sent=shown, errors=errors
        )
        if message:
            form.errors.append(message)
        return form

    unknown = case_numbers(declaration, body)
    if unknown:
        return case_page(case_id, failed=failed(unknown), answer_n=n, status=422)
    try:
        loaded = forms.load(declaration, body)
    except ValidationError as err:
        return case_page(case_id, failed=failed(forms.field_errors(err)), answer_n=n, status=422)
    ctx = Context(
        actor=viewer,
        occurred_at=loaded.pop("occurred_at", None),
        reason=loaded.pop("reason", None),
        on_behalf_of=loaded.pop("on_behalf_of", None),
        expected_version=request.form.get("version", type=int),
        idempotency_key=forms.request_key(request.form),
    )
    path = {"n": n} if declaration.verb == "answer_supervision_order" else {}
    try:
        app.execute(declaration(case_id=case_id, **loaded, **path), ctx)
    except RuleViolationError as err:
        name = err.field if err.field in {i.name for i in failed({}).inputs} else None
        words = wording.refusal(err)
        form = failed({name: [words]} if name else {}, None if name else words)
        return case_page(case_id, failed=form, answer_n=n, status=422)
    except NotFoundError:
        raise
    except DomainError as err:
        code = next(s for t, s in STATUS_OF.items() if isinstance(err, t))
        return case_page(case_id, failed=failed({}, wording.refusal(err)), answer_n=n, status=code)
    flash(f"已办理：{COMMAND.get(declaration.verb, declaration.verb)}")
    return redirect(url_for("pages.case", case_id=case_id))


def case_id_of(typed: str) -> str | None:
    """The id of the case a user typed (its id, or its number XF-2026-000012), among the cases
    they may see only; None for any other."""
    if forms.as_uuid(typed) is not None:
        return typed
    built = services()
    items, _ = built.ledger.search(
        actor(), LedgerQuery(number=typed.upper(), page_size=1), today_in_county(built.app)
    )
    return str(items[0]["case_id"]) if items else None


def case_numbers(declaration: type[Command], body: dict[str, Any]) -> dict[str, list[str]]:
    """Put the case id in place of a case number typed into a field naming another case
    (XF-2026-000012), or of each number in a field naming several, looked up among the cases
    the user may see only: any other number is answered as no such case. Returns the field
    errors naming the numbers not found."""
    errors: dict[str, list[str]] = {}
    for spec in dataclasses.fields(declaration):
        if spec.metadata.get("refers") is not Ref.CASE or spec.name not in body:
            continue
        value = body[spec.name]
        typed = [str(v).strip() for v in value] if isinstance(value, list) else [str(value).strip()]
        found = [case_id_of(t) for t in typed]
        missing = [t for t, f in zip(typed, found, strict=True) if f is None]
        if missing:
            errors[spec.name] = [f"没有此编号的事项，或您无权查看：{'、'.join(missing)}"]
        elif isinstance(value, list):
            body[spec.name] = found
        else:
            body[spec.name] = found[0]
    return errors


# -- the ledger ---------------------------------------------------------------------------------
LEDGER_PARAMETERS = frozenset(ledger_api.LedgerQuerySchema().fields)


def _ledger_args() -> dict[str, Any]:
    raw = {k: v for k, v in request.args.items(multi=True) if v != "" and k in LEDGER_PARAMETERS}
    multi: dict[str, Any] = {}
    for key in raw:
        values = [v for v in request.args.getlist(key) if v != ""]
        multi[key] = values if key == "status" else values[-1]
    if "as_of" in multi:
        multi["as_of"] = forms.local_moment(multi["as_of"])
    try:
        args: dict[str, Any] = ledger_api.LedgerQuerySchema().load(multi)
    except ValidationError as err:
        message = "；".join(
            f"{FIELD.get(k, k)}：{str(v[0]) if isinstance(v, list) else str(v)}"
            for k, v in forms.field_errors(err).items()
        )
        raise RuleViolationError("query", f"筛选条件有误（{message}）") from None
    return args


@blp.route("/ledger")
def ledger() -> Any:
    """The 台账 with its filters, paging and the Excel export of the same selection."""
    args = _ledger_args()
    viewer = actor()
    query = ledger_api.ledger_query(args)
    with ledger_api.ledger_as_of(args["as_of"]) as (found, today):
        items, total = found.search(viewer, query, today)
    disclosure.record_rows(application(), viewer, items, READ_LEDGER)
    for row in items:
        row["days_left"] = queues.days_left(row["deadline"], today)
    pages = max(1, -(-total // query.page_size))
    selection = [
        (k, v)
        for k, v in request.args.items(multi=True)
        if k in LEDGER_PARAMETERS and k != "page" and v != ""
    ]
    return page(
        "pages/ledger.html",
        items=items,
        total=total,
        query=query,
        pages=pages,
        args=request.args,
        selection=selection,
        units=application().units(),
        today=today,
        as_of=args["as_of"],
        may_as_of=viewer.role in AS_OF_READERS,
    )


@blp.route("/ledger.xlsx")
def ledger_export() -> BaseResponse:
    """The same selection as the ledger page, every page of it, as a workbook (logged)."""
    return ledger_api.ledger_workbook(_ledger_args())


# -- overseers ----------------------------------------------------------------------------------
def _month() -> str:
    month = request.args.get("month") or today_in_county(application()).strftime("%Y-%m")
    if not is_month(month):
        raise RuleViolationError("month", "月份格式应为 年-月，例如 2026-11")
    return month


@blp.route("/overdue")
def overdue() -> Any:
    """The overdue board: every missed or at-risk deadline and who held the case then."""
    viewer = actor()
    require_reader(viewer)
    built = services()
    built.catch_up()
    items = Accountability(built.ledger).deadline_watch(viewer, today_in_county(built.app))
    return page("pages/overdue.html", items=items)


@blp.route("/scorecards")
def scorecards() -> Any:
    """Unit and leader scorecards of a month (counts beside every rate)."""
    viewer = actor()
    require_reader(viewer)
    built = services()
    built.catch_up()
    today = today_in_county(built.app)
    month = _month()
    units = built.accountability.unit_scorecards(viewer, month, today)
    leaders = built.accountability.leader_scorecards(viewer, month, today)
    return page(
        "pages/scorecards.html", month=month, units=units, leaders=leaders, rate_text=rate_text
    )


@blp.route("/agenda")
def agenda() -> Any:
    """The weekly joint-meeting agenda and the backlog register."""
    viewer = actor()
    require_reader(viewer)
    built = services()
    built.catch_up()
    today = today_in_county(built.app)
    found = built.accountability.agenda(viewer, today)
    backlog = built.accountability.backlog(viewer, today)
    rows = [item for section in CASE_SECTIONS for item in found[section]]
    disclosure.record_rows(built.app, viewer, rows, READ_AGENDA)
    disclosure.record_rows(built.app, viewer, backlog, READ_BACKLOG)
    return page("pages/agenda.html", agenda=found, backlog=backlog)


@blp.route("/bulletin")
def bulletin() -> Any:
    """The monthly bulletin: the preview of a month, and publishing it (supervisor)."""
    viewer = actor()
    month = request.args.get("month") or (
        today_in_county(application()).replace(day=1) - timedelta(days=1)
    ).strftime("%Y-%m")
    if not is_month(month):
        raise RuleViolationError("month", "月份格式应为 年-月")
    built = services()
    built.catch_up()
    found = built.bulletins.get(viewer, month, today_in_county(built.app))
    return page("pages/bulletin.html", month=month, bulletin=found)


@blp.route("/bulletin/<month>.html")
def bulletin_print(month: str) -> BaseResponse:
    """The printable bulletin, the same page as the API's."""
    if not is_month(month):
        raise NotFoundError(NO_SUCH_MONTH)
    return reports.bulletin_page(month)


@blp.route("/bulletin/<month>/publish", methods=["POST"])
def bulletin_publish(month: str) -> BaseResponse:
    """Publish (freeze) an ended month's bulletin."""
    if not is_month(month):
        raise NotFoundError(NO_SUCH_MONTH)
    built = services()
    built.catch_up()
    built.bulletins.publish(actor(), month, today_in_county(built.app))
    flash(f"{month} 月通报已发布")
    return redirect(url_for("pages.bulletin", month=month))


@blp.route("/audit")
def audit() -> Any:
    """The audit head, the access log, and the verify button (audit roles)."""
    viewer = actor()
    permissions.require_role(viewer, AUDIT_ROLES, "查看审计页面")
    built = services()
    built.catch_up()
    entries = disclosure.access_entries(built.app, built.views, built.access, viewer, limit=200)
    names = Names(built.app)
    return page(
        "pages/audit.html",
        head=built.audit.head().as_json(),
        entries=entries,
        names=names,
        verification=None,
    )


@blp.route("/audit/verify", methods=["POST"])
def audit_verify() -> Any:
    """Check the whole log against the audit tree and the signed heads now."""
    viewer = actor()
    permissions.require_role(viewer, AUDIT_ROLES, "查看审计页面")
    built = services()
    result = built.audit.verify()
    entries = disclosure.access_entries(built.app, built.views, built.access, viewer, limit=200)
    return page(
        "pages/audit.html",
        head=built.audit.head().as_json(),
        entries=entries,
        names=Names(built.app),
        verification=result,
    )


def petitioner_text(people: list[Petitioner | dict[str, Any]]) -> str:
    """Petitioners' names, joined."""
    return "、".join(p["name"] if isinstance(p, dict) else p.name for p in people)


@blp.app_template_global()
def days_until(deadline: dict[str, Any] | None) -> int | None:
    """Days left on a ledger row's deadline, as of the county's today."""
    return queues.days_left(deadline, today_in_county(application()))


@blp.app_template_global()
def petitioners(people: list[Any]) -> str:
    """Petitioners' names for a table cell."""
    return petitioner_text(people)
