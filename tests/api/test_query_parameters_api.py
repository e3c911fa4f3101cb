"""A query parameter an endpoint does not take is refused (422, naming it), never ignored."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.api.helpers import API, Office, assert_error, ok
from tests.conftest import County

VIEWS_WITHOUT_AS_OF = (
    "/accountability/agenda",
    "/accountability/backlog",
    "/accountability/units?month=2026-11",
    "/accountability/leaders?month=2026-11",
)


@pytest.mark.parametrize("path", VIEWS_WITHOUT_AS_OF)
def test_as_of_on_a_view_that_cannot_answer_it_is_refused(
    client: FlaskClient, county: County, path: str
) -> None:
    joiner = "&" if "?" in path else "?"
    response = client.get(f"{API}{path}{joiner}as_of=garbage", headers=county.headers("supervisor"))
    body = assert_error(response, 422)
    assert body["errors"] == {"as_of": ["此接口不接受该查询参数"]}


def test_an_unknown_filter_is_refused_with_each_unknown_name(
    client: FlaskClient, county: County
) -> None:
    response = client.get(
        f"{API}/ledger?statu=registered&unit=x&page=1", headers=county.headers("supervisor")
    )
    body = assert_error(response, 422)
    assert sorted(body["errors"]) == ["statu", "unit"]
    assert body["message"] == "输入有误：statu、unit"


def test_an_endpoint_without_query_parameters_refuses_any(
    client: FlaskClient, county: County
) -> None:
    for path in ("/me", "/units"):
        body = assert_error(
            client.get(f"{API}{path}?debug=1", headers=county.headers("clerk")), 422
        )
        assert list(body["errors"]) == ["debug"]


def test_the_declared_parameters_still_work(client: FlaskClient, county: County) -> None:
    office = Office(client, county)
    case = office.register()
    answer = ok(client.get(f"{API}/ledger?page=1&page_size=5", headers=county.headers("clerk")))
    assert answer["page_size"] == 5
    proofs = ok(
        client.get(
            f"{API}/cases/{case['id']}/history?proofs=true", headers=county.headers("auditor")
        )
    )
    assert proofs["events"][0]["type"] == "Registered"
