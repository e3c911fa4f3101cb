"""The one table that maps errors to HTTP responses of the shape in api.md."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from apispec import BasePlugin
from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from api.guards import MalformedBodyError, TooManyAttemptsError
from domain import errors as d

STATUS_OF: dict[type[d.DomainError], int] = {
    d.AuthenticationError: 401,
    d.PermissionDeniedError: 403,
    d.NotFoundError: 404,
    d.TransitionError: 409,
    d.StaleVersionError: 409,
    d.ConflictError: 409,
    d.RuleViolationError: 422,
    d.IdempotencyKeyReusedError: 422,
    MalformedBodyError: 400,
    TooManyAttemptsError: 429,
    # A stored record failed its integrity check (docs/audit.md): the server's data is damaged,
    # not the request; the record binding has logged which record.
    d.RecordIntegrityError: 500,
}
"""Domain error → HTTP status; the views never choose a status for a failure."""

FIELD_OF: dict[type[d.DomainError], str] = {d.IdempotencyKeyReusedError: "Idempotency-Key"}
"""The part of the request to name in `errors` for a 422 whose domain error names no field."""


class ErrorResponses(BasePlugin):
    """Documents on every operation the error statuses that this table can give it.

    In place of flask-smorest's catch-all `default` response, so that an answer with a status
    the document does not list is a defect that schema-driven tests find.
    """

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **_: Any
    ) -> None:
        """Add the error responses (component references by status name) to each operation."""
        for method, operation in (operations or {}).items():
            responses = operation.setdefault("responses", {})
            for code in error_statuses(path or "", method, operation):
                responses.setdefault(str(code), HTTPStatus(code).name)


def error_statuses(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    """The statuses a failed request to this operation can have (api.md, "Errors")."""
    codes = []
    if operation.get("security") != []:
        codes += [401, 403, 429]  # no or unknown token, role refused, too many failed logins
    if "{" in path:
        codes.append(404)
    if "requestBody" in operation:
        codes += [400, 413]  # not JSON (or nested too deep), too large
    codes.append(422)  # invalid input, or a query parameter the operation does not take
    if method.lower() == "post":
        codes.append(409)
    return sorted(codes)


def error_response(code: int, message: str, errors: dict[str, Any] | None = None) -> Response:
    """A JSON error body: code, reason phrase, human message, optional field errors."""
    body: dict[str, Any] = {
        "code": code,
        "status": HTTPStatus(code).phrase,
        "message": message,
    }
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = code
    if code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="xinfang"'
    return response


def _field_errors(err: HTTPException) -> dict[str, Any] | None:
    data = getattr(err, "data", None) or {}
    messages = data.get("messages")
    if not isinstance(messages, dict):
        return None
    flat: dict[str, Any] = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            flat.update(fields)
        else:
            flat[location] = fields
    return flat


GENERAL: dict[int, str] = {
    400: "请求有误，无法处理",
    401: "请先登录",
    403: "您无权进行此操作",
    404: "没有此网址所指的资源",
    405: "此网址不接受该请求方法",
    406: "无法以所要求的格式答复",
    409: "此请求与记录的当前状态冲突",
    415: "请以 JSON（Content-Type: application/json）发送请求内容",
    422: "输入有误",
    429: "请求过于频繁，请稍后重试",
    500: "系统出现错误，已记录，请稍后再试",
    503: "服务暂时不可用，请稍后再试",
}
"""The message of an HTTP error that no rule of ours words (Werkzeug's own are in English)."""
NOT_JSON = "请求内容不是有效的 JSON（须为 UTF-8 编码）"


def _http_error(err: HTTPException) -> Response:
    code = err.code or 500
    errors = _field_errors(err)
    if code == 422 and errors:
        message = f"{GENERAL[422]}：{'、'.join(sorted(errors))}"
    elif code == 400 and errors and "json" in errors:
        message = NOT_JSON
        errors = {"json": [NOT_JSON]}
    elif code == 413:
        message = f"请求内容超过 {request.max_content_length} 字节的上限"
    else:
        message = GENERAL.get(code) or GENERAL[500 if code >= 500 else 400]
    return error_response(code, message, errors)


def _domain_error(err: d.DomainError) -> Response:
    code = next(s for t, s in STATUS_OF.items() if isinstance(err, t))
    field = getattr(err, "field", None) or next(
        (name for t, name in FIELD_OF.items() if isinstance(err, t)), None
    )
    errors = {field: [err.message]} if field else None
    response = error_response(code, err.message, errors)
    if isinstance(err, TooManyAttemptsError):
        response.headers["Retry-After"] = str(err.retry_after)
    return response


def register_error_handlers(app: Flask) -> None:
    """Install the mapping on the Flask app."""
    app.register_error_handler(HTTPException, _http_error)
    for error_class in STATUS_OF:
        app.register_error_handler(error_class, _domain_error)
