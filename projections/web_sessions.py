"""Browser sessions of the web pages, kept in the database so that every worker knows them.

The cookie carries a random session id, signed by Flask; the table keeps only its SHA-256
digest beside who signed in with which token (`domain.office.SignIn`, never the token), when the
session started and when it was last used. A session unused for longer than the idle timeout is
over; signing out deletes its row, so a copied cookie is worth nothing afterwards. Like
`login_failures`, it is no read model: `xinfang rebuild` leaves it alone, and losing it only
signs everyone out.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from uuid import UUID

from domain.office import SignIn
from projections.store import ViewStore

SESSION_TABLES = (
    """CREATE TABLE IF NOT EXISTS {p}web_sessions (
        digest TEXT PRIMARY KEY, user_id TEXT NOT NULL, token_id TEXT NOT NULL,
        credential_id TEXT NOT NULL, started_at {bigint} NOT NULL, seen_at {bigint} NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS web_sessions_seen ON {p}web_sessions (seen_at)",
)
IDLE_SECONDS = 30 * 60
"""A session unused this long is over (the page asks to sign in again)."""
TOUCH_SECONDS = 30
"""A session's last use is written at most this often (not on every page)."""


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class WebSessions:
    """Start, resume and end browser sessions (wall-clock milliseconds, shared by workers)."""

    def __init__(
        self,
        store: ViewStore,
        *,
        idle: float = IDLE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.idle = idle
        self.clock = clock

    def create(self) -> None:
        """Create the table if missing."""
        for statement in SESSION_TABLES:
            with self.store.transaction() as cursor:
                self.store.run(cursor, statement)

    def start(self, signed_in: SignIn) -> str:
        """A new session for a sign-in; returns its id (for the cookie only). Sessions idle
        past the timeout are deleted on the way."""
        session_id = secrets.token_urlsafe(32)
        now = self._millis(self.clock())
        with self.store.transaction() as cursor:
            self.store.run(
                cursor,
                "DELETE FROM {p}web_sessions WHERE seen_at <= ?",
                [now - self._millis(self.idle)],
            )
            self.store.run(
                cursor,
                "INSERT INTO {p}web_sessions (digest, user_id, token_id, credential_id, "
                "started_at, seen_at) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    _digest(session_id),
                    signed_in.user_id.hex,
                    signed_in.token_id.hex,
                    signed_in.credential_id.hex,
                    now,
                    now,
                ],
            )
        return session_id

    def resume(self, session_id: str) -> SignIn | None:
        """The sign-in of a live session (its last use moved to now), or None if there is no
        such session or it was idle too long (then it is ended)."""
        digest = _digest(session_id)
        rows = self.store.query("SELECT * FROM {p}web_sessions WHERE digest = ?", [digest])
        if not rows:
            return None
        row = rows[0]
        now = self._millis(self.clock())
        if now - int(row["seen_at"]) >= self._millis(self.idle):
            self.end(session_id)
            return None
        if now - int(row["seen_at"]) >= self._millis(TOUCH_SECONDS):
            with self.store.transaction() as cursor:
                self.store.run(
                    cursor, "UPDATE {p}web_sessions SET seen_at = ? WHERE digest = ?", [now, digest]
                )
        return SignIn(UUID(row["user_id"]), UUID(row["token_id"]), UUID(row["credential_id"]))

    def end(self, session_id: str) -> None:
        """End a session (signing out)."""
        with self.store.transaction() as cursor:
            self.store.run(
                cursor, "DELETE FROM {p}web_sessions WHERE digest = ?", [_digest(session_id)]
            )

    @staticmethod
    def _millis(moment: float) -> int:
        return int(moment * 1000)
