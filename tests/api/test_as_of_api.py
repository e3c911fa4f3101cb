"""`as_of` over HTTP, from the views kept temporally: the ledger, its export and the overdue
list as of a moment are what the live views showed at that moment, to each reader; an
accusation stays hidden from the accused unit's staff as of any moment."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from flask.testing import FlaskClient

from domain.application import Xinfang
from domain.values import Category
from tests.conftest import County
from tests.integration.helpers_read import LIVES, Desk, fetch, read

READERS = ("supervisor", "dispatcher", "auditor")
"""The roles that may ask for `as_of` (domain.visibility.AS_OF_READERS)."""
PAGES = {
    "/ledger": {"page_size": 500, "sort": "number"},
    "/accountability/overdue": {"page_size": 500},
    "/accountability/overdue?page": {"page_size": 2, "page": 2},
    "/accountability/ready-to-close": {"page_size": 500},
}


def shown(client: FlaskClient, county: County, moment: datetime | None) -> dict[str, Any]:
    """What each reader is shown, live (`moment` None) or as of `moment`."""
    found = {}
    when = {} if moment is None else {"as_of": moment.isoformat()}
    for who in READERS:
        for page, query in PAGES.items():
            body = read(client, county, who, page.split("?")[0], **query, **when)
            body.pop("as_of")
            found[f"{who} {page}"] = body
    return found


def test_as_of_each_moment_shows_what_the_live_views_showed_then(
    client: FlaskClient, county: County, xinfang: Xinfang
) -> None:
    desk = Desk(xinfang, county)
    ids: list[UUID] = []
    then: list[tuple[datetime, dict[str, Any]]] = []
    for n, life in enumerate(LIVES):
        ids.append(life(desk, 150 - 5 * n, ids))
        then.append((xinfang.clock(), shown(client, county, None)))

    differing = [m for m, live in then if shown(client, county, m) != live]

    assert differing == []
    # Not an empty comparison: cases came and overdue deadlines were listed.
    assert len(then[-1][1]["supervisor /ledger"]["items"]) == len(LIVES)
    assert any(live["supervisor /accountability/overdue"]["items"] for _, live in then)
    assert then[-1][1]["supervisor /accountability/overdue?page"]["total"] > 3


def test_an_accusation_is_hidden_from_the_accused_unit_as_of_any_moment(
    client: FlaskClient, county: County, xinfang: Xinfang
) -> None:
    desk = Desk(xinfang, county)
    accusation = desk.register(
        desk.ago(40),
        category=Category.ACCUSATION,
        subject="反映信访局干部推诿",
        content="检举信访局某干部推诿不办。",
        accused=["bureau"],
    )
    other = desk.register(desk.ago(30))
    moment = xinfang.clock()
    desk.run(other, "dispatcher", "forward", desk.ago(29), unit_id=desk.unit("housing"))

    as_of = {"as_of": moment.isoformat(), "page_size": 500}
    dispatcher = read(client, county, "dispatcher", "/ledger", **as_of)
    supervisor = read(client, county, "supervisor", "/ledger", **as_of)

    # The dispatcher's unit is accused: the case is not theirs to know, then as now.
    assert [i["case_id"] for i in dispatcher["items"]] == [str(other)]
    assert dispatcher["total"] == 1
    assert {i["case_id"] for i in supervisor["items"]} == {str(accusation), str(other)}
    assert [i["status"] for i in supervisor["items"] if i["case_id"] == str(other)] == [
        "registered"
    ]
    # The supervisor sees the petitioner, as on the live ledger.
    assert not any(i["identity_masked"] for i in supervisor["items"])
    live = read(client, county, "dispatcher", "/ledger", page_size=500)
    assert [i["case_id"] for i in live["items"]] == [str(other)]


def test_as_of_is_refused_to_other_roles_and_pages_are_checked(
    client: FlaskClient, county: County, xinfang: Xinfang
) -> None:
    desk = Desk(xinfang, county)
    LIVES[0](desk, 100, [])
    moment = xinfang.clock().isoformat()

    assert fetch(client, county, "handler", "/ledger", as_of=moment).status_code == 403
    assert fetch(client, county, "head", "/accountability/overdue", as_of=moment).status_code == 403
    too_big = fetch(client, county, "supervisor", "/accountability/overdue", page_size=501)
    assert too_big.status_code == 422
