"""Unknown query parameters are refused (422, naming each) on every endpoint of the API.

A misspelt filter or an `as_of` sent to a view that cannot answer it would otherwise be
ignored silently, and the caller would take the answer for what they asked.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request
from werkzeug.exceptions import UnprocessableEntity

QUERY_PARAMETERS = "xinfang.query_parameters"


def declared_query_parameters(app: Flask) -> dict[tuple[str, str], frozenset[str]]:
    """For each endpoint and method, the query parameters its schemas declare."""
    table: dict[tuple[str, str], frozenset[str]] = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            target = getattr(view_class, method.lower(), None) if view_class else view
            table[(rule.endpoint, method)] = frozenset(_query_names(target))
    return table


def _query_names(view: Any) -> set[str]:
    arguments = getattr(view, "_apidoc", {}).get("arguments", {})
    names: set[str] = set()
    for parameter in arguments.get("parameters", []):
        if parameter.get("in") != "query":
            continue
        schema = parameter["schema"]
        schema = schema() if isinstance(schema, type) else schema
        names |= {field.data_key or name for name, field in schema.fields.items()}
    return names


def install(app: Flask) -> None:
    """Check every API request's query string against what its endpoint declares."""
    app.extensions[QUERY_PARAMETERS] = declared_query_parameters(app)
    app.before_request(refuse_unknown_query_parameters)


def refuse_unknown_query_parameters() -> None:
    """422 with a field error for each query parameter the endpoint does not take."""
    if not request.args or not request.path.startswith("/api/v1"):
        return
    table: dict[tuple[str, str], frozenset[str]] = current_app.extensions[QUERY_PARAMETERS]
    allowed = table.get((request.endpoint or "", request.method))
    if allowed is None:
        return
    unknown = sorted(set(request.args) - allowed)
    if unknown:
        raise UnknownQueryParametersError(unknown)


class UnknownQueryParametersError(UnprocessableEntity):
    """Query parameters the endpoint does not take, in the shape of a validation error."""

    def __init__(self, names: list[str]) -> None:
        super().__init__()
        message = "此接口不接受该查询参数"
        self.data = {"messages": {"query": {name: [message] for name in names}}}
