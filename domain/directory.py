"""Units and users, event-sourced so that "who held which role, when" can be replayed."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate, DomainEvent

from domain.errors import (
    REASON_REQUIRED,
    UNKNOWN_TOKEN,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    RuleViolationError,
    no_such,
)
from domain.labels import label
from domain.values import Actor, Role

SYSTEM_ACTOR = Actor(
    id=uuid5(NAMESPACE_URL, "xinfang:system"), name="system", role=Role.ADMIN, unit_id=None
)
"""The actor of set-up steps that no person performs (the first admin, demo data)."""

UNIT_ROLES = frozenset({Role.UNIT_HEAD, Role.HANDLER})
"""Roles that only make sense inside a responsible unit."""


class Unit(Aggregate):
    """A county department, township or office that can hold cases."""

    def __init__(self) -> None:
        """State is set by the creation event\'s apply()."""

    class Created(Aggregate.Created):
        """A unit was added to the directory."""

        name: str
        kind: str | None
        parent_id: UUID | None
        actor: Actor
        occurred_at: datetime

        def apply(self, aggregate: Any) -> None:
            """Set the unit's initial state."""
            unit: Unit = aggregate
            unit.name = self.name
            unit.kind = self.kind
            unit.parent_id = self.parent_id

    name: str
    kind: str | None
    parent_id: UUID | None

    @classmethod
    def add(
        cls,
        *,
        name: str,
        kind: str | None,
        parent_id: UUID | None,
        actor: Actor,
        occurred_at: datetime,
    ) -> Unit:
        """Add a unit; its name must not be blank."""
        if not name.strip():
            raise RuleViolationError("name", "请填写单位名称")
        return cls._create(
            cls.Created,
            name=name.strip(),
            kind=kind,
            parent_id=parent_id,
            actor=actor,
            occurred_at=occurred_at,
        )


@dataclass(frozen=True)
class Token:
    """One API token of a user as the directory keeps it: never the token itself."""

    id: UUID
    credential_id: UUID
    issued_at: datetime
    issued_by: str
    expires_at: datetime
    revoked_at: datetime | None = None

    def state(self, now: datetime) -> str:
        """`active`, `expired` or `revoked`."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "active"


def needed(reason: str) -> str:
    """A reason that says something (RuleViolationError naming `reason` otherwise)."""
    if not reason or not reason.strip():
        raise RuleViolationError("reason", REASON_REQUIRED)
    return reason.strip()


def optional(reason: str | None) -> str | None:
    """A reason if one was given (blank counts as none)."""
    return (reason.strip() or None) if reason else None


class User(Aggregate):
    """A person with a role (and for unit roles, a unit); signs in with API tokens.

    The apply() methods replace `tokens` rather than change it in place: the sign-in cache
    (Office.authenticate) shares a user between threads and brings a copy up to date.
    """

    def __init__(self) -> None:
        """State is set by the creation event\'s apply()."""

    class Created(Aggregate.Created):
        """A user was added with a role (their first token follows as TokenIssued)."""

        class_version = 2

        name: str
        role: Role
        unit_id: UUID | None
        actor: Actor
        occurred_at: datetime

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 carried the unkeyed hash of the first token, no longer accepted."""
            state.pop("token_hash", None)

        def apply(self, aggregate: Any) -> None:
            """Set the user's initial state."""
            user: User = aggregate
            user.name = self.name
            user.role = self.role
            user.unit_id = self.unit_id
            user.active = True
            user.tokens = {}

    class RoleChanged(Aggregate.Event):
        """The user's role or unit changed."""

        role: Role
        unit_id: UUID | None
        actor: Actor
        occurred_at: datetime
        reason: str | None

        def apply(self, aggregate: Any) -> None:
            """Take the new role and unit."""
            user: User = aggregate
            user.role = self.role
            user.unit_id = self.unit_id

    class Disabled(Aggregate.Event):
        """The user may no longer sign in (their tokens stay revocable, the history stays)."""

        actor: Actor
        occurred_at: datetime
        reason: str

        def apply(self, aggregate: Any) -> None:
            """Mark the user inactive."""
            user: User = aggregate
            user.active = False

    class Enabled(Aggregate.Event):
        """A disabled user may sign in again with their unexpired, unrevoked tokens."""

        actor: Actor
        occurred_at: datetime
        reason: str

        def apply(self, aggregate: Any) -> None:
            """Mark the user active."""
            user: User = aggregate
            user.active = True

    class TokenIssued(Aggregate.Event):
        """An API token was issued to the user; its credential is saved with this event."""

        class_version = 2

        token_id: UUID
        credential_id: UUID
        expires_at: datetime
        actor: Actor
        occurred_at: datetime
        reason: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 named a token by its unkeyed hash: listed now as expired on issue.

            Its credential was found by that hash alone (any database writer could forge
            one), so sign-in no longer looks it up; the admin issues a new token instead.
            """
            token_hash = state.pop("token_hash")
            state["token_id"] = uuid5(NAMESPACE_URL, f"xinfang:legacy-token:{token_hash}")
            state["credential_id"] = uuid5(NAMESPACE_URL, f"xinfang:credential:{token_hash}")
            state["expires_at"] = state["occurred_at"]
            state["reason"] = None

        def apply(self, aggregate: Any) -> None:
            """Add the token to the user's list."""
            user: User = aggregate
            token = Token(
                id=self.token_id,
                credential_id=self.credential_id,
                issued_at=self.occurred_at,
                issued_by=self.actor.name,
                expires_at=self.expires_at,
            )
            user.tokens = {**user.tokens, token.id: token}

    class TokenRevoked(Aggregate.Event):
        """One of the user's tokens may no longer be used."""

        token_id: UUID
        actor: Actor
        occurred_at: datetime
        reason: str | None

        def apply(self, aggregate: Any) -> None:
            """Mark the token revoked."""
            user: User = aggregate
            token = replace(user.tokens[self.token_id], revoked_at=self.occurred_at)
            user.tokens = {**user.tokens, token.id: token}

    name: str
    role: Role
    unit_id: UUID | None
    active: bool
    tokens: dict[UUID, Token]

    @classmethod
    def add(
        cls,
        *,
        name: str,
        role: Role,
        unit_id: UUID | None,
        actor: Actor,
        occurred_at: datetime,
    ) -> User:
        """Add a user; unit roles need a unit."""
        if not name.strip():
            raise RuleViolationError("name", "请填写姓名")
        if role in UNIT_ROLES and unit_id is None:
            raise RuleViolationError("unit_id", f"{label(role)}须指定所在单位")
        return cls._create(
            cls.Created,
            name=name.strip(),
            role=role,
            unit_id=unit_id,
            actor=actor,
            occurred_at=occurred_at,
        )

    def change_role(
        self,
        *,
        role: Role,
        unit_id: UUID | None,
        actor: Actor,
        occurred_at: datetime,
        reason: str | None,
    ) -> None:
        """Give the user another role or unit from now on."""
        if role in UNIT_ROLES and unit_id is None:
            raise RuleViolationError("unit_id", f"{label(role)}须指定所在单位")
        if (role, unit_id) == (self.role, self.unit_id):
            raise ConflictError(f"{self.name}已是该角色和单位，没有变化")
        self.trigger_event(
            self.RoleChanged,
            role=role,
            unit_id=unit_id,
            actor=actor,
            occurred_at=occurred_at,
            reason=reason,
        )

    def disable(self, *, actor: Actor, occurred_at: datetime, reason: str) -> None:
        """Stop the user from signing in, with every token they hold."""
        if not self.active:
            raise ConflictError(f"{self.name}的账号已停用")
        self.trigger_event(
            self.Disabled, actor=actor, occurred_at=occurred_at, reason=needed(reason)
        )

    def enable(self, *, actor: Actor, occurred_at: datetime, reason: str) -> None:
        """Let a disabled user sign in again."""
        if self.active:
            raise ConflictError(f"{self.name}的账号未停用")
        self.trigger_event(
            self.Enabled, actor=actor, occurred_at=occurred_at, reason=needed(reason)
        )

    def issue_token(
        self,
        *,
        credential_id: UUID,
        expires_at: datetime,
        actor: Actor,
        occurred_at: datetime,
        reason: str | None = None,
    ) -> UUID:
        """Record a new token (found at sign-in by `credential_id`); returns its id."""
        if not self.active:
            raise ConflictError(f"{self.name}的账号已停用：请先启用，再签发令牌")
        if expires_at <= occurred_at:
            raise RuleViolationError("expires_in_days", "令牌的有效期须晚于签发时间")
        token_id = uuid4()
        self.trigger_event(
            self.TokenIssued,
            token_id=token_id,
            credential_id=credential_id,
            expires_at=expires_at,
            actor=actor,
            occurred_at=occurred_at,
            reason=optional(reason),
        )
        return token_id

    def revoke_token(
        self, token_id: UUID, *, actor: Actor, occurred_at: datetime, reason: str | None = None
    ) -> bool:
        """Revoke one token; False if it was revoked already (nothing recorded)."""
        token = self.tokens.get(token_id)
        if token is None:
            raise NotFoundError(no_such("令牌"))
        if token.revoked_at is not None:
            return False
        self.trigger_event(
            self.TokenRevoked,
            token_id=token_id,
            actor=actor,
            occurred_at=occurred_at,
            reason=optional(reason),
        )
        return True

    def signs_in_with(self, token_id: UUID, credential_id: UUID, now: datetime) -> Token:
        """The token a credential names, if it lets the user in now; AuthenticationError if not.

        The credential must be the one the token was issued with: a credential row copied
        under another id (a forgery by a database writer) names a token that is not its own.
        """
        token = self.tokens.get(token_id)
        if token is None or token.credential_id != credential_id:
            raise AuthenticationError(UNKNOWN_TOKEN)
        if token.revoked_at is not None:
            raise AuthenticationError("此令牌已被吊销，请向系统管理员申请新令牌")
        if token.expires_at <= now:
            raise AuthenticationError("此令牌已过期，请向系统管理员申请新令牌")
        if not self.active:
            raise AuthenticationError("此账号已停用，请联系系统管理员")
        return token

    @property
    def as_actor(self) -> Actor:
        """The user as they are now, for stamping events."""
        return Actor(id=self.id, name=self.name, role=self.role, unit_id=self.unit_id)


class Credential(Aggregate):
    """Finds a token's user at sign-in: its id is keyed with the instance's secret.

    The id is an HMAC of the token under a key kept in the instance's keys folder, so nobody
    can compute the id of a token of their choosing without that key; it names the token it
    was issued for, which the user's own list must agree with.
    """

    def __init__(self) -> None:
        """State is set by the creation event\'s apply()."""

    class Created(Aggregate.Created):
        """A token was issued."""

        class_version = 2

        user_id: UUID
        token_id: UUID | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 (an id derived from the token's hash alone) named no token."""
            state["token_id"] = None

        def apply(self, aggregate: Any) -> None:
            """Remember whose token this is."""
            credential: Credential = aggregate
            credential.user_id = self.user_id
            credential.token_id = self.token_id

    user_id: UUID
    token_id: UUID | None

    @staticmethod
    def id_for(key: bytes, token: str) -> UUID:
        """The credential's id for a token, keyed with the instance's credential key."""
        digest = hmac.new(key, token.encode(), hashlib.sha256).hexdigest()
        return uuid5(NAMESPACE_URL, f"xinfang:credential-key:{digest}")

    @classmethod
    def issue(cls, *, credential_id: UUID, user_id: UUID, token_id: UUID) -> Credential:
        """Record that the credential `credential_id` signs in `user_id` with `token_id`."""
        return cls._create(cls.Created, id=credential_id, user_id=user_id, token_id=token_id)


class RequestRecord(Aggregate):
    """The first result of a command sent with an Idempotency-Key (saved atomically with it)."""

    def __init__(self) -> None:
        """State is set by the creation event\'s apply()."""

    class Created(Aggregate.Created):
        """A keyed request was applied."""

        actor_id: UUID
        key: str
        command: str
        case_id: UUID
        case_version: int
        fingerprint: str

        def apply(self, aggregate: Any) -> None:
            """Remember the result."""
            record: RequestRecord = aggregate
            record.command = self.command
            record.case_id = self.case_id
            record.case_version = self.case_version
            record.fingerprint = self.fingerprint

    command: str
    case_id: UUID
    case_version: int
    fingerprint: str

    @classmethod
    def kept(
        cls, actor_id: UUID, key: str | None, command: str, result: Aggregate, fingerprint: str
    ) -> list[RequestRecord]:
        """The record of a request sent with `key`, to save with its `result` (none without a
        key): a retry finds it, two racing retries cannot both apply."""
        if not key:
            return []
        return [
            cls.record(
                actor_id=actor_id,
                key=key,
                command=command,
                case_id=result.id,
                case_version=result.version,
                fingerprint=fingerprint,
            )
        ]

    @staticmethod
    def id_for(actor_id: UUID, key: str) -> UUID:
        """The record's id for one caller's key."""
        return uuid5(NAMESPACE_URL, f"xinfang:idempotency:{actor_id}:{key}")

    @classmethod
    def record(
        cls,
        *,
        actor_id: UUID,
        key: str,
        command: str,
        case_id: UUID,
        case_version: int,
        fingerprint: str,
    ) -> RequestRecord:
        """Record the result of a keyed request and a digest of what it asked for."""
        return cls._create(
            cls.Created,
            id=cls.id_for(actor_id, key),
            actor_id=actor_id,
            key=key,
            command=command,
            case_id=case_id,
            case_version=case_version,
            fingerprint=fingerprint,
        )


class Logged(DomainEvent):
    """An entry in a discovery log (units, users, cases of a year)."""

    item_id: UUID


def log_id(name: str) -> UUID:
    """The id of a named discovery log."""
    return uuid5(NAMESPACE_URL, f"xinfang:log:{name}")
