"""`xinfang risks` and `xinfang campaigns`: the registers listed and exported from the console,
people involved masked, exports recorded in the access log with the console account."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient
from openpyxl import load_workbook

from projections.bootstrap import Services
from projections.settings import Settings
from tests.api.helpers import ok
from tests.api.test_campaigns_api import launch
from tests.api.test_risks_api import Register
from tests.cli.test_cli import all_cases, application, env, environ, xinfang
from tests.conftest import County

__all__ = ["env"]  # the fixture of tests/cli/test_cli.py, used here


def test_the_console_lists_and_exports_the_risk_register_masked(
    client: FlaskClient, county: County, services: Services, settings: Settings, tmp_path: Path
) -> None:
    register = Register(client, county)
    complete = register.complete()
    register.enter(level="grave")
    env = environ(settings)

    listed = xinfang(env, "risks", "list")
    incomplete = xinfang(env, "risks", "list", "--incomplete", "--level", "grave")
    out = tmp_path / "risks.xlsx"
    xinfang(env, "risks", "export", str(out))

    assert complete["number"] in listed.stdout
    assert "共 2 条" in listed.stdout
    assert "刘大海" not in listed.stdout
    assert "共 1 条" in incomplete.stdout
    assert "未落实：包案领导、责任单位、具体负责人" in incomplete.stdout
    rows = list(load_workbook(out).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0][0] == "隐患编号"
    assert len(rows) == 3
    assert "刘大海" not in str(rows)
    services.catch_up()
    entries = services.access.query()
    exported = [e for e in entries if e.action == "export_risk_register"]
    assert len(exported) == 2
    assert all(e.operator and "@" in e.operator for e in exported)
    assert all(e.fields == [] for e in exported)


def test_the_console_lists_and_exports_the_campaigns(
    client: FlaskClient, county: County, settings: Settings, tmp_path: Path
) -> None:
    register = Register(client, county)
    first = register.complete()
    second = register.complete()
    ok(register.send("supervisor", first["id"], "resolve", {"evidence": "调解协议"}))
    launch(client, county, risk_ids=[first["id"], second["id"]])
    env = environ(settings)

    listed = xinfang(env, "campaigns", "list")
    out = tmp_path / "campaigns.xlsx"
    xinfang(env, "campaigns", "export", str(out))

    assert "积案化解百日攻坚" in listed.stdout
    assert "百日攻坚" in listed.stdout
    book = load_workbook(out)
    campaigns = list(book["专项行动"].iter_rows(values_only=True))
    assert campaigns[1][4:8] == (2, 1, 1, "50.0%")
    units = list(book["责任单位"].iter_rows(values_only=True))
    assert units[1][1] == "县住建局"


def test_the_demo_county_fills_the_risk_register_and_a_campaign(
    env: dict[str, str], settings: Settings
) -> None:
    xinfang(env, "init")

    result = xinfang(env, "demo", "--cases", "60", "--seed", "5")

    assert "矛盾风险台账：12 条" in result.stdout
    with application(settings) as app:
        cases = all_cases(app)
    converted = [case for case in cases if case.from_risk_id is not None]
    assert len(cases) == 60
    assert len(converted) == 3
    listed = xinfang(env, "risks", "list").stdout
    assert "共 12 条" in listed
    assert "已转信访事项" in listed
    assert "未落实" in listed
    assert "已化解销号" in listed
    campaigns = xinfang(env, "campaigns", "list").stdout
    assert "信访积案化解百日攻坚" in campaigns
