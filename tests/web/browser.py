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


A11Y_SCRIPT = r"""
() => {
  const problems = [];
  if (!document.querySelector('h1')) problems.push('no h1 heading');
  if (!document.documentElement.lang) problems.push('no lang on <html>');
  if (!document.title) problems.push('no <title>');
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    const labelled = (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`))
      || el.closest('label') || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    if (!labelled) problems.push(`input without a label: ${el.name || el.id}`);
  }
  const rgb = (text) => {
    const m = text.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(',').map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0.5) return c;
    }
    return {r: 255, g: 255, b: 255, a: 1};
  };
  const seen = new Set();
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    const fg = rgb(style.color), bg = background(el);
    const l1 = lum(fg), l2 = lum(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(style.fontSize);
    const bold = parseInt(style.fontWeight, 10) >= 700;
    const needed = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
    if (ratio < needed) {
      const key = `${el.tagName}.${el.className}`;
      if (!seen.has(key)) { seen.add(key); problems.push(`contrast ${ratio.toFixed(2)} < ${needed} for ${key}: ${el.textContent.trim().slice(0, 30)}`); }
    }
  }
  return problems;
}
"""
"""Basic accessibility checks run in the page: a heading, a language, a title, a label for every
input, and WCAG AA contrast (4.5:1, 3:1 for large text) for every element with text."""
