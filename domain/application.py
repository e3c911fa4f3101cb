"""The eventsourcing Application: use cases over cases and the directory."""

from __future__ import annotations

import hashlib
import json
import random
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar, cast
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application, EventSourcedLog
from eventsourcing.domain import Aggregate, CanMutateProtocol, DomainEventProtocol
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording

from domain import deadlines as clocks
from domain import permissions, visibility
from domain.cases import Case, local_date, make_stamp
from domain.directory import (
    UNIT_ROLES,
    Credential,
    Logged,
    RequestRecord,
    Unit,
    User,
    log_id,
)
from domain.errors import (
    AuthenticationError,
    IdempotencyKeyReusedError,
    NotFoundError,
    RuleViolationError,
    StaleVersionError,
)
from domain.transcodings import register_transcodings
from domain.values import Actor, Category, Channel, Petitioner, Role

TAgg = TypeVar("TAgg", bound=Aggregate)

FIRST_YEAR = 2004
"""The first year the official holiday calendar (chinesecalendar) knows."""

MAX_ATTEMPTS = 20
"""How often a command is retried when another writer moved the case meanwhile."""


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


@dataclass(frozen=True)
class Context:
    """Everything a command needs besides its own arguments."""

    actor: Actor
    occurred_at: datetime | None = None
    reason: str | None = None
    on_behalf_of: UUID | None = None
    expected_version: int | None = None
    idempotency_key: str | None = None

    def fingerprint(self, command: str, case_id: UUID | None, args: Mapping[str, Any]) -> str:
        """A digest of what a keyed request asks for: the same key must ask for the same."""
        asked = {
            "command": command,
            "case_id": case_id,
            "args": args,
            "occurred_at": self.occurred_at,
            "reason": self.reason,
            "on_behalf_of": self.on_behalf_of,
        }
        text = json.dumps(asked, sort_keys=True, default=repr, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Outcome:
    """A command's result: the case as it now is, and the log position written."""

    case: Case
    position: int | None


Resolver = Callable[["Xinfang", Case, dict[str, Any]], tuple[dict[str, Any], list[Aggregate]]]


class Xinfang(Application[UUID]):
    """Registers and moves cases, keeps the directory; every change is an event."""

    name = "Xinfang"
    snapshotting_intervals = {Case: 50}  # noqa: RUF012 (the library's class attribute)

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
        for attempt in range(MAX_ATTEMPTS):
            entry = log.trigger_event(item_id=item.id)
            try:
                self.save(item, *others, entry)
            except IntegrityError:
                if attempt == MAX_ATTEMPTS - 1:
                    raise
                back_off(attempt)
            else:
                return

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

    # -- cases: reads --------------------------------------------------------------------
    def _load_case(self, case_id: UUID, version: int | None = None) -> Case:
        case: Aggregate
        try:
            case = self.repository.get(case_id, version=version, projector_func=project_aggregate)
        except AggregateNotFoundError:
            raise NotFoundError("no such case") from None
        if not isinstance(case, Case):
            raise NotFoundError("no such case")
        return case

    def get_case(self, actor: Actor, case_id: UUID, *, as_of: datetime | None = None) -> Case:
        """The case now, or as it stood at `as_of` (recorded time)."""
        case = self._load_case(case_id)
        visibility.require_visible(actor, case, self.lineage(actor.unit_id))
        if as_of is None:
            return case
        version = None
        for event in self.events.get(case_id):
            if cast("Case.Event", event).timestamp > as_of:
                break
            version = event.originator_version
        if version is None:
            raise NotFoundError("the case did not exist yet at that moment")
        return self._load_case(case_id, version)

    def history(self, actor: Actor, case_id: UUID) -> tuple[Case, list[DomainEventProtocol[UUID]]]:
        """The case and every event it consists of, in order."""
        case = self.get_case(actor, case_id)
        return case, list(self.events.get(case_id))

    # -- cases: commands -----------------------------------------------------------------
    def register_case(
        self,
        ctx: Context,
        *,
        channel: Channel,
        category: Category,
        subject: str,
        content: str,
        petitioners: Sequence[Petitioner],
        location: str | None = None,
        accused_unit_ids: Sequence[UUID] = (),
        collective_size: int | None = None,
    ) -> Outcome:
        """Register a new case with the next number of its year."""
        permissions.authorize_register(ctx.actor)
        for unit_id in accused_unit_ids:
            self.get_unit(unit_id, field="accused_unit_ids")
        asked = ctx.fingerprint(
            "register",
            None,
            {
                "channel": channel,
                "category": category,
                "subject": subject,
                "content": content,
                "petitioners": list(petitioners),
                "location": location,
                "accused_unit_ids": list(accused_unit_ids),
                "collective_size": collective_size,
            },
        )
        replay = self._replay(ctx, "register", None, asked)
        if replay is not None:
            return replay
        case_id = uuid4()
        for attempt in range(MAX_ATTEMPTS):
            stamp = make_stamp(
                ctx.actor,
                now=self.clock(),
                occurred_at=ctx.occurred_at,
                reason=ctx.reason,
                on_behalf_of=ctx.on_behalf_of,
            )
            year = local_date(self.clock()).year
            case_log = EventSourcedLog(self.events, log_id(f"cases:{year}"), Logged)
            entry = case_log.trigger_event(item_id=case_id)
            case = Case.register(
                stamp,
                case_id=case_id,
                number=f"XF-{year}-{entry.originator_version:06d}",
                channel=channel,
                category=category,
                subject=subject,
                content=content,
                petitioners=petitioners,
                location=location,
                accused_unit_ids=accused_unit_ids,
                collective_size=collective_size,
            )
            try:
                return self._commit(ctx, "register", case, [entry], asked)
            except IntegrityError:
                replay = self._replay(ctx, "register", None, asked)
                if replay is not None:
                    return replay
                if attempt == MAX_ATTEMPTS - 1:
                    raise
                back_off(attempt)
        raise AssertionError  # pragma: no cover (the loop returns or raises)

    def execute(self, command: str, case_id: UUID, ctx: Context, **args: Any) -> Outcome:
        """Get the case, run one command on it, save: retried if another writer got there first."""
        asked = ctx.fingerprint(command, case_id, args)
        replay = self._replay(ctx, command, case_id, asked)
        if replay is not None:
            return replay
        lineage = self.lineage(ctx.actor.unit_id)
        for attempt in range(MAX_ATTEMPTS):
            case = self._load_case(case_id)
            visibility.require_visible(ctx.actor, case, lineage)
            if ctx.expected_version is not None and case.version != ctx.expected_version:
                raise StaleVersionError(ctx.expected_version, case.version)
            permissions.authorize(command, ctx.actor, case, args)
            resolve: Resolver = RESOLVERS.get(command, as_given)
            kwargs, others = resolve(self, case, dict(args))
            stamp = make_stamp(
                ctx.actor,
                now=self.clock(),
                occurred_at=ctx.occurred_at,
                reason=ctx.reason,
                on_behalf_of=ctx.on_behalf_of,
            )
            method: Callable[..., None] = getattr(case, command)
            method(stamp, **kwargs)
            try:
                return self._commit(ctx, command, case, others, asked)
            except IntegrityError:
                if ctx.expected_version is not None:
                    current = self._load_case(case_id).version
                    raise StaleVersionError(ctx.expected_version, current) from None
                replay = self._replay(ctx, command, case_id, asked)
                if replay is not None:
                    return replay
                if attempt == MAX_ATTEMPTS - 1:
                    raise
                back_off(attempt)
        raise AssertionError  # pragma: no cover (the loop returns or raises)

    def _commit(
        self, ctx: Context, command: str, case: Case, others: Sequence[Any], asked: str
    ) -> Outcome:
        items: list[Any] = [case, *others]
        if ctx.idempotency_key:
            items.append(
                RequestRecord.record(
                    actor_id=ctx.actor.id,
                    key=ctx.idempotency_key,
                    command=command,
                    case_id=case.id,
                    case_version=case.version,
                    fingerprint=asked,
                )
            )
        recordings: list[Recording[UUID]] = self.save(*items)
        position = max((r.notification.id for r in recordings), default=None)
        return Outcome(case=case, position=position)

    def _replay(
        self, ctx: Context, command: str, case_id: UUID | None, asked: str
    ) -> Outcome | None:
        """The first result of this keyed request, if it was applied (None without a key)."""
        if not ctx.idempotency_key:
            return None
        try:
            record: RequestRecord = self.repository.get(
                RequestRecord.id_for(ctx.actor.id, ctx.idempotency_key)
            )
        except AggregateNotFoundError:
            return None
        if record.command != command or (case_id is not None and record.case_id != case_id):
            msg = "this Idempotency-Key was already used for a different request"
            raise IdempotencyKeyReusedError(msg)
        if record.fingerprint != asked:
            msg = "this Idempotency-Key was already used with a different body"
            raise IdempotencyKeyReusedError(msg)
        case = self._load_case(record.case_id, record.case_version)
        # A retry answers only while the caller may still see the case.
        visibility.require_visible(
            ctx.actor, self._load_case(record.case_id), self.lineage(ctx.actor.unit_id)
        )
        return Outcome(case=case, position=None)

    def refresh_deadlines(self, actor: Actor, *, reason: str) -> list[str]:
        """Correct every provisional deadline the installed holiday calendar now computes
        differently (after a newer chinesecalendar); returns the numbers of corrected cases.
        """
        permissions.require_role(actor, {Role.ADMIN}, "refresh deadlines")
        clocks.reload_calendar()
        corrected = []
        for year in range(FIRST_YEAR, local_date(self.clock()).year + 1):
            for case_id in self.iter_case_ids(year):
                for attempt in range(MAX_ATTEMPTS):
                    case = self._load_case(case_id)
                    stamp = make_stamp(actor, now=self.clock(), reason=reason)
                    if not case.refresh_deadlines(stamp):
                        break
                    try:
                        self.save(case)
                    except IntegrityError:
                        if attempt == MAX_ATTEMPTS - 1:
                            raise
                        back_off(attempt)
                    else:
                        corrected.append(case.number)
                        break
        return corrected

    # -- batch helpers for set-up and demo data --------------------------------------------
    def iter_case_ids(self, year: int) -> Iterator[UUID]:
        """The ids of the cases registered in `year`, in number order."""
        log = EventSourcedLog(self.events, log_id(f"cases:{year}"), Logged)
        return (e.item_id for e in log.get())


# -- resolving references to other aggregates ------------------------------------------------
def as_given(app: Xinfang, case: Case, args: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    """Arguments that name no other aggregate pass through unchanged."""
    return args, []


def _unit_target(
    app: Xinfang, case: Case, args: dict[str, Any]
) -> tuple[dict[str, Any], list[Any]]:
    unit = app.get_unit(args["unit_id"], field="unit_id")
    args["unit_lineage"] = app.lineage(unit.id)
    return args, []


def _person(app: Xinfang, user_id: UUID, field: str, roles: frozenset[Role]) -> User:
    user = app.get_user(user_id, field=field)
    if user.role not in roles:
        allowed = ", ".join(sorted(r.value for r in roles))
        raise RuleViolationError(field, f"{user.name} is a {user.role.value}, not {allowed}")
    return user


def _in_case_unit(user: User, case: Case, unit_id: UUID | None, field: str) -> None:
    if unit_id is not None and user.unit_id != unit_id:
        raise RuleViolationError(field, f"{user.name} does not work in the responsible unit")


LEADERS = frozenset({Role.LEADER})


def _accept(app: Xinfang, case: Case, args: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    unit_id = case.unit_id if case.unit_id is not None else case.intake_unit_id
    if args.get("handler_id") is not None:
        handler = _person(app, args["handler_id"], "handler_id", UNIT_ROLES)
        _in_case_unit(handler, case, unit_id, "handler_id")
    if args.get("leader_id") is not None:
        _person(app, args["leader_id"], "leader_id", LEADERS)
    return args, []


def _handler(app: Xinfang, case: Case, args: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    handler = _person(app, args["handler_id"], "handler_id", UNIT_ROLES)
    _in_case_unit(handler, case, case.unit_id, "handler_id")
    return args, []


def _leader(app: Xinfang, case: Case, args: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    if args.get("leader_id") is not None:
        _person(app, args["leader_id"], "leader_id", LEADERS)
    return args, []


def _merge(app: Xinfang, case: Case, args: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    into_id = args.pop("into_case_id")
    try:
        into = app._load_case(into_id)
    except NotFoundError:
        raise RuleViolationError("into_case_id", "no such case") from None
    args["into"] = into
    return args, [into]


RESOLVERS: dict[str, Resolver] = {
    "forward": _unit_target,
    "assign": _unit_target,
    "reassign": _unit_target,
    "accept": _accept,
    "change_handler": _handler,
    "change_leader": _leader,
    "record_visit": _leader,
    "merge": _merge,
}
"""Commands whose arguments name other aggregates: checked and loaded before the command."""


def today_in_county(app: Xinfang) -> date:
    """Today's date in the county, by the application's clock."""
    return local_date(app.clock())
