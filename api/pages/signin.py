"""Signing in to the web pages: a session cookie for the browser, never for the API.

`POST /login` takes an API token once, checks it as the API does (`Xinfang.sign_in`, the same
failed-login throttle) and starts a server-side session (projections/web_sessions.py); the cookie
holds only the random session id, signed with the instance's session key. Every page request
resumes the session and checks the user and token again (`Xinfang.resume`): a disabled user or a
revoked token is signed out at once. The API's `authenticate` reads only the Authorization
header, so the cookie opens no API endpoint.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

from api.context import application, services
from api.guards import LoginThrottle
from domain.errors import AuthenticationError
from domain.values import Actor
from projections.web_sessions import IDLE_SECONDS, WebSessions

SESSION_ID = "sid"
csrf = CSRFProtect()


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure whenever the request came over HTTPS (directly or,
    behind a proxy that says so, as gunicorn's `forwarded_allow_ips` lets it)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured so, or when this request arrived over HTTPS."""
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def install(app: Flask) -> None:
    """Cookie settings, the session key from the instance settings, CSRF protection."""
    built = services_of(app)
    idle = float(app.config.get("XINFANG_SESSION_IDLE_SECONDS", IDLE_SECONDS))
    app.config.update(
        SECRET_KEY=built.settings.session_key(),
        SESSION_COOKIE_NAME="xinfang_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # The pages protect their own forms (`protect`); the API takes no cookie at all.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.session_interface = SessionInterface()
    csrf.init_app(app)
    sessions = WebSessions(built.views, idle=idle)
    sessions.create()
    app.extensions["xinfang.sessions"] = sessions


def services_of(app: Flask) -> Any:
    """The services built for `app`."""
    return app.extensions["xinfang"]


def sessions() -> WebSessions:
    """The session store of this app."""
    found: WebSessions = current_app.extensions["xinfang.sessions"]
    return found


def protect() -> None:
    """Refuse (400) a POST whose CSRF token is missing or wrong, before it changes anything."""
    csrf.protect()


def current() -> Actor | None:
    """The signed-in actor of this browser, as they are now (None without a live session)."""
    session_id = session.get(SESSION_ID)
    if not isinstance(session_id, str):
        return None
    signed_in = sessions().resume(session_id)
    if signed_in is None:
        session.clear()
        return None
    try:
        actor = application().resume(signed_in)
    except AuthenticationError:
        sessions().end(session_id)
        session.clear()
        return None
    g.actor = actor
    return actor


def sign_in(token: str) -> Actor:
    """Start a session for an API token (AuthenticationError, or 429 when guessing)."""
    throttle: LoginThrottle = current_app.extensions["xinfang.logins"]
    address = request.remote_addr or "unknown"
    throttle.check(address)
    try:
        signed_in = application().sign_in(token.strip())
    except AuthenticationError:
        throttle.failed(address)
        raise
    old = session.get(SESSION_ID)
    if isinstance(old, str):
        sessions().end(old)
    # A new session, a new cookie and a new CSRF token: nothing from before signing in is kept.
    session.clear()
    session[SESSION_ID] = sessions().start(signed_in)
    actor = application().resume(signed_in)
    g.actor = actor
    return actor


def sign_out() -> None:
    """End this browser's session."""
    session_id = session.get(SESSION_ID)
    if isinstance(session_id, str):
        sessions().end(session_id)
    session.clear()


__all__ = ["current", "install", "protect", "services", "sign_in", "sign_out"]
