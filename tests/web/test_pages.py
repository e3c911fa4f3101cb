"""The web pages through Flask's test client, on SQLite and PostgreSQL.

Sign-in and its cookie, CSRF, the session's end; the API refusing the cookie; the pages showing
what the API shows (masked identity, accused units' 404) and logging what they disclose; forms
offered by status and role and refused otherwise; errors beside their field; the 同人同事 check;
the ledger page and its export; no page or asset naming another host.
"""

from __future__ import annotations

import re
import time
from datetime import date
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from api import create_app
from api.pages import queues
from api.schemas import PetitionerSchema, TokenRequestSchema
from domain import permissions
from domain.commands import CASE_COMMANDS
from domain.errors import PermissionDeniedError
from domain.values import Status
from projections.bootstrap import Services
from tests.api.helpers import API, PETITIONER, Office, ok, registration
from tests.conftest import County
from tests.unit.builders import sample_command
from tests.web.pagehelpers import csrf_of, post_form, sign_in


@pytest.fixture
def office(client: FlaskClient, county: County) -> Office:
    """The API as the county uses it (to set cases up quickly)."""
    return Office(client, county)


def desk(flask_app: Flask, county: County, who: str) -> FlaskClient:
    """A browser of its own for `who`, signed in through the login form."""
    browser = flask_app.test_client()
    response = sign_in(browser, county.tokens[who])
    assert response.status_code == 302, response.text
    return browser


def case_url(view: dict[str, Any]) -> str:
    """The case page of a case view."""
    return f"/cases/{view['id']}"


def field_block(html: str, input_id: str) -> str:
    """The markup of the `.field` that holds input `input_id` (its label, input and errors)."""
    at = html.index(f'id="{input_id}"')
    start = html.rindex('<div class="field', 0, at)
    return html[start : html.index("</div>", at) + 6]


# -- sign-in, session, CSRF ----------------------------------------------------------------------
def test_a_visitor_is_sent_to_the_sign_in_page(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert 'name="token"' in page.text
    assert 'name="csrf_token"' in page.text
    assert "<h1>登录</h1>" in page.text


def test_signing_in_sets_a_guarded_cookie_and_goes_to_the_work_queue(
    client: FlaskClient, county: County
) -> None:
    client.get("/login")
    before = client.get_cookie("xinfang_session")
    assert before is not None
    response = sign_in(client, county.tokens["clerk"])
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP here; see the HTTPS test
    after = client.get_cookie("xinfang_session")
    assert after is not None
    assert after.value != before.value  # rotated on sign-in
    home = client.get("/")
    assert home.status_code == 200
    assert "登记员工作台" in home.text


def test_signing_in_goes_back_only_to_a_page_of_this_site(
    client: FlaskClient, county: County
) -> None:
    for target, expected in (
        ("/ledger", "/ledger"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
    ):
        browser = client.application.test_client()
        form = browser.get("/login", query_string={"next": target})
        response = browser.post(
            "/login",
            query_string={"next": target},
            data={"token": county.tokens["clerk"], "csrf_token": csrf_of(form.text)},
        )
        assert response.headers["Location"] == expected


def test_the_cookie_is_secure_behind_https(flask_app: Flask, county: County) -> None:
    browser = flask_app.test_client()
    form = browser.get("/login", base_url="https://localhost")
    response = browser.post(
        "/login",
        base_url="https://localhost",
        data={"token": county.tokens["clerk"], "csrf_token": csrf_of(form.text)},
        headers={"Referer": "https://localhost/login"},
    )
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]
    # Over HTTPS a POST must also come from this site's own pages (Flask-WTF's referrer check).
    forged = flask_app.test_client().post(
        "/login",
        base_url="https://localhost",
        data={"token": county.tokens["clerk"], "csrf_token": csrf_of(form.text)},
        headers={"Referer": "https://elsewhere.example/"},
    )
    assert forged.status_code == 400


def test_a_wrong_token_is_refused_and_repeated_guessing_is_throttled(
    client: FlaskClient,
) -> None:
    for _ in range(10):
        response = sign_in(client, "not-a-token")
        assert response.status_code == 401
        assert "令牌无效" in response.text
    response = sign_in(client, "not-a-token")
    assert response.status_code == 429
    assert "尝试次数过多" in response.text
    assert client.get("/").status_code == 302


def test_a_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(
    flask_app: Flask, county: County, office: Office
) -> None:
    view = office.register()
    dispatcher = desk(flask_app, county, "dispatcher")
    action = f"{case_url(view)}/actions/forward"
    unit = str(county.units["housing"])
    for data in ({"unit_id": unit}, {"unit_id": unit, "csrf_token": "forged"}):
        response = dispatcher.post(action, data=data)
        assert response.status_code == 400
        assert "表单已失效" in response.text
    assert office.get(view["id"]).get_json()["status"] == "registered"
    # Sign-in itself needs the token: a login form posted from elsewhere signs nobody in.
    other = flask_app.test_client()
    response = other.post("/login", data={"token": county.tokens["clerk"]})
    assert response.status_code == 400
    assert other.get("/").status_code == 302
    # The same form with the page's token goes through.
    response = post_form(dispatcher, case_url(view), action, {"unit_id": unit})
    assert response.status_code == 302
    assert office.get(view["id"]).get_json()["status"] == "forwarded"


def test_signing_out_ends_the_session_on_the_server(flask_app: Flask, county: County) -> None:
    browser = desk(flask_app, county, "clerk")
    copied = browser.get_cookie("xinfang_session")
    assert copied is not None
    response = post_form(browser, "/", "/logout", {})
    assert response.status_code == 302
    assert browser.get("/").status_code == 302
    thief = flask_app.test_client()
    thief.set_cookie("xinfang_session", copied.value)
    assert thief.get("/").status_code == 302  # the copied cookie names an ended session
    assert browser.get("/logout").status_code == 405  # signing out is a POST


def test_an_idle_session_ends(services: Services, county: County) -> None:
    app = create_app(services, {"TESTING": True, "XINFANG_SESSION_IDLE_SECONDS": 1})
    browser = app.test_client()
    sign_in(browser, county.tokens["clerk"])
    assert browser.get("/").status_code == 200
    time.sleep(1.2)
    assert browser.get("/").status_code == 302


def test_a_revoked_token_or_disabled_user_ends_the_session(
    flask_app: Flask, county: County, services: Services
) -> None:
    browser = desk(flask_app, county, "clerk")
    assert browser.get("/").status_code == 200
    admin = county.actors["admin"]
    services.app.disable_user(admin, county.actors["clerk"].id, reason="调离岗位")
    assert browser.get("/").status_code == 302
    assert sign_in(flask_app.test_client(), county.tokens["clerk"]).status_code == 401


def test_the_api_does_not_accept_the_session_cookie(flask_app: Flask, county: County) -> None:
    browser = desk(flask_app, county, "clerk")
    assert browser.get("/").status_code == 200
    assert browser.get(f"{API}/me").status_code == 401
    response = browser.post(f"{API}/cases", json=registration())
    assert response.status_code == 401
    assert response.get_json()["message"]
    ledger = browser.get(f"{API}/ledger")
    assert ledger.status_code == 401


# -- what a page shows ---------------------------------------------------------------------------
def test_an_accused_units_user_cannot_reach_the_case(
    flask_app: Flask, county: County, office: Office
) -> None:
    view = office.register(accused_unit_ids=[str(county.units["labour"])])
    accused = desk(flask_app, county, "labour_head")
    page = accused.get(case_url(view))
    assert page.status_code == 404
    assert view["number"] not in page.text
    assert "<h1>未找到</h1>" in page.text
    assert view["number"] not in accused.get("/").text
    assert view["number"] not in accused.get("/ledger").text
    response = post_form(accused, "/", f"{case_url(view)}/actions/accept", {})
    assert response.status_code == 404
    assert office.get(view["id"]).get_json()["status"] == "registered"


def test_a_masked_viewer_is_shown_no_identity_and_nothing_is_logged_for_them(
    flask_app: Flask, county: County, office: Office, services: Services
) -> None:
    view = office.drive("accepted", sponsor="leader")
    # A change of sponsor leaves the former sponsor seeing the case, masked (domain.md §7).
    office.send(
        "dispatcher",
        view["id"],
        "leader",
        {"leader_id": str(county.actors["leader2"].id), "reason": "工作调整"},
    )
    masked_page = desk(flask_app, county, "leader").get(case_url(view))
    assert masked_page.status_code == 200
    for secret in (PETITIONER["name"], PETITIONER["id_number"], PETITIONER["phone"]):
        assert secret not in masked_page.text
    assert "信访人身份信息已按权限隐去" in masked_page.text
    services.catch_up()
    leader_id = county.actors["leader"].id
    assert services.access.query(actor_id=leader_id) == []
    # The clerk sees it whole, and that read is logged, as the API logs it.
    clerk_page = desk(flask_app, county, "clerk").get(case_url(view))
    assert PETITIONER["id_number"] in clerk_page.text
    services.catch_up()
    logged = services.access.query(actor_id=county.actors["clerk"].id)
    assert {e.action for e in logged} >= {"read_case", "read_history"}


def test_the_case_page_shows_the_api_view(flask_app: Flask, county: County, office: Office) -> None:
    view = office.drive("in_progress", sponsor="leader")
    page = desk(flask_app, county, "auditor").get(case_url(view))
    assert page.status_code == 200
    assert f"{view['number']} · 办理中" in page.text
    for text in ("县住建局", "钱办事", "陈县长", "60日内办结", "办理经过", "受理", "开始办理"):
        assert text in page.text, text
    assert view["subject"] in page.text


def test_as_of_shows_the_case_as_it_stood(flask_app: Flask, county: County, office: Office) -> None:
    view = office.register()
    moment = office.get(view["id"]).get_json()["recorded_at"]
    office.send("dispatcher", view["id"], "forward", {"unit_id": str(county.units["housing"])})
    auditor = desk(flask_app, county, "auditor")
    page = auditor.get(case_url(view), query_string={"as_of": moment})
    assert page.status_code == 200
    assert "· 已登记" in page.text
    assert "可办理的操作" not in page.text
    assert "· 已转送" in auditor.get(case_url(view)).text
    # As the API: whoever may see the case now may see how it stood (the unit it went to too).
    head = desk(flask_app, county, "head").get(case_url(view), query_string={"as_of": moment})
    assert head.status_code == 200
    assert "· 已登记" in head.text
    assert auditor.get(case_url(view), query_string={"as_of": "昨天"}).status_code == 422


# -- forms -----------------------------------------------------------------------------------------
OFFER = re.compile(r'id="form-([a-z_]+)"')


def offered_on(browser: FlaskClient, view: dict[str, Any]) -> set[str]:
    """The verbs whose forms the case page offers."""
    return set(OFFER.findall(browser.get(case_url(view)).text))


def authorized(command: Any, actor: Any, case: Any) -> bool:
    """Whether `authorize` lets the actor issue the command on the case (as the API would)."""
    try:
        permissions.authorize(command, actor, case)
    except PermissionDeniedError:
        return False
    return True


def test_each_page_offers_only_what_the_status_and_the_role_allow(
    flask_app: Flask, county: County, office: Office, services: Services
) -> None:
    registered = office.register()
    responded = office.drive("responded", sponsor="leader")
    for who in ("clerk", "dispatcher", "head", "handler", "leader", "supervisor", "auditor"):
        browser = desk(flask_app, county, who)
        actor = county.actors[who]
        for view in (registered, responded):
            try:
                case = services.app.get_case(actor, UUID(view["id"]))
            except Exception:
                assert browser.get(case_url(view)).status_code == 404
                continue
            expected = {
                d.verb
                for d in CASE_COMMANDS
                if case.status in d.allowed_in
                and authorized(sample_command(d.verb, case.id), actor, case)
                # An answer form is drawn per open supervision order (none here).
                and d.verb != "answer_supervision_order"
            }
            assert offered_on(browser, view) == expected, (who, view["status"])
            for verb in expected:
                declaration = next(d for d in CASE_COMMANDS if d.verb == verb)
                assert case.status in declaration.allowed_in
    dispatcher = offered_on(desk(flask_app, county, "dispatcher"), registered)
    assert {"forward", "assign", "divert", "not_accept", "merge"} <= dispatcher
    assert "accept" not in dispatcher
    assert {"record_follow_up", "notify_petitioner"} <= offered_on(
        desk(flask_app, county, "clerk"), responded
    )
    assert "close" in offered_on(desk(flask_app, county, "dispatcher"), responded)


def test_a_command_the_role_may_not_issue_is_refused_and_changes_nothing(
    flask_app: Flask, county: County, office: Office
) -> None:
    view = office.register()
    clerk = desk(flask_app, county, "clerk")
    response = post_form(
        clerk,
        case_url(view),
        f"{case_url(view)}/actions/forward",
        {"unit_id": str(county.units["housing"])},
    )
    assert response.status_code == 403
    assert "Traceback" not in response.text
    assert office.get(view["id"]).get_json()["status"] == "registered"
    unknown = post_form(clerk, case_url(view), f"{case_url(view)}/actions/no_such", {})
    assert unknown.status_code == 404


def test_field_errors_are_shown_beside_their_field(
    flask_app: Flask, county: County, office: Office
) -> None:
    clerk = desk(flask_app, county, "clerk")
    response = post_form(
        clerk,
        "/cases/new",
        "/cases/new",
        {
            "channel": "visit",
            "category": "claim",
            "content": "内容",
            "intent": "save",
            "petitioners-0-id_number": "110101199001011234",
        },
    )
    assert response.status_code == 422
    assert "此项必填" in field_block(response.text, "register-subject")
    assert "此项必填" in field_block(response.text, "petitioners-0-name")
    assert "此项必填" not in field_block(response.text, "register-content")
    assert 'value="110101199001011234"' in response.text  # what was typed is kept
    # A rule of the domain names its field too: more than 30 days of extension.
    view = office.drive("in_progress")
    head = desk(flask_app, county, "head")
    refused = post_form(
        head,
        case_url(view),
        f"{case_url(view)}/actions/extend",
        {"days": "45", "reason": "案情复杂", "approved_by": "林局长"},
    )
    assert refused.status_code == 422
    assert "应在 1 至 30 之间" in field_block(refused.text, "extend-days")
    assert office.get(view["id"]).get_json()["status"] == "in_progress"


def test_a_stale_form_is_refused_with_the_api_s_conflict(
    flask_app: Flask, county: County, office: Office
) -> None:
    view = office.register()
    dispatcher = desk(flask_app, county, "dispatcher")
    html = dispatcher.get(case_url(view)).text
    office.send(
        "clerk",
        view["id"],
        "notices",
        {"kind": "receipt", "method": "当面送达", "delivered_at": view["registered_at"]},
    )
    response = dispatcher.post(
        f"{case_url(view)}/actions/forward",
        data={
            "unit_id": str(county.units["housing"]),
            "version": str(view["version"]),
            "csrf_token": csrf_of(html),
        },
    )
    assert response.status_code == 409
    assert office.get(view["id"]).get_json()["status"] == "registered"


def test_the_schema_messages_read_in_chinese() -> None:
    assert PetitionerSchema().validate({}) == {"name": ["此项必填"]}
    assert PetitionerSchema().validate({"name": "张三", "address": "x" * 501}) == {
        "address": ["不能超过 500 个字符"]
    }
    assert (
        TokenRequestSchema()
        .validate({"expires_in_days": 0})["expires_in_days"][0]
        .startswith("应在 1 至 ")
    )
    assert TokenRequestSchema().validate({"expires_in_days": "三"}) == {
        "expires_in_days": ["请填写整数"]
    }


# -- the intake form and the 同人同事 check ------------------------------------------------------
INTAKE = {
    "channel": "visit",
    "category": "claim",
    "subject": "拖欠农民工工资",
    "content": "某工地拖欠工资三个月",
    "petitioners-0-name": "李四",
    "petitioners-0-phone": "139 0000 1111",
    "petitioners-1-name": "王五",
    "intent": "save",
}


def test_registering_with_any_number_of_petitioners(
    flask_app: Flask, county: County, office: Office
) -> None:
    clerk = desk(flask_app, county, "clerk")
    data = {**INTAKE, "petitioners-7-name": "赵六", "accused_unit_ids": str(county.units["labour"])}
    response = post_form(clerk, "/cases/new", "/cases/new", data)
    assert response.status_code == 302
    case_id = response.headers["Location"].rsplit("/", 1)[1]
    view = office.get(case_id).get_json()
    assert [p["name"] for p in view["petitioners"]] == ["李四", "王五", "赵六"]
    assert view["accused_unit_ids"] == [str(county.units["labour"])]


def test_the_duplicate_check_lists_the_same_petitioner_and_similar_subjects(
    flask_app: Flask, county: County, office: Office
) -> None:
    first = office.register(
        subject="拖欠农民工工资", petitioners=[{"name": "李四", "phone": "13900001111"}]
    )
    other = office.register(subject="噪音扰民", petitioners=[{"name": "钱七"}])
    clerk = desk(flask_app, county, "clerk")
    response = post_form(clerk, "/cases/new", "/cases/new", INTAKE)
    assert response.status_code == 200  # not saved yet: the check found something
    assert first["number"] in response.text
    assert "联系电话相同" in response.text  # the phone, typed with spaces, normalised
    assert "事由相似" in response.text
    assert other["number"] not in response.text
    assert "已核对上列事项" in response.text
    assert "第三十六条" not in response.text
    total = len(
        office.client.get(f"{API}/ledger", headers=county.headers("auditor")).get_json()["items"]
    )
    assert total == 2
    # Confirmed, it is registered.
    confirmed = post_form(clerk, "/cases/new", "/cases/new", {**INTAKE, "confirm_new": "yes"})
    assert confirmed.status_code == 302
    # A petitioner not seen before is registered at once.
    fresh = post_form(
        clerk,
        "/cases/new",
        "/cases/new",
        {
            **INTAKE,
            "subject": "道路破损",
            "petitioners-0-name": "孙八",
            "petitioners-0-phone": "",
            "petitioners-1-name": "",
        },
    )
    assert fresh.status_code == 302


def test_the_check_warns_when_the_matter_ended_in_a_recheck(
    flask_app: Flask, county: County, office: Office
) -> None:
    ended = office.drive("terminated")
    clerk = desk(flask_app, county, "clerk")
    again = {
        **INTAKE,
        "subject": ended["subject"],
        "petitioners-0-name": PETITIONER["name"],
        "petitioners-0-id_number": PETITIONER["id_number"],
        "petitioners-0-phone": "",
        "petitioners-1-name": "",
        "intent": "check",
    }
    response = post_form(clerk, "/cases/new", "/cases/new", again)
    assert response.status_code == 200
    assert "第三十六条" in response.text
    assert "复核终结" in response.text
    assert ended["number"] in response.text
    assert "身份证号相同" in response.text


def test_the_check_is_logged_like_the_identity_search(
    flask_app: Flask, county: County, office: Office, services: Services
) -> None:
    office.register(petitioners=[{"name": "李四", "phone": "13900001111"}])
    clerk = desk(flask_app, county, "clerk")
    post_form(clerk, "/cases/new", "/cases/new", {**INTAKE, "intent": "check"})
    services.catch_up()
    actions = {e.action for e in services.access.query(actor_id=county.actors["clerk"].id)}
    assert "read_case" in actions


def test_only_intake_roles_get_the_intake_form(flask_app: Flask, county: County) -> None:
    assert desk(flask_app, county, "head").get("/cases/new").status_code == 403
    assert desk(flask_app, county, "dispatcher").get("/cases/new").status_code == 200


# -- work queues, ledger, overseers' pages ---------------------------------------------------
def test_work_queues_are_sorted_by_urgency_with_days_left(
    flask_app: Flask, county: County, office: Office
) -> None:
    old = office.register(occurred_at="2026-01-05T09:00:00+08:00", subject="早登记的事项")
    new = office.register(subject="刚登记的事项")
    page = desk(flask_app, county, "dispatcher").get("/").text
    assert page.index(old["number"]) < page.index(new["number"])
    assert "超期" in page
    # Fifteen days from today, moved on to the next working day when they end on a rest day.
    (due,) = [d for d in new["deadlines"] if d["rule"] == "sort_15"]
    left = (date.fromisoformat(due["due_date"]) - date.fromisoformat(due["started_on"])).days
    assert left >= 15
    assert f"剩余 {left} 天" in page


def test_each_role_has_its_work_queue(flask_app: Flask, county: County, office: Office) -> None:
    forwarded = office.drive("forwarded", sponsor="leader")
    in_progress = office.drive("in_progress", sponsor="leader")
    pages = {who: desk(flask_app, county, who).get("/") for who in county.tokens if who != "admin"}
    assert all(p.status_code == 200 for p in pages.values())
    assert forwarded["number"] in pages["head"].text
    assert in_progress["number"] in pages["handler"].text
    assert forwarded["number"] not in pages["labour_head"].text
    assert in_progress["number"] in pages["leader"].text
    assert "超期与预警" in pages["supervisor"].text
    assert "审计树" in pages["auditor"].text


def test_the_ledger_page_filters_pages_and_exports_the_same_selection(
    flask_app: Flask, county: County, office: Office, services: Services
) -> None:
    for i in range(3):
        office.register(subject=f"事项{i}")
    forwarded = office.drive("forwarded")
    supervisor = desk(flask_app, county, "supervisor")
    page = supervisor.get("/ledger", query_string={"status": "forwarded"})
    assert page.status_code == 200
    assert forwarded["number"] in page.text
    assert "共 1 件" in page.text
    paged = supervisor.get("/ledger", query_string={"page_size": "20"})
    assert "共 4 件" in paged.text
    bad = supervisor.get("/ledger", query_string={"page_size": "0"})
    assert bad.status_code == 422
    assert "筛选条件有误" in bad.text
    before = supervisor.get("/ledger", query_string={"as_of": "2001-01-01T00:00"})
    assert before.status_code == 200
    assert "共 0 件" in before.text
    refused = desk(flask_app, county, "clerk").get(
        "/ledger", query_string={"as_of": "2001-01-01T00:00"}
    )
    assert refused.status_code == 403
    export = supervisor.get("/ledger.xlsx", query_string={"status": "forwarded"})
    assert export.status_code == 200
    sheet = load_workbook(BytesIO(export.data)).active
    assert sheet is not None
    # Two title rows, the header (序号 first), then the rows (docs/documents.md, 台账).
    assert [c.value for c in sheet[3][:2]] == ["序号", "案件编号"]
    numbers = [row[1].value for row in sheet.iter_rows(min_row=4)]
    assert numbers == [forwarded["number"]]
    services.catch_up()
    actions = {e.action for e in services.access.query(actor_id=county.actors["supervisor"].id)}
    assert "export" in actions


PERMISSIONS = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
ROLE_KEYS = {"unit_head": "head"}
"""The test county's user of each role (by its role's name, except the unit head)."""


def page_rows() -> list[tuple[str, dict[str, bool]]]:
    """The pages table of docs/permissions.md: each page and whether each role opens it."""
    lines = PERMISSIONS.read_text(encoding="utf-8").splitlines()
    header = next(line for line in lines if line.startswith("| page |"))
    roles = [c.strip() for c in header.strip("|").split("|")][1:]
    rows = []
    for line in lines:
        match = re.match(r"\| page `([^`]+)` \|(.*)\|$", line)
        if match:
            cells = [c.strip() for c in match.group(2).split("|")]
            assert set(cells) <= {"✓", "—"}, line
            rows.append((match.group(1), {r: c == "✓" for r, c in zip(roles, cells, strict=True)}))
    return rows


def test_the_pages_table_lists_every_page_of_the_site(flask_app: Flask) -> None:
    documented = {path for path, _ in page_rows() if "{" not in path}
    own = {
        rule.rule
        for rule in flask_app.url_map.iter_rules()
        if rule.endpoint.startswith("pages.")
        and "GET" in (rule.methods or set())
        and "<" not in rule.rule
        and rule.endpoint not in {"pages.login", "pages.ledger_export", "pages.risks_export"}
    }
    assert documented == own


@pytest.mark.parametrize(("path", "allowed"), page_rows())
def test_every_page_opens_for_the_roles_of_the_table(
    flask_app: Flask, county: County, path: str, allowed: dict[str, bool]
) -> None:
    refused = {403}
    if "{id}" in path:  # a page of one case: a case of the housing bureau, sponsored by leader
        office = Office(flask_app.test_client(), county)
        case = office.drive("accepted")
        ok(office.send("head", case["id"], "documents", {"kind": "acceptance_notice"}))
        path = path.format(id=case["id"], kind="acceptance_notice")
        refused = {403, 404}  # a role that may see no case (the admin) is told of none
    for role, opens in allowed.items():
        response = desk(flask_app, county, ROLE_KEYS.get(role, role)).get(path)
        assert response.status_code in ({200} if opens else refused), (role, path)
        assert b"Traceback" not in response.data


def test_the_auditor_verifies_the_log_from_the_page(
    flask_app: Flask, county: County, office: Office
) -> None:
    office.register()
    auditor = desk(flask_app, county, "auditor")
    response = post_form(auditor, "/audit", "/audit/verify", {})
    assert response.status_code == 200
    assert "校验通过" in response.text


# -- no other host --------------------------------------------------------------------------------
class Links(HTMLParser):
    """Every URL a page refers to (src, href, action)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href", "action", "formaction"} and value:
                self.urls.append(value)


def test_no_page_or_asset_refers_to_another_host(
    flask_app: Flask, county: County, office: Office
) -> None:
    view = office.drive("in_progress", sponsor="leader")
    seen: set[str] = set()
    for who in ("clerk", "dispatcher", "head", "handler", "leader", "supervisor", "auditor"):
        browser = desk(flask_app, county, who)
        for path in (
            "/",
            "/ledger",
            "/cases/new",
            case_url(view),
            "/overdue",
            "/scorecards",
            "/agenda",
            "/bulletin",
            "/audit",
            "/risks",
            "/risks/new",
            "/risks/report",
            "/meetings",
            "/tasks",
            "/campaigns",
            "/inspections",
            "/accountability",
        ):
            response = browser.get(path)
            parser = Links()
            parser.feed(response.text)
            for url in parser.urls:
                assert not re.match(r"^([a-z]+:)?//", url, re.IGNORECASE), (path, url)
                assert (
                    not url.lower().startswith("javascript:") or url == "javascript:window.print()"
                )
                if url.startswith("/assets/"):
                    seen.add(url.split("?")[0])
    assert seen >= {"/assets/app.css", "/assets/app.js"}
    anonymous = flask_app.test_client()
    for asset in seen:
        response = anonymous.get(asset)
        body = response.get_data(as_text=True)
        response.close()
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", body, re.IGNORECASE), asset


def test_a_page_for_an_unknown_status_never_shows_a_stack_trace(
    flask_app: Flask, county: County
) -> None:
    browser = desk(flask_app, county, "auditor")
    for path in (
        "/cases/00000000-0000-0000-0000-000000000000",
        "/bulletin?month=13-2026",
        "/scorecards?month=x",
    ):
        response = browser.get(path)
        assert response.status_code in {404, 422}, path
        assert b"Traceback" not in response.data
        assert "<h1>" in response.text
    assert Status.REGISTERED  # the enum the pages label


def test_merging_names_the_other_case_by_its_number(
    flask_app: Flask, county: County, office: Office
) -> None:
    merged = office.register(subject="拖欠工资")
    carrying = office.register(subject="拖欠工资（重复）")
    dispatcher = desk(flask_app, county, "dispatcher")
    action = f"{case_url(merged)}/actions/merge"
    unknown = post_form(dispatcher, case_url(merged), action, {"into_case_id": "XF-1999-999999"})
    assert unknown.status_code == 422
    assert "没有此编号的事项" in field_block(unknown.text, "merge-into_case_id")
    response = post_form(dispatcher, case_url(merged), action, {"into_case_id": carrying["number"]})
    assert response.status_code == 302
    assert office.get(merged["id"]).get_json()["merged_into"] == carrying["id"]


def test_the_supervisor_publishes_a_bulletin_from_its_page(
    flask_app: Flask, county: County
) -> None:
    supervisor = desk(flask_app, county, "supervisor")
    page = supervisor.get("/bulletin")
    assert page.status_code == 200
    month = re.search(r"(\d{4}-\d{2}) 月通报", page.text)
    assert month is not None
    assert "草稿" in page.text
    response = post_form(supervisor, "/bulletin", f"/bulletin/{month[1]}/publish", {})
    assert response.status_code == 302
    assert "已发布" in supervisor.get("/bulletin", query_string={"month": month[1]}).text
    printable = supervisor.get(f"/bulletin/{month[1]}.html")
    assert printable.status_code == 200
    auditor = desk(flask_app, county, "auditor")
    refused = post_form(auditor, "/bulletin", f"/bulletin/{month[1]}/publish", {})
    assert refused.status_code == 403


def test_a_defect_is_a_plain_page_and_a_logged_trace(
    flask_app: Flask,
    county: County,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    browser = desk(flask_app, county, "clerk")

    def broken(*_: Any) -> Any:
        raise RuntimeError("a defect")

    monkeypatch.setattr(queues, "queue", broken)
    response = browser.get("/")
    assert response.status_code == 500
    assert "<h1>系统错误</h1>" in response.text
    assert "RuntimeError" not in response.text
    assert "a defect" in caplog.text


def test_refusals_of_the_domain_read_in_chinese(
    flask_app: Flask, county: County, office: Office
) -> None:
    view = office.drive("in_progress")
    handler = desk(flask_app, county, "handler")
    too_early = post_form(
        handler,
        case_url(view),
        f"{case_url(view)}/actions/record_visit",
        {"kind": "home_visit", "held_at": "2001-01-01T09:00"},
    )
    assert too_early.status_code == 422
    assert "不能早于登记时间" in field_block(too_early.text, "record_visit-held_at")
    future = post_form(
        handler,
        case_url(view),
        f"{case_url(view)}/actions/record_visit",
        {"kind": "home_visit", "held_at": "2099-01-01T09:00"},
    )
    assert "不能晚于现在" in field_block(future.text, "record_visit-held_at")
    # A form sent after the case moved on: its status no longer allows the command.
    html = handler.get(case_url(view)).text
    office.send(
        "handler",
        view["id"],
        "respond",
        {
            "outcome": "explained",
            "text": "已答复",
            "delivered_at": office.get(view["id"]).get_json()["updated_at"],
        },
    )
    late = handler.post(f"{case_url(view)}/actions/start_work", data={"csrf_token": csrf_of(html)})
    assert late.status_code == 409
    assert "不能办理“开始办理”" in late.text


def test_a_form_sent_twice_applies_once(
    flask_app: Flask, county: County, office: Office, services: Services
) -> None:
    clerk = desk(flask_app, county, "clerk")
    html = clerk.get("/cases/new").text
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', html)
    assert key is not None
    data = {**INTAKE, "idempotency_key": key[1], "csrf_token": csrf_of(html)}
    first = clerk.post("/cases/new", data=data)
    again = clerk.post("/cases/new", data=data)
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    ledger = office.client.get(f"{API}/ledger", headers=county.headers("auditor")).get_json()
    assert ledger["total"] == 1
    # The same key with something else in the form is refused, in words.
    changed = clerk.post("/cases/new", data={**data, "subject": "另一件事"})
    assert changed.status_code == 422
    assert "此表单已提交过" in changed.text
    # A command form too: the second click is answered with the first result.
    view = office.register(subject="噪音扰民", petitioners=[{"name": "钱七"}])
    dispatcher = desk(flask_app, county, "dispatcher")
    page = dispatcher.get(case_url(view)).text
    form_key = re.search(
        r'id="form-forward".*?name="idempotency_key" value="([0-9a-f]{32})"', page, re.S
    )
    assert form_key is not None
    sent = {
        "unit_id": str(county.units["housing"]),
        "version": str(view["version"]),
        "idempotency_key": form_key[1],
        "csrf_token": csrf_of(page),
    }
    assert dispatcher.post(f"{case_url(view)}/actions/forward", data=sent).status_code == 302
    assert dispatcher.post(f"{case_url(view)}/actions/forward", data=sent).status_code == 302
    events = office.history(view["id"])
    assert [e["type"] for e in events].count("Forwarded") == 1
