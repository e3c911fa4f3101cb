"""The conventional peer: what a county IT team would build instead of an event store.

A small Flask + SQLAlchemy 2 + SQLAlchemy-Continuum app (row versioning as its audit trail) with
the four requests the suite compares: register a case, record a visit, GET a case, GET its
history. It is served exactly as xinfang is (`xinfang serve`'s `GunicornServer`: gthread
workers, the same options), each worker with its own engine:

    PEER_DATABASE_URL=sqlite:////tmp/peer.db python -m scripts.bench.peer serve --port 8001

Durability is the same as xinfang's: on SQLite WAL with `synchronous=FULL`, on PostgreSQL the
default `synchronous_commit=on`; every write is committed before the answer. A bearer token is
checked against the users table on every request (xinfang authenticates every request too).
Needs the optional extra `pip install -e '.[bench]'`.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, abort, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    selectinload,
    sessionmaker,
)
from sqlalchemy_continuum import make_versioned, version_class

from scripts import cli

make_versioned(user_cls=None)


class Base(DeclarativeBase):
    """The peer's tables."""


class User(Base):
    """A person who signs in with a token (its SHA-256 is stored)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    role: Mapped[str]
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, index=True)


class Case(Base):
    """A petition case; every change is kept by Continuum in cases_version."""

    __tablename__ = "cases"
    __versioned__: dict[str, Any] = {}  # noqa: RUF012 (Continuum's class attribute)
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    channel: Mapped[str]
    category: Mapped[str]
    subject: Mapped[str]
    content: Mapped[str] = mapped_column(sa.Text)
    petitioners: Mapped[Any] = mapped_column(sa.JSON)
    location: Mapped[str | None]
    status: Mapped[str]
    visit_count: Mapped[int] = mapped_column(default=0)
    registered_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    updated_by: Mapped[str]


class Visit(Base):
    """A visit recorded on a case (versioned too)."""

    __tablename__ = "visits"
    __versioned__: dict[str, Any] = {}  # noqa: RUF012
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    kind: Mapped[str]
    held_at: Mapped[datetime]
    notes: Mapped[str] = mapped_column(sa.Text)
    recorded_by: Mapped[str]
    recorded_at: Mapped[datetime]


sa.orm.configure_mappers()
CaseVersion = version_class(Case)
VisitVersion = version_class(Visit)


def engine_for(url: str) -> sa.Engine:
    """An engine with xinfang's durability: SQLite WAL + synchronous=FULL; PostgreSQL default."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def durable(connection: Any, _: Any) -> None:
            connection.isolation_level = None  # transactions begun below, not by the driver
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def begin(connection: Any) -> None:
            # A write takes the write lock up front (a read upgraded to a write mid-transaction
            # fails at once with "database is locked" under concurrency); reads do not.
            writes = has_request_context() and request.method == "POST"
            connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

        return engine
    return sa.create_engine(url, pool_size=8, max_overflow=8)


def create_schema(url: str) -> None:
    """Create the tables (and Continuum's version and transaction tables)."""
    engine = engine_for(url)
    Base.metadata.create_all(engine)
    engine.dispose()


def add_user(session: Session, name: str, role: str) -> str:
    """Add a user; returns their token."""
    token = secrets.token_urlsafe(32)
    session.add(User(name=name, role=role, token_hash=_hash(token)))
    return token


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def register(session: Session, body: dict[str, Any], who: str) -> Case:
    """Register a case (numbered after the last one)."""
    now = datetime.now(UTC)
    last = session.scalar(sa.select(sa.func.max(Case.id))) or 0
    case = Case(
        number=f"XF-{now.year}-{last + 1:06d}-{secrets.token_hex(3)}",
        channel=body["channel"],
        category=body["category"],
        subject=body["subject"],
        content=body["content"],
        petitioners=body["petitioners"],
        location=body.get("location"),
        status="registered",
        visit_count=0,
        registered_at=now,
        updated_at=now,
        updated_by=who,
    )
    session.add(case)
    return case


def record_visit(session: Session, case: Case, body: dict[str, Any], who: str) -> Visit:
    """Record a visit and count it on the case."""
    now = datetime.now(UTC)
    visit = Visit(
        case_id=case.id,
        kind=body["kind"],
        held_at=datetime.fromisoformat(body["held_at"]),
        notes=body.get("notes", ""),
        recorded_by=who,
        recorded_at=now,
    )
    session.add(visit)
    case.visit_count += 1
    case.updated_at = now
    case.updated_by = who
    return visit


def case_json(case: Case) -> dict[str, Any]:
    """The case as the API shows it (with the petitioners' identity)."""
    return {
        "id": case.id,
        "number": case.number,
        "channel": case.channel,
        "category": case.category,
        "subject": case.subject,
        "content": case.content,
        "petitioners": case.petitioners,
        "location": case.location,
        "status": case.status,
        "visit_count": case.visit_count,
        "registered_at": case.registered_at.isoformat(),
        "updated_at": case.updated_at.isoformat(),
        "updated_by": case.updated_by,
    }


def create_peer_app(url: str | None = None) -> Flask:
    """The peer's Flask app over its database."""
    engine = engine_for(url or os.environ["PEER_DATABASE_URL"])
    sessions = sessionmaker(engine, expire_on_commit=False)
    app = Flask(__name__)

    @app.before_request
    def authenticate() -> None:
        if request.path == "/api/v1/health":
            return
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            abort(401)
        g.session = sessions()
        user = g.session.scalar(sa.select(User).where(User.token_hash == _hash(token.strip())))
        if user is None:
            abort(401)
        g.user = user.name

    @app.teardown_request
    def close(_: BaseException | None) -> None:
        session = g.pop("session", None)
        if session is not None:
            session.close()

    @app.get("/api/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/v1/cases")
    def post_case() -> tuple[dict[str, Any], int]:
        session: Session = g.session
        case = register(session, request.get_json(), g.user)
        session.commit()
        return case_json(case), 201

    @app.post("/api/v1/cases/<int:case_id>/visits")
    def post_visit(case_id: int) -> dict[str, Any]:
        session: Session = g.session
        case = session.get(Case, case_id, with_for_update=engine.dialect.name != "sqlite")
        if case is None:
            abort(404)
        record_visit(session, case, request.get_json(), g.user)
        session.commit()
        return case_json(case)

    @app.get("/api/v1/cases/<int:case_id>")
    def get_case(case_id: int) -> dict[str, Any]:
        case = g.session.get(Case, case_id)
        if case is None:
            abort(404)
        return case_json(case)

    @app.get("/api/v1/cases/<int:case_id>/history")
    def get_history(case_id: int) -> dict[str, Any]:
        session: Session = g.session
        versions = session.scalars(
            sa.select(CaseVersion)
            .where(CaseVersion.id == case_id)
            .options(selectinload(CaseVersion.transaction))
            .order_by(CaseVersion.transaction_id)
        ).all()
        if not versions:
            abort(404)
        visits = session.scalars(
            sa.select(VisitVersion)
            .where(VisitVersion.case_id == case_id)
            .options(selectinload(VisitVersion.transaction))
            .order_by(VisitVersion.transaction_id)
        ).all()
        entries = [
            {
                "transaction_id": v.transaction_id,
                "operation": int(v.operation_type),
                "recorded_at": v.transaction.issued_at.isoformat() if v.transaction else None,
                "data": {
                    c.name: _plain(getattr(v, c.name))
                    for c in v.__table__.columns
                    if c.name not in ("transaction_id", "end_transaction_id", "operation_type")
                },
            }
            for v in [*versions, *visits]
        ]
        entries.sort(key=lambda e: e["transaction_id"])
        return {"case_id": case_id, "events": entries}

    return app


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


class PeerServer(cli.GunicornServer):
    """`GunicornServer` whose workers load the peer app."""

    def load(self) -> Flask:
        """Build this worker's peer app."""
        return create_peer_app()


def main() -> None:
    """Run `xinfang serve`'s command with the peer server in place of the API's."""
    cli.GunicornServer = PeerServer  # type: ignore[misc]
    cli.main()


if __name__ == "__main__":
    main()
