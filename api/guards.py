"""Guards against hostile requests: JSON nested too deeply, and guessing tokens."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from flask import request

from domain.errors import DomainError

MAX_NESTING = 32
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


def limit_nesting() -> None:
    """Refuse JSON bodies nested deeper than MAX_NESTING (before anything parses them)."""
    if not request.is_json or request.content_length == 0:
        return
    body = request.get_data(cache=True)
    if body.count(b"[") + body.count(b"{") <= MAX_NESTING:
        return
    if nesting_depth(body, MAX_NESTING) > MAX_NESTING:
        msg = f"the JSON body nests deeper than {MAX_NESTING} levels"
        raise MalformedBodyError(msg)


class LoginThrottle:
    """Counts failed logins per client address in a sliding window (per process)."""

    def __init__(
        self, allowed: int = FAILED_LOGINS_ALLOWED, window: float = FAILED_LOGIN_WINDOW
    ) -> None:
        self.allowed = allowed
        self.window = window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        failures = self._failures[address]
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def check(self, address: str) -> None:
        """Refuse an address that failed too often lately."""
        now = time.monotonic()
        with self._lock:
            failures = self._recent(address, now)
            if len(failures) >= self.allowed:
                wait = int(failures[0] + self.window - now) + 1
                msg = f"too many failed logins from this address; retry in {wait} s"
                raise TooManyAttemptsError(msg, wait)

    def failed(self, address: str) -> None:
        """Count one failed login."""
        with self._lock:
            self._recent(address, time.monotonic()).append(time.monotonic())
