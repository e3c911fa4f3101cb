"""Small defences: shared login limits, strict headers, one 404, real `on_behalf_of`, docs assets,
and as_of scratch folders that never stay behind."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from flask.testing import FlaskClient

from api import DOCS_FILES, create_app
from api.guards import FAILED_LOGINS_ALLOWED
from projections import replay
from projections.bootstrap import Services, bootstrap
from projections.runner import Runner
from projections.settings import Settings
from tests.api.helpers import API, Office, assert_error, ok, registration
from tests.conftest import County

GUESS = {"Authorization": "Bearer guessed-token"}


@pytest.fixture
def second_worker(settings: Settings) -> Iterator[FlaskClient]:
    """Another app over the same database, as another gunicorn worker would be."""
    other = bootstrap(settings)
    try:
        yield create_app(other, {"TESTING": True}).test_client()
    finally:
        other.close()


# -- failed logins ------------------------------------------------------------------------------
def test_failed_logins_are_counted_across_workers(
    client: FlaskClient, second_worker: FlaskClient, county: County
) -> None:
    half = FAILED_LOGINS_ALLOWED // 2
    first = [client.get(f"{API}/me", headers=GUESS) for _ in range(half)]
    second = [
        second_worker.get(f"{API}/me", headers=GUESS) for _ in range(FAILED_LOGINS_ALLOWED - half)
    ]

    here = client.get(f"{API}/me", headers=GUESS)
    there = second_worker.get(f"{API}/me", headers=GUESS)
    valid = second_worker.get(f"{API}/me", headers=county.headers("clerk"))
    elsewhere = client.get(f"{API}/me", headers=GUESS, environ_base={"REMOTE_ADDR": "10.9.8.7"})

    for response in first + second:
        assert_error(response, 401)
    assert_error(here, 429)
    assert_error(there, 429)
    assert int(there.headers["Retry-After"]) > 0
    assert ok(valid)["role"] == "clerk"
    assert_error(elsewhere, 401)


# -- headers ------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["²", "３", "١", '"1²"', "0x3", "3.0", "1" * 30, '"-1"'])
def test_an_if_match_that_is_not_ascii_digits_is_422_not_500(
    client: FlaskClient, county: County, value: str
) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")

    response = office.send(
        "handler", case["id"], "progress", {"note": "核实"}, **{"If-Match": value}
    )

    assert assert_error(response, 422)["errors"] == {
        "If-Match": ['If-Match 须为记录的版本号，如 "3"']
    }
    assert office.view(case["id"])["version"] == case["version"]


@pytest.mark.parametrize("key", ["é-1", "a\tb", "ÿ"])
def test_an_idempotency_key_that_is_not_printable_ascii_is_422(
    client: FlaskClient, county: County, key: str
) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")

    response = office.send(
        "handler", case["id"], "progress", {"note": "核实"}, **{"Idempotency-Key": key}
    )

    assert assert_error(response, 422)["errors"] == {
        "Idempotency-Key": ["Idempotency-Key 须为可打印的 ASCII 字符（如一个 UUID）"]
    }


# -- one 404 ------------------------------------------------------------------------------------
def test_an_invisible_person_gets_the_same_404_as_nobody(
    client: FlaskClient, county: County
) -> None:
    somebody = county.actors["handler"].id
    headers = county.headers("handler2")

    invisible = client.get(f"{API}/accountability/actors/{somebody}", headers=headers)
    unknown = client.get(f"{API}/accountability/actors/{uuid4()}", headers=headers)
    own = client.get(f"{API}/accountability/actors/{county.actors['handler2'].id}", headers=headers)

    assert assert_error(invisible, 404) == assert_error(unknown, 404)
    assert ok(own)["name"] == "孙经办"


def test_an_invisible_case_gets_the_same_404_as_no_case(
    client: FlaskClient, county: County
) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")

    for who in ("labour_head", "labour_handler", "leader2", "admin"):
        hidden = office.get(case["id"], who)
        missing = office.get(str(uuid4()), who)
        history = client.get(f"{API}/cases/{case['id']}/history", headers=office.headers(who))
        assert assert_error(hidden, 404) == assert_error(missing, 404), who
        assert assert_error(history, 404) == assert_error(missing, 404), who


# -- on whose behalf ----------------------------------------------------------------------------
def test_on_behalf_of_must_name_a_user(client: FlaskClient, county: County) -> None:
    office = Office(client, county)
    case = office.drive("in_progress")
    note = {"note": "按县长指示核实"}

    nobody = office.send("handler", case["id"], "progress", {**note, "on_behalf_of": str(uuid4())})
    a_unit = office.send(
        "handler", case["id"], "progress", {**note, "on_behalf_of": str(county.units["housing"])}
    )
    the_case = office.send("handler", case["id"], "progress", {**note, "on_behalf_of": case["id"]})
    leader = str(county.actors["leader"].id)
    done = office.send("handler", case["id"], "progress", {**note, "on_behalf_of": leader})

    for response in (nobody, a_unit, the_case):
        errors = assert_error(response, 422)["errors"]
        assert list(errors) == ["on_behalf_of"]
        assert errors["on_behalf_of"][0].startswith("没有此人员")
    assert ok(done)["version"] == case["version"] + 1
    assert office.history(case["id"])[-1]["on_behalf_of"] == leader
    registered = client.post(
        f"{API}/cases",
        json={**registration(), "on_behalf_of": str(uuid4())},
        headers=office.headers("clerk"),
    )
    assert list(assert_error(registered, 422)["errors"]) == ["on_behalf_of"]


# -- the docs page's files ----------------------------------------------------------------------
def test_the_docs_assets_are_only_the_files_the_docs_page_loads(client: FlaskClient) -> None:
    for name in sorted(DOCS_FILES):
        served = client.get(f"/api/docs-assets/{name}")
        assert served.status_code == 200, name
        served.close()
    for name in (
        "index.html",
        "index.j2",
        "swagger-initializer.js",
        "oauth2-redirect.html",
        "swagger-ui-bundle.js.map",
        "swagger-ui.css.map",
        "swagger-ui.js",
        "../__init__.py",
        "favicon-32x32.png",
    ):
        assert client.get(f"/api/docs-assets/{name}").status_code == 404, name


# -- as_of scratch folders ----------------------------------------------------------------------
@pytest.fixture
def scratch(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A temporary folder of this test's own, where replays make their scratch folders."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_a_failed_replay_leaves_no_scratch_folder(
    client: FlaskClient,
    county: County,
    services: Services,
    scratch: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The replay of a bulletin's recompute (`as_of` of the ledger reads the history instead).
    office = Office(client, county)
    office.drive("in_progress")
    seen: list[Path] = []

    def broken(self: Runner, **_: object) -> None:
        seen.extend(scratch.iterdir())
        raise RuntimeError("the replay broke")

    monkeypatch.setattr(Runner, "catch_up", broken)
    head = services.app.recorder.max_notification_id() or 0
    with (
        pytest.raises(RuntimeError, match="the replay broke"),
        replay.ledger_at(services.app, services.ledger.sealer, head),
    ):
        pass

    assert [p.name.startswith(f"xinfang-asof-{os.getpid()}-") for p in seen] == [True]
    assert list(scratch.iterdir()) == []


def test_the_scratch_folder_of_a_killed_replay_goes_at_the_next_one(
    client: FlaskClient, county: County, services: Services, scratch: Path
) -> None:
    office = Office(client, county)
    office.drive("in_progress")
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    killed = scratch / f"xinfang-asof-{int(gone.stdout)}-left"
    (killed / "sub").mkdir(parents=True)
    (killed / "views.db").write_bytes(b"x" * 100)
    running = scratch / f"xinfang-asof-{os.getppid()}-busy"
    running.mkdir()
    other = scratch / "xinfang-asof-notmine"
    other.mkdir()

    head = services.app.recorder.max_notification_id() or 0
    with replay.ledger_at(services.app, services.ledger.sealer, head) as past:
        assert past.store.query("SELECT COUNT(*) AS n FROM {p}ledger_cases")[0]["n"] == 1

    assert sorted(p.name for p in scratch.iterdir()) == sorted([running.name, other.name])
    assert replay.sweep_scratch(scratch) == []
