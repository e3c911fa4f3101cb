"""Builders and drivers for the API tests: register a case, send commands, drive it to a status."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from domain.cases import LOCAL_TZ
from tests.conftest import County

API = "/api/v1"

PETITIONER: dict[str, str] = {
    "name": "张三",
    "id_number": "110101199001011234",
    "phone": "13812345678",
    "address": "城关镇幸福村1号",
}
"""A petitioner with every identity field filled in."""


def now_iso() -> str:
    """The present moment as an ISO 8601 timestamp with offset."""
    return datetime.now(UTC).isoformat()


def county_today() -> date:
    """Today in the county (Asia/Shanghai): the day deadlines, months and registers go by (the
    machine's own date is a day behind from midnight to 08:00 there)."""
    return datetime.now(LOCAL_TZ).date()


def county_day(days: int = 0) -> str:
    """A county date `days` from today, as `YYYY-MM-DD`."""
    return (county_today() + timedelta(days=days)).isoformat()


def due_in(days: int) -> str:
    """A due date `days` from the county's today, as `YYYY-MM-DD`."""
    return county_day(days)


def registration(**overrides: Any) -> dict[str, Any]:
    """The body of POST /cases: a wage claim by one petitioner, with `overrides` applied."""
    body: dict[str, Any] = {
        "channel": "visit",
        "category": "claim",
        "subject": "拖欠农民工工资",
        "content": "某建筑工地拖欠工资三个月，多次讨要无果。",
        "petitioners": [dict(PETITIONER)],
        "location": "城关镇",
    }
    body.update(overrides)
    return body


@dataclass(frozen=True)
class Office:
    """The API as the people of the test county use it."""

    client: FlaskClient
    county: County

    def headers(self, who: str, **extra: str) -> dict[str, str]:
        """Request headers for `who`."""
        return self.county.headers(who, **extra)

    def register(self, who: str = "clerk", **overrides: Any) -> dict[str, Any]:
        """Register a case as `who` and return its view (asserting 201)."""
        response = self.client.post(
            f"{API}/cases", json=registration(**overrides), headers=self.headers(who)
        )
        assert response.status_code == 201, response.get_json()
        view: dict[str, Any] = response.get_json()
        return view

    def send(
        self, who: str, case_id: str, path: str, body: Any = None, **headers: str
    ) -> TestResponse:
        """POST one command to a case as `who`."""
        return self.client.post(
            f"{API}/cases/{case_id}/{path}",
            json={} if body is None else body,
            headers=self.headers(who, **headers),
        )

    def get(self, case_id: str, who: str = "auditor", **query: str) -> TestResponse:
        """GET /cases/{id} as `who`."""
        return self.client.get(
            f"{API}/cases/{case_id}", query_string=query, headers=self.headers(who)
        )

    def view(self, case_id: str, who: str = "auditor") -> dict[str, Any]:
        """The case view as `who` sees it now (asserting 200)."""
        return ok(self.get(case_id, who))

    def history(self, case_id: str, who: str = "auditor") -> list[dict[str, Any]]:
        """The events of a case's history, as `who` sees them (asserting 200)."""
        response = self.client.get(f"{API}/cases/{case_id}/history", headers=self.headers(who))
        events: list[dict[str, Any]] = ok(response)["events"]
        return events

    def drive(
        self,
        status: str,
        *,
        mode: str = "forwarded",
        sponsor: str | None = "leader",
        **registration_fields: Any,
    ) -> dict[str, Any]:
        """Register a case and bring it to `status` through the API; returns its view.

        With `sponsor`, the dispatcher first designates that leader as the case's 包案领导.
        """
        view = self.register(**registration_fields)
        steps = route(status, self.county, mode)
        if sponsor is not None:
            leader_id = str(self.county.actors[sponsor].id)
            steps = [_step("leader", "dispatcher", self.county, leader_id=leader_id), *steps]
        for step in steps:
            view = ok(self.send(step.who, view["id"], step.path, step.fresh(self.county)))
        assert view["status"] == ("forwarded" if status == "objected" else status)
        return view


def ok(response: TestResponse) -> dict[str, Any]:
    """The JSON body of a 200 answer (asserting the status)."""
    assert response.status_code == 200, response.get_json()
    view: dict[str, Any] = response.get_json()
    return view


def assert_error(response: TestResponse, code: int) -> dict[str, Any]:
    """Assert the error shape of api.md and the status; return the body."""
    assert response.status_code == code, response.get_json()
    body: dict[str, Any] = response.get_json()
    assert set(body) <= {"code", "status", "message", "errors"}
    assert body["code"] == code
    assert isinstance(body["status"], str)
    assert body["status"]
    assert isinstance(body["message"], str)
    assert_chinese(body["message"])
    for messages in (body.get("errors") or {}).values():
        for message in messages if isinstance(messages, list) else [messages]:
            if isinstance(message, str):
                assert_chinese(message)
    if code == 422:
        assert isinstance(body["errors"], dict)
        assert body["errors"]
    return body


def assert_refused(response: TestResponse, code: int) -> None:
    """A refusal (403, 404) in the error shape, worded in Chinese with no English word in it
    (a refusal names the action or the record in Chinese, never by its code)."""
    message = assert_error(response, code)["message"]
    assert not re.search(r"[A-Za-z]{3,}", message), message


CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_SENTENCE = re.compile(r"[A-Za-z]+(?: +[A-Za-z]+){2,}")
"""Three Latin words in a row: an untranslated sentence (identifiers such as If-Match or
`xinfang verify` stay inside a Chinese one)."""


def assert_chinese(message: str) -> None:
    """A message a person reads: in Chinese, with no English sentence left in it."""
    assert CJK.search(message), message
    assert ENGLISH_SENTENCE.search(message) is None, message


# -- driving a case through its lifecycle ----------------------------------------------------
@dataclass(frozen=True)
class Step:
    """One command sent by one user."""

    who: str
    path: str
    body: dict[str, Any]

    def fresh(self, county: County) -> dict[str, Any]:
        """The body with its business times taken now (after the steps sent before it)."""
        now = command_body(self.path, county)
        return {**self.body, **{k: now[k] for k in BUSINESS_TIMES & set(now) & set(self.body)}}


BUSINESS_TIMES = frozenset({"delivered_at", "held_at"})
"""Body fields that carry a business time: each must lie after the step it follows."""


def command_body(path: str, county: County) -> dict[str, Any]:
    """A valid body for the command at `path` (the case must be in a status that allows it).

    `merge` names a case that does not exist: merging needs a second case of the caller's own.
    """
    unit, user = county.units, county.actors
    bodies: dict[str, dict[str, Any]] = {
        "forward": {"unit_id": str(unit["housing"])},
        "assign": {"unit_id": str(unit["housing"]), "due_date": due_in(30)},
        "divert": {"target": "县人民法院"},
        "merge": {"into_case_id": str(uuid4())},
        "not-accept": {"reason": "不属于信访事项受理范围"},
        "accept": {"handler_id": str(user["handler"].id)},
        "object": {"reason": "该事项不属于本单位职责"},
        "objection-decision": {"upheld": True},
        "start-work": {},
        "visits": {"kind": "home_visit", "held_at": now_iso(), "notes": "上门走访了解情况"},
        "extend": {"days": 10, "reason": "需补充调查取证", "approved_by": "赵局长"},
        "respond": {
            "outcome": "supported",
            "text": "已督促施工方结清工资。",
            "delivered_at": now_iso(),
        },
        "submit-report": {"text": "办结报告：工资已全部结清。"},
        "approve-report": {"outcome": "supported", "delivered_at": now_iso()},
        "return-report": {"reason": "报告缺少证明材料"},
        "reassign": {"unit_id": str(unit["labour"]), "reason": "劳动保障事项由人社局办理"},
        "request-review": {},
        "decide-review": {
            "decision": "upheld",
            "text": "维持原处理意见",
            "delivered_at": now_iso(),
        },
        "request-recheck": {},
        "decide-recheck": {
            "decision": "upheld",
            "text": "维持复查意见",
            "delivered_at": now_iso(),
        },
        "hearing": {"action": "start"},
        "handler": {"handler_id": str(user["handler2"].id), "reason": "原承办人休假"},
        "leader": {"leader_id": str(user["leader2"].id), "reason": "包案领导工作调整"},
        "dispositions": {"kinds": ["resolved"], "note": "诉求已解决"},
        "follow-up": {"satisfaction": "satisfied", "note": "电话回访"},
        "flags": {"flag": "key_case", "on": True},
        "close": {"resolution": "settled"},
        "reopen": {"reason": "发现新的事实", "approved_by": "县信访局局长"},
        "withdraw": {"reason": "信访人主动撤回"},
        "notices": {"kind": "receipt", "method": "短信", "delivered_at": now_iso()},
        "progress": {"note": "已约谈施工方负责人"},
        "petitions": {
            "channel": "phone",
            "content": "再次反映工资仍未结清。",
            "petitioners": [dict(PETITIONER)],
        },
        "supervision-orders": {"due_date": due_in(10), "text": "请于十日内报送办理情况"},
        "supervision-orders/1/answer": {"text": "已按督办要求办理"},
        "recusal": {"reason": "承办人系信访人近亲属"},
        "recusal-requests": {
            "person_id": str(user["handler2"].id),
            "reason": "信访人称其有利害关系",
        },
        "documents": {"kind": "transfer_slip"},
        "typical": {"text": "多部门联合化解拖欠工资问题"},
        "recusal-decision": {
            "person_id": str(user["handler2"].id),
            "granted": True,
            "reason": "经核实存在利害关系",
        },
    }
    return dict(bodies[path])


def _step(path: str, who: str, county: County, **body: Any) -> Step:
    return Step(who, path, {**command_body(path, county), **body})


def route(status: str, county: County, mode: str = "forwarded") -> list[Step]:
    """The commands, after registration, that bring a case to `status`.

    `mode` is how the case reached the housing bureau (`forwarded` or `assigned`); a
    `registered` case is one the housing bureau objected to and got back, so that the
    bureau's people know it; `objected` is a forwarded case with an objection pending.
    """
    c = county
    if status == "report_submitted":
        mode = "assigned"
    hand_over = _step("assign" if mode == "assigned" else "forward", "dispatcher", c)
    accepted = [hand_over, _step("accept", "head", c)]
    in_progress = [*accepted, _step("start-work", "handler", c)]
    responded = (
        [
            *in_progress,
            _step("submit-report", "handler", c),
            _step("approve-report", "dispatcher", c),
        ]
        if mode == "assigned"
        else [*in_progress, _step("respond", "handler", c)]
    )
    under_review = [*responded, _step("request-review", "clerk", c)]
    reviewed = [*under_review, _step("decide-review", "supervisor", c)]
    under_recheck = [*reviewed, _step("request-recheck", "clerk", c)]
    objected = [_step("forward", "dispatcher", c), _step("object", "head", c)]
    routes: dict[str, list[Step]] = {
        "registered": [*objected, _step("objection-decision", "dispatcher", c)],
        "objected": objected,
        "forwarded": [_step("forward", "dispatcher", c)],
        "assigned": [_step("assign", "dispatcher", c)],
        "diverted": [_step("divert", "dispatcher", c)],
        "not_accepted": [_step("not-accept", "dispatcher", c)],
        "accepted": accepted,
        "in_progress": in_progress,
        "extended": [*in_progress, _step("extend", "head", c)],
        "report_submitted": [*in_progress, _step("submit-report", "handler", c)],
        "responded": responded,
        "under_review": under_review,
        "reviewed": reviewed,
        "under_recheck": under_recheck,
        "terminated": [*under_recheck, _step("decide-recheck", "supervisor", c)],
        "closed": [*responded, _step("close", "dispatcher", c)],
    }
    return routes[status]
