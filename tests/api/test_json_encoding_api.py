"""JSON answers carry Chinese text as UTF-8, never as \\u escapes (api.md: UTF-8 in and out)."""

from __future__ import annotations

import json

from flask.testing import FlaskClient

from domain.application import Xinfang, today_in_county
from tests.conftest import County
from tests.integration.helpers_read import API, fetch


def test_every_kind_of_json_answer_carries_chinese_as_utf8(
    client: FlaskClient, county: County, xinfang: Xinfang
) -> None:
    month = today_in_county(xinfang).strftime("%Y-%m")
    registered = client.post(
        f"{API}/cases",
        json={
            "channel": "letter",
            "category": "claim",
            "subject": "拖欠农民工工资",
            "content": "某工地拖欠工资三个月。",
            "petitioners": [{"name": "张三"}],
        },
        headers=county.headers("clerk"),
    )
    answers = {
        "created": registered,
        "case": fetch(client, county, "clerk", f"/cases/{registered.get_json()['id']}"),
        "ledger": fetch(client, county, "supervisor", "/ledger"),
        "bulletin": fetch(client, county, "supervisor", f"/reports/monthly/{month}"),
        "refused": client.post(
            f"{API}/reports/monthly/{month}/publish", headers=county.headers("supervisor")
        ),
        "openapi": client.get(f"{API}/openapi.json"),
    }

    for name, answer in answers.items():
        assert answer.mimetype == "application/json", name
        assert b"\\u" not in answer.data, name
        assert json.loads(answer.data.decode("utf-8")) == answer.get_json(), name
    for name in ("created", "case", "ledger"):
        assert "拖欠农民工工资".encode() in answers[name].data, name
    assert "县信访局".encode() in answers["bulletin"].data
    assert "尚未结束".encode() in answers["refused"].data
    assert "信访事项".encode() in answers["openapi"].data
