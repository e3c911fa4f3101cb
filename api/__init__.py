"""The HTTP API: `create_app` builds a Flask app over the services of one instance."""

from __future__ import annotations

from typing import Any

import swagger_ui_bundle
from flask import Flask, abort, send_from_directory
from flask_smorest import Api
from werkzeug.wrappers import Response

import api.validation_messages  # noqa: F401  first: fields copy their messages when made
from api import (
    accountability,
    audit,
    campaigns,
    cases,
    directory,
    documents,
    inspections,
    ledger,
    meetings,
    pages,
    rendered,
    reports,
    risks,
    strict_query,
    tasks,
)
from api.context import authenticate
from api.errors import ErrorResponses, register_error_handlers
from api.guards import FAILED_LOGIN_WINDOW, LoginThrottle, check_json_body
from projections.bootstrap import Services, bootstrap
from projections.logins import FailedLogins

SWAGGER_ASSETS = "/api/docs-assets/"
DOCS_FILES = frozenset(
    {"swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"}
)
"""The files of Swagger UI that the /api/docs page loads; nothing else of the package is served
(its demo index.html calls outside hosts; templates and source maps are of no use to a reader)."""
MAX_BODY_BYTES = 1 * 1024 * 1024


def create_app(services: Services | None = None, config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app; without `services`, bootstrap them from the environment."""
    app = Flask(__name__)
    app.config.update(
        API_TITLE="xinfang 信访事项 API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="v1/openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=SWAGGER_ASSETS,
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        JSON_SORT_KEYS=False,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.config.update(config or {})
    # Served: the views follow the log in a thread of their own; reads wait on the position.
    built = services or bootstrap(follow=True)
    app.extensions["xinfang"] = built
    rendered.install(app)
    failures = FailedLogins(built.views, window=FAILED_LOGIN_WINDOW)
    failures.create()
    app.extensions["xinfang.logins"] = LoginThrottle(failures)

    api = Api(app, spec_kwargs={"extra_plugins": [ErrorResponses()]})
    api.DEFAULT_ERROR_RESPONSE_NAME = None  # each error status is listed instead (api.errors)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearerAuth": []}]
    api.register_blueprint(directory.meta)
    api.register_blueprint(directory.blp)
    api.register_blueprint(cases.blp)
    api.register_blueprint(documents.blp)
    api.register_blueprint(ledger.blp)
    api.register_blueprint(accountability.blp)
    api.register_blueprint(reports.blp)
    api.register_blueprint(audit.blp)
    api.register_blueprint(risks.blp)  # the risk register (docs/risks.md)
    api.register_blueprint(campaigns.blp)  # campaigns (docs/campaigns.md)
    # The registers of work (一会议三清单, 督查, 问责): docs/meetings.md, docs/inspections.md.
    api.register_blueprint(meetings.blp)
    api.register_blueprint(tasks.blp)
    api.register_blueprint(inspections.blp)
    register_error_handlers(app)
    app.before_request(authenticate)
    app.before_request(check_json_body)
    strict_query.install(app)
    # The web pages (api/pages, docs/web.md): their own session cookie and CSRF; the API above
    # keeps answering bearer tokens only.
    pages.install(app)

    @app.get(f"{SWAGGER_ASSETS}<path:filename>")
    def docs_assets(filename: str) -> Response:
        """Swagger UI's own files, served locally (county intranets have no internet)."""
        if filename not in DOCS_FILES:
            abort(404)
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)

    return app
