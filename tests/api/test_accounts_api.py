"""Accounts over the API: disable, enable, role and unit, tokens issued, listed, revoked, expired.

Every change is an event of the user with its actor and reason; a disabled user's and a revoked
or expired token's requests get 401 from the very next request on, in every process.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from flask.testing import FlaskClient

from api import create_app
from domain.directory import User
from domain.labels import ROLE
from domain.office import DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS
from projections.bootstrap import Services, bootstrap
from projections.settings import Settings
from tests.api.helpers import API, assert_error, ok
from tests.conftest import County

REASON = {"reason": "调离信访岗位"}


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of a token."""
    return {"Authorization": f"Bearer {token}"}


def me(client: FlaskClient, token: str) -> Any:
    """GET /me with a token: the response."""
    return client.get(f"{API}/me", headers=bearer(token))


def post(client: FlaskClient, county: County, path: str, body: Any, who: str = "admin") -> Any:
    """POST to a directory path as `who`."""
    return client.post(f"{API}{path}", json=body, headers=county.headers(who))


def user_events(services: Services, user_id: UUID) -> list[Any]:
    """The stored events of a user, oldest first."""
    return list(services.app.events.get(user_id))


# -- disable and enable -------------------------------------------------------------------------
def test_a_disabled_user_is_refused_at_once_and_signs_in_again_when_enabled(
    client: FlaskClient, county: County, services: Services
) -> None:
    handler = county.actors["handler"]
    token = county.tokens["handler"]
    assert ok(me(client, token))["role"] == "handler"

    disabled = post(client, county, f"/users/{handler.id}/disable", REASON)

    assert ok(disabled) == {
        "id": str(handler.id),
        "name": "钱办事",
        "role": "handler",
        "unit_id": str(handler.unit_id),
        "active": False,
    }
    refused = assert_error(me(client, token), 401)
    assert refused["message"] == "此账号已停用，请联系系统管理员"
    assert_error(client.get(f"{API}/units", headers=bearer(token)), 401)

    enabled = post(client, county, f"/users/{handler.id}/enable", {"reason": "复岗"})

    assert ok(enabled)["active"] is True
    assert ok(me(client, token))["id"] == str(handler.id)
    events = user_events(services, handler.id)[-2:]
    assert [type(e).__name__ for e in events] == ["Disabled", "Enabled"]
    assert [(e.actor.id, e.reason) for e in events] == [
        (county.actors["admin"].id, "调离信访岗位"),
        (county.actors["admin"].id, "复岗"),
    ]


def test_disabling_and_enabling_refuse_what_changes_nothing_or_locks_the_admin_out(
    client: FlaskClient, county: County, services: Services
) -> None:
    clerk, admin = county.actors["clerk"].id, county.actors["admin"].id
    before = len(user_events(services, clerk))

    not_disabled = post(client, county, f"/users/{clerk}/enable", REASON)
    no_reason = post(client, county, f"/users/{clerk}/disable", {})
    blank = post(client, county, f"/users/{clerk}/disable", {"reason": "   "})
    oneself = post(client, county, f"/users/{admin}/disable", REASON)
    nobody = post(client, county, f"/users/{uuid4()}/disable", REASON)
    a_unit = post(client, county, f"/users/{county.units['housing']}/disable", REASON)
    assert ok(post(client, county, f"/users/{clerk}/disable", REASON))
    twice = post(client, county, f"/users/{clerk}/disable", REASON)

    assert assert_error(not_disabled, 409)["message"] == "李登记的账号未停用"
    assert assert_error(no_reason, 422)["errors"] == {"reason": ["此项必填"]}
    assert assert_error(blank, 422)["errors"] == {"reason": ["请写明理由"]}
    assert assert_error(oneself, 422)["errors"] == {
        "user_id": ["系统管理员不能停用账号：这是您本人的账号"]
    }
    assert assert_error(nobody, 404)["message"] == "没有此人员"
    assert assert_error(a_unit, 404)["message"] == "没有此人员"
    assert assert_error(twice, 409)["message"] == "李登记的账号已停用"
    assert len(user_events(services, clerk)) == before + 1
    assert ok(me(client, county.tokens["admin"]))["role"] == "admin"


# -- role and unit ------------------------------------------------------------------------------
def test_a_new_role_and_unit_hold_from_the_next_request(
    client: FlaskClient, county: County, services: Services
) -> None:
    handler = county.actors["handler"]
    labour = str(county.units["labour"])
    body = {"role": "unit_head", "unit_id": labour, "reason": "调任人社局负责人"}

    changed = post(client, county, f"/users/{handler.id}/role", body)

    assert ok(changed) == {
        "id": str(handler.id),
        "name": "钱办事",
        "role": "unit_head",
        "unit_id": labour,
        "active": True,
    }
    now = ok(me(client, county.tokens["handler"]))
    assert (now["role"], now["unit_id"]) == ("unit_head", labour)
    (event,) = user_events(services, handler.id)[-1:]
    assert type(event).__name__ == "RoleChanged"
    assert (event.actor.id, event.reason) == (county.actors["admin"].id, "调任人社局负责人")
    leader = ok(post(client, county, f"/users/{handler.id}/role", {**REASON, "role": "leader"}))
    assert (leader["role"], leader["unit_id"]) == ("leader", None)


def test_a_role_change_that_does_not_fit_is_refused_field_by_field(
    client: FlaskClient, county: County, services: Services, subtests: pytest.Subtests
) -> None:
    handler = county.actors["handler"]
    missing = uuid4()
    cases: list[tuple[dict[str, Any], int, dict[str, list[str]] | str]] = [
        ({"role": "handler", **REASON}, 422, {"unit_id": ["承办人须指定所在单位"]}),
        ({"role": "mayor", **REASON}, 422, "输入有误：role"),
        (
            {"role": "clerk", "unit_id": str(missing), **REASON},
            422,
            {"unit_id": [f"没有此单位（{missing}）"]},
        ),
        ({"role": "clerk"}, 422, {"reason": ["此项必填"]}),
        (
            {"role": "handler", "unit_id": str(handler.unit_id), **REASON},
            409,
            "钱办事已是该角色和单位，没有变化",
        ),
    ]
    before = len(user_events(services, handler.id))

    for body, status, expected in cases:
        with subtests.test(body=body):
            error = assert_error(post(client, county, f"/users/{handler.id}/role", body), status)
            if isinstance(expected, dict):
                assert error["errors"] == expected
            else:
                assert error["message"] == expected
    own = post(
        client, county, f"/users/{county.actors['admin'].id}/role", {"role": "clerk", **REASON}
    )

    assert assert_error(own, 422)["errors"] == {
        "user_id": ["系统管理员不能变更账号角色：这是您本人的账号"]
    }
    assert len(user_events(services, handler.id)) == before


# -- tokens -------------------------------------------------------------------------------------
def test_a_token_is_shown_once_listed_without_its_secret_and_revoked_at_once(
    client: FlaskClient, county: County, services: Services
) -> None:
    clerk = county.actors["clerk"].id
    started = datetime.now(UTC)

    issued = post(client, county, f"/users/{clerk}/tokens", {})
    short = post(client, county, f"/users/{clerk}/tokens", {"expires_in_days": 7})

    assert issued.status_code == short.status_code == 201
    fresh = issued.get_json()
    assert set(fresh) == {"token_id", "token", "expires_at"}
    expires = datetime.fromisoformat(fresh["expires_at"])
    assert timedelta(days=DEFAULT_TOKEN_DAYS) <= expires - started < timedelta(days=90, hours=1)
    week = datetime.fromisoformat(short.get_json()["expires_at"]) - started
    assert timedelta(days=7) <= week < timedelta(days=7, hours=1)
    assert ok(me(client, fresh["token"]))["id"] == str(clerk)

    listing = client.get(f"{API}/users/{clerk}/tokens", headers=county.headers("admin"))

    tokens = ok(listing)
    assert [t["state"] for t in tokens] == ["active", "active", "active"]
    assert [t["token_id"] for t in tokens][1:] == [fresh["token_id"], short.get_json()["token_id"]]
    assert all(
        set(t) == {"token_id", "state", "issued_at", "issued_by", "expires_at", "revoked_at"}
        for t in tokens
    )
    assert {t["issued_by"] for t in tokens} == {"system", "管理员"}
    assert fresh["token"] not in listing.text
    assert county.tokens["clerk"] not in listing.text

    revoked = client.delete(
        f"{API}/users/{clerk}/tokens/{fresh['token_id']}",
        query_string={"reason": "令牌外泄"},
        headers=county.headers("admin"),
    )

    assert revoked.status_code == 204
    assert revoked.data == b""
    assert (
        assert_error(me(client, fresh["token"]), 401)["message"]
        == "此令牌已被吊销，请向系统管理员申请新令牌"
    )
    assert ok(me(client, county.tokens["clerk"]))["id"] == str(clerk)
    listed = ok(client.get(f"{API}/users/{clerk}/tokens", headers=county.headers("admin")))
    assert [t["state"] for t in listed] == ["active", "revoked", "active"]
    assert listed[1]["revoked_at"] is not None
    events = user_events(services, clerk)
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["Created", "TokenIssued", "TokenIssued", "TokenIssued", "TokenRevoked"]
    assert (events[-1].actor.id, events[-1].reason) == (county.actors["admin"].id, "令牌外泄")
    assert all(e.actor.role.value in {"admin"} for e in events[1:])

    again = client.delete(
        f"{API}/users/{clerk}/tokens/{fresh['token_id']}", headers=county.headers("admin")
    )
    unknown = client.delete(
        f"{API}/users/{clerk}/tokens/{uuid4()}", headers=county.headers("admin")
    )
    assert again.status_code == 204
    assert len(user_events(services, clerk)) == len(events)
    assert assert_error(unknown, 404)["message"] == "没有此令牌"


def test_token_requests_that_do_not_fit_are_refused(client: FlaskClient, county: County) -> None:
    clerk = county.actors["clerk"].id

    for days in (0, MAX_TOKEN_DAYS + 1, -3):
        error = assert_error(
            post(client, county, f"/users/{clerk}/tokens", {"expires_in_days": days}), 422
        )
        assert set(error["errors"]) == {"expires_in_days"}
    assert ok(post(client, county, f"/users/{clerk}/disable", REASON))
    disabled = post(client, county, f"/users/{clerk}/tokens", {})
    nobody = post(client, county, f"/users/{uuid4()}/tokens", {})
    nobody_listed = client.get(f"{API}/users/{uuid4()}/tokens", headers=county.headers("admin"))

    assert "账号已停用" in assert_error(disabled, 409)["message"]
    assert_error(nobody, 404)
    assert_error(nobody_listed, 404)


def test_an_expired_token_is_refused(
    client: FlaskClient, county: County, services: Services
) -> None:
    clerk = county.actors["clerk"].id
    issued = ok_created(post(client, county, f"/users/{clerk}/tokens", {"expires_in_days": 1}))
    real_clock = services.app.clock
    assert ok(me(client, issued["token"]))

    services.app.clock = lambda: real_clock() + timedelta(days=1, minutes=1)
    try:
        expired = me(client, issued["token"])
        listed = ok(client.get(f"{API}/users/{clerk}/tokens", headers=county.headers("admin")))
        still = me(client, county.tokens["clerk"])
    finally:
        services.app.clock = real_clock

    assert assert_error(expired, 401)["message"] == "此令牌已过期，请向系统管理员申请新令牌"
    assert listed[-1]["state"] == "expired"
    assert ok(still)["id"] == str(clerk)


def ok_created(response: Any) -> dict[str, Any]:
    """The JSON body of a 201 answer."""
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def test_only_the_admin_manages_accounts(client: FlaskClient, county: County) -> None:
    target = county.actors["handler"].id
    token_id = uuid4()
    for who in ("clerk", "dispatcher", "head", "handler", "leader", "supervisor", "auditor"):
        role = ROLE[county.actors[who].role]
        sent = [
            ("停用账号", post(client, county, f"/users/{target}/disable", REASON, who)),
            ("启用账号", post(client, county, f"/users/{target}/enable", REASON, who)),
            (
                "变更账号角色",
                post(client, county, f"/users/{target}/role", {"role": "clerk", **REASON}, who),
            ),
            ("签发令牌", post(client, county, f"/users/{target}/tokens", {}, who)),
            (
                "查看令牌",
                client.get(f"{API}/users/{target}/tokens", headers=county.headers(who)),
            ),
            (
                "吊销令牌",
                client.delete(
                    f"{API}/users/{target}/tokens/{token_id}", headers=county.headers(who)
                ),
            ),
        ]
        for what, response in sent:
            assert assert_error(response, 403)["message"] == f"您的角色（{role}）无权{what}"
    assert ok(me(client, county.tokens["handler"]))["role"] == "handler"


# -- every process sees the change at the next request -------------------------------------------
@pytest.fixture
def second_worker(settings: Settings) -> Iterator[FlaskClient]:
    """Another app over the same database, as another gunicorn worker would be."""
    other = bootstrap(settings)
    try:
        yield create_app(other, {"TESTING": True}).test_client()
    finally:
        other.close()


def test_revoking_disabling_and_a_new_role_hold_at_once_in_another_worker(
    client: FlaskClient, second_worker: FlaskClient, county: County
) -> None:
    clerk, handler = county.actors["clerk"].id, county.actors["handler"].id
    issued = ok_created(post(client, county, f"/users/{clerk}/tokens", {}))
    for token in (issued["token"], county.tokens["clerk"], county.tokens["handler"]):
        assert ok(me(second_worker, token))  # the other worker has them cached now

    client.delete(
        f"{API}/users/{clerk}/tokens/{issued['token_id']}", headers=county.headers("admin")
    )
    revoked = me(second_worker, issued["token"])
    kept = me(second_worker, county.tokens["clerk"])
    ok(post(client, county, f"/users/{handler}/role", {"role": "clerk", **REASON}))
    moved = me(second_worker, county.tokens["handler"])
    ok(post(client, county, f"/users/{clerk}/disable", REASON))
    disabled = me(second_worker, county.tokens["clerk"])
    ok(post(client, county, f"/users/{clerk}/enable", REASON))
    back = me(second_worker, county.tokens["clerk"])

    assert_error(revoked, 401)
    assert ok(kept)["id"] == str(clerk)
    assert (ok(moved)["role"], ok(moved)["unit_id"]) == ("clerk", None)
    assert assert_error(disabled, 401)["message"] == "此账号已停用，请联系系统管理员"
    assert ok(back)["id"] == str(clerk)


def test_a_user_loaded_for_sign_in_is_brought_up_to_date_not_reloaded(
    services: Services, county: County
) -> None:
    app = services.app
    clerk = county.actors["clerk"].id
    app.authenticate(county.tokens["clerk"])
    cached = app._signed_in[clerk]

    app.authenticate(county.tokens["clerk"])
    same = app._signed_in[clerk]
    app.issue_token(county.actors["admin"], clerk)
    app.authenticate(county.tokens["clerk"])
    newer = app._signed_in[clerk]

    assert same is cached
    assert isinstance(newer, User)
    assert newer is not cached
    assert newer.version == cached.version + 1
    assert len(cached.tokens) == 1  # the copy shared with other threads was left as it was
    assert len(newer.tokens) == 2
