"""`xinfang serve`'s access log: the line gunicorn would write, from fewer fields."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger, SafeAtoms

from scripts.access_log import ACCESS_LOG_FORMAT, AccessLogger


def config(access_format: str) -> Config:
    cfg = Config()
    cfg.set("access_log_format", access_format)
    return cfg


def request_parts(path: str, status: str = "200 OK", sent: int | None = 1977) -> tuple[Any, ...]:
    response = SimpleNamespace(
        status=status, sent=sent, headers=[("Content-Type", "application/json")]
    )
    request = SimpleNamespace(headers=[("AUTHORIZATION", "Bearer secret"), ("HOST", "x")])
    environ = {
        "REMOTE_ADDR": "127.0.0.1",
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "q=张三",
        "RAW_URI": f"{path}?q=张三",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_AUTHORIZATION": "Bearer secret",
    }
    return response, request, environ, timedelta(seconds=1, microseconds=2345)


def line(logger: Logger, parts: tuple[Any, ...]) -> str:
    text: str = logger.cfg.access_log_format % SafeAtoms(logger.atoms(*parts))
    return text


@pytest.mark.parametrize(
    ("path", "status", "sent"),
    [
        ("/api/v1/cases/4f0c", "200 OK", 1977),
        ('/api/v1/cases/"quoted"', "404 NOT FOUND", 0),
        ("/api/v1/cases", 304, None),
    ],
)
def test_the_line_is_gunicorns_without_the_query_string(
    path: str, status: Any, sent: int | None
) -> None:
    parts = request_parts(path, status, sent)
    ours = line(AccessLogger(config(ACCESS_LOG_FORMAT)), parts)
    theirs = line(Logger(config(ACCESS_LOG_FORMAT)), parts)
    # The time field is the clock's: compare the rest, and that both carry one.
    assert ours.split("]", 1)[1] == theirs.split("]", 1)[1]
    assert ours.startswith("127.0.0.1 [")
    assert "张三" not in ours
    assert "secret" not in ours
    assert ours.endswith(" 1.002345s")
    assert f" {'-' if sent is None else sent} " in ours


def test_a_format_naming_other_fields_gets_gunicorns_full_set() -> None:
    parts = request_parts("/api/v1/cases")
    logger = AccessLogger(config('%(h)s "%(r)s" %({host}i)s %(s)s'))
    assert line(logger, parts) == '127.0.0.1 "GET /api/v1/cases?q=张三 HTTP/1.1" x 200'
    logger.cfg.set("access_log_format", ACCESS_LOG_FORMAT)  # a reload: the cheap set again
    assert set(logger.atoms(*parts)) == set("htmUsbL")


@pytest.mark.parametrize(
    ("access_format", "expected"),
    [
        ('%(h)s %({x-forwarded-for}i)s "%(U)s"', '127.0.0.1 10.0.0.9 "/api/v1/cases"'),
        ("%(h)s %({remote_port}e)s", "127.0.0.1 5555"),
        ("%(h)s %({content-type}o)s", "127.0.0.1 application/json"),
    ],
)
def test_a_header_or_environ_field_alone_gets_gunicorns_full_set(
    access_format: str, expected: str
) -> None:
    response, request, environ, took = request_parts("/api/v1/cases")
    request.headers.append(("X-FORWARDED-FOR", "10.0.0.9"))
    environ["REMOTE_PORT"] = "5555"
    parts = (response, request, environ, took)
    ours = line(AccessLogger(config(access_format)), parts)
    assert ours == expected
    assert ours == line(Logger(config(access_format)), parts)
