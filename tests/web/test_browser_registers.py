"""The registers walked through the pages in a real browser (Chromium), as issue 14 point 5 asks.

A clerk enters a risk from the entry form (listed 不完整), a dispatcher names its three duties,
records the weekly meeting and a decision on the meeting page; the task appears in the handler's
queue at `/`, and the handler reports on it from the task page. The supervisor launches a
campaign on the risk and, by rule, the open 积案 from its form, adds the grievance to it, records
the month's inspection of a
unit from its checklist form, a finding and a 问责 record; the accused unit's head gets 404 on the
risk. Every page visited
passes the basic accessibility checks and loads nothing from another host; the register pages are
saved to docs/ui/ at 1366x768.
"""

from __future__ import annotations

from typing import Any

from tests.api.helpers import county_day
from tests.conftest import County
from tests.web.browser import CHROMIUM, require_browser
from tests.web.test_browser_walkthrough import Desk, site

__all__ = ["site"]


def api_post(desk: Desk, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """A record set up through the API with a bearer token (as another tool would)."""
    response = desk.context.request.post(
        f"{desk.base}/api/v1{path}", data=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status in {200, 201}, response.text()
    answer: dict[str, Any] = response.json()
    return answer


def test_the_registers_through_the_pages(site: tuple[str, County]) -> None:
    sync_api = require_browser()
    base, county = site
    requests: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--lang=zh-CN"])
        try:
            walk(browser, base, county, requests)
        finally:
            browser.close()
    foreign = [url for url in requests if not url.startswith(base + "/")]
    assert foreign == [], f"requests to other hosts: {foreign}"


def walk(browser: Any, base: str, county: County, requests: list[str]) -> None:
    tokens = county.tokens

    # A clerk enters a risk; it is listed 不完整 until its three duties are named.
    clerk = Desk(browser, base, tokens["clerk"], requests)
    clerk.open("/risks/new")
    clerk.checked()
    page = clerk.page
    page.select_option("#RegisterRisk-kind", label="矛盾纠纷")
    page.select_option("#RegisterRisk-source", index=1)
    page.select_option("#RegisterRisk-level", label="较大")
    page.fill("#RegisterRisk-subject", "承包地边界纠纷")
    page.fill("#RegisterRisk-description", "刘大海与邻户因承包地边界多次争吵，扬言上访。")
    page.select_option("#RegisterRisk-township_id", label="城关镇")
    page.fill("#RegisterRisk-village", "幸福村")
    page.fill("#petitioners-0-name", "刘大海")
    page.fill("#petitioners-0-phone", "13700001111")
    page.get_by_label("县人社局", exact=True).check()  # the unit the matter concerns
    page.locator("#form-RegisterRisk button[type=submit]").click()
    page.wait_for_load_state()
    assert "/risks/" in page.url, page.locator("main").inner_text()[:800]
    risk_path = page.url.removeprefix(base)
    heading = page.locator("h1").inner_text()
    assert "不完整" in heading
    number = heading.split(" ")[0]
    clerk.open("/risks")
    listed = page.locator("main").inner_text()
    assert number in listed
    assert "不完整" in listed

    # The dispatcher names the 包案领导, 责任单位 and 具体负责人.
    dispatcher = Desk(browser, base, tokens["dispatcher"], requests)
    dispatcher.open(risk_path)
    dispatcher.act(
        "AssignRisk", leader_id="陈县长", unit_id="县住建局", handler_id="钱办事（承办人）"
    )
    assert "不完整" not in dispatcher.page.locator("h1").inner_text()
    dispatcher.checked()
    dispatcher.shot("risk")
    lacking = api_post(
        dispatcher,
        tokens["dispatcher"],
        "/risks",
        {
            "kind": "group_grievance",
            "source": "hotline_12345",
            "level": "grave",
            "subject": "某小区逾期交房，业主酝酿集体上访",
            "description": "开发商资金链断裂，三百余户业主逾期未交房。",
            "township_id": str(county.units["township"]),
            "people": [{"name": "业主代表王某"}],
            "headcount": 320,
        },
    )
    dispatcher.open("/risks")
    assert "不完整" in dispatcher.page.locator(f"tr:has-text('{lacking['number']}')").inner_text()
    dispatcher.checked()
    dispatcher.shot("risks")
    dispatcher.open("/risks/report")
    dispatcher.checked()
    dispatcher.shot("risk-report")

    # The weekly meeting, and a decision whose task goes to the handler.
    dispatcher.open("/meetings")
    dispatcher.act(
        "ConveneMeeting",
        {"held_on": county_day(-3), "title": "县信访工作联席会议第48次调度会", "place": "县委"},
        chair_id="陈县长",
    )
    assert "会议议题" in dispatcher.page.locator("main").inner_text()
    dispatcher.act(
        "RecordDecision",
        {
            "problem": "承包地边界纠纷久拖未决",
            "task": "组织双方现场勘界并调解",
            "due_date": county_day(-1),
        },
        leader_id="陈县长",
        unit_id="县住建局",
        handler_id="钱办事（承办人）",
    )
    main = dispatcher.page.locator("main").inner_text()
    assert "组织双方现场勘界并调解" in main
    assert "责任清单" in main
    dispatcher.checked()
    dispatcher.shot("meeting", at="h2:has-text('问题清单')")
    # Printed, the meeting keeps its three lists and leaves out navigation and forms.
    dispatcher.page.emulate_media(media="print")
    assert not dispatcher.page.locator("header.top").is_visible()
    assert not dispatcher.page.locator("#form-RecordDecision").is_visible()
    assert dispatcher.page.locator("h2:has-text('责任清单')").is_visible()
    dispatcher.page.emulate_media(media="screen")
    dispatcher.page.click("text=会议纪要（打印）")
    dispatcher.page.wait_for_load_state()
    assert "任务清单" in dispatcher.page.content()
    dispatcher.open("/meetings")
    dispatcher.checked()
    dispatcher.shot("meetings")

    handler = Desk(browser, base, tokens["handler"], requests)
    queue = handler.page.locator("main").inner_text()
    assert "我的任务（1）" in queue
    assert "组织双方现场勘界并调解" in queue
    assert "超期 1 天" in queue
    handler.checked()
    handler.shot("handler-tasks", at="#tasks-title")
    handler.page.click("text=组织双方现场勘界并调解")
    handler.page.wait_for_load_state()
    handler.act("ReportTask", {"text": "已组织现场勘界，双方签字确认"}, completed="是")
    assert "已组织现场勘界" in handler.page.locator("main").inner_text()
    handler.checked()
    handler.shot("task")

    # The supervisor's campaign, inspection and 问责 pages.
    supervisor = Desk(browser, base, tokens["supervisor"], requests)
    supervisor.open("/campaigns")
    launch = supervisor.page.locator("#form-LaunchCampaign")
    launch.get_by_label(f"{number} 承包地边界纠纷", exact=False).check()  # the risk as a target
    launch.get_by_label("积案", exact=True).check()  # and, by rule, every open 积案
    supervisor.act(
        "LaunchCampaign",
        {"name": "积案化解百日攻坚", "starts_on": county_day(-10), "ends_on": county_day(89)},
        kind="百日攻坚",
    )
    assert "/campaigns/" in supervisor.page.url
    campaign_path = supervisor.page.url.removeprefix(base)
    assert number in supervisor.page.locator("main").inner_text()
    # While it runs, the grievance entered through the API joins it from the 追加目标 form.
    adding = supervisor.page.locator("#form-AddCampaignTargets")
    adding.get_by_label(lacking["number"], exact=False).check()
    supervisor.act("AddCampaignTargets")
    targets = supervisor.page.locator("dd", has_text=lacking["number"]).inner_text()
    assert "卫督查追加" in targets
    offered = supervisor.page.locator("#form-AddCampaignTargets").inner_text()
    assert lacking["number"] not in offered  # a target already is not offered again
    assert number not in offered
    supervisor.checked()
    supervisor.shot("campaign-targets", at="#form-AddCampaignTargets")
    supervisor.open(f"{campaign_path}?week=2")
    assert "第 2 周调度" in supervisor.page.locator("main").inner_text()
    supervisor.checked()
    supervisor.shot("campaign")
    supervisor.open("/campaigns")
    supervisor.checked()
    supervisor.shot("campaigns", at="#form-LaunchCampaign")

    supervisor.open("/inspections")
    page = supervisor.page
    page.fill("#OpenInspection-month", county_day()[:7])
    page.select_option("#checklist-tasks_on_time-passed", label="未落实")
    page.fill("#checklist-tasks_on_time-note", "1项任务超期未销号")
    page.select_option("#checklist-meeting_held-passed", label="已落实")
    supervisor.checked()
    supervisor.shot("inspection-form", at="#form-OpenInspection")
    supervisor.act("OpenInspection", {"held_on": county_day()}, unit_id="县住建局")
    assert "/inspections/" in page.url
    shown = page.locator("main").inner_text()
    assert "1项任务超期未销号" in shown
    assert "县住建局" in shown
    finding = supervisor.page.locator("#form-RecordFinding")
    finding.get_by_label("任务 组织双方现场勘界并调解", exact=False).check()
    supervisor.act("RecordFinding", {"text": "联席会议交办任务超期未销号"})
    assert "任务：组织双方现场勘界并调解" in supervisor.page.locator("main").inner_text()
    supervisor.act("MarkInspectionTypical", {"text": "某局交办任务超期未办"})
    assert "典型案例" in supervisor.page.locator("main").inner_text()
    supervisor.checked()
    supervisor.shot("inspection")
    supervisor.open("/accountability")
    record = supervisor.page.locator("#form-RecordAccountability")
    record.get_by_label("任务 组织双方现场勘界并调解", exact=False).check()
    supervisor.act(
        "RecordAccountability",
        {
            "decided_by": "县纪委监委",
            "decided_on": county_day(),
            "outcome": "责令书面检查",
            "reason": "联席会议交办任务超期未办结",
        },
        unit_id="县住建局",
        decision="批评教育",
    )
    shown = supervisor.page.locator("main").inner_text()
    assert "批评教育" in shown
    assert "任务：组织双方现场勘界并调解" in shown
    supervisor.checked()
    supervisor.shot("accountability-record")
    supervisor.open("/accountability")
    supervisor.checked()
    supervisor.shot("accountability")

    # The accused unit's head: the risk does not exist for them.
    accused = Desk(browser, base, tokens["labour_head"], requests)
    assert accused.open(risk_path).status == 404
    assert number not in accused.page.content()
    accused.open("/risks")
    assert number not in accused.page.locator("main").inner_text()
    accused.checked()
    for desk in (clerk, dispatcher, handler, supervisor, accused):
        desk.close()
