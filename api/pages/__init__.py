"""The web pages (the clerk's desk): server-rendered Chinese pages in the API's Flask app.

`install` adds them to an app built by `api.create_app`: the session and CSRF set-up
(signin.py) and the blueprint of the pages (views.py). docs/web.md describes them.
"""

from __future__ import annotations

from flask import Flask

from api.pages import registers, signin, views


def install(app: Flask) -> None:
    """Serve the pages from `app` (after the API's blueprints and error handlers)."""
    signin.install(app)
    app.register_blueprint(views.blp)


__all__ = ["install", "registers"]
