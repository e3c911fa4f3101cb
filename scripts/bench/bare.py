"""The HTTP floor: `xinfang serve` itself, serving a bare Flask JSON endpoint instead of the API.

    python -m scripts.bench.bare serve --host 127.0.0.1 --port PORT --workers 2

Everything but the app is the real command: the same click command, the same `GunicornServer`
options (gthread, threads, access log, timeouts, no preload), only `load` builds the app below.
"""

from __future__ import annotations

from flask import Flask

from scripts import cli

BARE_PATH = "/api/v1/bare"


def create_bare_app() -> Flask:
    """A Flask app with one endpoint answering {"ok": true}."""
    app = Flask(__name__)

    @app.get(BARE_PATH)
    def bare() -> dict[str, bool]:
        return {"ok": True}

    return app


class BareServer(cli.GunicornServer):
    """`GunicornServer` whose workers load the bare app."""

    def load(self) -> Flask:
        """Build this worker's bare app."""
        return create_bare_app()


def main() -> None:
    """Run `xinfang` with the bare server in place of the API's."""
    cli.GunicornServer = BareServer  # type: ignore[misc]
    cli.main()


if __name__ == "__main__":
    main()
