"""Issue 9, findings 5 and 12, reproduced over HTTP: publishing a month still in progress, and a
bulletin that printed codes, "unknown", 0.3333 and the worst units under 红榜."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from typing import Any
from uuid import UUID

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

from api import create_app
from domain.application import Xinfang
from domain.directory import SYSTEM_ACTOR
from domain.values import Channel, Decision, NoticeKind, Outcome, Role, VisitKind
from projections.bootstrap import bootstrap
from projections.settings import Settings
from tests.conftest import County, build_county
from tests.integration.helpers_read import API, Desk, fetch, local, read

LATIN = re.compile(r"[A-Za-z]")


# -- finding 5: a month still in progress can be published, then blocks the real bulletin --------
@pytest.fixture
def clocked(settings: Settings) -> Iterator[tuple[FlaskClient, County, list[datetime], Xinfang]]:
    """The API over an instance whose clock the test moves: now 2 December 2026, 04:30 local."""
    now = [datetime(2026, 12, 1, 20, 30, tzinfo=UTC)]
    built = bootstrap(settings, clock=lambda: now[0])
    try:
        county = build_county(built.app)
        yield create_app(built, {"TESTING": True}).test_client(), county, now, built.app
    finally:
        built.close()


def publish(client: FlaskClient, county: County, month: str) -> Any:
    """POST the publication of `month` as the supervisor."""
    return client.post(
        f"{API}/reports/monthly/{month}/publish", headers=county.headers("supervisor")
    )


def test_a_month_is_published_only_after_it_has_ended_and_an_early_try_blocks_nothing(
    clocked: tuple[FlaskClient, County, list[datetime], Xinfang],
) -> None:
    client, county, now, app = clocked
    Desk(app, county).register(local(date(2026, 11, 20)))
    Desk(app, county).register(local(date(2026, 12, 1)))

    current = publish(client, county, "2026-12")
    future = publish(client, county, "2027-01")
    draft = read(client, county, "supervisor", "/reports/monthly/2026-12")
    november = publish(client, county, "2026-11")
    now[0] = datetime(2026, 12, 31, 15, 59, tzinfo=UTC)  # 23:59 on the last day, in the county
    last_minute = publish(client, county, "2026-12")
    now[0] = datetime(2026, 12, 31, 16, 0, 30, tzinfo=UTC)  # 00:00:30 on 1 January 2027
    december = publish(client, county, "2026-12")

    assert (current.status_code, future.status_code, last_minute.status_code) == (422, 422, 422)
    refusal = current.get_json()
    assert list(refusal["errors"]) == ["month"]
    assert "2026-12 尚未结束" in refusal["message"]
    assert "2027-01-01 起可发布" in refusal["message"]
    assert "2027-01 尚未结束" in future.get_json()["message"]
    assert "今天是 2026-12-31" in last_minute.get_json()["message"]
    # The error is Chinese on the wire, as UTF-8, not \u escapes.
    assert "尚未结束".encode() in current.data
    assert b"\\u" not in current.data
    assert (draft["published"], draft["figures"]["as_of"], draft["figures"]["received"]) == (
        False,
        "2026-12-02",
        1,
    )
    assert november.status_code == 201
    assert november.get_json()["figures"]["as_of"] == "2026-12-01"
    # The early attempts stored nothing: the real bulletin is published once the month is over.
    assert december.status_code == 201
    published = december.get_json()
    assert (published["published"], published["figures"]["as_of"]) == (True, "2027-01-01")
    assert published["figures"]["received"] == 1


# -- finding 12: labels, percentages, 红榜 and 黑榜, leader receptions, the bureau by name ------
MONTH = "2026-09"
BULLETIN = f"/reports/monthly/{MONTH}"
UNITS = {"water": "县水利局", "education": "县教育局"}


def add_unit_with_head(app: Xinfang, county: County, key: str, name: str) -> None:
    """One more unit of the county, with its head and a handler."""
    unit = app.add_unit(SYSTEM_ACTOR, name=name)
    county.units[key] = unit.id
    for suffix, role, person in (
        ("_head", Role.UNIT_HEAD, "局长"),
        ("_handler", Role.HANDLER, "干事"),
    ):
        user, token = app.add_user(
            SYSTEM_ACTOR, name=name[1:3] + person, role=role, unit_id=unit.id
        )
        county.actors[key + suffix] = user.as_actor
        county.tokens[key + suffix] = token


def due_in_september(
    desk: Desk, unit: str, people: tuple[str, str], *, cases: int, kept: int
) -> list[UUID]:
    """Cases accepted on 3–7 July, so that their 60 days fall due on 1–7 September; the first
    `kept` are answered in August (on time), the others never."""
    head, handler = people
    ids = []
    for i in range(cases):
        day = date(2026, 7, 3 + i % 5)
        case = desk.register(local(day, 9))
        desk.run(case, "dispatcher", "forward", local(day, 10), unit_id=desk.unit(unit))
        desk.run(case, head, "accept", local(day, 11), handler_id=desk.person(handler))
        desk.run(
            case,
            "clerk",
            "notify_petitioner",
            local(day, 12),
            kind=NoticeKind.ACCEPTANCE,
            method="短信",
            delivered_at=local(day, 12),
        )
        if i < kept:
            desk.run(case, handler, "start_work", local(date(2026, 8, 1)))
            answered = local(date(2026, 8, 20))
            desk.run(
                case,
                handler,
                "respond",
                answered,
                outcome=Outcome.SUPPORTED,
                text="已答复。",
                delivered_at=answered,
            )
        ids.append(case)
    return ids


def received_late_in_september(
    desk: Desk, unit: str, count: int, channel: Channel = Channel.LETTER
) -> list[UUID]:
    """Cases forwarded on 17–26 September: received in the month, their notices due in October."""
    ids = []
    for i in range(count):
        day = date(2026, 9, 17 + i % 10)
        case = desk.register(local(day, 9), channel=channel)
        desk.run(case, "dispatcher", "forward", local(day, 10), unit_id=desk.unit(unit))
        ids.append(case)
    return ids


@pytest.fixture
def september(xinfang: Xinfang, county: County) -> County:
    """Five units' September: two answer every case on time, two miss most, one is too small
    (the sample is the deadlines due in the month: ten each, three for the small one)."""
    for key, name in UNITS.items():
        add_unit_with_head(xinfang, county, key, name)
    desk = Desk(xinfang, county)
    people = {
        "housing": ("head", "handler"),
        "labour": ("labour_head", "labour_handler"),
        "township": ("township_head", "township_head"),
        "water": ("water_head", "water_handler"),
        "education": ("education_head", "education_handler"),
    }
    with xinfang.batch():
        answered = due_in_september(desk, "housing", people["housing"], cases=10, kept=10)
        due_in_september(desk, "labour", people["labour"], cases=10, kept=10)
        due_in_september(desk, "township", people["township"], cases=10, kept=4)
        due_in_september(desk, "water", people["water"], cases=10, kept=2)
        due_in_september(desk, "education", people["education"], cases=3, kept=0)
        received_late_in_september(desk, "housing", 12)
        for unit in ("labour", "township", "water"):
            received_late_in_september(desk, unit, 10)
        received_late_in_september(desk, "education", 2)
        # Leader receptions: one case came in through the 领导接访 channel with no visit record,
        # the unit recorded the county head's reception of a letter writer and of a 领导接访 case
        # (counted once).
        (plain,) = received_late_in_september(desk, "housing", 1, Channel.LEADER_RECEPTION)
        letter, met = received_late_in_september(desk, "housing", 1) + received_late_in_september(
            desk, "housing", 1, Channel.LEADER_RECEPTION
        )
        for case in (letter, met):
            desk.run(
                case,
                "head",
                "record_visit",
                local(date(2026, 9, 25), 15),
                kind=VisitKind.RECEPTION,
                leader_id=desk.person("leader"),
                held_at=local(date(2026, 9, 25), 15),
                notes="县长接访",
            )
        # Reviews decided in September: one changed, one revoked.
        for case, decision in zip(answered, (Decision.CHANGED, Decision.REVOKED), strict=False):
            desk.run(case, "clerk", "request_review", local(date(2026, 8, 25)))
            decided = local(date(2026, 9, 10))
            desk.run(
                case,
                "supervisor",
                "decide_review",
                decided,
                decision=decision,
                text="复查意见",
                delivered_at=decided,
            )
    # Never sorted: the bureau's own sorting deadline falls due on 16 September and is missed.
    desk.register(local(date(2026, 9, 1)))
    assert plain
    return county


def people_texts(figures: dict[str, Any]) -> list[str]:
    """Every text of the figures meant for people (names, labels, samples, reasons)."""
    found: list[str] = []

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and key in {"label", "unit", "sample", "reasons"}:
            found.append(value)

    walk(figures)
    return found


class _Text(HTMLParser):
    """The text a reader sees on a page (no tags, attributes or style sheet)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._style = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._style = False

    def handle_data(self, data: str) -> None:
        if not self._style:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The page's visible text."""
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def test_the_bulletin_commends_the_best_criticises_the_worst_and_lists_small_units_apart(
    client: FlaskClient, september: County
) -> None:
    figures = read(client, september, "supervisor", BULLETIN)["figures"]

    assert [
        (r["unit"], r["rank"], r["on_time_completion_percent"]) for r in figures["red_list"]
    ] == [
        ("县住建局", 1, 100.0),
        ("县人社局", 2, 100.0),
    ]
    assert [
        (r["unit"], r["on_time_completion_percent"], r["reasons"]) for r in figures["black_list"]
    ] == [
        # Each left one case due on 1 September unanswered: 30 days late on 1 October.
        ("县水利局", 20.0, ["按期办结率 20.0%（2/10），低于 60%", "严重超期 1 件"]),
        ("城关镇", 40.0, ["按期办结率 40.0%（4/10），低于 60%", "严重超期 1 件"]),
    ]
    unranked = {r["unit"]: r for r in figures["unranked"]}
    assert unranked["县教育局"]["rank"] is None
    assert unranked["县教育局"]["on_time_completion_percent"] == 0.0
    assert all(r["rank"] is None for r in figures["unranked"])
    listed = {r["unit"] for r in figures["red_list"] + figures["black_list"]}
    assert not listed & set(unranked)
    rates = {r["unit"]: r for r in figures["on_time_rates"]}
    assert rates["县教育局"]["sample"] == "样本不足（本月到期事项少于 10 件），不参与排名"
    assert rates["县住建局"]["sample"] == "参与排名"
    assert (rates["城关镇"]["handling_on_time"], rates["城关镇"]["handling_due"]) == (4, 10)
    assert [r["rank"] for r in figures["on_time_rates"] if r["rank"] is not None] == [1, 2, 3, 4]


def test_leader_receptions_count_the_visits_and_the_leader_reception_channel_once_each(
    client: FlaskClient, september: County
) -> None:
    figures = read(client, september, "supervisor", BULLETIN)["figures"]

    channel = {r["key"]: r for r in figures["by_channel"]}
    assert (channel["leader_reception"]["label"], channel["leader_reception"]["count"]) == (
        "领导接访",
        2,
    )
    assert (
        figures["leader_receptions"],
        figures["leader_receptions_recorded"],
        figures["leader_receptions_registered"],
    ) == (3, 2, 1)


def test_the_bulletin_names_the_bureau_and_speaks_chinese_in_json_html_and_excel(
    client: FlaskClient, september: County
) -> None:
    response = fetch(client, september, "supervisor", BULLETIN)
    figures = response.get_json()["figures"]
    html = fetch(client, september, "auditor", f"{BULLETIN}.html").get_data(as_text=True)
    book = load_workbook(
        io.BytesIO(fetch(client, september, "supervisor", f"{BULLETIN}.xlsx").data)
    )

    overdue = {r["unit"]: r["count"] for r in figures["most_overdue_units"]}
    assert "县信访局" in overdue
    assert (overdue["县水利局"], overdue["城关镇"], overdue["县教育局"]) == (8, 6, 3)
    assert "县信访局" in {r["label"] for r in figures["by_area"]}
    assert figures["review_outcomes"] == [
        {"key": "changed", "label": "变更", "count": 1},
        {"key": "revoked", "label": "撤销", "count": 1},
    ]
    texts = people_texts(figures)
    assert texts
    assert [t for t in texts if LATIN.search(t)] == []
    # JSON carries Chinese as UTF-8, never as \u escapes.
    assert "县住建局".encode() in response.data
    assert b"\\u" not in response.data
    assert json.loads(response.data) == response.get_json()

    page = visible_text(html)
    assert LATIN.findall(page) == [], page
    assert "红榜（表扬）" in page
    assert "黑榜（通报批评）" in page
    assert "县水利局" in page.split("黑榜（通报批评）")[1]
    assert "县住建局" not in page.split("黑榜（通报批评）")[1].split("样本不足")[0]
    assert "20.0%（2/10）" in page
    assert "复查决定：变更 1 件；撤销 1 件" in page
    assert "领导接访 3 次" in page
    assert "0.3333" not in html
    assert "unknown" not in html

    cells = [
        (sheet.title, value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if isinstance(value, str)
    ]
    assert [(title, v) for title, v in cells if LATIN.search(v)] == []
    rolls = list(book["红黑榜"].iter_rows(values_only=True))
    assert [(r[0], r[2], r[5]) for r in rolls[1:5]] == [
        ("红榜", "县住建局", "100.0%（10/10）"),
        ("红榜", "县人社局", "100.0%（10/10）"),
        ("黑榜（通报批评）", "县水利局", "20.0%（2/10）"),
        ("黑榜（通报批评）", "城关镇", "40.0%（4/10）"),
    ]
    assert ("样本不足（不排名）", "—", "县教育局") in [(r[0], r[1], r[2]) for r in rolls]
    others = dict(book["其他指标"].iter_rows(min_row=2, values_only=True))
    assert others["领导接访（次）"] == 3
    assert others["复查决定"] == "变更 1 件；撤销 1 件"
