"""The registers' pages through Flask's test client, on SQLite and PostgreSQL (docs/web.md).

The 隐患排查台账 (list with the API's filters and 不完整 marked, a risk with its history and forms,
the entry form, the monthly report, the export), meetings with the three lists and the decision
form, tasks in their owners' queues and their report/close forms, campaigns, inspections and 问责
records; each page shows what the API shows each role: an accused unit's user gets 404, a masked
viewer no identity, disclosures are logged; a form without its CSRF token changes nothing.
"""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any
from uuid import UUID

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from domain import permissions
from domain.commands.risks import AssignRisk, ConvertRisk, RecordRiskStep, ResolveRisk
from domain.errors import NotFoundError, PermissionDeniedError
from domain.values import Category, Channel
from projections.bootstrap import Services
from tests.api.helpers import API, Office, ok
from tests.api.test_audit_api import access_log
from tests.api.test_campaigns_api import launch
from tests.api.test_inspections_api import held_late_case, inspect, overdue_of
from tests.api.test_meetings_api import convene, county_today, days_ago, decide, decision
from tests.api.test_risks_api import PERSON, Register
from tests.conftest import County
from tests.web.pagehelpers import csrf_of, post_form, sign_in


@pytest.fixture
def office(client: FlaskClient, county: County) -> Office:
    """The API as the county uses it (to set records up quickly)."""
    return Office(client, county)


def desk(flask_app: Flask, county: County, who: str) -> FlaskClient:
    """A browser of its own for `who`, signed in through the login form."""
    browser = flask_app.test_client()
    assert sign_in(browser, county.tokens[who]).status_code == 302
    return browser


def api_items(client: FlaskClient, county: County, path: str) -> list[dict[str, Any]]:
    """The items of an API list as the supervisor reads it (what the pages recorded)."""
    items: list[dict[str, Any]] = ok(
        client.get(f"{API}{path}", headers=county.headers("supervisor"))
    )["items"]
    return items


def text_of(html: str) -> str:
    """A page's text without its tags."""
    return re.sub(r"<[^>]+>", " ", html)


# -- 隐患排查台账 --------------------------------------------------------------------------------
def test_the_register_lists_risks_with_the_apis_filters_and_marks_the_incomplete(
    flask_app: Flask, client: FlaskClient, county: County
) -> None:
    register = Register(client, county)
    lacking = register.enter(subject="缺包案领导的纠纷")
    complete = register.complete(subject="责任落实的纠纷", level="ordinary")
    browser = desk(flask_app, county, "dispatcher")

    page = browser.get("/risks")
    assert page.status_code == 200
    assert lacking["number"] in page.text
    assert complete["number"] in page.text
    row = page.text[page.text.index(lacking["number"]) - 200 : page.text.index(lacking["number"])]
    assert 'class="incomplete"' in row
    listed = browser.get("/risks?incomplete=true").text
    assert lacking["number"] in listed
    assert complete["number"] not in listed
    assert complete["number"] in browser.get("/risks?level=ordinary").text
    assert lacking["number"] not in browser.get("/risks?level=ordinary").text
    assert complete["number"] in browser.get(f"/risks?unit_id={county.units['housing']}").text
    assert lacking["number"] in browser.get(f"/risks?township_id={county.units['township']}").text
    assert complete["number"] not in browser.get("/risks?status=resolved").text
    bad = browser.get("/risks?level=nonsense")
    assert bad.status_code == 422
    assert "筛选条件有误" in bad.text
    assert "Traceback" not in bad.text

    export = browser.get("/risks.xlsx?incomplete=true")
    assert export.status_code == 200
    sheet = load_workbook(BytesIO(export.data)).active
    assert sheet is not None
    cells = {str(c.value) for row in sheet.iter_rows() for c in row}
    assert lacking["number"] in cells
    assert complete["number"] not in cells

    report = browser.get(f"/risks/report?month={county_today():%Y-%m}")
    assert report.status_code == 200
    assert "城关镇" in report.text
    assert "较大" in report.text


def test_a_risk_is_entered_from_its_form_and_its_commands_are_offered_by_role(
    flask_app: Flask, client: FlaskClient, county: County
) -> None:
    clerk = desk(flask_app, county, "clerk")
    form = clerk.get("/risks/new")
    assert form.status_code == 200
    assert 'name="people-' not in form.text
    assert 'name="petitioners-0-name"' in form.text
    empty = post_form(clerk, "/risks/new", "/risks/new", {"kind": "dispute"})
    assert empty.status_code == 422
    assert "此项必填" in empty.text
    assert ok(client.get(f"{API}/risks", headers=county.headers("auditor")))["total"] == 0

    entered = post_form(
        clerk,
        "/risks/new",
        "/risks/new",
        {
            "kind": "dispute",
            "source": "grid",
            "level": "serious",
            "subject": "承包地边界纠纷",
            "description": "两户因承包地边界争执",
            "township_id": str(county.units["township"]),
            "village": "幸福村",
            "petitioners-0-name": PERSON["name"],
            "petitioners-0-phone": PERSON["phone"],
        },
    )
    assert entered.status_code == 302, entered.text
    risk_page = clerk.get(entered.headers["Location"])
    assert "不完整" in risk_page.text
    assert "刘大海" in risk_page.text
    assert "录入" in risk_page.text  # its history
    # A clerk converts; only the steering roles assign; a supervisor closes.
    assert "转为信访事项" in risk_page.text
    assert "落实包案责任" not in risk_page.text
    dispatcher = desk(flask_app, county, "dispatcher")
    url = entered.headers["Location"]
    shown = dispatcher.get(url).text
    assert "落实包案责任" in shown
    assert "化解销号" not in shown
    assigned = post_form(
        dispatcher,
        url,
        f"{url}/actions/assign",
        {
            "leader_id": str(county.actors["leader"].id),
            "unit_id": str(county.units["housing"]),
            "handler_id": str(county.actors["handler"].id),
        },
    )
    assert assigned.status_code == 302
    assert "不完整" not in text_of(dispatcher.get(url).text).split("基本情况")[0]
    handler = desk(flask_app, county, "handler")
    assert "记录化解措施" in handler.get(url).text
    refused = post_form(handler, url, f"{url}/actions/steps", {"text": ""})
    assert refused.status_code == 422
    assert "此项必填" in refused.text
    stepped = post_form(handler, url, f"{url}/actions/steps", {"text": "入户调解"})
    assert stepped.status_code == 302
    supervisor = desk(flask_app, county, "supervisor")
    closed = post_form(supervisor, url, f"{url}/actions/resolve", {"evidence": "调解协议书"})
    assert closed.status_code == 302
    done = supervisor.get(url).text
    assert "调解协议书" in done
    assert "入户调解" in done
    assert "化解销号" in done
    # Forbidden for a role the declaration does not name: refused, nothing recorded.
    again = post_form(handler, url, f"{url}/actions/resolve", {"evidence": "x"})
    assert again.status_code in {403, 409}


def test_a_risk_page_offers_exactly_the_commands_authorize_register_allows(
    flask_app: Flask, client: FlaskClient, county: County, services: Services
) -> None:
    register = Register(client, county)
    risk = register.complete()
    samples = {
        AssignRisk: {},
        RecordRiskStep: {"text": "x"},
        ResolveRisk: {"evidence": "x"},
        ConvertRisk: {"channel": Channel.VISIT, "category": Category.CLAIM},
    }
    for who in ("clerk", "dispatcher", "head", "handler", "labour_handler", "leader2", "leader"):
        actor = county.actors[who]
        browser = desk(flask_app, county, who)
        try:
            found = services.registers.get_risk(actor, UUID(risk["id"]))
        except NotFoundError:
            assert browser.get(f"/risks/{risk['id']}").status_code == 404, who
            continue
        expected = set()
        for declaration, args in samples.items():
            command = declaration(risk_id=found.id, **args)
            try:
                permissions.authorize_register(command, actor, found.standing(), "x")
            except PermissionDeniedError:
                continue
            expected.add(declaration.__name__)
        html = browser.get(f"/risks/{risk['id']}").text
        offered = set(re.findall(r'id="form-([A-Za-z]+)"', html))
        assert offered == expected, who
    assert offered == {"RecordRiskStep", "ResolveRisk"}  # the sponsoring leader, last seen


def test_a_risk_converted_from_its_page_links_the_case_both_ways(
    flask_app: Flask, client: FlaskClient, county: County
) -> None:
    risk = Register(client, county).enter()
    url = f"/risks/{risk['id']}"
    clerk = desk(flask_app, county, "clerk")
    missing = post_form(clerk, url, f"{url}/actions/convert", {"channel": "visit"})
    assert missing.status_code == 422
    block = missing.text[missing.text.index('id="ConvertRisk-category"') :][:1500]
    assert "此项必填" in block
    converted = post_form(
        clerk, url, f"{url}/actions/convert", {"channel": "visit", "category": "claim"}
    )
    assert converted.status_code == 302, converted.text
    page = clerk.get(url).text
    view = ok(client.get(f"{API}/risks/{risk['id']}", headers=county.headers("auditor")))
    assert view["case_number"] in page
    assert f"/cases/{view['case_id']}" in page
    assert 'id="form-ConvertRisk"' not in page
    case_page = clerk.get(f"/cases/{view['case_id']}")
    assert case_page.status_code == 200
    assert f'href="{url}"' in case_page.text  # and back to the risk


def test_a_risk_page_masks_its_people_answers_the_accused_404_and_logs_disclosures(
    flask_app: Flask, client: FlaskClient, county: County
) -> None:
    register = Register(client, county)
    risk = register.enter("village_handler", accused_unit_ids=[str(county.units["labour"])])
    register.assign(risk["id"], unit_id="housing")
    url = f"/risks/{risk['id']}"

    masked = desk(flask_app, county, "village_handler")
    page = masked.get(url)
    assert page.status_code == 200
    assert "刘**" in page.text
    assert "刘大海" not in page.text
    assert "13700001111" not in page.text
    listed = masked.get("/risks").text
    assert risk["number"] in listed
    assert "刘大海" not in listed

    for who in ("labour_head", "labour_handler"):
        accused = desk(flask_app, county, who)
        assert accused.get(url).status_code == 404
        assert risk["number"] not in accused.get("/risks").text
        refused = accused.post(f"{url}/actions/steps", data={"text": "x"})
        assert refused.status_code in {400, 404}

    shown = desk(flask_app, county, "handler").get(url)
    assert "刘大海" in shown.text
    readers = {
        (e["actor"]["name"], e["action"])
        for e in access_log(client, county)
        if e["case_id"] == risk["id"]
    }
    assert ("钱办事", "read_risk") in readers
    assert ("冯村干", "read_risk") not in readers


def test_a_form_without_its_csrf_token_changes_nothing(
    flask_app: Flask, client: FlaskClient, county: County, office: Office
) -> None:
    risk = Register(client, county).enter()
    meeting = convene(office).get_json()
    dispatcher = desk(flask_app, county, "dispatcher")
    for path, data in (
        (f"/risks/{risk['id']}/actions/assign", {"unit_id": str(county.units["housing"])}),
        (f"/meetings/{meeting['id']}/decisions", {"problem": "p", "task": "t"}),
        ("/risks/new", {"subject": "x"}),
    ):
        response = dispatcher.post(path, data=data)
        assert response.status_code == 400, path
        assert "表单已失效" in response.text
    view = ok(client.get(f"{API}/risks/{risk['id']}", headers=county.headers("auditor")))
    assert view["unit_id"] is None
    after = ok(client.get(f"{API}/meetings/{meeting['id']}", headers=county.headers("auditor")))
    assert after["decisions"] == []


# -- meetings and tasks ---------------------------------------------------------------------------
def test_a_decision_recorded_on_the_meeting_page_goes_into_the_handlers_queue(
    flask_app: Flask, client: FlaskClient, county: County, office: Office
) -> None:
    supervisor = desk(flask_app, county, "supervisor")
    made = post_form(
        supervisor,
        "/meetings",
        "/meetings",
        {
            "held_on": days_ago(5),
            "title": "第48次调度会",
            "chair_id": str(county.actors["leader"].id),
            "attendee_ids": [str(county.actors["head"].id)],
        },
    )
    assert made.status_code == 302, made.text
    url = made.headers["Location"]
    page = supervisor.get(url).text
    assert "问题清单" in page
    assert "任务清单" in page
    assert "责任清单" in page
    assert "会议纪要" in page
    assert "记录会议决定" in page
    wrong = post_form(
        supervisor,
        url,
        f"{url}/decisions",
        {**decision(county), "due_date": "not a date", "task": "督促结清工资"},
    )
    assert wrong.status_code == 422
    block = wrong.text[wrong.text.index('id="RecordDecision-due_date"') :][:400]
    assert "请填写日期" in block
    assert "督促结清工资" in wrong.text  # what was typed is kept
    recorded = post_form(
        supervisor, url, f"{url}/decisions", {**decision(county), "due_date": days_ago(2)}
    )
    assert recorded.status_code == 302, recorded.text
    assert "督促施工方一周内结清张三的工资" in supervisor.get(url).text

    handler = desk(flask_app, county, "handler")
    queue = handler.get("/").text
    assert "我的任务（1）" in queue
    assert "督促施工方一周内结清张三的工资" in queue
    assert "超期 2 天" in queue
    head_queue = desk(flask_app, county, "head").get("/").text
    assert "督促施工方一周内结清张三的工资" in head_queue
    assert "督促施工方" not in desk(flask_app, county, "labour_handler").get("/").text
    assert "督促施工方一周内结清张三的工资" in desk(flask_app, county, "leader").get("/").text
    assert "督促施工方" not in desk(flask_app, county, "leader2").get("/").text

    (task,) = ok(client.get(f"{API}/tasks", headers=county.headers("handler")))["items"]
    task_url = f"/tasks/{task['id']}"
    shown = handler.get(task_url).text
    assert "报告任务进展" in shown
    assert "任务销号" not in shown
    assert "退回报结" not in shown
    reported = post_form(
        handler, task_url, f"{task_url}/actions/report", {"text": "已结清", "completed": "true"}
    )
    assert reported.status_code == 302
    # Reported done: the meeting's office may return it (with a reason) or close it.
    assert "退回报结" in supervisor.get(task_url).text
    assert "退回报结" not in handler.get(task_url).text
    no_reason = post_form(supervisor, task_url, f"{task_url}/actions/return", {"reason": ""})
    assert no_reason.status_code == 422
    returned = post_form(
        supervisor, task_url, f"{task_url}/actions/return", {"reason": "未附签收表"}
    )
    assert returned.status_code == 302
    assert "未附签收表" in supervisor.get(task_url).text
    assert "我的任务（1）" in handler.get("/").text
    reported = post_form(
        handler, task_url, f"{task_url}/actions/report", {"text": "已补签收表", "completed": "true"}
    )
    assert reported.status_code == 302
    no_evidence = post_form(supervisor, task_url, f"{task_url}/actions/close", {"evidence": ""})
    assert no_evidence.status_code == 422
    assert "此项必填" in no_evidence.text
    closed = post_form(supervisor, task_url, f"{task_url}/actions/close", {"evidence": "签收表"})
    assert closed.status_code == 302
    assert "签收表" in supervisor.get(task_url).text
    assert "我的任务（0）" in handler.get("/").text
    assert desk(flask_app, county, "labour_handler").get(task_url).status_code == 404

    minutes = supervisor.get(f"{url}/minutes.html")
    assert minutes.status_code == 200
    assert "任务清单" in minutes.text
    for link, kind in ((f"{url}/minutes.pdf", "application/pdf"), (f"{url}/minutes.xlsx", "")):
        assert f'href="{link}"' in minutes.text
        download = supervisor.get(link)
        assert download.status_code == 200, link
        assert download.mimetype == kind or link.endswith(".xlsx")
        assert (
            "filename*=UTF-8''%E4%BC%9A%E8%AE%AE%E7%BA%AA%E8%A6%81-"
            in (download.headers["Content-Disposition"])
        )  # 会议纪要-<date>
    handler_desk = desk(flask_app, county, "handler")
    assert handler_desk.get(url).status_code == 403
    assert handler_desk.get(f"{url}/minutes.pdf").status_code == 403


def test_a_decision_names_its_case_by_number_among_the_cases_the_user_may_see(
    flask_app: Flask, county: County, office: Office
) -> None:
    case = office.register()
    meeting = convene(office, held_on=days_ago(1)).get_json()
    url = f"/meetings/{meeting['id']}"
    supervisor = desk(flask_app, county, "supervisor")
    unknown = post_form(
        supervisor, url, f"{url}/decisions", {**decision(county), "case_id": "XF-1999-999999"}
    )
    assert unknown.status_code == 422
    block = unknown.text[unknown.text.index('id="RecordDecision-case_id"') :][:600]
    assert "没有此编号的事项" in block
    named = post_form(
        supervisor, url, f"{url}/decisions", {**decision(county), "case_id": case["number"]}
    )
    assert named.status_code == 302, named.text
    page = supervisor.get(url).text
    assert f"/cases/{case['id']}" in page

    # The meeting's 办理经过: who recorded what and when, without what the reader may not see.
    accusing = office.register(accused_unit_ids=[str(county.units["bureau"])])
    assert (
        decide(office, meeting["id"], decision(county, case_id=accusing["id"])).status_code == 201
    )
    trail = text_of(supervisor.get(url).text)
    trail = trail[trail.index("办理经过") :]
    assert "召开联席会议" in trail
    assert "会议决定事项（第 1 项）" in trail
    assert "会议决定事项（第 2 项）" in trail
    bureau = text_of(desk(flask_app, county, "dispatcher").get(url).text)
    bureau = bureau[bureau.index("办理经过") :]
    assert "会议决定事项（第 1 项）" in bureau
    assert "第 2 项" not in bureau


# -- campaigns, inspections, 问责 -----------------------------------------------------------------
def test_the_campaign_page_shows_a_weekly_snapshot_and_the_final_report(
    flask_app: Flask, client: FlaskClient, county: County
) -> None:
    risk = Register(client, county).complete()
    campaign = launch(client, county, risk_ids=[risk["id"]])
    browser = desk(flask_app, county, "dispatcher")
    assert campaign["name"] in browser.get("/campaigns").text
    page = browser.get(f"/campaigns/{campaign['id']}?week=2")
    assert page.status_code == 200
    assert "第 2 周调度" in page.text
    assert "总结报告" in page.text
    assert risk["number"] in page.text
    assert browser.get(f"/campaigns/{campaign['id']}?week=99").status_code == 422
    hidden = desk(flask_app, county, "labour_handler").get(f"/campaigns/{campaign['id']}")
    assert risk["number"] not in hidden.text
    Register(client, county).send("leader", risk["id"], "resolve", {"evidence": "调解协议"})
    report = browser.get(f"/campaigns/{campaign['id']}").text
    assert "累计化解 1 件，化解率 100.0%" in report  # the rate as the API gives it (a percentage)


def test_a_campaign_is_launched_from_its_form_on_cases_typed_by_number_risks_and_a_rule(
    flask_app: Flask, client: FlaskClient, county: County, office: Office
) -> None:
    first, second, flagged = (office.register() for _ in range(3))
    accusing = office.register(accused_unit_ids=[str(county.units["bureau"])])  # hidden from them
    ok(office.send("dispatcher", flagged["id"], "flags", {"flag": "backlog", "on": True}))
    risk = Register(client, county).complete()
    dispatcher = desk(flask_app, county, "dispatcher")
    listed = dispatcher.get("/campaigns")
    assert 'id="form-LaunchCampaign"' in listed.text
    assert risk["number"] in listed.text  # an open risk offered as a target
    for who in ("handler", "labour_head"):
        assert 'id="form-LaunchCampaign"' not in desk(flask_app, county, who).get("/campaigns").text

    def campaigns() -> list[dict[str, Any]]:
        return api_items(client, county, "/campaigns")

    body = {
        "name": "积案化解百日攻坚",
        "kind": "hundred_days",
        "starts_on": county_today().isoformat(),
        "ends_on": days_ago(-99),
        "case_ids": f"{first['number']}、{second['number'].lower()}",
        "risk_ids": risk["id"],
        "case_flags": "backlog",
    }
    refusals = {
        "name": ({**body, "name": ""}, "此项必填"),
        "ends_on": ({**body, "ends_on": days_ago(1)}, "结束日期不能早于开始日期"),
        "case_ids": (
            {**body, "case_ids": f"{first['number']} XF-2000-999999，{accusing['number']}"},
            f"没有此编号的事项，或您无权查看：XF-2000-999999、{accusing['number']}",
        ),
    }
    for field, (sent, message) in refusals.items():
        refused = post_form(dispatcher, "/campaigns", "/campaigns", sent)
        assert refused.status_code == 422, field
        form = refused.text[refused.text.index('id="form-LaunchCampaign"') :]
        beside = form[form.index(f'id="LaunchCampaign-{field}"') :][:600]
        assert message in beside, (field, beside)
        assert "积案化解百日攻坚" in form or field == "name"  # what was typed is kept
    assert campaigns() == []

    handler = desk(flask_app, county, "handler")
    token = csrf_of(handler.get("/").text)
    assert handler.post("/campaigns", data={**body, "csrf_token": token}).status_code == 403
    no_csrf = dispatcher.post("/campaigns", data=body)
    assert no_csrf.status_code in {400, 403}
    assert campaigns() == []

    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', listed.text)
    assert key is not None
    sent = {**body, "idempotency_key": key[1], "csrf_token": csrf_of(listed.text)}
    launched = dispatcher.post("/campaigns", data=sent)
    assert launched.status_code == 302, launched.text
    again = dispatcher.post("/campaigns", data=sent)  # a double click launches once
    assert again.status_code == 302
    assert again.headers["Location"] == launched.headers["Location"]
    (campaign,) = campaigns()
    assert launched.headers["Location"].endswith(f"/campaigns/{campaign['id']}")
    targets = {(t["kind"], t["id"]) for t in campaign["targets"]}
    assert targets == {
        ("case", first["id"]),
        ("case", second["id"]),
        ("case", flagged["id"]),
        ("risk", risk["id"]),
    }
    assert campaign["launched_by"]["role"] == "dispatcher"
    page = dispatcher.get(launched.headers["Location"]).text
    assert "积案化解百日攻坚" in page
    assert first["number"] in page

    # While it runs, more open cases are added from the campaign's page.
    url = launched.headers["Location"].removeprefix("http://localhost")
    later = office.register()
    assert 'id="form-AddCampaignTargets"' in page
    for who in ("handler", "labour_head"):
        other = desk(flask_app, county, who)
        assert 'id="form-AddCampaignTargets"' not in other.get(url).text
    outsider = desk(flask_app, county, "handler")
    token = csrf_of(outsider.get(url).text)
    refused = outsider.post(
        f"{url}/actions/targets", data={"case_ids": later["number"], "csrf_token": token}
    )
    assert refused.status_code == 403
    assert "无权为专项行动追加目标" in refused.text
    assert post_form(dispatcher, url, f"{url}/actions/nonsense", {}).status_code == 404
    already = post_form(dispatcher, url, f"{url}/actions/targets", {"case_ids": first["number"]})
    assert already.status_code == 422
    assert "均已在本专项行动中" in already.text
    (unchanged,) = campaigns()
    assert unchanged["version"] == 1
    added = post_form(dispatcher, url, f"{url}/actions/targets", {"case_ids": later["number"]})
    assert added.status_code == 302, added.text
    (grown,) = campaigns()
    assert ("case", later["id"]) in {(t["kind"], t["id"]) for t in grown["targets"]}
    shown = dispatcher.get(url).text
    assert f"{county_today().isoformat()} 王分办追加" in shown
    stale = post_form(dispatcher, url, f"{url}/actions/targets", {"case_ids": "", "version": "1"})
    assert stale.status_code == 409  # the page's version is behind: nothing added

    # A campaign that has ended offers no form; a form sent anyway is refused in words.
    ended = launch(
        client, county, case_ids=[first["id"]], starts_on=days_ago(30), ends_on=days_ago(1)
    )
    ended_url = f"/campaigns/{ended['id']}"
    assert 'id="form-AddCampaignTargets"' not in dispatcher.get(ended_url).text
    token = csrf_of(dispatcher.get("/campaigns").text)
    late = dispatcher.post(
        f"{ended_url}/actions/targets", data={"case_ids": later["number"], "csrf_token": token}
    )
    assert late.status_code == 422
    assert 'role="alert"' in late.text
    assert "专项行动已结束" in late.text


def test_an_inspection_is_recorded_from_its_checklist_form(
    flask_app: Flask, client: FlaskClient, county: County
) -> None:
    supervisor = desk(flask_app, county, "supervisor")
    listed = supervisor.get("/inspections").text
    assert 'id="form-OpenInspection"' in listed
    assert "台账及时更新" in listed  # every item of the checklist is a row
    for who in ("head", "auditor", "dispatcher"):
        shown = desk(flask_app, county, who).get("/inspections")
        assert 'id="form-OpenInspection"' not in shown.text, who

    def inspections() -> list[dict[str, Any]]:
        return api_items(client, county, "/inspections")

    body = {
        "month": f"{county_today():%Y-%m}",
        "unit_id": str(county.units["housing"]),
        "held_on": county_today().isoformat(),
        "checklist-tasks_on_time-passed": "false",
        "checklist-tasks_on_time-note": "1项任务超期未销号",
        "checklist-meeting_held-passed": "true",
    }
    nothing = {k: v for k, v in body.items() if not k.startswith("checklist")}
    empty = post_form(supervisor, "/inspections", "/inspections", nothing)
    assert empty.status_code == 422
    form = empty.text[empty.text.index('id="form-OpenInspection"') :]
    assert "此项必填" in form[form.index("督查清单") :][:800]
    note_only = {**nothing, "checklist-ledger_current-note": "台账未更新"}
    unanswered = post_form(supervisor, "/inspections", "/inspections", note_only)
    assert unanswered.status_code == 422
    row = unanswered.text[unanswered.text.index('id="checklist-ledger_current-label"') :][:900]
    assert "落实情况：此项必填" in row
    assert 'value="台账未更新"' in row  # what was typed is kept
    assert inspections() == []
    head = desk(flask_app, county, "head")
    token = csrf_of(head.get("/").text)
    assert head.post("/inspections", data={**body, "csrf_token": token}).status_code == 403
    assert inspections() == []

    recorded = post_form(supervisor, "/inspections", "/inspections", body)
    assert recorded.status_code == 302, recorded.text
    (inspection,) = inspections()
    assert recorded.headers["Location"].endswith(f"/inspections/{inspection['id']}")
    view = ok(
        client.get(f"{API}/inspections/{inspection['id']}", headers=county.headers("supervisor"))
    )
    assert [(c["item"], c["passed"], c["note"]) for c in view["checklist"]] == [
        ("meeting_held", True, ""),
        ("tasks_on_time", False, "1项任务超期未销号"),
    ]
    assert view["recorded_by"]["role"] == "supervisor"
    twice = post_form(supervisor, "/inspections", "/inspections", body)
    assert twice.status_code == 409  # a unit is inspected once a month
    assert 'role="alert"' in twice.text
    assert len(inspections()) == 1


def test_inspection_and_accountability_pages_link_the_overdue_records(
    flask_app: Flask, client: FlaskClient, county: County, office: Office
) -> None:
    case = held_late_case(office)
    deadline = overdue_of(office, case["id"])
    inspection = inspect(office).get_json()
    supervisor = desk(flask_app, county, "supervisor")
    url = f"/inspections/{inspection['id']}"
    page = supervisor.get(url).text
    value = f"deadline:{deadline['case_id']}:{deadline['slot']}:{deadline['due_date']}"
    assert value in page
    found = post_form(
        supervisor, url, f"{url}/actions/findings", {"text": "交办事项超期", "overdue": value}
    )
    assert found.status_code == 302, found.text
    ordered = post_form(
        supervisor,
        url,
        f"{url}/actions/orders",
        {
            "task": "一周内完成超期事项清理",
            "due_date": days_ago(-7),
            "leader_id": str(county.actors["leader"].id),
            "handler_id": str(county.actors["handler"].id),
        },
    )
    assert ordered.status_code == 302, ordered.text
    typical = post_form(supervisor, url, f"{url}/actions/typical", {"text": "督办件超期未办"})
    assert typical.status_code == 302
    shown = supervisor.get(url).text
    assert f"/cases/{case['id']}" in shown
    assert "一周内完成超期事项清理" in shown
    assert "典型案例：督办件超期未办" in shown
    assert desk(flask_app, county, "head").get(url).status_code == 200
    api = client.get(f"{API}/inspections/{inspection['id']}", headers=county.headers("labour_head"))
    assert desk(flask_app, county, "labour_head").get(url).status_code == api.status_code
    assert inspection["id"] in supervisor.get("/inspections").text

    no_reason = post_form(
        supervisor,
        "/accountability",
        "/accountability",
        {
            "unit_id": str(county.units["housing"]),
            "overdue": value,
            "decision": "criticism",
            "decided_by": "县纪委监委",
            "decided_on": county_today().isoformat(),
        },
    )
    assert no_reason.status_code == 422
    basis = {
        "unit_id": str(county.units["housing"]),
        "overdue": value,
        "inspection_id": inspection["id"],
        "decision": "criticism",
        "decided_by": "县纪委监委",
        "decided_on": county_today().isoformat(),
        "reason": "督办件超期未办",
    }
    # Events of cases are typed one a line, as the case page numbers them (#).
    for typed, words in (
        (f"{case['number']}#1\n{case['number']} 第 99 条", "没有第 99 条办理记录"),
        (f"{case['number']}#1\n乱写一行", "无法识别或无权查看的办理记录：乱写一行"),
        ("XF-2000-999999#1", "无法识别或无权查看的办理记录：XF-2000-999999#1"),
        (f"{case['number']}＃９９", "没有第 99 条办理记录"),  # full-width, as an IME types
        (f"{case['number']}#99999999999", "没有第 99999999999 条办理记录"),
        ("\n".join(f"{case['number']}#1" for _ in range(101)), "最多 100 项（收到 101 行）"),
        ("\n".join(f"乱{n}" for n in range(9)), "乱0、乱1、乱2、乱3、乱4 等 9 行"),
    ):
        refused = post_form(
            supervisor, "/accountability", "/accountability", {**basis, "events": typed}
        )
        assert refused.status_code == 422, typed
        field = refused.text[refused.text.index('id="RecordAccountability-events"') :]
        field = field[: field.index("</div>")]
        assert words in field, (typed, field)
        assert typed.split("\n")[0] in field  # what was typed is kept
    assert api_items(client, county, "/accountability-records") == []
    recorded = post_form(
        supervisor,
        "/accountability",
        "/accountability",
        {**basis, "events": f"{case['number']}#1\n{case['number'].lower()} 第2条"},
    )
    assert recorded.status_code == 302, recorded.text
    (made,) = api_items(client, county, "/accountability-records")
    shown_record = ok(
        client.get(
            f"{API}/accountability-records/{made['id']}", headers=county.headers("supervisor")
        )
    )
    assert [(e["case_id"], e["version"]) for e in shown_record["events"]] == [
        (case["id"], 1),
        (case["id"], 2),
    ]
    record = supervisor.get(recorded.headers["Location"]).text
    assert f"/cases/{case['id']}" in record
    assert url in record
    assert "批评教育" in record
    assert "批评教育" in desk(flask_app, county, "auditor").get("/accountability").text
    assert desk(flask_app, county, "head").get(recorded.headers["Location"]).status_code == 403


def test_register_pages_show_no_stack_trace_for_an_unknown_record(
    flask_app: Flask, county: County
) -> None:
    browser = desk(flask_app, county, "supervisor")
    zero = "00000000-0000-0000-0000-000000000000"
    for path in (
        f"/risks/{zero}",
        f"/meetings/{zero}",
        f"/tasks/{zero}",
        f"/campaigns/{zero}",
        f"/inspections/{zero}",
        f"/accountability/{zero}",
    ):
        response = browser.get(path)
        assert response.status_code == 404, path
        assert "Traceback" not in response.text
        assert "没有此事项" in response.text
    token = csrf_of(browser.get("/risks/new").text)
    response = browser.post(f"/risks/{zero}/actions/nonsense", data={"csrf_token": token})
    assert response.status_code == 404


def test_a_records_forms_refuse_an_unknown_command_and_a_user_who_may_not_see_the_record(
    flask_app: Flask, client: FlaskClient, county: County, office: Office
) -> None:
    """A risk's, a task's and an inspection's forms: an unknown command is 404; a real one
    sent by a user who may not see the record is refused as its page is (404 for the accused
    unit, another unit's handler and another unit's head), and records nothing."""
    risk = Register(client, county).enter(accused_unit_ids=[str(county.units["labour"])])
    meeting = convene(office).get_json()
    assert decide(office, meeting["id"], decision(county)).status_code == 201
    (task,) = ok(client.get(f"{API}/tasks", headers=county.headers("handler")))["items"]
    inspection = inspect(office).get_json()
    forms = {
        ("risks", risk["id"]): ("steps", {"text": "入户调解"}, "labour_head", 404),
        ("tasks", task["id"]): (
            "report",
            {"text": "已结清", "completed": "true"},
            "labour_handler",
            404,
        ),
        ("inspections", inspection["id"]): ("typical", {"text": "超期未办"}, "labour_head", 404),
    }
    supervisor = desk(flask_app, county, "supervisor")
    for (kind, record_id), (verb, data, outsider, status) in forms.items():
        url = f"/{kind}/{record_id}"
        api = f"{API}/{kind}/{record_id}"
        before = ok(client.get(api, headers=county.headers("supervisor")))
        unknown = post_form(supervisor, url, f"{url}/actions/no_such", data)
        assert unknown.status_code == 404, url
        assert "没有此事项" in unknown.text  # the pages' one 404 (it tells nobody what exists)
        hidden = desk(flask_app, county, outsider)
        assert hidden.get(url).status_code == status, (url, outsider)
        token = csrf_of(hidden.get("/").text)
        refused = hidden.post(f"{url}/actions/{verb}", data={**data, "csrf_token": token})
        assert refused.status_code == status, (url, outsider)
        assert ok(client.get(api, headers=county.headers("supervisor"))) == before, url
