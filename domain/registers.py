"""The use cases of the county's registers beside the cases: the risk register (隐患排查台账)
and the campaigns (百日攻坚, 积案化解).

Each command runs as a case command does (domain/application.py): load, check visibility and
`If-Match`, authorize by the declaration, resolve the ids it names, run the aggregate's method,
save — inside the application's one retry loop (`Office._retrying`). Every event goes into the
application's one event log, so the audit tree covers it (docs/risks.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, EventSourcedLog
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import Recording

from domain import permissions, visibility
from domain.application import Context, Xinfang, case_number
from domain.campaigns import ENDED, OPEN, RESOLVED, Campaign, Figures, Target, figures, marks_of
from domain.cases import Case, local_date
from domain.commands.campaigns import AddCampaignTargets, LaunchCampaign
from domain.commands.risks import ConvertRisk, RegisterRisk, RiskCommand
from domain.directory import UNIT_ROLES, Logged, RequestRecord, User, log_id
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
from domain.labels import REGISTER_COMMAND
from domain.office import project_aggregate
from domain.risks import Risk, risk_number
from domain.values import (
    TERMINAL_STATUSES,
    Actor,
    Flag,
    RiskLevel,
    RiskStatus,
    Role,
    Stamp,
    Status,
)


@dataclass(frozen=True)
class RiskOutcome:
    """A risk command's result: the risk as it now is, the case it made (convert), the log
    position written."""

    risk: Risk
    case: Case | None
    position: int | None
    now: Risk | None = None
    """On a replayed answer (an Idempotency-Key sent again), the risk as it is now: the answer
    is shown by the caller's standing now."""


class Registers:
    """The risk register's use cases over the application's event store."""

    def __init__(self, app: Xinfang) -> None:
        self.app = app

    # -- reads -------------------------------------------------------------------------------
    def _load(self, risk_id: UUID, version: int | None = None) -> Risk:
        found: Aggregate | None
        try:
            found = self.app.repository.get(
                risk_id, version=version, projector_func=project_aggregate
            )
        except AggregateNotFoundError:
            found = None
        if not isinstance(found, Risk):
            raise NotFoundError(no_such("隐患"))
        return found

    def can_see(self, actor: Actor, risk: Risk) -> bool:
        """Whether the risk exists for the actor (the visibility rule of cases)."""
        return visibility.visible(actor, risk.standing(), self.app.lineage(actor.unit_id))

    def get_risk(self, actor: Actor, risk_id: UUID) -> Risk:
        """The risk now; NotFoundError for a risk the actor may not know exists."""
        risk = self._load(risk_id)
        if not self.can_see(actor, risk):
            raise NotFoundError(no_such("隐患"))
        return risk

    def history(self, actor: Actor, risk_id: UUID) -> tuple[Risk, list[DomainEventProtocol[UUID]]]:
        """The risk and every event it consists of, in order."""
        risk = self.get_risk(actor, risk_id)
        return risk, list(self.app.events.get(risk_id))

    def iter_risk_ids(self, year: int) -> Iterator[UUID]:
        """The ids of the risks entered in `year`, in number order."""
        log = EventSourcedLog(self.app.events, log_id(f"risks:{year}"), Logged)
        return (e.item_id for e in log.get())

    # -- commands ----------------------------------------------------------------------------
    def execute(self, command: RegisterRisk | RiskCommand, ctx: Context) -> RiskOutcome:
        """Run one command of the register: entering a risk, or a command on one.

        A keyed request (`Idempotency-Key`) is applied at most once: a retry with the key
        answers with the risk as the first answer left it (while the caller may still see it).
        """
        replay = self._replay(command, ctx)
        if replay is not None:
            return replay
        if isinstance(command, RegisterRisk):
            return self._register(command, ctx)
        return self.app._retrying(
            lambda: self._apply(command, ctx),
            on_conflict=lambda: self._after_conflict(command, ctx),
        )

    @staticmethod
    def _name(command: RegisterRisk | RiskCommand) -> str:
        """How the command is named in idempotency records (apart from the case commands)."""
        return f"risk:{command.verb if isinstance(command, RiskCommand) else 'register'}"

    @staticmethod
    def _fingerprint(command: RegisterRisk | RiskCommand, ctx: Context) -> str:
        risk_id = command.risk_id if isinstance(command, RiskCommand) else None
        return hashlib.sha256(f"{ctx.fingerprint(command)}:{risk_id}".encode()).hexdigest()

    def _replay(self, command: RegisterRisk | RiskCommand, ctx: Context) -> RiskOutcome | None:
        """The first result of this keyed request, if it was applied (None without a key)."""
        if not ctx.idempotency_key:
            return None
        try:
            record: RequestRecord = self.app.repository.get(
                RequestRecord.id_for(ctx.actor.id, ctx.idempotency_key)
            )
        except AggregateNotFoundError:
            return None
        risk_id = command.risk_id if isinstance(command, RiskCommand) else None
        if record.command != self._name(command) or risk_id not in (None, record.case_id):
            raise IdempotencyKeyReusedError(KEY_REUSED_FOR_OTHER_REQUEST)
        if record.fingerprint != self._fingerprint(command, ctx):
            raise IdempotencyKeyReusedError(KEY_REUSED_WITH_OTHER_BODY)
        now = self.get_risk(ctx.actor, record.case_id)  # answered while the caller sees it
        risk = self._load(record.case_id, record.case_version)
        case = self.app._load_case(risk.case_id) if risk.case_id is not None else None
        return RiskOutcome(risk=risk, case=case, position=None, now=now)

    def _after_conflict(self, command: RiskCommand, ctx: Context) -> RiskOutcome | None:
        """After losing a race: a stale If-Match is the caller's, a keyed retry answers with
        the first result, anything else is tried again."""
        if ctx.expected_version is not None:
            current = self._load(command.risk_id).version
            raise StaleVersionError(ctx.expected_version, current)
        return self._replay(command, ctx)

    def _register(self, command: RegisterRisk, ctx: Context) -> RiskOutcome:
        permissions.authorize_register(command, ctx.actor, None, "录入隐患")
        arguments = command.arguments()
        self.app.get_unit(command.township_id, field="township_id")
        for unit_id in command.accused_unit_ids:
            self.app.get_unit(unit_id, field="accused_unit_ids")
        risk_id = uuid4()

        def attempt() -> RiskOutcome:
            stamp = self.app._stamp(ctx)
            year = local_date(stamp.occurred_at).year
            entry = EventSourcedLog(self.app.events, log_id(f"risks:{year}"), Logged)
            logged = entry.trigger_event(item_id=risk_id)
            risk = Risk.register(
                stamp,
                risk_id=risk_id,
                number=risk_number(year, logged.originator_version),
                **arguments,
            )
            return self._save(risk, None, [logged], command, ctx)

        return self.app._retrying(attempt, on_conflict=lambda: self._replay(command, ctx))

    def _apply(self, command: RiskCommand, ctx: Context) -> RiskOutcome:
        risk = self.get_risk(ctx.actor, command.risk_id)
        if ctx.expected_version is not None and risk.version != ctx.expected_version:
            raise StaleVersionError(ctx.expected_version, risk.version)
        what = f"对此隐患办理“{REGISTER_COMMAND[type(command).__name__]}”"
        permissions.authorize_register(command, ctx.actor, risk.standing(), what)
        stamp = self.app._stamp(ctx)
        if isinstance(command, ConvertRisk):
            return self._convert(risk, command, stamp, ctx)
        kwargs = self._resolve(command, risk)
        getattr(risk, command.verb)(stamp, **kwargs)
        return self._save(risk, None, [], command, ctx)

    def _resolve(self, command: RiskCommand, risk: Risk) -> dict[str, Any]:
        """The aggregate method's arguments: every person and unit named checked and loaded.

        A person of a unit the risk concerns is answered exactly as an id that names nobody.
        """
        kwargs = command.arguments()
        if kwargs.get("unit_id") is not None:
            self.app.get_unit(kwargs["unit_id"], field="unit_id")
            kwargs["unit_lineage"] = self.app.lineage(kwargs["unit_id"])
        if kwargs.get("leader_id") is not None:
            self._person(risk, kwargs["leader_id"], "leader_id", frozenset({Role.LEADER}))
        if kwargs.get("handler_id") is not None:
            handler = self._person(risk, kwargs["handler_id"], "handler_id", UNIT_ROLES)
            if "handler_id" in kwargs:
                kwargs["handler_unit_id"] = handler.unit_id
        return kwargs

    def _person(self, risk: Risk, user_id: UUID, field: str, roles: frozenset[Role]) -> User:
        user = self.app.get_user(user_id, field=field)
        if set(self.app.lineage(user.unit_id)) & set(risk.accused_unit_ids):
            raise RuleViolationError(field, f"{no_such('人员')}（{user_id}）")
        if user.role not in roles:
            raise RuleViolationError(field, wrong_role(user.name, user.role, roles))
        return user

    def _convert(self, risk: Risk, command: ConvertRisk, stamp: Stamp, ctx: Context) -> RiskOutcome:
        """Register a case from the risk and link the two, saved in one transaction."""
        if stamp.reason is None:
            stamp = Stamp(
                actor=stamp.actor,
                occurred_at=stamp.occurred_at,
                reason=f"由隐患 {risk.number} 转为信访事项",
                on_behalf_of=stamp.on_behalf_of,
                now=stamp.now,
            )
        case_id = uuid4()
        year = local_date(stamp.occurred_at).year
        entry = self.app._number(year, case_id)
        number = case_number(year, entry.originator_version)
        risk.convert(stamp, case_id=case_id, case_number=number)
        place = self.app.get_unit(risk.township_id).name + (risk.village or "")
        case = Case.register(
            stamp,
            case_id=case_id,
            number=number,
            channel=command.channel,
            category=command.category,
            subject=command.subject or risk.subject,
            content=command.content or risk.description,
            petitioners=risk.people,
            location=place,
            accused_unit_ids=risk.accused_unit_ids,
            collective_size=risk.headcount,
            from_risk_id=risk.id,
        )
        return self._save(risk, case, [entry], command, ctx)

    def _save(
        self,
        risk: Risk,
        case: Case | None,
        others: list[Any],
        command: RegisterRisk | RiskCommand,
        ctx: Context,
    ) -> RiskOutcome:
        items: list[Any] = [risk, *([case] if case is not None else []), *others]
        items += RequestRecord.kept(
            ctx.actor.id,
            ctx.idempotency_key,
            self._name(command),
            risk,
            self._fingerprint(command, ctx),
        )
        recordings: list[Recording[UUID]] = self.app.save(*items)
        position = max((r.notification.id for r in recordings), default=None)
        return RiskOutcome(risk=risk, case=case, position=position)


# -- campaigns (百日攻坚, 积案化解; docs/campaigns.md) -------------------------------------------
class TargetFinder(Protocol):
    """Finds the targets a campaign's rule selects among those the viewer may see (the read
    side provides it: projections/campaign_report.py)."""

    def __call__(
        self, viewer: Actor, case_flags: Sequence[Flag], risk_levels: Sequence[RiskLevel]
    ) -> tuple[list[UUID], list[UUID]]:
        """The ids of the cases and of the risks the rule selects."""
        ...


CAMPAIGN_READERS = frozenset(Role) - {Role.ADMIN}
"""Roles that may read a campaign (its targets and figures limited to those they may see)."""
CAMPAIGN_LOG = "campaigns"
LAUNCH = "campaign:launch"
ADD_TARGETS = "campaign:targets"
"""How a launch and an addition of targets are named in idempotency records."""


def case_standing(case: Case) -> str:
    """How a case stands in a campaign: 办结 is resolved, another ending ended."""
    if case.status is Status.CLOSED:
        return RESOLVED
    return ENDED if case.status in TERMINAL_STATUSES else OPEN


def target_standing(target: Case | Risk) -> str:
    """How a campaign's target stands (a case or a risk)."""
    return case_standing(target) if isinstance(target, Case) else risk_standing(target)


def target_started(target: Case | Risk) -> datetime:
    """When a campaign's target came into being: a case registered, a risk entered."""
    return target.registered_at if isinstance(target, Case) else target.found_at


def risk_standing(risk: Risk) -> str:
    """How a risk stands in a campaign: 化解销号 is resolved, converted into a case ended."""
    if risk.status is RiskStatus.RESOLVED:
        return RESOLVED
    return ENDED if risk.status is RiskStatus.CONVERTED else OPEN


class Campaigns:
    """The campaigns' use cases over the application's event store."""

    def __init__(self, registers: Registers, find: TargetFinder | None = None) -> None:
        self.registers = registers
        self.app = registers.app
        self.find = find
        self.log = EventSourcedLog(self.app.events, log_id(CAMPAIGN_LOG), Logged)

    def launch(self, command: LaunchCampaign, ctx: Context) -> Campaign:
        """Launch a campaign: its hand-picked targets checked, its rule's found, all recorded.

        A keyed request (`Idempotency-Key`) launches at most one campaign: a retry answers with
        the campaign the first one launched.
        """
        permissions.authorize_register(command, ctx.actor, None, "启动专项行动")
        replayed = self._replay(command, ctx, LAUNCH)
        if replayed is not None:
            return replayed
        case_ids = list(command.case_ids)
        risk_ids = list(command.risk_ids)
        self._chosen(ctx.actor, case_ids, risk_ids)
        if (command.case_flags or command.risk_levels) and self.find is not None:
            cases, risks = self.find(ctx.actor, command.case_flags, command.risk_levels)
            case_ids += cases
            risk_ids += risks

        def attempt() -> Campaign:
            campaign = Campaign.launch(
                self.app._stamp(ctx),
                name=command.name,
                kind=command.kind,
                starts_on=command.starts_on,
                ends_on=command.ends_on,
                case_ids=case_ids,
                risk_ids=risk_ids,
                case_flags=command.case_flags,
                risk_levels=command.risk_levels,
            )
            items: list[Any] = [campaign, self.log.trigger_event(item_id=campaign.id)]
            if ctx.idempotency_key:
                items.append(
                    RequestRecord.record(
                        actor_id=ctx.actor.id,
                        key=ctx.idempotency_key,
                        command=LAUNCH,
                        case_id=campaign.id,
                        case_version=campaign.version,
                        fingerprint=ctx.fingerprint(command),
                    )
                )
            self.app.save(*items)
            return campaign

        return self.app._retrying(attempt, on_conflict=lambda: self._replay(command, ctx, LAUNCH))

    def add_targets(self, command: AddCampaignTargets, ctx: Context) -> Campaign:
        """Add open cases and risks the caller may see to a running campaign.

        The campaign's version may be named (If-Match); a keyed request adds at most once, a
        retry answered with the campaign as it stands.
        """
        permissions.authorize_register(command, ctx.actor, None, "为专项行动追加目标")

        def attempt() -> Campaign:
            replayed = self._replay(command, ctx, ADD_TARGETS)
            if replayed is not None:
                return replayed
            stamp = self.app._stamp(ctx)
            self._chosen(ctx.actor, command.case_ids, command.risk_ids, joining=stamp)
            campaign = self.get(ctx.actor, command.campaign_id)
            if ctx.expected_version is not None and campaign.version != ctx.expected_version:
                raise StaleVersionError(ctx.expected_version, campaign.version)
            campaign.add_targets(stamp, case_ids=command.case_ids, risk_ids=command.risk_ids)
            asked = ctx.fingerprint(command)
            kept = RequestRecord.kept(
                ctx.actor.id, ctx.idempotency_key, ADD_TARGETS, campaign, asked
            )
            self.app.save(campaign, *kept)
            return campaign

        return self.app._retrying(attempt)

    def _chosen(
        self,
        actor: Actor,
        case_ids: Sequence[UUID],
        risk_ids: Sequence[UUID],
        *,
        joining: Stamp | None = None,
    ) -> None:
        """Refuse (naming the field) a chosen case or risk the actor may not see, as an unknown
        one; when it is `joining` a running campaign, also one no longer open, or one entered
        after the addition's business time (it cannot join before it existed)."""
        kinds: list[tuple[str, Sequence[UUID], Callable[[UUID], Any], str, str, str]] = [
            (
                "case_ids",
                case_ids,
                lambda i: self.app.get_case(actor, i),
                NO_SUCH_CASE,
                "该信访事项已办结或终止",
                "信访事项的登记",
            ),
            (
                "risk_ids",
                risk_ids,
                lambda i: self.registers.get_risk(actor, i),
                no_such("隐患"),
                "该隐患已化解销号或已转为信访事项",
                "隐患的录入",
            ),
        ]
        for field, ids, get, unknown, closed, entered in kinds:
            for target_id in ids:
                try:
                    target = get(target_id)
                except NotFoundError:
                    raise RuleViolationError(field, f"{unknown}（{target_id}）") from None
                if joining is None:
                    continue
                if target_standing(target) != OPEN:
                    raise RuleViolationError(field, f"{closed}（{target.number}）")
                if joining.occurred_at < target_started(target):
                    late = f"追加时间早于该{entered}时间（{target.number}）"
                    raise RuleViolationError("occurred_at", late)

    def _replay(
        self, command: LaunchCampaign | AddCampaignTargets, ctx: Context, name: str
    ) -> Campaign | None:
        """The campaign a keyed launch (or addition) left, if it was applied (None without a
        key)."""
        if not ctx.idempotency_key:
            return None
        try:
            record: RequestRecord = self.app.repository.get(
                RequestRecord.id_for(ctx.actor.id, ctx.idempotency_key)
            )
        except AggregateNotFoundError:
            return None
        if record.command != name:
            raise IdempotencyKeyReusedError(KEY_REUSED_FOR_OTHER_REQUEST)
        if record.fingerprint != ctx.fingerprint(command):
            raise IdempotencyKeyReusedError(KEY_REUSED_WITH_OTHER_BODY)
        return self.get(ctx.actor, record.case_id)

    def get(self, actor: Actor | None, campaign_id: UUID) -> Campaign:
        """A campaign (every role but the admin; no actor: the console)."""
        if actor is not None:
            permissions.require_role(actor, CAMPAIGN_READERS, "查看专项行动")
        found: Aggregate | None
        try:
            found = self.app.repository.get(campaign_id, projector_func=project_aggregate)
        except AggregateNotFoundError:
            found = None
        if not isinstance(found, Campaign):
            raise NotFoundError(no_such("专项行动"))
        return found

    def all(self, actor: Actor | None) -> list[Campaign]:
        """Every campaign, in the order they were launched (no actor: the console)."""
        if actor is not None:
            permissions.require_role(actor, CAMPAIGN_READERS, "查看专项行动")
        return [self.get(actor, entry.item_id) for entry in self.log.get()]

    def targets(
        self, actor: Actor | None, campaign: Campaign, recorded_by: datetime | None = None
    ) -> list[Target]:
        """The campaign's targets the actor may see, each with its events (others left out of
        every figure: a unit a case accuses never learns of it through a campaign).

        No actor: every target (the console operator, `xinfang campaigns`; no figure names a
        person). `recorded_by`: only the events recorded by then (the bulletin's figures at
        the log position they were published at)."""
        lineage = self.app.lineage(actor.unit_id) if actor is not None else []

        def recorded(aggregate_id: UUID) -> list[Any]:
            events: list[Any] = list(self.app.events.get(aggregate_id))
            if recorded_by is None:
                return events
            return [e for e in events if e.timestamp <= recorded_by]

        found = []

        def counted(target_id: UUID) -> bool:
            return recorded_by is None or campaign.recorded_by(target_id, recorded_by)

        for case_id in filter(counted, campaign.case_ids):
            case = self.app._load_case(case_id)
            if actor is None or visibility.can_see(actor, case, lineage):
                events = recorded(case_id)
                found.append(
                    Target(
                        kind="case",
                        id=case.id,
                        number=case.number,
                        unit_id=case.unit_id or case.intake_unit_id,
                        leader_id=case.leader_id,
                        marks=marks_of(events, case_standing),
                        since=campaign.joined_on(case_id),
                    )
                )
        for risk_id in filter(counted, campaign.risk_ids):
            risk = self.registers._load(risk_id)
            if actor is None or self.registers.can_see(actor, risk):
                events = recorded(risk_id)
                found.append(
                    Target(
                        kind="risk",
                        id=risk.id,
                        number=risk.number,
                        unit_id=risk.responsible_unit_id,
                        leader_id=risk.leader_id,
                        marks=marks_of(events, risk_standing),
                        since=campaign.joined_on(risk_id),
                    )
                )
        return found

    def week(self, actor: Actor | None, campaign_id: UUID, n: int) -> tuple[Campaign, Figures]:
        """The 调度 snapshot of week `n`: what was resolved in it, what remains at its end."""
        campaign = self.get(actor, campaign_id)
        first, last = campaign.week(n)
        return campaign, figures(self.targets(actor, campaign), first, last)

    def report(self, actor: Actor | None, campaign_id: UUID) -> tuple[Campaign, Figures, list[int]]:
        """The final report: the whole period's figures and the count resolved each week."""
        campaign = self.get(actor, campaign_id)
        targets = self.targets(actor, campaign)
        weekly = [
            len(figures(targets, *campaign.week(n)).resolved) for n in range(1, campaign.weeks + 1)
        ]
        return campaign, figures(targets, campaign.starts_on, campaign.ends_on), weekly
