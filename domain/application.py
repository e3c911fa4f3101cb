"""The eventsourcing Application: the use cases over cases (the directory's are in office.py)."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from functools import partial
from typing import Any, TypeVar, cast
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, EventSourcedLog
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import Recording

from domain import deadlines as clocks
from domain import permissions, visibility
from domain.cases import Case, local_date, make_stamp
from domain.commands import CaseCommand, Command, IssueDocument, Ref, RegisterCase
from domain.directory import (
    UNIT_ROLES,
    Logged,
    RequestRecord,
    Unit,
    log_id,
)
from domain.documents import NUMBERED, OfficeProfile, sequence_name
from domain.errors import (
    KEY_REUSED_FOR_OTHER_REQUEST,
    KEY_REUSED_WITH_OTHER_BODY,
    NO_SUCH_CASE,
    IdempotencyKeyReusedError,
    NotFoundError,
    RuleViolationError,
    StaleVersionError,
    no_such,
    wrong_role,
)
from domain.office import NumberedSave, Office, project_aggregate
from domain.values import Actor, Role, Stamp

TAgg = TypeVar("TAgg", bound=Aggregate)
T = TypeVar("T")

FIRST_YEAR = 2004
"""The first year the official holiday calendar (chinesecalendar) knows."""


@dataclass(frozen=True)
class Context:
    """Everything a command needs besides its own arguments."""

    actor: Actor
    occurred_at: datetime | None = None
    reason: str | None = None
    on_behalf_of: UUID | None = None
    expected_version: int | None = None
    idempotency_key: str | None = None

    def fingerprint(self, command: Command) -> str:
        """A digest of what a keyed request asks for: the same key must ask for the same."""
        asked = {
            "command": command_name(command),
            "case_id": getattr(command, "case_id", None),
            "args": command.arguments(),
            "occurred_at": self.occurred_at,
            "reason": self.reason,
            "on_behalf_of": self.on_behalf_of,
        }
        text = json.dumps(asked, sort_keys=True, default=repr, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Batch:
    """What the commands of one `Xinfang.batch()` changed, waiting to be saved together."""

    items: dict[object, Any] = field(default_factory=dict)
    cases: dict[UUID, Case] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)
    """The next entry of each numbering log (cases of a year, documents of a kind and year),
    as numbers are handed out in the batch."""

    def stage(self, items: Sequence[Any]) -> None:
        """Keep the changed aggregates (each once, with all its pending events) and the
        log entries (events) the commands made."""
        for item in items:
            if isinstance(item, Aggregate):
                self.items[item.id] = item
                if isinstance(item, Case):
                    self.cases[item.id] = item
            else:
                self.items[(item.originator_id, item.originator_version)] = item


@dataclass(frozen=True)
class Outcome:
    """A command's result: the case as it now is, and the log position written.

    A replayed result (an Idempotency-Key sent again) carries the case as the first answer left
    it and, as `now`, the case as it is at the retry: the answer is disclosed by the caller's
    standing now.
    """

    case: Case
    position: int | None
    now: Case | None = None


class Xinfang(Office):
    """Registers and moves cases, keeps the directory; every change is an event."""

    name = "Xinfang"
    snapshotting_intervals = {Case: 50}  # noqa: RUF012 (the library's class attribute)
    _batch: Batch | None = None
    office: Callable[[], OfficeProfile] = OfficeProfile
    """The issuing office (name, 文号 prefix, seal) as configured now (`xinfang config`); the
    composition root sets the instance's, read anew for each document issued."""

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Run many commands through the same use cases and save what they did at the end,
        in one transaction (bulk loads such as the demo county); nothing is saved on error.

        Inside, a case a command changed is read back from the batch, not the store.
        """
        if self._batch is not None:
            raise RuntimeError("batches do not nest")
        self._batch = Batch()
        try:
            yield
            staged = self._batch
        finally:
            self._batch = None
        if staged.items:
            self.save(*staged.items.values())

    # -- cases: reads --------------------------------------------------------------------
    case_states: Callable[[UUID], Case | None] | None = None
    """Where a case's state at some recent version may be had (the read side's case view): a
    case now is that state brought up to date with the newer events alone, not replayed."""

    def _load_case(self, case_id: UUID, version: int | None = None) -> Case:
        if self._batch is not None and version is None and case_id in self._batch.cases:
            return self._batch.cases[case_id]
        if version is None and self.case_states is not None:
            held = self.case_states(case_id)
            if held is not None:
                found = project_aggregate(held, self.events.get(case_id, gt=held.version))
                if isinstance(found, Case):
                    return found
        case: Aggregate
        try:
            case = self.repository.get(case_id, version=version, projector_func=project_aggregate)
        except AggregateNotFoundError:
            raise NotFoundError(NO_SUCH_CASE) from None
        if not isinstance(case, Case):
            raise NotFoundError(NO_SUCH_CASE)
        return case

    def get_case(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        as_of: datetime | None = None,
        current: Case | None = None,
    ) -> Case:
        """The case now, or as it stood at `as_of` (recorded time).

        `current` is the case now as a read model holds it (caught up to the log's head), used
        instead of loading it from the event store.
        """
        case = current if current is not None and current.id == case_id else None
        if case is None:
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
            raise NotFoundError("该时刻此信访事项尚未登记")
        return self._load_case(case_id, version)

    def history(
        self, actor: Actor, case_id: UUID, *, current: Case | None = None
    ) -> tuple[Case, list[DomainEventProtocol[UUID]]]:
        """The case and every event it consists of, in order (the case brought up to the last
        event read, should one have been saved in between)."""
        case = self.get_case(actor, case_id, current=current)
        events = list(self.events.get(case_id))
        newer = [e for e in events if e.originator_version > case.version]
        if newer:
            # `current` may be shared by the readers of a process (the case view's decoded
            # copy): the newer events go onto a copy of it.
            found = project_aggregate(copy.deepcopy(case), newer)
            assert isinstance(found, Case)
            case = found
        return case, events

    def events_until(
        self, case_id: UUID, version: int, *, after: int = 0
    ) -> list[DomainEventProtocol[UUID]]:
        """The case's events up to `version` (inclusive), in order: its history at that version
        (the caller has found the case visible); with `after`, only those after that version."""
        return list(self.events.get(case_id, gt=after or None, lte=version))

    # -- cases: commands -----------------------------------------------------------------
    def execute(self, command: Command, ctx: Context) -> Outcome:
        """Run one command (registering a case, or a command on one): its only entry point.

        Get the case, check who may, resolve the ids it names, run the aggregate's method, save;
        retried if another writer got there first. A keyed request is applied at most once.
        """
        asked = ctx.fingerprint(command)
        replay = self._replay(ctx, command, asked)
        if replay is not None:
            return replay
        if isinstance(command, RegisterCase):
            return self._register(command, ctx, asked)
        if not isinstance(command, CaseCommand):
            raise TypeError(f"not a command: {command!r}")
        with self.case_turns.hold(command.case_id):
            return self._retrying(
                lambda: self._apply(command, ctx, asked),
                on_conflict=lambda: self._after_conflict(command, ctx, asked),
            )

    def _register(self, command: RegisterCase, ctx: Context, asked: str) -> Outcome:
        permissions.authorize(command, ctx.actor)
        self._resolve(command, None, ctx.actor)
        case_id = uuid4()

        def attempt() -> Outcome:
            stamp = self._stamp(ctx)
            # Numbered in the year of receipt, by a log that refuses two cases one number.
            year = local_date(stamp.occurred_at).year
            if self._batch is not None:
                entry = self._number(year, case_id)
                case = Case.register(
                    stamp,
                    case_id=case_id,
                    number=case_number(year, entry.originator_version),
                    **command.arguments(),
                )
                return self._commit(ctx, command, case, [entry], asked)
            numbering = EventSourcedLog(self.events, log_id(f"cases:{year}"), Logged)

            def build(n: int) -> list[Any]:
                # The number is given when the save is written (Office.save_numbered).
                entry = numbering.trigger_event(next_originator_version=n, item_id=case_id)
                case = Case.register(
                    stamp, case_id=case_id, number=case_number(year, n), **command.arguments()
                )
                return [
                    case,
                    entry,
                    *RequestRecord.kept(
                        ctx.actor.id, ctx.idempotency_key, command_name(command), case, asked
                    ),
                ]

            # Built once here with a stand-in number, so that whatever the aggregate refuses is
            # refused to this caller, not raised in the writer of a group of other saves.
            build(1)
            numbered = NumberedSave(numbering, build)
            recordings = self.save_numbered(numbered)
            position = max((r.notification.id for r in recordings), default=None)
            return Outcome(case=numbered.built[0], position=position)

        return self._retrying(attempt, on_conflict=lambda: self._replay(ctx, command, asked))

    def _number(self, year: int, case_id: UUID) -> Logged:
        """The next entry of the year's case log: its version is the case's number."""
        return self._next_entry(f"cases:{year}", case_id)

    def _next_entry(self, name: str, item_id: UUID) -> Logged:
        """The next entry of a numbering log, which refuses two items one number (a writer
        that loses the race retries with the next)."""
        numbering = EventSourcedLog(self.events, log_id(name), Logged)
        if self._batch is None:
            return numbering.trigger_event(item_id=item_id)
        n = self._batch.numbers.get(name)
        if n is None:
            last = numbering.get_last()
            n = last.originator_version + 1 if last else 1
        self._batch.numbers[name] = n + 1
        return numbering.trigger_event(next_originator_version=n, item_id=item_id)

    def _document_serial(
        self, command: IssueDocument, stamp: Stamp, case: Case, kwargs: dict[str, Any]
    ) -> list[Logged]:
        """The 文号 of a document to issue: the next entry of its kind's log of the year (saved
        with the case's event), and the office's prefix as configured now."""
        kwargs.update(prefix=self.office().number_prefix, serial=0)
        if command.kind not in NUMBERED or case.document(command.kind) is not None:
            return []  # the aggregate refuses it, saying why
        year = local_date(stamp.occurred_at).year
        entry = self._next_entry(sequence_name(command.kind, year), case.id)
        kwargs["serial"] = entry.originator_version
        return [entry]

    def _apply(self, command: CaseCommand, ctx: Context, asked: str) -> Outcome:
        case = self._load_case(command.case_id)
        visibility.require_visible(ctx.actor, case, self.lineage(ctx.actor.unit_id))
        if ctx.expected_version is not None and case.version != ctx.expected_version:
            raise StaleVersionError(ctx.expected_version, case.version)
        permissions.authorize(command, ctx.actor, case)
        kwargs, others = self._resolve(command, case, ctx.actor)
        stamp = self._stamp(ctx)
        entries: list[Logged] = []
        if isinstance(command, IssueDocument):
            entries = self._document_serial(command, stamp, case, kwargs)
        method: Callable[..., None] = getattr(case, command.verb)
        method(stamp, **kwargs)
        # Cross-aggregate work: the case merged into carries the other half of the merge.
        for into in others:
            into.absorb(stamp, merged=case)
        return self._commit(ctx, command, case, [*others, *entries], asked)

    def _after_conflict(self, command: CaseCommand, ctx: Context, asked: str) -> Outcome | None:
        """After losing a race: a stale If-Match is the caller's to resolve, a keyed retry
        answers with the first result, anything else is tried again."""
        if ctx.expected_version is not None:
            current = self._load_case(command.case_id).version
            raise StaleVersionError(ctx.expected_version, current)
        return self._replay(ctx, command, asked)

    def _stamp(self, ctx: Context) -> Stamp:
        if ctx.on_behalf_of is not None:
            # The person named must exist: the trail would otherwise credit nobody.
            self.get_user(ctx.on_behalf_of, field="on_behalf_of")
        return make_stamp(
            ctx.actor,
            now=self.clock(),
            occurred_at=ctx.occurred_at,
            reason=ctx.reason,
            on_behalf_of=ctx.on_behalf_of,
        )

    def _resolve(
        self, command: Command, case: Case | None, actor: Actor
    ) -> tuple[dict[str, Any], list[Case]]:
        """The aggregate method's arguments: every id the command names checked and loaded."""
        kwargs = command.arguments()
        others: list[Case] = []
        for spec in fields(command):
            refers: Ref | None = spec.metadata.get("refers")
            value = kwargs.get(spec.name)
            if refers is None or value is None:
                continue
            if isinstance(value, list):
                for item in value:
                    self._referred(refers, item, spec.name, case, actor)
                continue
            found = self._referred(refers, value, spec.name, case, actor)
            if isinstance(found, Unit):
                kwargs["unit_lineage"] = self.lineage(found.id)
            elif isinstance(found, Case):
                # `into_case_id` names the case itself to the aggregate as `into`.
                del kwargs[spec.name]
                kwargs[spec.name.removesuffix("_case_id")] = found
                others.append(found)
        return kwargs, others

    def _referred(
        self, refers: Ref, item_id: UUID, name: str, case: Case | None, actor: Actor
    ) -> Any:
        """One referenced record, checked to fit (a field error naming `name` otherwise).

        A case the caller may not know exists, and a person of a unit the case accuses, are
        answered exactly as an id that names nothing (domain.md §7).
        """
        if refers is Ref.UNIT:
            return self.get_unit(item_id, field=name)
        if refers is Ref.CASE:
            try:
                found = self._load_case(item_id)
                visibility.require_visible(actor, found, self.lineage(actor.unit_id))
            except NotFoundError:
                raise RuleViolationError(name, NO_SUCH_CASE) from None
            return found
        user = self.get_user(item_id, field=name)
        if refers is Ref.PERSON:
            return user
        if case is not None and visibility.is_accused(case, self.lineage(user.unit_id)):
            raise RuleViolationError(name, f"{no_such('人员')}（{item_id}）")
        if case is not None and user.id in case.recused_ids:
            raise RuleViolationError(name, f"{user.name}已回避本事项")
        roles = UNIT_ROLES if refers is Ref.UNIT_STAFF else LEADERS
        if user.role not in roles:
            raise RuleViolationError(name, wrong_role(user.name, user.role, roles))
        responsible = None if case is None else case.unit_id or case.intake_unit_id
        if refers is Ref.UNIT_STAFF and responsible is not None and user.unit_id != responsible:
            raise RuleViolationError(name, f"{user.name}不是责任单位的工作人员")
        return user

    def _commit(
        self, ctx: Context, command: Command, case: Case, others: Sequence[Any], asked: str
    ) -> Outcome:
        items: list[Any] = [
            case,
            *others,
            *RequestRecord.kept(
                ctx.actor.id, ctx.idempotency_key, command_name(command), case, asked
            ),
        ]
        if self._batch is not None:
            self._batch.stage(items)
            return Outcome(case=case, position=None)
        recordings: list[Recording[UUID]] = self.save(*items)
        position = max((r.notification.id for r in recordings), default=None)
        return Outcome(case=case, position=position)

    def applied(self, actor: Actor, idempotency_key: str) -> bool:
        """Whether a request of `actor` with this Idempotency-Key was applied already (the web
        pages then skip what comes before `execute`, which answers with the first result)."""
        try:
            self.repository.get(RequestRecord.id_for(actor.id, idempotency_key))
        except AggregateNotFoundError:
            return False
        return True

    def _replay(self, ctx: Context, command: Command, asked: str) -> Outcome | None:
        """The first result of this keyed request, if it was applied (None without a key)."""
        if not ctx.idempotency_key:
            return None
        try:
            record: RequestRecord = self.repository.get(
                RequestRecord.id_for(ctx.actor.id, ctx.idempotency_key)
            )
        except AggregateNotFoundError:
            return None
        case_id = command.case_id if isinstance(command, CaseCommand) else None
        if record.command != command_name(command) or (
            case_id is not None and record.case_id != case_id
        ):
            raise IdempotencyKeyReusedError(KEY_REUSED_FOR_OTHER_REQUEST)
        if record.fingerprint != asked:
            raise IdempotencyKeyReusedError(KEY_REUSED_WITH_OTHER_BODY)
        case = self._load_case(record.case_id, record.case_version)
        # A retry answers only while the caller may still see the case.
        now = self._load_case(record.case_id)
        visibility.require_visible(ctx.actor, now, self.lineage(ctx.actor.unit_id))
        return Outcome(case=case, position=None, now=now)

    def refresh_deadlines(self, actor: Actor, *, reason: str) -> list[str]:
        """Correct every provisional deadline the installed holiday calendar now computes
        differently (after a newer chinesecalendar); returns the numbers of corrected cases.
        """
        permissions.require_role(actor, {Role.ADMIN}, "重新计算期限")
        clocks.reload_calendar()
        corrected = []
        for year in range(FIRST_YEAR, local_date(self.clock()).year + 1):
            for case_id in self.iter_case_ids(year):
                if self._retrying(partial(self._refresh, case_id, actor, reason)):
                    corrected.append(self._load_case(case_id).number)
        return corrected

    def _refresh(self, case_id: UUID, actor: Actor, reason: str) -> bool:
        case = self._load_case(case_id)
        if not case.refresh_deadlines(make_stamp(actor, now=self.clock(), reason=reason)):
            return False
        self.save(case)
        return True

    # -- batch helpers for set-up and demo data --------------------------------------------
    def iter_case_ids(self, year: int) -> Iterator[UUID]:
        """The ids of the cases registered in `year`, in number order."""
        log = EventSourcedLog(self.events, log_id(f"cases:{year}"), Logged)
        return (e.item_id for e in log.get())


LEADERS = frozenset({Role.LEADER})


def case_number(year: int, n: int) -> str:
    """The human number of the `n`th case received in `year` (XF-2026-000123)."""
    return f"XF-{year}-{n:06d}"


def command_name(command: Command) -> str:
    """How a command is named in idempotency records: its Case method, or `register`."""
    return command.verb if isinstance(command, CaseCommand) else "register"


def today_in_county(app: Xinfang) -> date:
    """Today's date in the county, by the application's clock."""
    return local_date(app.clock())
