"""Every error a person reads is in Chinese; what a client matches on stays as api.md fixes it.

A sample of each kind of failure, walked through the API: the message and every field message
hold Chinese characters and no English sentence, while the code, the reason phrase and the keys of
`errors` are the machine-readable ones.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any
from uuid import uuid4

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.api.helpers import API, Office, assert_chinese, assert_error, registration
from tests.conftest import County


def answered(response: TestResponse, code: int) -> dict[str, Any]:
    """The error body, checked for its shape, its language and its reason phrase."""
    body = assert_error(response, code)
    assert body["status"] == HTTPStatus(code).phrase
    return body


def test_a_sample_of_every_kind_of_failure_is_worded_in_chinese(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")
    stale = case["version"] - 1

    not_json = client.post(
        f"{API}/cases",
        data=b"{not json",
        headers={**county.headers("clerk"), "Content-Type": "application/json"},
    )
    assert answered(not_json, 400)["errors"].keys() == {"json"}

    no_token = client.get(f"{API}/me")
    assert answered(no_token, 401)["message"] == "请登录：请求须带 Authorization: Bearer <令牌>"
    bad_token = client.get(f"{API}/me", headers={"Authorization": "Bearer nonsense"})
    assert answered(bad_token, 401)["message"] == "令牌无效，请核对后重新登录"

    clerk_adds_a_unit = client.post(
        f"{API}/units", json={"name": "某局"}, headers=county.headers("clerk")
    )
    assert answered(clerk_adds_a_unit, 403)["message"] == "您的角色（登记员）无权新增单位"

    unknown_case = office.get(str(uuid4()))
    assert answered(unknown_case, 404)["message"] == "没有此信访事项，或您无权查看"
    unknown_address = client.get(f"{API}/no-such-thing", headers=county.headers("clerk"))
    answered(unknown_address, 404)

    not_allowed = office.send("dispatcher", case["id"], "close", {"resolution": "settled"})
    assert answered(not_allowed, 409)["message"] == "事项当前状态为“办理中”，不能办理“办结”"
    moved_on = office.send(
        "handler", case["id"], "progress", {"note": "已约谈"}, **{"If-Match": str(stale)}
    )
    assert "If-Match" in answered(moved_on, 409)["message"]
    malformed_version = office.send(
        "handler", case["id"], "progress", {"note": "已约谈"}, **{"If-Match": "v3"}
    )
    assert answered(malformed_version, 422)["errors"].keys() == {"If-Match"}

    invalid = client.post(
        f"{API}/cases",
        json={**registration(), "channel": "pigeon", "collective_size": "many", "colour": 1},
        headers=county.headers("clerk"),
    )
    fields = answered(invalid, 422)["errors"]
    assert fields.keys() == {"channel", "collective_size", "colour"}
    assert fields["collective_size"] == ["请填写整数"]
    assert fields["colour"] == ["不接受此项（未知字段）"]
    missing = client.post(f"{API}/cases", json={}, headers=county.headers("clerk"))
    assert answered(missing, 422)["errors"]["subject"] == ["此项必填"]
    refused_rule = office.send("dispatcher", case["id"], "flags", {"flag": "urgent", "on": False})
    assert answered(refused_rule, 422)["errors"].keys() == {"flag"}

    wrong_method = client.delete(f"{API}/cases", headers=county.headers("clerk"))
    answered(wrong_method, 405)


def test_the_check_finds_an_english_sentence_left_in_a_message(subtests: pytest.Subtests) -> None:
    assert_chinese("事项当前状态为“已办结”，不能办理“转送”")
    assert_chinese('If-Match 须为记录的版本号，如 "3"')
    for english in ("no such case", "事项 command is not allowed", "Missing data for required."):
        with subtests.test(message=english), pytest.raises(AssertionError):
            assert_chinese(english)
