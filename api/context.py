"""Per-request access to the services and the signed-in actor."""

from __future__ import annotations

import re

from flask import current_app, g, request

from api.guards import LoginThrottle
from domain.application import Xinfang
from domain.errors import AuthenticationError, RuleViolationError
from domain.values import Actor
from projections.bootstrap import Services

PUBLIC_ENDPOINTS = frozenset(
    {"meta.Health", "api-docs.openapi_json", "api-docs.openapi_swagger_ui"}
)


def services() -> Services:
    """The services built for this Flask app."""
    built: Services = current_app.extensions["xinfang"]
    return built


def application() -> Xinfang:
    """The write-side application."""
    return services().app


def actor() -> Actor:
    """The caller, resolved from the bearer token by `authenticate`."""
    found: Actor = g.actor
    return found


def authenticate() -> None:
    """Resolve `Authorization: Bearer <token>` for every non-public endpoint."""
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint == "static":
        return
    if not request.path.startswith("/api/v1"):
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("请登录：请求须带 Authorization: Bearer <令牌>")
    throttle: LoginThrottle = current_app.extensions["xinfang.logins"]
    address = request.remote_addr or "unknown"
    try:
        g.actor = application().authenticate(token.strip())
    except AuthenticationError:
        # Past the limit, an address that keeps guessing gets 429 instead of 401.
        throttle.check(address)
        throttle.failed(address)
        raise


VERSION = re.compile(r'(?:W/)?"?([0-9]{1,18})"?')
"""An If-Match version: ASCII digits only (`str.isdigit` also takes "²" and "３", which `int`
refuses or reads), optionally quoted as an entity tag; 18 digits fit any database integer."""
KEY = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")
"""An Idempotency-Key: printable ASCII (a structured-field string), no surrounding spaces."""


def expected_version() -> int | None:
    """The version named by If-Match, if any (422 naming the header for anything else)."""
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    match = VERSION.fullmatch(raw.strip())
    if match is None:
        raise RuleViolationError("If-Match", 'If-Match 须为记录的版本号，如 "3"')
    return int(match[1])


def idempotency_key() -> str | None:
    """The Idempotency-Key header, if any."""
    raw = request.headers.get("Idempotency-Key")
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > 200:
        raise RuleViolationError("Idempotency-Key", "Idempotency-Key 须为 1 至 200 个字符")
    if KEY.fullmatch(key) is None:
        raise RuleViolationError(
            "Idempotency-Key", "Idempotency-Key 须为可打印的 ASCII 字符（如一个 UUID）"
        )
    return key
