"""`xinfang config`: the issuing office, read anew by the documents issued after a change."""

from __future__ import annotations

from pathlib import Path

from domain.application import Context
from domain.commands import IssueDocument
from domain.values import DocumentKind
from projections.settings import Settings, create_instance
from tests.cli.test_cli import application, environ, xinfang
from tests.conftest import build_county
from tests.integration.helpers_read import Desk


def test_config_shows_defaults_sets_a_value_and_refuses_bad_ones(settings: Settings) -> None:
    env = environ(settings)
    shown = xinfang(env, "config", "show").stdout
    assert "县信访局" in shown
    assert "number_prefix" in shown

    xinfang(env, "config", "set", "number_prefix", "某信")
    xinfang(env, "config", "set", "office", "某某县信访局")

    assert settings.office_profile().number_prefix == "某信"
    assert settings.office_profile().office == "某某县信访局"
    assert "某某县信访局" in xinfang(env, "config", "show").stdout
    unknown = xinfang(env, "config", "set", "colour", "红", ok=False)
    assert unknown.exit_code == 2
    blank = xinfang(env, "config", "set", "office", "  ", ok=False)
    assert blank.exit_code == 2
    assert settings.office_profile().office == "某某县信访局"


def test_a_document_issued_after_a_change_carries_the_new_prefix(settings: Settings) -> None:
    env = environ(settings)
    with application(settings) as app:
        county = build_county(app)
        desk = Desk(app, county)
        case = desk.register()
        desk.run(case, "dispatcher", "forward", unit_id=desk.unit("housing"))
        clerk = county.actors["clerk"]
        xinfang(env, "config", "set", "number_prefix", "甲信")
        app.execute(IssueDocument(case_id=case, kind=DocumentKind.TRANSFER_SLIP), Context(clerk))
        issued = app._load_case(case).document(DocumentKind.TRANSFER_SLIP)
    assert issued is not None
    assert issued.number.startswith("甲信转交〔")


def test_config_without_an_instance_says_to_run_init(tmp_path: Path) -> None:
    env = {"XINFANG_HOME": str(tmp_path / "nowhere"), "PERSISTENCE_MODULE": "eventsourcing.sqlite"}
    result = xinfang(env, "config", "show", ok=False)
    assert result.exit_code == 1
    assert "xinfang init" in result.output


def test_a_backup_keeps_the_issuing_office_and_a_restore_brings_it_back(tmp_path: Path) -> None:
    source = Settings(home=tmp_path / "home")
    create_instance(source)
    env = environ(source)
    xinfang(env, "config", "set", "office", "某某县信访局")
    xinfang(env, "backup", str(tmp_path / "copy"), "--with-signing-key")
    target = Settings(home=tmp_path / "elsewhere")

    xinfang(environ(target), "restore", str(tmp_path / "copy"))

    assert target.office_profile().office == "某某县信访局"
