"""A whole case walked through the pages in a real browser (Chromium), one role after another.

A clerk registers it (the 同人同事 check fires: the petitioner came before), a dispatcher forwards
it, the unit head accepts it and names the handler, the handler visits and responds, the clerk
records the follow-up, the dispatcher closes it, and an auditor sees every step in the timeline.
The accused unit's head cannot reach it; a form without its CSRF token is refused and changes
nothing. Every page visited passes the basic accessibility checks and loads nothing from another
host; each role's main page is saved to docs/ui/ at 1366x768.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from api import create_app
from domain.deadlines import add_calendar_days
from domain.lifecycle.core import LOCAL_TZ
from projections.bootstrap import bootstrap
from projections.settings import throwaway_instance
from tests.api.helpers import county_today
from tests.conftest import PG_ENV, County, build_county
from tests.web.browser import A11Y_SCRIPT, CHROMIUM, SCREEN, SHOTS, require_browser, served

PETITIONER = {"name": "张建国", "id_number": "411422196805120318", "phone": "13812345678"}


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, County]]:
    """The app over a fresh SQLite instance with the test county, served on a free port."""
    with throwaway_instance("sqlite", tmp_path / "home", PG_ENV, schema_prefix="t") as settings:
        services = bootstrap(settings)
        try:
            county = build_county(services.app)
            app = create_app(services, {"TESTING": False})
            with served(app) as base:
                yield base, county
        finally:
            services.close()


class Desk:
    """One person at their desk: a browser context of their own, signed in through the form."""

    def __init__(self, browser: Any, base: str, token: str | None, requests: list[str]) -> None:
        self.base = base
        self.context = browser.new_context(viewport=SCREEN, locale="zh-CN")
        self.page = self.context.new_page()
        self.page.on("request", lambda request: requests.append(request.url))
        if token is not None:
            self.open("/")
            assert "/login" in self.page.url
            self.page.fill("#token", token)
            self.page.click("button[type=submit]")
            self.page.wait_for_load_state()
            assert "/login" not in self.page.url, self.page.content()[:500]

    def open(self, path: str) -> Any:
        """Go to a path of the site; returns the response."""
        return self.page.goto(self.base + path)

    def checked(self) -> None:
        """The page passes the basic accessibility checks."""
        problems = self.page.evaluate(A11Y_SCRIPT)
        assert problems == [], f"{self.page.url}: {problems}"

    def shot(self, name: str, at: str | None = None) -> None:
        """Save the page as docs/ui/<name>.png (the viewport: what a 1366x768 screen shows),
        scrolled to the element `at` if given."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        if at is not None:
            self.page.locator(at).evaluate("e => e.scrollIntoView({block: 'start'})")
        self.page.screenshot(path=str(SHOTS / f"{name}.png"))

    def act(self, verb: str, fill: dict[str, str] | None = None, **select: str) -> None:
        """Fill and submit the form of command `verb` on the case page, expect success."""
        form = self.page.locator(f"#form-{verb}")
        assert form.count() == 1, f"no form for {verb} on {self.page.url}"
        for name, value in (fill or {}).items():
            field = self.page.locator(f"#{verb}-{name}")
            summary = form.locator("details:not([open]) summary")
            if not field.is_visible() and summary.count():
                summary.click()  # the optional fields (补录时间、理由) are folded away
            field.fill(value)
        for name, text in select.items():
            self.page.select_option(f"#{verb}-{name}", label=text)
        form.locator("button[type=submit]").click()
        self.page.wait_for_load_state()
        flash = self.page.locator(".flash")
        assert flash.count() == 1, self.page.locator("main").inner_text()[:1500]
        said = flash.inner_text()
        assert not re.search(r"[A-Za-z]{3,}", said), f"the note after {verb} is not Chinese: {said}"

    def status(self) -> str:
        """The status shown in the case page's heading."""
        return str(self.page.locator("h1").inner_text())

    def close(self) -> None:
        """Close the browser context."""
        self.context.close()


REGISTERED_AGO = 180  # minutes between the visit at the counter and its registration


def local_now(minutes_ago: int = 0) -> str:
    """A moment for a datetime-local input: the county's time, some minutes ago."""
    moment = datetime.now(LOCAL_TZ) - timedelta(minutes=minutes_ago)
    return moment.strftime("%Y-%m-%dT%H:%M")


def register(desk: Desk, subject: str, *, accused: str | None = None) -> None:
    """Fill in the intake form (one petitioner) and press 登记."""
    page = desk.page
    desk.open("/cases/new")
    page.select_option("#register-channel", label="来访")
    page.select_option("#register-category", label="申诉求决类")
    page.fill("#register-subject", subject)
    page.fill("#register-content", "反映某工地拖欠12名农民工工资共计18万元，请求协调解决。")
    for part, value in PETITIONER.items():
        page.fill(f"#petitioners-0-{part}", value)
    page.fill("#register-location", "城关镇幸福村")
    # Entered after the visit at the counter this morning (the business time, 发生时间).
    page.fill("#register-occurred_at", local_now(REGISTERED_AGO))
    if accused:
        page.get_by_label(accused, exact=True).check()
    page.click("button[value=save]")
    page.wait_for_load_state()


def test_a_whole_case_through_the_pages(site: tuple[str, County]) -> None:
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
    """The walk itself (see the module docstring)."""
    tokens = county.tokens

    # A visitor gets the sign-in page; a wrong token is refused there.
    visitor = Desk(browser, base, None, requests)
    visitor.open("/")
    assert "/login" in visitor.page.url
    assert visitor.page.locator("h1").inner_text() == "登录"
    visitor.checked()
    visitor.shot("login")
    visitor.page.fill("#token", "not-a-token")
    visitor.page.click("button[type=submit]")
    assert "令牌无效" in visitor.page.locator(".alert").inner_text()
    visitor.close()

    # The clerk registers the petitioner's first case: nothing earlier, saved at once.
    clerk = Desk(browser, base, tokens["clerk"], requests)
    register(clerk, "拖欠农民工工资")
    assert "已登记" in clerk.page.locator(".flash").inner_text()
    first = clerk.status().split(" ")[0]

    # The same petitioner again, accusing the labour bureau: the check lists the first case.
    register(clerk, "再次反映拖欠农民工工资", accused="县人社局")
    assert "/cases/new" in clerk.page.url
    duplicates = clerk.page.locator("#dup-title + *").locator("xpath=..")
    assert first in duplicates.inner_text()
    assert "身份证号相同" in duplicates.inner_text()
    assert "事由相似" in duplicates.inner_text()
    clerk.checked()
    clerk.shot("clerk-duplicate-check")
    clerk.page.check("#confirm_new")
    clerk.page.click("button[value=save]")
    clerk.page.wait_for_load_state()
    assert "已登记" in clerk.page.locator(".flash").inner_text()
    number = clerk.status().split(" ")[0]
    assert number != first
    case_path = clerk.page.url.removeprefix(base)
    assert "已登记" in clerk.status()
    clerk.checked()
    clerk.shot("case-registered")
    clerk.open("/")
    assert number in clerk.page.locator("main").inner_text()
    clerk.checked()
    clerk.shot("clerk")

    # The dispatcher sees it waiting with the days left of the 15-day clock, and forwards it.
    dispatcher = Desk(browser, base, tokens["dispatcher"], requests)
    queue = dispatcher.page.locator("main").inner_text()
    assert number in queue
    # The clock starts on the day of the visit (three hours ago); a rest day's end rolls forward.
    visited = datetime.fromisoformat(local_now(REGISTERED_AGO)).date()
    due, _ = add_calendar_days(visited, 15)
    assert f"剩余 {(due - county_today()).days} 天" in queue
    dispatcher.checked()
    dispatcher.shot("dispatcher")
    dispatcher.open(case_path)
    assert dispatcher.page.locator("#form-forward").count() == 1
    assert dispatcher.page.locator("#form-accept").count() == 0  # a unit head's action
    dispatcher.act("forward", {"occurred_at": local_now(170)}, unit_id="县住建局")
    assert "已转送" in dispatcher.status()

    # A form without its CSRF token is refused and changes nothing.
    dispatcher.open(case_path)
    dispatcher.page.evaluate(
        "() => document.querySelector('#form-not_accept input[name=csrf_token]').remove()"
    )
    dispatcher.page.fill("#not_accept-reason", "不属于信访事项")
    dispatcher.page.locator("#form-not_accept button[type=submit]").click()
    dispatcher.page.wait_for_load_state()
    assert "表单已失效" in dispatcher.page.locator("h1").inner_text()
    dispatcher.open(case_path)
    assert "已转送" in dispatcher.status()

    # The unit head accepts it, naming the handler and the sponsoring leader.
    head = Desk(browser, base, tokens["head"], requests)
    assert number in head.page.locator("main").inner_text()
    head.checked()
    head.shot("unit-head")
    head.open(case_path)
    assert head.page.locator("#form-forward").count() == 0
    head.act(
        "accept", {"occurred_at": local_now(160)}, handler_id="钱办事（承办人）", leader_id="陈县长"
    )
    assert "已受理" in head.status()

    # The handler starts work, visits the petitioner and responds.
    handler = Desk(browser, base, tokens["handler"], requests)
    assert number in handler.page.locator("main").inner_text()
    handler.checked()
    handler.shot("handler")
    handler.open(case_path)
    handler.shot("case-actions", at="#actions-title")
    handler.act("start_work", {"occurred_at": local_now(150)})
    assert "办理中" in handler.status()
    # A visit without its time is refused beside the field, nothing recorded.
    handler.page.select_option("#record_visit-kind", label="下访")
    handler.page.locator("#form-record_visit button[type=submit]").click()
    handler.page.wait_for_load_state()
    error = handler.page.locator("#form-record_visit .field.invalid .error")
    assert "此项必填" in error.first.inner_text()
    assert "Traceback" not in handler.page.content()
    handler.checked()
    handler.act(
        "record_visit",
        {"held_at": local_now(60), "notes": "到村里当面听取诉求"},
        kind="下访",
    )
    handler.act(
        "respond",
        {"text": "经调查核实，已协调施工方于本月底前结清工资。", "delivered_at": local_now(5)},
        outcome="予以支持",
    )
    assert "已答复" in handler.status()

    # The leader sees the sponsored case, receives the petitioner and sees the record.
    leader = Desk(browser, base, tokens["leader"], requests)
    assert number in leader.page.locator("main").inner_text()
    leader.open(case_path)
    leader.act("record_visit", {"held_at": local_now(2), "notes": "县长接访"}, kind="接访")
    leader.open("/")
    assert "接谈记录" in leader.page.locator("main").inner_text()
    leader.checked()
    leader.shot("leader")

    # The clerk records the follow-up call.
    clerk.open(case_path)
    clerk.act("record_follow_up", {"note": "电话回访，信访人表示满意"}, satisfaction="满意")

    # The dispatcher closes it.
    dispatcher.open(case_path)
    dispatcher.act("close", resolution="息诉罢访")
    assert "已办结" in dispatcher.status()

    # The supervisor's desk.
    supervisor = Desk(browser, base, tokens["supervisor"], requests)
    supervisor.checked()
    supervisor.shot("supervisor")
    for path in ("/overdue", "/scorecards", "/agenda", "/bulletin", "/ledger"):
        supervisor.open(path)
        supervisor.checked()

    # The auditor sees every step in the timeline, with who, role, unit, both times.
    auditor = Desk(browser, base, tokens["auditor"], requests)
    auditor.checked()
    auditor.shot("auditor")
    auditor.open(case_path)
    timeline = auditor.page.locator("table.timeline tbody tr")
    steps = [timeline.nth(i).locator("td").nth(1).inner_text() for i in range(timeline.count())]
    for step in ("登记", "转送", "受理", "开始办理", "接谈记录", "答复", "回访", "办结"):
        assert step in steps, steps
    rows = auditor.page.locator("table.timeline").inner_text()
    for who in ("李登记", "王分办", "赵局长", "钱办事"):
        assert who in rows
    assert "县住建局" in rows
    auditor.checked()
    auditor.shot("auditor-timeline", at="#timeline-title")
    # Printed, the case keeps its facts and timeline and leaves out navigation and forms.
    auditor.page.emulate_media(media="print")
    assert not auditor.page.locator("header.top").is_visible()
    assert not auditor.page.locator("form").first.is_visible()
    assert auditor.page.locator("table.timeline").is_visible()
    auditor.page.emulate_media(media="screen")
    auditor.open("/audit")
    assert "访问记录" in auditor.page.locator("main").inner_text()
    auditor.checked()
    auditor.open("/ledger")
    ledger = auditor.page.locator("main").inner_text()
    assert number in ledger
    assert first in ledger
    auditor.checked()
    auditor.shot("ledger")

    # The accused unit's head cannot reach it, nor see it in a list.
    accused = Desk(browser, base, tokens["labour_head"], requests)
    assert number not in accused.page.locator("main").inner_text()
    response = accused.open(case_path)
    assert response.status == 404
    assert number not in accused.page.content()
    accused.open("/ledger")
    assert number not in accused.page.locator("main").inner_text()

    # Signing out ends the session: the pages ask to sign in again.
    auditor.open("/")
    auditor.page.click("header form button[type=submit]")
    auditor.page.wait_for_load_state()
    auditor.open(case_path)
    assert "/login" in auditor.page.url
    for desk in (clerk, dispatcher, head, handler, leader, supervisor, auditor, accused):
        desk.close()
