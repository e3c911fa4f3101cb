"""The OpenAPI document is derived from the declarations: every operation summarised, every
command's headers and fields described, every file answer with its media type."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask.testing import FlaskClient

from domain.commands import CASE_COMMANDS
from tests.api.helpers import API

FILES = {
    "/api/v1/ledger.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "/api/v1/reports/monthly/{month}.xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ),
    "/api/v1/reports/monthly/{month}.html": "text/html",
    "/api/v1/reports/monthly/{month}.pdf": "application/pdf",
    "/api/v1/cases/{case_id}/documents/{kind}.pdf": "application/pdf",
}


def document(client: FlaskClient) -> dict[str, Any]:
    """The served OpenAPI document."""
    spec: dict[str, Any] = client.get(f"{API}/openapi.json").get_json()
    return spec


def test_every_file_answer_declares_its_media_type(client: FlaskClient) -> None:
    paths = document(client)["paths"]
    for path, media_type in FILES.items():
        assert list(paths[path]["get"]["responses"]["200"]["content"]) == [media_type], path


def test_every_command_is_summarised_with_its_headers_and_described_fields(
    client: FlaskClient,
) -> None:
    spec = document(client)
    schemas = spec["components"]["schemas"]
    for declaration in CASE_COMMANDS:
        path = f"/api/v1/cases/{{case_id}}/{declaration.path.replace('<int:n>', '{n}')}"
        operation = spec["paths"][path]["post"]
        assert operation["summary"] == declaration.summary
        assert operation["description"].strip()
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert headers == {"If-Match", "Idempotency-Key"}, path
        body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        fields = schemas[body.rsplit("/", 1)[1]]["properties"]
        for name in {f.name for f in dataclasses.fields(declaration)} - {"case_id", "n"}:
            assert fields[name].get("description"), (path, name)
