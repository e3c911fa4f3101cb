"""Drivers for the web page tests: sign in through the form, post forms with their CSRF token."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    match = CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match[1]


def sign_in(client: FlaskClient, token: str) -> TestResponse:
    """Sign in through the login form (as a browser would: its CSRF token first)."""
    form = client.get("/login")
    return client.post("/login", data={"token": token, "csrf_token": csrf_of(form.text)})


def post_form(client: FlaskClient, page: str, action: str, data: dict[str, Any]) -> TestResponse:
    """Submit a form of `page` to `action` with the page's CSRF token."""
    html = client.get(page).text
    return client.post(action, data={**data, "csrf_token": csrf_of(html)})
