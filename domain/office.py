"""The directory use cases (units, users, tokens) and what every use case of the office shares."""

from __future__ import annotations

import hashlib
import random
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, EventSourcedLog
from eventsourcing.domain import Aggregate, CanMutateProtocol, DomainEventProtocol
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording

from domain import permissions
from domain.directory import Credential, Logged, Unit, User, log_id
from domain.errors import AuthenticationError, NotFoundError, RuleViolationError
from domain.transcodings import register_transcodings
from domain.values import Actor, Role

TAgg = TypeVar("TAgg", bound=Aggregate)
T = TypeVar("T")

MAX_ATTEMPTS = 20
"""How often a write is retried when another writer moved the same aggregate meanwhile."""


def back_off(attempt: int) -> None:
    """Wait a random while before retrying a write another writer beat, longer each time.

    Without it, the writers that lost a race all reload and collide again at once, and under
    a burst (dozens of commands on one case) some run out of attempts.
    """
    time.sleep(random.uniform(0, min(0.2, 0.002 * 2**attempt)))


def utc_now() -> datetime:
    """The system clock, timezone-aware."""
    return datetime.now(UTC)


def hash_token(token: str) -> str:
    """The stored form of an API token (tokens themselves are never stored)."""
    return hashlib.sha256(token.encode()).hexdigest()


def project_aggregate(
    aggregate: Aggregate | None, events: Iterable[DomainEventProtocol[UUID]]
) -> Aggregate | None:
    """The library's projector, except that a log's id (its events cannot mutate) is no aggregate.

    Ids come from URLs and request bodies; a discovery log's id must read as "not found", not
    crash the reconstruction.
    """
    for event in events:
        if not isinstance(event, CanMutateProtocol):
            return None
        aggregate = event.mutate(aggregate)
    return aggregate


class Office(Application[UUID]):
    """The directory of units and users, and what every use case of the office shares:
    the clock, the listeners told of each save, and the one retry loop of every write."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(env)
        self.clock = clock
        self.unit_log = EventSourcedLog(self.events, log_id("units"), Logged)
        self.user_log = EventSourcedLog(self.events, log_id("users"), Logged)
        self._lineages: dict[UUID, list[UUID]] = {}
        self._credentials: dict[str, UUID] = {}
        self.listeners: list[Callable[[], None]] = []

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        """After each save, let the read side catch up (read-your-writes for the caller)."""
        for listener in self.listeners:
            listener()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """Register the domain's dates, enums and value objects."""
        super().register_transcodings(transcoder)
        register_transcodings(transcoder)

    # -- directory -----------------------------------------------------------------------
    def add_unit(
        self, actor: Actor, *, name: str, kind: str | None = None, parent_id: UUID | None = None
    ) -> Unit:
        """Add a unit to the directory (admin)."""
        permissions.require_role(actor, {Role.ADMIN}, "add units")
        if parent_id is not None:
            self.get_unit(parent_id, field="parent_id")
        unit = Unit.add(
            name=name, kind=kind, parent_id=parent_id, actor=actor, occurred_at=self.clock()
        )
        self._save_logged(self.unit_log, unit)
        return unit

    def add_user(
        self, actor: Actor, *, name: str, role: Role, unit_id: UUID | None = None
    ) -> tuple[User, str]:
        """Add a user; returns the user and their token, which is shown only this once."""
        permissions.require_role(actor, {Role.ADMIN}, "add users")
        if unit_id is not None:
            self.get_unit(unit_id, field="unit_id")
        token = secrets.token_urlsafe(32)
        token_hash = hash_token(token)
        user = User.add(
            name=name,
            role=role,
            unit_id=unit_id,
            token_hash=token_hash,
            actor=actor,
            occurred_at=self.clock(),
        )
        credential = Credential.issue(token_hash=token_hash, user_id=user.id)
        self._save_logged(self.user_log, user, credential)
        return user, token

    def issue_token(self, actor: Actor, user_id: UUID) -> str:
        """Issue a further token for a user (admin); shown only this once."""
        permissions.require_role(actor, {Role.ADMIN}, "issue tokens")
        user = self.get_user(user_id)
        token = secrets.token_urlsafe(32)
        token_hash = hash_token(token)
        user.issue_token(token_hash=token_hash, actor=actor, occurred_at=self.clock())
        self.save(user, Credential.issue(token_hash=token_hash, user_id=user.id))
        return token

    def _save_logged(
        self, log: EventSourcedLog[Logged], item: Aggregate, *others: Aggregate
    ) -> None:
        def attempt() -> bool:
            self.save(item, *others, log.trigger_event(item_id=item.id))
            return True

        self._retrying(attempt)

    def authenticate(self, token: str) -> Actor:
        """The actor behind an API token, as they are now."""
        token_hash = hash_token(token)
        user_id = self._credentials.get(token_hash)
        if user_id is None:
            try:
                credential: Credential = self.repository.get(Credential.id_for(token_hash))
            except AggregateNotFoundError:
                raise AuthenticationError("unknown token") from None
            user_id = credential.user_id
            self._credentials[token_hash] = user_id
        user: User = self.repository.get(user_id)
        if not user.active:
            raise AuthenticationError("this user is deactivated")
        return user.as_actor

    def get_unit(self, unit_id: UUID, *, field: str | None = None) -> Unit:
        """A unit by id; NotFoundError (or a field error naming `field`) if unknown."""
        return self._get_typed(unit_id, Unit, "unit", field)

    def get_user(self, user_id: UUID, *, field: str | None = None) -> User:
        """A user by id; NotFoundError (or a field error naming `field`) if unknown."""
        return self._get_typed(user_id, User, "user", field)

    def _get_typed(self, item_id: UUID, kind: type[TAgg], label: str, field: str | None) -> TAgg:
        item: Aggregate | None
        try:
            item = self.repository.get(item_id, projector_func=project_aggregate)
        except AggregateNotFoundError:
            item = None
        if not isinstance(item, kind):
            if field is not None:
                raise RuleViolationError(field, f"no such {label}: {item_id}")
            raise NotFoundError(f"no such {label}")
        return item

    def units(self) -> list[Unit]:
        """Every unit, in the order they were added."""
        return [self.get_unit(e.item_id) for e in self.unit_log.get()]

    def users(self, actor: Actor) -> list[User]:
        """Every user, in the order they were added (admin, supervisor, auditor)."""
        permissions.require_role(actor, permissions.DIRECTORY_READERS, "list users")
        return [self.get_user(e.item_id) for e in self.user_log.get()]

    def lineage(self, unit_id: UUID | None) -> list[UUID]:
        """The unit and every unit above it."""
        if unit_id is None:
            return []
        cached = self._lineages.get(unit_id)
        if cached is None:
            unit = self.get_unit(unit_id)
            cached = [unit_id, *self.lineage(unit.parent_id)]
            self._lineages[unit_id] = cached
        return cached

    def _retrying(
        self, attempt: Callable[[], T], on_conflict: Callable[[], T | None] = lambda: None
    ) -> T:
        """Run `attempt` until it saves without conflict (the one retry loop of every write).

        `on_conflict` may answer instead (a replayed result) or raise; None means try again.
        """
        for n in range(MAX_ATTEMPTS):
            try:
                return attempt()
            except IntegrityError:
                answer = on_conflict()
                if answer is not None:
                    return answer
                if n == MAX_ATTEMPTS - 1:
                    raise
                back_off(n)
        raise AssertionError  # pragma: no cover (the loop returns or raises)
