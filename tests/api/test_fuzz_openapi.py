"""API fuzzing: schemathesis drives every operation of /api/v1/openapi.json with valid tokens.

The schema is loaded from the Flask app in-process (WSGI, no server). Each operation gets a
bounded number of generated requests, valid ones (positive) and ones the schema forbids
(negative), sent as one of several roles of the test county and, for most, at real cases. Every
answer must be no server error, have a status the document lists for the operation, and have a
body of the documented schema (the error shape of api.md for every error).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.errors import error_statuses
from tests.api.helpers import Office
from tests.conftest import County

OPENAPI = "/api/v1/openapi.json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = {"sqlite": (30, 15), "postgres": (6, 3)}
"""Requests per operation (positive, negative): about 30 s on SQLite, 8 s on PostgreSQL."""
CALLERS = ("clerk", "dispatcher", "supervisor", "head", "handler", "admin", None)
"""Who sends a request: a role of the test county, or (None) someone with a made-up token."""


def fuzz_settings(examples: int) -> settings:
    """Bounded, reproducible generation (the same requests in every run), no example database."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


def failure_title(exc: BaseException) -> str:
    """What went wrong, in one line: the checks that failed, or the exception raised."""
    if isinstance(exc, BaseExceptionGroup):
        return ", ".join(sorted({failure_title(e) for e in exc.exceptions}))
    text = str(exc).strip()
    detail = text.splitlines()[0] if text else ""
    return getattr(exc, "title", None) or f"{type(exc).__name__}: {detail}"


@dataclass
class Fuzzer:
    """Sends generated requests as the people of the test county; collects distinct failures."""

    county: County
    fixed: dict[str, list[str]]
    """Real values for path parameters (case ids, user ids, ...), used in most requests."""
    failures: dict[tuple[str, str], str] = field(default_factory=dict)

    def run(self, operation: Any, mode: GenerationMode, examples: int) -> None:
        """Send `examples` generated requests to one operation (none if nothing can be made)."""

        @fuzz_settings(examples)
        @given(
            case=operation.as_strategy(mode),
            caller=st.sampled_from(CALLERS),
            pick=st.integers(min_value=0, max_value=7),
        )
        def attempt(case: Any, caller: str | None, pick: int) -> None:
            for name, values in self.fixed.items():
                if name in (case.path_parameters or {}) and pick < 6:
                    case.path_parameters[name] = values[pick % len(values)]
            token = self.county.tokens[caller] if caller else "not-a-token"
            try:
                case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
            except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup
                key = (operation.label, f"{mode.value}: {failure_title(exc)}")
                self.failures.setdefault(key, f"{exc}\n(as {caller or 'an unknown token'})")

        try:
            attempt()
        except Unsatisfiable:
            # Nothing to make invalid: no parameters and no body (GET /me, GET /health).
            assert mode is GenerationMode.NEGATIVE, operation.label

    def report(self) -> str:
        """The failures, one paragraph each."""
        return "\n\n".join(
            f"{op} [{kind}]\n{detail}" for (op, kind), detail in self.failures.items()
        )


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the same on every store
def test_the_openapi_document_is_valid_and_lists_the_error_statuses(flask_app: Flask) -> None:
    schema = schemathesis.openapi.from_wsgi(OPENAPI, flask_app)

    schema.validate()  # against the OpenAPI 3.0 meta-schema

    document = flask_app.test_client().get(OPENAPI).get_json()
    error_shape = {"$ref": "#/components/schemas/Error"}
    assert set(document["components"]["schemas"]["Error"]["properties"]) == {
        "code",
        "status",
        "message",
        "errors",
    }
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            assert "default" not in responses, (method, path)
            for code in error_statuses(path, method, operation):
                reference = responses[str(code)]["$ref"]
                component = document["components"]["responses"][reference.rsplit("/", 1)[1]]
                assert component["content"]["application/json"]["schema"] == error_shape
    health = document["paths"]["/api/v1/health"]["get"]
    assert health["security"] == []
    # 422: an unknown query parameter is refused on every endpoint (issue 9, point 9).
    assert set(health["responses"]) == {"200", "422"}
    assert {"401", "403", "429"} <= set(document["paths"]["/api/v1/me"]["get"]["responses"])
    command = document["paths"]["/api/v1/cases/{case_id}/forward"]["post"]["responses"]
    assert {"400", "404", "409", "413", "422"} <= set(command)


def test_fuzzed_requests_get_no_server_error_and_answers_of_the_documented_shape(
    flask_app: Flask, county: County, backend: str
) -> None:
    office = Office(flask_app.test_client(), county)
    cases = [office.register()["id"], office.drive("in_progress")["id"]]
    fixed = {
        "case_id": cases,
        "user_id": [str(county.actors[who].id) for who in ("handler", "clerk", "leader")],
        "n": ["1"],
        "month": [time.strftime("%Y-%m")],
    }
    schema = schemathesis.openapi.from_wsgi(OPENAPI, flask_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    # Account operations last: disabling a caller or revoking a token early would leave the
    # other operations fuzzed by fewer signed-in callers.
    operations.sort(key=lambda op: op.path.startswith("/api/v1/users/{user_id}/"))
    positive, negative = EXAMPLES[backend]
    fuzzer = Fuzzer(county, fixed)

    for operation in operations:
        fuzzer.run(operation, GenerationMode.POSITIVE, positive)
        fuzzer.run(operation, GenerationMode.NEGATIVE, negative)

    assert len(operations) >= 60
    assert not fuzzer.failures, f"{len(fuzzer.failures)} distinct failures:\n\n{fuzzer.report()}"
