"""The registers of work in the monthly bulletin, on both backends: the inspections marked
典型案例 beside the typical cases, 一会议三清单 task completion on time by unit and campaign
progress, in the figures (frozen on publishing, identical on recomputing), the HTML and PDF
document (Chinese only) and the workbook's sheets; a draft leaves out what accuses the
reader's unit."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from typing import Any

from flask.testing import FlaskClient
from openpyxl import load_workbook

from domain.cases import LOCAL_TZ
from tests.api.helpers import API, Office, ok
from tests.api.test_bulletin_document_api import english_words
from tests.api.test_bulletin_findings_api import visible_text
from tests.api.test_meetings_api import county_today, decide, decision, tasks
from tests.api.test_risks_api import Register
from tests.conftest import County
from tests.render import pdf_pages, pdf_text, require_poppler, save_png

TYPICAL_INSPECTION = "县住建局联席会议交办任务久拖不办"


def last_month() -> tuple[str, date]:
    """The county's previous month and its first day (the bulletin of an ended month)."""
    first = county_today().replace(day=1) - timedelta(days=1)
    first = first.replace(day=1)
    return first.strftime("%Y-%m"), first


def at(day: date, hour: int = 10) -> str:
    """A business time on `day`, county time."""
    return datetime.combine(day, time(hour), LOCAL_TZ).isoformat()


def post(office: Office, who: str, path: str, body: Any) -> Any:
    response = office.client.post(f"{API}{path}", json=body, headers=office.headers(who))
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def close_task(office: Office, task_id: str, day: date) -> None:
    post(
        office,
        "handler",
        f"/tasks/{task_id}/report",
        {"text": "完成", "completed": True, "occurred_at": at(day, 9)},
    )
    post(
        office,
        "supervisor",
        f"/tasks/{task_id}/close",
        {"evidence": "材料", "occurred_at": at(day, 11)},
    )


def the_month_of_work(client: FlaskClient, county: County) -> tuple[str, str]:
    """Last month: two tasks of the housing bureau, one closed on time, one late; a campaign
    on two risks, one resolved in the month; the inspection of the housing bureau marked
    typical. Returns the month and the id of the risk left open."""
    office = Office(client, county)
    month, first = last_month()
    day = lambda n: first + timedelta(days=n - 1)  # noqa: E731
    meeting = post(
        office,
        "supervisor",
        "/meetings",
        {
            "held_on": day(3).isoformat(),
            "title": "县信访工作联席会议调度会",
            "chair_id": str(county.actors["leader"].id),
            "attendee_ids": [str(county.actors["head"].id)],
            "place": "县委第二会议室",
            "occurred_at": at(day(3)),
        },
    )
    for due in (day(10), day(12)):
        made = decide(
            office,
            meeting["id"],
            {**decision(county, due_date=due.isoformat()), "occurred_at": at(day(3), 11)},
        )
        assert made.status_code == 201, made.get_json()
    on_time, late = sorted(tasks(office, "supervisor"), key=lambda t: t["due_date"])
    close_task(office, on_time["id"], day(9))
    close_task(office, late["id"], day(15))

    register = Register(client, county)
    risks = []
    for _ in range(2):
        entered = register.enter(occurred_at=at(day(2)))
        body = {
            "leader_id": str(county.actors["leader"].id),
            "unit_id": str(county.units["housing"]),
            "handler_id": str(county.actors["handler"].id),
            "occurred_at": at(day(2), 11),
        }
        risks.append(ok(register.send("dispatcher", entered["id"], "assign", body)))
    post(
        office,
        "supervisor",
        "/campaigns",
        {
            "name": "积案化解百日攻坚",
            "kind": "hundred_days",
            "starts_on": day(4).isoformat(),
            "ends_on": (day(4) + timedelta(days=99)).isoformat(),
            "risk_ids": [r["id"] for r in risks],
        },
    )
    ok(
        register.send(
            "leader",
            risks[0]["id"],
            "resolve",
            {"evidence": "调解协议", "occurred_at": at(day(20))},
        )
    )

    inspection = post(
        office,
        "supervisor",
        "/inspections",
        {
            "month": month,
            "unit_id": str(county.units["housing"]),
            "held_on": day(25).isoformat(),
            "checklist": [{"item": "tasks_on_time", "passed": False, "note": "1项任务超期未销号"}],
            "occurred_at": at(day(25)),
        },
    )
    post(
        office,
        "supervisor",
        f"/inspections/{inspection['id']}/typical",
        {"text": TYPICAL_INSPECTION, "occurred_at": at(day(26))},
    )
    return month, risks[1]["id"]


def test_the_bulletin_prints_typical_inspections_task_completion_and_campaigns(
    client: FlaskClient, county: County, backend: str
) -> None:
    require_poppler()
    month, still_open = the_month_of_work(client, county)
    bulletin = f"{API}/reports/monthly/{month}"
    published = client.post(f"{bulletin}/publish", headers=county.headers("supervisor"))
    assert published.status_code == 201, published.get_json()
    figures = published.get_json()["figures"]
    assert figures["typical_inspections"] == [
        {"unit": "县住建局", "month": month, "text": TYPICAL_INSPECTION}
    ]
    assert figures["task_completion"] == [
        {
            "unit": "县住建局",
            "tasks_due": 2,
            "tasks_on_time": 1,
            "tasks_late": 1,
            "tasks_on_time_percent": 50.0,
        }
    ]
    (campaign,) = figures["campaign_progress"]
    assert campaign["campaign"] == "积案化解百日攻坚"
    assert campaign["campaign_kind"] == "百日攻坚"
    assert (campaign["targets"], campaign["resolved_in_month"], campaign["remaining"]) == (2, 1, 1)
    assert campaign["resolved_total"] == 1
    assert campaign["resolved_percent"] == 50.0

    # The replay at the published position gives the figures published.
    recomputed = ok(client.get(f"{bulletin}/recompute", headers=county.headers("auditor")))
    assert recomputed["identical"], recomputed["differences"]

    # Frozen: the other risk resolved later, dated in the month, is a difference named in
    # Chinese; the published figures stay as they were, and so does the replay.
    _, first = last_month()
    resolve = {"evidence": "息诉罢访", "occurred_at": at(first + timedelta(days=21))}
    ok(Register(client, county).send("leader", still_open, "resolve", resolve))
    again = ok(client.get(bulletin, headers=county.headers("supervisor")))
    assert again["figures"] == figures
    paths = {d["path"] for d in again["differences"]}
    assert "campaign_progress[0].resolved_in_month" in paths
    later = visible_text(
        client.get(f"{bulletin}.html", headers=county.headers("supervisor")).get_data(as_text=True)
    )
    assert "专项行动进展·第1行·本月化解" in later
    assert not english_words(later)
    assert ok(client.get(f"{bulletin}/recompute", headers=county.headers("auditor")))["identical"]

    page = visible_text(
        client.get(f"{bulletin}.html", headers=county.headers("supervisor")).get_data(as_text=True)
    )
    assert not english_words(page)
    typical = page.split("典型案例")[-1]
    assert TYPICAL_INSPECTION in typical
    assert "“一会议三清单”任务按期销号（按单位）" in page
    assert "50.0%" in page.split("任务按期销号")[-1]
    assert "专项行动进展" in page
    assert "积案化解百日攻坚" in page

    pdf = client.get(f"{bulletin}.pdf", headers=county.headers("supervisor"))
    assert pdf.status_code == 200
    text = pdf_text(pdf.data)
    for words in (TYPICAL_INSPECTION, "任务按期销号", "专项行动进展", "积案化解百日攻坚"):
        assert words in text.replace(" ", "").replace("\n", ""), words
    assert not english_words(text)
    if backend == "sqlite":  # the page with the registers' sections, shown in docs/documents.md
        save_png(pdf.data, "bulletin-registers", first=pdf_pages(pdf.data))

    book = load_workbook(
        io.BytesIO(client.get(f"{bulletin}.xlsx", headers=county.headers("supervisor")).data)
    )
    rows = list(book["任务按期销号"].iter_rows(min_row=2, values_only=True))
    assert rows[0][:4] == ("县住建局", 2, 1, 1)
    assert rows[0][4] == 0.5
    (progress,) = book["专项行动进展"].iter_rows(min_row=2, values_only=True)
    assert progress[0] == "积案化解百日攻坚"
    assert progress[4:8] == (2, 1, 1, 1)
    typical_rows = list(book["典型案例"].iter_rows(min_row=2, values_only=True))
    assert (month, "督查典型", "县住建局", TYPICAL_INSPECTION) in typical_rows


def test_a_draft_leaves_out_the_tasks_about_cases_accusing_the_readers_unit(
    client: FlaskClient, county: County
) -> None:
    month, _ = the_month_of_work(client, county)
    office = Office(client, county)
    _, first = last_month()
    accusing_bureau = office.register(
        accused_unit_ids=[str(county.units["bureau"])], occurred_at=at(first)
    )
    meeting = post(
        office,
        "supervisor",
        "/meetings",
        {
            "held_on": first.isoformat(),
            "title": "县信访工作联席会议专题会",
            "chair_id": str(county.actors["leader"].id),
            "attendee_ids": [str(county.actors["head"].id)],
            "occurred_at": at(first, 15),
        },
    )
    body = decision(
        county, case_id=accusing_bureau["id"], due_date=(first + timedelta(days=10)).isoformat()
    )
    made = decide(office, meeting["id"], {**body, "occurred_at": at(first, 16)})
    assert made.status_code == 201, made.get_json()

    def completion(who: str) -> list[dict[str, Any]]:
        draft = ok(client.get(f"{API}/reports/monthly/{month}", headers=county.headers(who)))
        assert draft["published"] is False
        found: list[dict[str, Any]] = draft["figures"]["task_completion"]
        return found

    # The supervisor (no unit) counts it, late; the bureau's dispatcher does not see it.
    assert completion("supervisor") == [
        {
            "unit": "县住建局",
            "tasks_due": 3,
            "tasks_on_time": 1,
            "tasks_late": 2,
            "tasks_on_time_percent": 33.3,
        }
    ]
    assert completion("dispatcher") == [
        {
            "unit": "县住建局",
            "tasks_due": 2,
            "tasks_on_time": 1,
            "tasks_late": 1,
            "tasks_on_time_percent": 50.0,
        }
    ]
