"""The directory use cases (units, users, tokens) and what every use case of the office shares."""

from __future__ import annotations

import copy
import random
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    EventSourcedLog,
    ProcessingEvent,
)
from eventsourcing.domain import (
    Aggregate,
    CanMutateProtocol,
    CollectEventsProtocol,
    DomainEventProtocol,
    MutableOrImmutableAggregate,
)
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording

from domain import permissions
from domain.directory import Credential, Logged, Token, Unit, User, log_id, needed
from domain.errors import (
    UNKNOWN_TOKEN,
    AuthenticationError,
    NotFoundError,
    RecordIntegrityError,
    RuleViolationError,
    no_such,
)
from domain.group_commit import GroupCommit, KeyedLocks, split
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


DEFAULT_TOKEN_DAYS = 90
"""How long a token lives unless the instance (XINFANG_TOKEN_DAYS) or the request says."""
MAX_TOKEN_DAYS = 366
"""No token lives longer than a year: every sign-in secret is rotated at least yearly."""


@dataclass(frozen=True)
class IssuedToken:
    """A new API token: the secret is in this answer only, never stored."""

    token_id: UUID
    token: str
    expires_at: datetime


def project_aggregate(
    aggregate: Aggregate | None, events: Iterable[DomainEventProtocol[UUID]]
) -> Aggregate | None:
    """The library's projector, except that a log's id (its events cannot mutate) is no aggregate.

    Ids come from URLs and request bodies; a discovery log's id must read as "not found", not
    crash the reconstruction.
    """
    for event in events:
        if not conforms(event, CanMutateProtocol):
            return None
        aggregate = event.mutate(aggregate)  # type: ignore[attr-defined]
    return aggregate


@dataclass(frozen=True)
class SignIn:
    """Who signed in with which token: the user, the token's id and its credential's id."""

    user_id: UUID
    token_id: UUID
    credential_id: UUID


_CONFORMS: dict[tuple[type, type], bool] = {}


def conforms(obj: object, protocol: type) -> bool:
    """`isinstance(obj, protocol)` for one of the library's runtime Protocols, asked once per
    class: the check walks the Protocol's attributes, and every object of a domain class has
    the same ones."""
    key = (type(obj), protocol)
    answer = _CONFORMS.get(key)
    if answer is None:
        answer = _CONFORMS[key] = isinstance(obj, protocol)
    return answer


class Collected(ProcessingEvent[UUID]):
    """The library's ProcessingEvent, with its two Protocol checks per object saved asked once
    per class (`conforms`)."""

    def collect_events(self, *objs: Any, **kwargs: Any) -> None:
        """The library's `collect_events`: each event as it is, each aggregate's pending ones."""
        for obj in objs:
            if obj is None:
                continue
            if conforms(obj, DomainEventProtocol):
                self.events.append(obj)
            else:
                if conforms(obj, CollectEventsProtocol):
                    self.events.extend(obj.collect_events())
                self.aggregates[obj.id] = obj
        self.saved_kwargs.update(kwargs)


class NumberedSave:
    """A save whose objects take the next number of a numbering log, given at write time.

    `build(n)` makes the objects to save once the number is known. The writer of the group
    (holding the store's writers' queue) reads the log's last number and numbers the group's
    saves of that log consecutively, so concurrent registrations are written together in one
    transaction instead of one at a time, and processes that queue on the lock never take one
    number twice. A group that still fails on a number (a writer outside the queue) is written
    save by save, each numbered afresh.
    """

    __slots__ = ("build", "built", "log", "processing")

    def __init__(self, log: EventSourcedLog[Logged], build: Callable[[int], Sequence[Any]]) -> None:
        self.log = log
        self.build = build
        self.built: list[Any] = []
        """What `build` made for the number given (the last time it was numbered)."""
        self.processing: ProcessingEvent[UUID] = Collected()

    def number(self, n: int) -> ProcessingEvent[UUID]:
        """Build the save for number `n`: the events to write."""
        self.built = list(self.build(n))
        self.processing = Collected()
        self.processing.collect_events(*self.built)
        return self.processing


Save = ProcessingEvent[UUID] | NumberedSave


class Office(Application[UUID]):
    """The directory of units and users, and what every use case of the office shares:
    the clock, the listeners told of each save, and the one retry loop of every write."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
        credential_key: bytes | None = None,
        token_days: int = DEFAULT_TOKEN_DAYS,
    ) -> None:
        """`credential_key` keys the credential ids (the instance's, from its keys folder).

        Without one (tests, benchmarks) a random key is made: this application then signs in
        only the tokens it issued itself, and nobody can compute a credential's id.
        """
        super().__init__(env)
        if not 1 <= token_days <= MAX_TOKEN_DAYS:
            raise ValueError(f"token_days must be from 1 to {MAX_TOKEN_DAYS}")
        self.clock = clock
        self.token_days = token_days
        self._credential_key = credential_key or secrets.token_bytes(32)
        self.unit_log = EventSourcedLog(self.events, log_id("units"), Logged)
        self.user_log = EventSourcedLog(self.events, log_id("users"), Logged)
        self._lineages: dict[UUID, list[UUID]] = {}
        self.case_turns = KeyedLocks()
        """Commands on one case in this process, one at a time (domain.group_commit)."""
        self._credentials: dict[UUID, tuple[UUID, UUID]] = {}
        self._signed_in: dict[UUID, User] = {}
        self.listeners: list[Callable[[], None]] = []
        self.save_listeners: list[Callable[[Sequence[DomainEventProtocol[UUID]]], None]] = []
        """Told of each save with its events (after `listeners`)."""
        self._group: GroupCommit[Save, list[Recording[UUID]]] = GroupCommit(
            self._record_group, self._record_one
        )

    def queue_writers(self, exclusive: Callable[[], AbstractContextManager[Any]]) -> None:
        """Hold `exclusive()` around each write of grouped saves (the store's writers' queue
        across processes, given by the infrastructure where the store has none of its own)."""
        self._group.exclusive = exclusive

    def save(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> list[Recording[UUID]]:
        """The library's save, except that saves made at once by concurrent threads are
        written in one transaction (domain/group_commit.py); each returns once it committed."""
        processing: ProcessingEvent[UUID] = Collected()
        processing.collect_events(*objs, **kwargs)
        if processing.tracking is None and not processing.saved_kwargs:
            recordings = self._group.submit(processing)
        else:
            recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)
        self.notify(processing.events)
        return recordings

    def save_numbered(self, numbered: NumberedSave) -> list[Recording[UUID]]:
        """`save` for objects that take the next number of a log (see NumberedSave)."""
        recordings = self._group.submit(numbered)
        self._take_snapshots(numbered.processing)
        self._notify(recordings)
        self.notify(numbered.processing.events)
        return recordings

    def _numbered(self, group: Sequence[Save]) -> list[ProcessingEvent[UUID]]:
        """The group's saves, those awaiting a number numbered: consecutively per log, after the
        last number the store holds (read now, by the group's writer)."""
        following: dict[UUID, int] = {}
        saves = []
        for save in group:
            if isinstance(save, NumberedSave):
                log = save.log.originator_id
                if log not in following:
                    last = save.log.get_last()
                    following[log] = last.originator_version + 1 if last else 1
                saves.append(save.number(following[log]))
                following[log] += 1
            else:
                saves.append(save)
        return saves

    def _record_one(self, save: Save) -> list[Recording[UUID]]:
        return self._record(self._numbered([save])[0])

    def _record_group(self, group: Sequence[Save]) -> list[list[Recording[UUID]]]:
        """Record the events of several saves in one transaction."""
        saves = self._numbered(group)
        events = [event for processing in saves for event in processing.events]
        recordings = self.events.put(events)
        cache = self.repository.cache
        if cache and not self.repository.fastforward:
            for processing in saves:
                for aggregate_id, aggregate in processing.aggregates.items():
                    cache.put(aggregate_id, aggregate)
        return split(recordings, [len(p.events) for p in saves])

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        """After each save, let the read side catch up (read-your-writes for the caller)."""
        for listener in self.listeners:
            listener()
        if self.save_listeners:
            events = [r.domain_event for r in recordings]
            for told in self.save_listeners:
                told(events)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """Register the domain's dates, enums and value objects."""
        super().register_transcodings(transcoder)
        register_transcodings(transcoder)

    # -- directory -----------------------------------------------------------------------
    def add_unit(
        self, actor: Actor, *, name: str, kind: str | None = None, parent_id: UUID | None = None
    ) -> Unit:
        """Add a unit to the directory (admin)."""
        permissions.require_role(actor, {Role.ADMIN}, "新增单位")
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
        """Add a user; returns the user and their first token, which is shown only this once."""
        permissions.require_role(actor, {Role.ADMIN}, "新增人员")
        if unit_id is not None:
            self.get_unit(unit_id, field="unit_id")
        user = User.add(
            name=name, role=role, unit_id=unit_id, actor=actor, occurred_at=self.clock()
        )
        issued, credential = self._new_token(user, actor, None, None)
        self._save_logged(self.user_log, user, credential)
        return user, issued.token

    def _save_logged(
        self, log: EventSourcedLog[Logged], item: Aggregate, *others: Aggregate
    ) -> None:
        def attempt() -> bool:
            self.save(item, *others, log.trigger_event(item_id=item.id))
            return True

        self._retrying(attempt)

    # -- accounts ------------------------------------------------------------------------
    def _new_token(
        self, user: User, actor: Actor, days: int | None, reason: str | None
    ) -> tuple[IssuedToken, Credential]:
        """A fresh secret, recorded on the user, and the credential that finds it at sign-in."""
        if days is not None and not 1 <= days <= MAX_TOKEN_DAYS:
            msg = f"令牌有效期应为 1 至 {MAX_TOKEN_DAYS} 天"
            raise RuleViolationError("expires_in_days", msg)
        secret = secrets.token_urlsafe(32)
        credential_id = Credential.id_for(self._credential_key, secret)
        now = self.clock()
        expires_at = now + timedelta(days=days or self.token_days)
        token_id = user.issue_token(
            credential_id=credential_id,
            expires_at=expires_at,
            actor=actor,
            occurred_at=now,
            reason=reason,
        )
        credential = Credential.issue(
            credential_id=credential_id, user_id=user.id, token_id=token_id
        )
        return IssuedToken(token_id, secret, expires_at), credential

    def issue_token(
        self,
        actor: Actor,
        user_id: UUID,
        *,
        expires_in_days: int | None = None,
        reason: str | None = None,
    ) -> IssuedToken:
        """Issue a further token for a user (admin); the secret is shown only this once."""
        permissions.require_role(actor, {Role.ADMIN}, "签发令牌")

        def attempt() -> IssuedToken:
            user = self.get_user(user_id)
            issued, credential = self._new_token(user, actor, expires_in_days, reason)
            self.save(user, credential)
            return issued

        return self._retrying(attempt)

    def tokens(self, actor: Actor, user_id: UUID) -> list[Token]:
        """A user's tokens, oldest first, without their secrets (admin)."""
        permissions.require_role(actor, {Role.ADMIN}, "查看令牌")
        return sorted(self.get_user(user_id).tokens.values(), key=lambda t: t.issued_at)

    def revoke_token(
        self, actor: Actor, user_id: UUID, token_id: UUID, *, reason: str | None = None
    ) -> bool:
        """Revoke one of a user's tokens (admin); False if it was revoked already."""
        permissions.require_role(actor, {Role.ADMIN}, "吊销令牌")
        return self._change_user(
            user_id,
            lambda user, now: user.revoke_token(
                token_id, actor=actor, occurred_at=now, reason=reason
            ),
        )

    def revoke_tokens(
        self, actor: Actor, user_id: UUID, *, keep: UUID | None = None, reason: str
    ) -> list[UUID]:
        """Revoke every usable token of a user but `keep` (admin); returns the ids revoked."""
        permissions.require_role(actor, {Role.ADMIN}, "吊销令牌")

        def revoke(user: User, now: datetime) -> list[UUID]:
            usable = [
                t.id for t in user.tokens.values() if t.state(now) == "active" and t.id != keep
            ]
            for token_id in usable:
                user.revoke_token(token_id, actor=actor, occurred_at=now, reason=reason)
            return usable

        return self._change_user(user_id, revoke)

    def disable_user(self, actor: Actor, user_id: UUID, *, reason: str) -> User:
        """Stop a user from signing in, from their very next request (admin)."""
        self._not_oneself(actor, user_id, "停用账号")

        def disable(user: User, now: datetime) -> User:
            user.disable(actor=actor, occurred_at=now, reason=reason)
            return user

        return self._change_user(user_id, disable)

    def enable_user(self, actor: Actor, user_id: UUID, *, reason: str) -> User:
        """Let a disabled user sign in again (admin)."""
        permissions.require_role(actor, {Role.ADMIN}, "启用账号")

        def enable(user: User, now: datetime) -> User:
            user.enable(actor=actor, occurred_at=now, reason=reason)
            return user

        return self._change_user(user_id, enable)

    def change_role(
        self, actor: Actor, user_id: UUID, *, role: Role, unit_id: UUID | None, reason: str
    ) -> User:
        """Give a user another role or unit, from their very next request (admin)."""
        self._not_oneself(actor, user_id, "变更账号角色")
        if unit_id is not None:
            self.get_unit(unit_id, field="unit_id")

        def change(user: User, now: datetime) -> User:
            user.change_role(
                role=role, unit_id=unit_id, actor=actor, occurred_at=now, reason=needed(reason)
            )
            return user

        return self._change_user(user_id, change)

    def _not_oneself(self, actor: Actor, user_id: UUID, what: str) -> None:
        """Admins only, and not on their own account (an admin must not lock themselves out)."""
        permissions.require_role(actor, {Role.ADMIN}, what)
        if actor.id == user_id:
            raise RuleViolationError("user_id", f"系统管理员不能{what}：这是您本人的账号")

    def _change_user(self, user_id: UUID, change: Callable[[User, datetime], T]) -> T:
        """Apply `change` to the user as stored now and save what it recorded (retried)."""

        def attempt() -> T:
            user = self.get_user(user_id)
            result = change(user, self.clock())
            self.save(user)
            return result

        return self._retrying(attempt)

    # -- signing in ----------------------------------------------------------------------
    def authenticate(self, token: str) -> Actor:
        """The actor behind an API token, as they are at this very request.

        The credential (which user and token a secret is) is cached per process: it never
        changes. The user is brought up to date on every call (one query for events newer than
        the cached copy), so a disabled user, a revoked or expired token and a new role take
        effect on the next request in every process.
        """
        credential_id = Credential.id_for(self._credential_key, token)
        found = self._credentials.get(credential_id)
        if found is None:
            try:
                credential = self.repository.get(credential_id, projector_func=project_aggregate)
            except (AggregateNotFoundError, RecordIntegrityError):
                # A credential row that fails its integrity check (copied under this id) is
                # no credential: the refusal is logged where the record was read.
                raise AuthenticationError(UNKNOWN_TOKEN) from None
            if not isinstance(credential, Credential) or credential.token_id is None:
                raise AuthenticationError(UNKNOWN_TOKEN)
            found = (credential.user_id, credential.token_id)
            self._credentials[credential_id] = found
        user_id, token_id = found
        return self.resume(SignIn(user_id, token_id, credential_id))

    def sign_in(self, token: str) -> SignIn:
        """What a browser session keeps of a sign-in with `token` (never the token itself):
        `resume` checks it again on every request, as `authenticate` checks a token."""
        actor = self.authenticate(token)
        credential_id = Credential.id_for(self._credential_key, token)
        _, token_id = self._credentials[credential_id]
        return SignIn(actor.id, token_id, credential_id)

    def resume(self, signed_in: SignIn) -> Actor:
        """The actor of a sign-in as they are now: refused (AuthenticationError) once the user
        is disabled or the token revoked or expired, as the token itself would be."""
        user = self._current_user(signed_in.user_id)
        user.signs_in_with(signed_in.token_id, signed_in.credential_id, self.clock())
        return user.as_actor

    def _current_user(self, user_id: UUID) -> User:
        """The user as stored now: the cached copy with any newer events applied to a copy."""
        cached = self._signed_in.get(user_id)
        found: Aggregate | None
        if cached is None:
            try:
                found = self.repository.get(user_id, projector_func=project_aggregate)
            except AggregateNotFoundError:
                found = None
        else:
            newer = list(self.events.get(user_id, gt=cached.version))
            if not newer:
                return cached
            # Other threads may be reading the cached copy: bring a copy of it up to date.
            found = project_aggregate(copy.copy(cached), newer)
        if not isinstance(found, User):
            raise AuthenticationError(UNKNOWN_TOKEN)
        self._signed_in[user_id] = found
        return found

    def get_unit(self, unit_id: UUID, *, field: str | None = None) -> Unit:
        """A unit by id; NotFoundError (or a field error naming `field`) if unknown."""
        return self._get_typed(unit_id, Unit, "单位", field)

    def get_user(self, user_id: UUID, *, field: str | None = None) -> User:
        """A user by id; NotFoundError (or a field error naming `field`) if unknown."""
        return self._get_typed(user_id, User, "人员", field)

    def _get_typed(self, item_id: UUID, kind: type[TAgg], label: str, field: str | None) -> TAgg:
        item: Aggregate | None
        try:
            item = self.repository.get(item_id, projector_func=project_aggregate)
        except AggregateNotFoundError:
            item = None
        if not isinstance(item, kind):
            if field is not None:
                raise RuleViolationError(field, f"{no_such(label)}（{item_id}）")
            raise NotFoundError(no_such(label))
        return item

    def units(self) -> list[Unit]:
        """Every unit, in the order they were added."""
        return [self.get_unit(e.item_id) for e in self.unit_log.get()]

    def users(self, actor: Actor) -> list[User]:
        """Every user, in the order they were added (admin, supervisor, auditor)."""
        permissions.require_role(actor, permissions.DIRECTORY_READERS, "查看人员名单")
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
