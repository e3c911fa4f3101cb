"""Guards against hostile requests: JSON the parser would choke on, and guessing tokens."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from domain.errors import DomainError
from projections.logins import FailedLogins

MAX_NESTING = 32
SUSPECT = re.compile(rb"\\u[dD][89a-fA-F]|[0-9]{1000}")
"""Surrogate escapes and very long digit runs: the body is parsed here to look closer."""
FAILED_LOGINS_ALLOWED = 10
FAILED_LOGIN_WINDOW = 300.0


class MalformedBodyError(DomainError):
    """The body is not JSON the API can read."""


class TooManyAttemptsError(DomainError):
    """Too many failed logins from one address; try again later."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def nesting_depth(body: bytes, limit: int) -> int:
    """How deeply JSON arrays/objects nest (stops counting past `limit`)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def has_lone_surrogate(value: Any) -> bool:
    """Whether a parsed JSON value holds a string that is not Unicode (an unpaired surrogate)."""
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(has_lone_surrogate(k) or has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_lone_surrogate(v) for v in value)
    return False


def has_body() -> bool:
    """Whether the request carries a body: a length over 0, or chunks (HTTP/1.1: without
    either there is none, as on a GET that names its JSON content type all the same)."""
    if request.content_length is not None:
        return request.content_length > 0
    return "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def check_json_body() -> None:
    """Refuse JSON bodies the parser would choke on, before anything parses them.

    Larger than the limit when streamed (Werkzeug stops reading a chunked body at the limit
    without a word); nested deeper than MAX_NESTING; with an escaped unpaired surrogate
    ("\\ud800": valid JSON, but no text that UTF-8 can store); with an integer too long for
    Python to convert.
    """
    if not request.is_json or not has_body():
        return
    body = request.get_data(cache=True)
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(body) >= limit:
        raise RequestEntityTooLarge()
    brackets = body.count(b"[") + body.count(b"{")
    if brackets > MAX_NESTING and nesting_depth(body, MAX_NESTING) > MAX_NESTING:
        msg = f"请求的 JSON 内容嵌套超过 {MAX_NESTING} 层"
        raise MalformedBodyError(msg)
    if not SUSPECT.search(body):
        return
    try:
        value = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return  # not JSON at all: the schema's parser answers that
    except ValueError as exc:
        raise MalformedBodyError("请求的 JSON 内容中有位数过多的数字") from exc
    if has_lone_surrogate(value):
        raise MalformedBodyError("请求的 JSON 内容含有不成对的 UTF-16 代理字符（\\uD800-\\uDFFF）")


class LoginThrottle:
    """Refuses an address that failed to sign in too often lately, counted by every worker.

    The count is kept in the database (projections/logins.py), so the limit holds for the
    service as a whole, however many workers gunicorn runs: FAILED_LOGINS_ALLOWED failures
    within FAILED_LOGIN_WINDOW seconds, then 429 until the oldest of them leaves the window.
    Two workers may each let one more guess through at the very edge; the limit is that close.
    """

    def __init__(self, failures: FailedLogins, allowed: int = FAILED_LOGINS_ALLOWED) -> None:
        self.failures = failures
        self.allowed = allowed

    def check(self, address: str) -> None:
        """Refuse an address that failed too often lately."""
        recent = self.failures.recent(address)
        if recent.count >= self.allowed and recent.oldest is not None:
            now = self.failures.clock()
            wait = max(1, int(recent.oldest + self.failures.window - now) + 1)
            msg = f"此地址登录失败次数过多，请 {wait} 秒后重试"
            raise TooManyAttemptsError(msg, wait)

    def failed(self, address: str) -> None:
        """Count one failed login."""
        self.failures.record(address)
