"""The composition root: builds the application and the read side from an instance folder.

Nothing inside projections/ imports this module; the entry points (api/, scripts/, the tests)
do. Settings, key paths and instance creation live in projections/settings.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from domain.application import Xinfang
from domain.office import utc_now
from domain.registers import Campaigns, Registers
from projections.accountability import Accountability
from projections.audit_access import AccessLog, AccessProjection
from projections.audit_trail import AuditTrail
from projections.bulletin import Bulletins
from projections.campaign_report import RuleTargets
from projections.ledger import Ledger
from projections.ledger_projection import LedgerProjection
from projections.register_projection import RegisterProjection
from projections.risk_register import RiskRegister, RiskRegisterProjection
from projections.runner import Projection, Runner
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

    def catch_up(self) -> None:
        """Bring every view up to the end of the log (after a command, before a query)."""
        try:
            self.runner.catch_up()
        except Exception:
            # The command is stored; its views catch up on the next call or in the worker.
            logger.exception("read models could not catch up")

    def close(self) -> None:
        """Release database connections."""
        self.views.close()
        self.app.close()


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
) -> Services:
    """Build the services for an existing instance."""
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
    views = ViewStore.open(settings)
    sealer = PetitionerSealer(settings.key_path(CIPHER_KEY_FILE).read_text().strip())
    runner = Runner(app, views, read_models(app, sealer))
    registers = Registers(app)
    ledger = Ledger(app, views, sealer)
    audit = AuditTrail(app, settings.key_path(AUDIT_KEY_FILE))
    services = Services(
        settings=settings,
        app=app,
        views=views,
        runner=runner,
        ledger=ledger,
        accountability=Accountability(ledger),
        # A published bulletin carries a signed head of the log it was computed from.
        bulletins=Bulletins(ledger, head=lambda: audit.sign_head().as_json()),
        audit=audit,
        access=AccessLog(views),
        registers=registers,
        risks=RiskRegister(app, views, sealer),
        campaigns=Campaigns(registers, RuleTargets(app, views)),
    )
    if inline_projections:
        app.listeners.append(services.catch_up)
    app.listeners.append(services.audit.on_saved)
    return services
