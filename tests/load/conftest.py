"""The load and fault test is opt-in: it runs only with XINFANG_LOAD=1 (minutes, real processes)."""

from __future__ import annotations

import os

import pytest

OPT_IN = "XINFANG_LOAD"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip every test marked `load` unless XINFANG_LOAD=1."""
    if os.environ.get(OPT_IN) == "1":
        return
    skip = pytest.mark.skip(reason=f"opt-in: {OPT_IN}=1 .venv/bin/pytest tests/load -q -s")
    for item in items:
        if item.get_closest_marker("load") is not None:
            item.add_marker(skip)
