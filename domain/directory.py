"""Units and users, event-sourced so that "who held which role, when" can be replayed."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, DomainEvent

from domain.errors import RuleViolationError
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
            raise RuleViolationError("name", "a unit needs a name")
        return cls._create(
            cls.Created,
            name=name.strip(),
            kind=kind,
            parent_id=parent_id,
            actor=actor,
            occurred_at=occurred_at,
        )


class User(Aggregate):
    """A person with a role (and for unit roles, a unit); signs in with an API token."""

    def __init__(self) -> None:
        """State is set by the creation event\'s apply()."""

    class Created(Aggregate.Created):
        """A user was added with a role."""

        name: str
        role: Role
        unit_id: UUID | None
        token_hash: str
        actor: Actor
        occurred_at: datetime

        def apply(self, aggregate: Any) -> None:
            """Set the user's initial state."""
            user: User = aggregate
            user.name = self.name
            user.role = self.role
            user.unit_id = self.unit_id
            user.token_hash = self.token_hash
            user.active = True

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

    class TokenIssued(Aggregate.Event):
        """Another API token was issued to the user (e.g. by `xinfang init`)."""

        token_hash: str
        actor: Actor
        occurred_at: datetime

        def apply(self, aggregate: Any) -> None:
            """Remember the newest token's hash."""
            user: User = aggregate
            user.token_hash = self.token_hash

    name: str
    role: Role
    unit_id: UUID | None
    token_hash: str
    active: bool

    @classmethod
    def add(
        cls,
        *,
        name: str,
        role: Role,
        unit_id: UUID | None,
        token_hash: str,
        actor: Actor,
        occurred_at: datetime,
    ) -> User:
        """Add a user; unit roles need a unit."""
        if not name.strip():
            raise RuleViolationError("name", "a user needs a name")
        if role in UNIT_ROLES and unit_id is None:
            raise RuleViolationError("unit_id", f"role '{role.value}' needs a unit")
        return cls._create(
            cls.Created,
            name=name.strip(),
            role=role,
            unit_id=unit_id,
            token_hash=token_hash,
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
            raise RuleViolationError("unit_id", f"role '{role.value}' needs a unit")
        self.trigger_event(
            self.RoleChanged,
            role=role,
            unit_id=unit_id,
            actor=actor,
            occurred_at=occurred_at,
            reason=reason,
        )

    def issue_token(self, *, token_hash: str, actor: Actor, occurred_at: datetime) -> None:
        """Record that a further token was issued."""
        self.trigger_event(
            self.TokenIssued, token_hash=token_hash, actor=actor, occurred_at=occurred_at
        )

    @property
    def as_actor(self) -> Actor:
        """The user as they are now, for stamping events."""
        return Actor(id=self.id, name=self.name, role=self.role, unit_id=self.unit_id)


class Credential(Aggregate):
    """Maps the hash of an API token to its user (the id is derived from the hash)."""

    def __init__(self) -> None:
        """State is set by the creation event\'s apply()."""

    class Created(Aggregate.Created):
        """A token was issued."""

        user_id: UUID

        def apply(self, aggregate: Any) -> None:
            """Remember whose token this is."""
            credential: Credential = aggregate
            credential.user_id = self.user_id

    user_id: UUID

    @staticmethod
    def id_for(token_hash: str) -> UUID:
        """The credential's id for a token hash."""
        return uuid5(NAMESPACE_URL, f"xinfang:credential:{token_hash}")

    @classmethod
    def issue(cls, *, token_hash: str, user_id: UUID) -> Credential:
        """Record that `token_hash` belongs to `user_id`."""
        return cls._create(cls.Created, id=cls.id_for(token_hash), user_id=user_id)


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
