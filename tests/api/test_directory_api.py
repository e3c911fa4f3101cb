"""Directory endpoints, authentication, health and the API documents (api.md)."""

from __future__ import annotations

import re
from typing import Any
from uuid import uuid4

import pytest
from flask.testing import FlaskClient

from domain import labels
from domain.labels import ROLE
from domain.values import Role
from tests.api.helpers import API, assert_error
from tests.conftest import County

NON_ADMINS = ("clerk", "dispatcher", "head", "handler", "leader", "supervisor", "auditor")
COUNTY_UNITS = ["县信访局", "县住建局", "县人社局", "城关镇", "城关镇幸福村"]
ROLES = "、".join(f"{r.value}（{labels.label(r)}）" for r in Role)
MISSING = uuid4()

INVALID_UNITS: list[tuple[dict[str, Any], dict[str, list[str]]]] = [
    ({"name": ""}, {"name": ["长度应为 1 至 200 个字符"]}),
    ({"name": "   "}, {"name": ["请填写单位名称"]}),
    ({}, {"name": ["此项必填"]}),
    ({"name": "县水利局", "colour": "blue"}, {"colour": ["不接受此项（未知字段）"]}),
    ({"name": "县水利局", "parent_id": "not-a-uuid"}, {"parent_id": ["不是有效的编号（UUID）"]}),
    ({"name": "县水利局", "parent_id": str(MISSING)}, {"parent_id": [f"没有此单位（{MISSING}）"]}),
]

INVALID_USERS: list[tuple[dict[str, Any], dict[str, list[str]]]] = [
    ({"name": "何经办", "role": "mayor"}, {"role": [f"应为以下之一：{ROLES}"]}),
    ({"name": "何经办", "role": "handler"}, {"unit_id": ["承办人须指定所在单位"]}),
    ({"role": "clerk"}, {"name": ["此项必填"]}),
    ({"name": "何经办", "role": "clerk", "token": "x"}, {"token": ["不接受此项（未知字段）"]}),
    (
        {"name": "何经办", "role": "handler", "unit_id": str(MISSING)},
        {"unit_id": [f"没有此单位（{MISSING}）"]},
    ),
]

UNAUTHENTICATED = {
    "no header": {},
    "empty bearer": {"Authorization": "Bearer "},
    "basic scheme": {"Authorization": "Basic YWRtaW46YWRtaW4="},
    "unknown token": {"Authorization": "Bearer not-a-token-anyone-was-given"},
}


# -- units -------------------------------------------------------------------------------------
def test_the_admin_adds_units_and_every_signed_in_role_lists_them(
    client: FlaskClient, county: County
) -> None:
    township = str(county.units["township"])

    added = client.post(
        f"{API}/units",
        json={"name": "县自然资源局", "kind": "department"},
        headers=county.headers("admin"),
    )
    below = client.post(
        f"{API}/units",
        json={"name": "城关镇东关社区", "parent_id": township},
        headers=county.headers("admin"),
    )

    assert added.status_code == below.status_code == 201
    unit = added.get_json()
    assert set(unit) == {"id", "name", "kind", "parent_id"}
    assert (unit["name"], unit["kind"], unit["parent_id"]) == ("县自然资源局", "department", None)
    assert (below.get_json()["kind"], below.get_json()["parent_id"]) == (None, township)
    for who in ("admin", *NON_ADMINS):
        listed = client.get(f"{API}/units", headers=county.headers(who))
        assert listed.status_code == 200
        assert [u["name"] for u in listed.get_json()] == [
            *COUNTY_UNITS,
            "县自然资源局",
            "城关镇东关社区",
        ]
        assert listed.get_json()[-2] == unit


def test_a_unit_with_invalid_fields_is_refused_field_by_field(
    client: FlaskClient, county: County, subtests: pytest.Subtests
) -> None:
    for body, errors in INVALID_UNITS:
        with subtests.test(body=body):
            response = client.post(f"{API}/units", json=body, headers=county.headers("admin"))

            error = assert_error(response, 422)
            assert error["status"] == "Unprocessable Entity"
            assert error["errors"] == errors

    listed = client.get(f"{API}/units", headers=county.headers("admin")).get_json()
    assert [u["name"] for u in listed] == COUNTY_UNITS


def test_only_the_admin_adds_units_and_users(client: FlaskClient, county: County) -> None:
    for who in NON_ADMINS:
        role = ROLE[county.actors[who].role]
        unit = client.post(f"{API}/units", json={"name": "县水利局"}, headers=county.headers(who))
        user = client.post(
            f"{API}/users", json={"name": "何经办", "role": "clerk"}, headers=county.headers(who)
        )

        assert assert_error(unit, 403)["message"] == f"您的角色（{role}）无权新增单位"
        assert assert_error(user, 403)["message"] == f"您的角色（{role}）无权新增人员"
        assert assert_error(unit, 403)["status"] == "Forbidden"

    units = client.get(f"{API}/units", headers=county.headers("admin")).get_json()
    users = client.get(f"{API}/users", headers=county.headers("admin")).get_json()
    assert len(units) == len(county.units)
    assert len(users) == len(county.actors)


# -- users -------------------------------------------------------------------------------------
def test_a_new_user_gets_a_token_once_and_it_signs_them_in(
    client: FlaskClient, county: County
) -> None:
    labour = str(county.units["labour"])

    response = client.post(
        f"{API}/users",
        json={"name": "何经办", "role": "handler", "unit_id": labour},
        headers=county.headers("admin"),
    )

    assert response.status_code == 201
    created = response.get_json()
    assert set(created) == {"id", "name", "role", "unit_id", "token"}
    assert (created["name"], created["role"], created["unit_id"]) == ("何经办", "handler", labour)
    public = {k: created[k] for k in ("id", "name", "role", "unit_id")}
    me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {created['token']}"})
    assert me.status_code == 200
    assert me.get_json() == public
    listing = client.get(f"{API}/users", headers=county.headers("admin"))
    assert listing.get_json()[-1] == public
    assert all("token" not in user for user in listing.get_json())
    assert created["token"] not in listing.text


def test_only_admins_supervisors_and_auditors_list_the_users(
    client: FlaskClient, county: County
) -> None:
    for who in ("admin", "supervisor", "auditor"):
        response = client.get(f"{API}/users", headers=county.headers(who))

        assert response.status_code == 200
        users = response.get_json()
        assert [u["id"] for u in users] == [str(a.id) for a in county.actors.values()]
        assert all(set(u) == {"id", "name", "role", "unit_id"} for u in users)
    for who in ("clerk", "dispatcher", "head", "handler", "leader", "labour_handler"):
        assert_error(client.get(f"{API}/users", headers=county.headers(who)), 403)


def test_a_user_with_invalid_fields_is_refused_field_by_field(
    client: FlaskClient, county: County, subtests: pytest.Subtests
) -> None:
    for body, errors in INVALID_USERS:
        with subtests.test(body=body):
            response = client.post(f"{API}/users", json=body, headers=county.headers("admin"))

            assert assert_error(response, 422)["errors"] == errors

    users = client.get(f"{API}/users", headers=county.headers("admin")).get_json()
    assert len(users) == len(county.actors)


# -- the caller and authentication -------------------------------------------------------------
def test_me_names_the_caller(client: FlaskClient, county: County) -> None:
    for who, actor in county.actors.items():
        response = client.get(f"{API}/me", headers=county.headers(who))

        assert response.status_code == 200
        assert response.get_json() == {
            "id": str(actor.id),
            "name": actor.name,
            "role": actor.role.value,
            "unit_id": str(actor.unit_id) if actor.unit_id else None,
        }


def test_requests_without_a_known_token_are_unauthorised_and_record_nothing(
    client: FlaskClient, county: County, subtests: pytest.Subtests
) -> None:
    for path in ("/me", "/units", "/users", f"/cases/{uuid4()}"):
        for name, headers in UNAUTHENTICATED.items():
            with subtests.test(path=path, credentials=name):
                response = client.get(f"{API}{path}", headers=headers)

                body = assert_error(response, 401)
                assert body["status"] == "Unauthorized"
                assert response.headers["WWW-Authenticate"] == 'Bearer realm="xinfang"'

    assert_error(client.post(f"{API}/units", json={"name": "县水利局"}), 401)
    listed = client.get(f"{API}/units", headers=county.headers("admin")).get_json()
    assert [u["name"] for u in listed] == COUNTY_UNITS


# -- public endpoints --------------------------------------------------------------------------
def test_health_and_the_openapi_document_need_no_token(client: FlaskClient, backend: str) -> None:
    health = client.get(f"{API}/health")
    spec = client.get(f"{API}/openapi.json")

    assert health.status_code == 200
    assert health.get_json() == {"status": "ok", "backend": backend}
    assert spec.status_code == 200
    document = spec.get_json()
    assert document["info"]["title"] == "xinfang 信访事项 API"
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }
    for path in (
        "/api/v1/units",
        "/api/v1/users",
        "/api/v1/me",
        "/api/v1/health",
        "/api/v1/cases",
        "/api/v1/cases/{case_id}",
        "/api/v1/cases/{case_id}/history",
        "/api/v1/cases/{case_id}/forward",
        "/api/v1/cases/{case_id}/supervision-orders/{n}/answer",
    ):
        assert path in document["paths"]


def test_the_interactive_docs_load_only_local_assets(client: FlaskClient) -> None:
    page = client.get("/api/docs")

    assert page.status_code == 200
    assert page.mimetype == "text/html"
    html = page.text
    assert "http://" not in html
    assert "https://" not in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sorted(assets) == [
        "/api/docs-assets/swagger-ui-bundle.js",
        "/api/docs-assets/swagger-ui-standalone-preset.js",
        "/api/docs-assets/swagger-ui.css",
    ]
    assert 'url: "/api/v1/openapi.json"' in html
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert len(served.data) > 1000
        served.close()
