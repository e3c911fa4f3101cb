"""Fixtures shared by every test: an instance on SQLite and on PostgreSQL, and a county."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient

from api import create_app
from domain.application import Xinfang
from domain.directory import SYSTEM_ACTOR
from domain.values import Actor, Role
from projections.bootstrap import Services, bootstrap
from projections.settings import (
    Settings,
    local_postgres_env,
    postgres_connect,
    throwaway_instance,
)

PG_ENV = local_postgres_env()
BACKENDS = ("sqlite", "postgres")


def pg_connect() -> psycopg.Connection[Any]:
    """A connection to the test database (autocommit)."""
    return postgres_connect(PG_ENV)


_pg_state: dict[str, bool] = {}


def require_postgres() -> None:
    """Skip without PostgreSQL locally; in CI (CI=true) its absence fails the test."""
    if "ok" not in _pg_state:
        try:
            with pg_connect() as conn:
                conn.execute("SELECT 1")
            _pg_state["ok"] = True
        except psycopg.Error:
            _pg_state["ok"] = False
    if not _pg_state["ok"]:
        message = (
            f"PostgreSQL is unreachable at {PG_ENV['POSTGRES_HOST']}:{PG_ENV['POSTGRES_PORT']}"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true: PostgreSQL tests must run)")
        pytest.skip(message)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each test that uses an instance runs once per event store."""
    name: str = request.param
    if name == "postgres":
        require_postgres()
    return name


@pytest.fixture
def settings(backend: str, tmp_path: Path) -> Iterator[Settings]:
    """A fresh instance of the backend under test; on PostgreSQL in a schema of its own."""
    with throwaway_instance(backend, tmp_path / "home", PG_ENV, schema_prefix="t") as fresh:
        yield fresh


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    """The services of the fresh instance."""
    built = bootstrap(settings)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def xinfang(services: Services) -> Xinfang:
    """The write-side application."""
    return services.app


@dataclass
class County:
    """A small synthetic county: units, one user per role, and their tokens."""

    units: dict[str, UUID] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str, **extra: str) -> dict[str, str]:
        """Request headers for `who`."""
        return {"Authorization": f"Bearer {self.tokens[who]}", **extra}


def build_county(app: Xinfang) -> County:
    """Units (a bureau, two departments, a township under one of them) and users."""
    county = County()
    for key, name, parent in (
        ("bureau", "县信访局", None),
        ("housing", "县住建局", None),
        ("labour", "县人社局", None),
        ("township", "城关镇", None),
        ("village", "城关镇幸福村", "township"),
    ):
        unit = app.add_unit(
            SYSTEM_ACTOR, name=name, parent_id=county.units[parent] if parent else None
        )
        county.units[key] = unit.id
    for key, name, role, unit_key in (
        ("admin", "管理员", Role.ADMIN, None),
        ("clerk", "李登记", Role.CLERK, "bureau"),
        ("dispatcher", "王分办", Role.DISPATCHER, "bureau"),
        ("head", "赵局长", Role.UNIT_HEAD, "housing"),
        ("handler", "钱办事", Role.HANDLER, "housing"),
        ("handler2", "孙经办", Role.HANDLER, "housing"),
        ("labour_head", "周局长", Role.UNIT_HEAD, "labour"),
        ("labour_handler", "吴经办", Role.HANDLER, "labour"),
        ("township_head", "郑镇长", Role.UNIT_HEAD, "township"),
        ("village_handler", "冯村干", Role.HANDLER, "village"),
        ("leader", "陈县长", Role.LEADER, None),
        ("leader2", "褚副县长", Role.LEADER, None),
        ("supervisor", "卫督查", Role.SUPERVISOR, None),
        ("auditor", "蒋纪检", Role.AUDITOR, None),
    ):
        user, token = app.add_user(
            SYSTEM_ACTOR, name=name, role=role, unit_id=county.units[unit_key] if unit_key else None
        )
        county.actors[key] = user.as_actor
        county.tokens[key] = token
    return county


@pytest.fixture
def county(xinfang: Xinfang) -> County:
    """The synthetic county in the fresh instance."""
    return build_county(xinfang)


@pytest.fixture
def flask_app(services: Services) -> Flask:
    """The API over the fresh instance."""
    return create_app(services, {"TESTING": True})


@pytest.fixture
def client(flask_app: Flask) -> FlaskClient:
    """A test client of the API."""
    return flask_app.test_client()
