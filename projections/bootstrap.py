"""The composition root: builds the application and the read side from an instance folder.

Nothing inside projections/ imports this module; the entry points (api/, scripts/, the tests)
do. Settings, key paths and instance creation live in projections/settings.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.application import Xinfang
from domain.cases import Case
from domain.office import utc_now
from domain.registers import Campaigns, Registers
from projections.accountability import Accountability
from projections.audit_access import ACCESS_EVENTS, AccessLog, AccessProjection
from projections.audit_trail import AuditTrail
from projections.bulletin import Bulletins
from projections.campaign_report import RuleTargets
from projections.case_views import CaseViews
from projections.checkpoints import Checkpoints
from projections.ledger import Ledger
from projections.ledger_projection import LedgerProjection
from projections.locks import AdvisoryLock, ProcessLock
from projections.register_projection import RegisterProjection
from projections.risk_register import RiskRegister, RiskRegisterProjection
from projections.runner import Follower, Projection, Runner
from projections.sealer import PetitionerSealer
from projections.settings import AUDIT_KEY_FILE, CIPHER_KEY_FILE, Settings, make_private
from projections.store import ViewStore

logger = logging.getLogger(__name__)


@dataclass
class Services:
    """Everything an entry point (API, CLI, worker) needs, built once per process."""

    settings: Settings
    app: Xinfang
    views: ViewStore
    runner: Runner
    ledger: Ledger
    accountability: Accountability
    bulletins: Bulletins
    audit: AuditTrail
    access: AccessLog
    registers: Registers
    """The risk register's use cases (docs/risks.md)."""
    risks: RiskRegister
    """The risk register's read side."""
    campaigns: Campaigns
    """The campaigns' use cases (docs/campaigns.md)."""
    cases: CaseViews
    checkpoints: Checkpoints | None = None
    """Checkpoints of the views replays "as of" a moment start from (docs/read-side.md)."""
    follower: Follower | None = None
    """With `follow`, the thread that catches the views up after saves (off the request path)."""
    writers: ProcessLock | AdvisoryLock | None = None
    """The queue of the instance's writing processes (projections/locks.py)."""

    def catch_up(self, *, views: tuple[str, ...] | None = None) -> None:
        """Bring every view (or those named) up to the end of the log as it is now (before a
        query): whoever wrote before this call reads their write (`Runner.reach`)."""
        try:
            self.runner.reach(only=views)
        except Exception:
            # The command is stored; its views catch up on the next call or in the worker.
            logger.exception("read models could not catch up")

    def catch_up_ledger(self) -> None:
        """`catch_up` for the ledger views alone (every page but the access log reads only
        them: a page need not wait for the access records of other readers)."""
        self.catch_up(views=(LedgerProjection.name,))

    def apply_all(self) -> None:
        """Apply everything not yet applied to every view, positions stored (the inline
        catch-up after a save)."""
        try:
            self.runner.catch_up()
        except Exception:
            # The command is stored; its views catch up on the next call or in the worker.
            logger.exception("read models could not catch up")

    def case_now(self, case_id: UUID) -> Case | None:
        """The case as the case view holds it once caught up to the log's head now, or None
        (not in the view, or the view could not catch up: the caller loads the aggregate).

        Shared between the readers of this process (`CaseViews.current`): read only."""
        try:
            self.runner.reach(only=[LedgerProjection.name])
            return self.cases.current(case_id)
        except Exception:
            logger.exception("the case view could not be read; the case is loaded instead")
            return None

    def held_case(self, case_id: UUID) -> Case | None:
        """The case as the case view holds it, at whatever version it is (None if not held or
        unreadable): the application applies the newer events to it."""
        try:
            return self.cases.get(case_id)
        except Exception:
            logger.exception("the case view could not be read; the case is replayed instead")
            return None

    def close(self) -> None:
        """Stop the follower, release database connections."""
        if self.follower is not None:
            self.follower.close()
        self.views.close()
        self.app.close()
        if self.writers is not None:
            self.writers.close()


def postgres_settings(env: dict[str, str]) -> dict[str, str]:
    """The POSTGRES_* part of an event store environment."""
    return {k: v for k, v in env.items() if k.startswith("POSTGRES_")}


def read_models(app: Xinfang, sealer: PetitionerSealer) -> list[Projection]:
    """Every view fed from the log, in the order they are caught up."""
    return [
        LedgerProjection(app, sealer),
        AccessProjection(),
        RiskRegisterProjection(app, sealer),
        RegisterProjection(app),
    ]


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Callable[[], datetime] = utc_now,
    inline_projections: bool = True,
    follow: bool = False,
) -> Services:
    """Build the services for an existing instance.

    The views are caught up after each save: in the saving thread (`inline_projections`, the
    default of the CLI and tests), or with `follow` by a thread of their own woken by the save
    (the served API: a command's response does not wait for the views, and every read waits on
    the log's position instead). With neither, only readers and the worker catch them up.
    """
    settings = settings or Settings.from_environ()
    env = settings.event_store_env()
    make_private(settings)
    app = Xinfang(
        env,
        clock=clock,
        credential_key=settings.credential_key(),
        token_days=settings.token_days,
    )
    app.office = settings.office_profile
    writers: ProcessLock | AdvisoryLock
    if settings.is_postgres:
        # Groups are numbered (the year's next case number) with no other process writing.
        writers = AdvisoryLock(postgres_settings(env))
    else:
        # The workers' writes queue in the kernel instead of polling SQLite's lock.
        writers = ProcessLock(settings.home / "xinfang.db.lock")
    app.queue_writers(writers.held)
    views = ViewStore.open(settings)
    sealer = PetitionerSealer(settings.key_path(CIPHER_KEY_FILE).read_text().strip())
    runner = Runner(app, views, read_models(app, sealer))
    registers = Registers(app)
    ledger = Ledger(app, views, sealer)
    audit = AuditTrail(app, settings.key_path(AUDIT_KEY_FILE))
    checkpoints = Checkpoints.of(settings)
    services = Services(
        settings=settings,
        app=app,
        views=views,
        runner=runner,
        ledger=ledger,
        accountability=Accountability(ledger),
        # A published bulletin carries a signed head of the log it was computed from.
        bulletins=Bulletins(
            ledger, head=lambda: audit.sign_head().as_json(), checkpoints=checkpoints
        ),
        audit=audit,
        access=AccessLog(views),
        registers=registers,
        risks=RiskRegister(app, views, sealer),
        campaigns=Campaigns(registers, RuleTargets(app, views)),
        cases=CaseViews(views, app.mapper),
        writers=writers,
        checkpoints=checkpoints,
    )
    app.case_states = services.held_case
    if follow:
        # A read's access record alone wakes nobody: the access view is caught up each second,
        # and by whoever reads it (reads of a case wait only on the ledger).
        services.follower = Follower(runner, quiet=ACCESS_EVENTS)
        services.follower.start()
        app.save_listeners.append(services.follower.saved)
    elif inline_projections:
        app.listeners.append(services.apply_all)
    app.listeners.append(services.audit.on_saved)
    return services
