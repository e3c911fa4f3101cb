"""A real browser for the page tests: Debian's Chromium driven by Playwright, and the app served
on a free local port from a thread.

Outside CI a missing Chromium or Playwright skips the test with an install hint; with CI=true
it fails (.ci/run installs chromium).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("XINFANG_CHROMIUM", "/usr/bin/chromium")
SCREEN = {"width": 1366, "height": 768}
"""The office screen the pages are made for."""
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "ui"
"""Where the tests save each role's main page (committed, linked from README.md)."""
HINT = "apt-get install -y chromium (and pip install playwright==1.63.0: make install)"


def require_browser() -> Any:
    """Playwright's sync API, or a skip (a failure with CI=true) saying how to install."""
    missing = None
    try:
        from playwright import sync_api
    except ImportError:
        missing = "the playwright package is not installed"
        sync_api = None
    if missing is None and not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        missing = f"Chromium is not installed at {CHROMIUM}"
    if missing is not None:
        message = f"{missing}: {HINT}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true: the browser tests must run)")
        pytest.skip(message)
    return sync_api


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 on a free port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


A11Y_SCRIPT = (Path(__file__).parent / "a11y.js").read_text(encoding="utf-8")
"""Basic accessibility checks run in the page: a heading, a language, a title, a label for every
input, and WCAG AA contrast (4.5:1, 3:1 for large text) for every element with text."""
