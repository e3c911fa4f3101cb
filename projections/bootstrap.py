"""The composition root: builds the application (and read side) from an instance folder."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from eventsourcing.cryptography import AESCipher

from domain.application import Xinfang, utc_now
from projections.audit_recorders import AUDITED_RECORDERS

if TYPE_CHECKING:
    from projections.accountability import Accountability
    from projections.audit import AccessLog, AuditTrail
    from projections.bulletin import Bulletins
    from projections.ledger import Ledger
    from projections.runner import Projection, Runner
    from projections.sealer import PetitionerSealer
    from projections.store import ViewStore

logger = logging.getLogger(__name__)

CIPHER_KEY_FILE = "keys/cipher.key"
AUDIT_KEY_FILE = "keys/audit_ed25519.pem"
PASSTHROUGH_PREFIXES = ("POSTGRES_", "SQLITE_LOCK_TIMEOUT", "AGGREGATE_CACHE")


class InstanceError(Exception):
    """The instance folder is missing or incomplete (run `xinfang init`)."""


@dataclass(frozen=True)
class Settings:
    """Where the instance lives and which event store it uses."""

    home: Path
    persistence_module: str = "eventsourcing.sqlite"
    extra_env: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read XINFANG_HOME, PERSISTENCE_MODULE and POSTGRES_* from the environment."""
        env = os.environ if environ is None else environ
        home = Path(env.get("XINFANG_HOME", "./var")).resolve()
        module = env.get("PERSISTENCE_MODULE", "eventsourcing.sqlite")
        extra = {k: v for k, v in env.items() if k.startswith(PASSTHROUGH_PREFIXES)}
        return cls(home=home, persistence_module=module, extra_env=extra)

    @property
    def is_postgres(self) -> bool:
        """Whether events go to PostgreSQL."""
        return self.persistence_module == "eventsourcing.postgres"

    @property
    def dialect(self) -> str:
        """`postgres` or `sqlite`."""
        return "postgres" if self.is_postgres else "sqlite"

    @property
    def sqlite_path(self) -> Path:
        """The SQLite file of the event store (embedded default)."""
        return self.home / "xinfang.db"

    def key_path(self, relative: str) -> Path:
        """A key file inside the instance."""
        return self.home / relative

    def event_store_env(self) -> dict[str, str]:
        """The eventsourcing environment: backend, encryption and compression."""
        key_file = self.key_path(CIPHER_KEY_FILE)
        if not key_file.exists():
            msg = f"no instance at {self.home}: run `xinfang init` first"
            raise InstanceError(msg)
        env = {
            "PERSISTENCE_MODULE": self.persistence_module,
            "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
            "CIPHER_KEY": key_file.read_text().strip(),
            "COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor",
            **self.extra_env,
        }
        if not self.is_postgres:
            env["SQLITE_DBNAME"] = str(self.sqlite_path)
            env.setdefault("SQLITE_LOCK_TIMEOUT", "30")
        # Every stored event gets its audit-tree leaf in the transaction that stores it.
        env["APPLICATION_RECORDER_TOPIC"] = AUDITED_RECORDERS[self.dialect]
        return env


def create_instance(settings: Settings) -> bool:
    """Create the instance folder and its keys; returns False if they already existed."""
    from projections.audit import create_signing_key

    create_signing_key(settings.key_path(AUDIT_KEY_FILE))
    key_file = settings.key_path(CIPHER_KEY_FILE)
    if key_file.exists():
        return False
    key_file.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(key_file.parent, 0o700)
    key_file.write_text(AESCipher.create_key(num_bytes=32))
    os.chmod(key_file, 0o600)
    return True


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
    from projections.audit import AccessProjection
    from projections.ledger_projection import LedgerProjection

    return [LedgerProjection(app, sealer), AccessProjection()]


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Callable[[], datetime] = utc_now,
    inline_projections: bool = True,
) -> Services:
    """Build the services for an existing instance."""
    from projections.accountability import Accountability
    from projections.audit import AccessLog, AuditTrail
    from projections.bulletin import Bulletins
    from projections.ledger import Ledger
    from projections.runner import Runner
    from projections.sealer import PetitionerSealer
    from projections.store import ViewStore

    settings = settings or Settings.from_environ()
    app = Xinfang(settings.event_store_env(), clock=clock)
    views = ViewStore.open(settings)
    sealer = PetitionerSealer(settings.key_path(CIPHER_KEY_FILE).read_text().strip())
    runner = Runner(app, views, read_models(app, sealer))
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
    )
    if inline_projections:
        app.listeners.append(services.catch_up)
    app.listeners.append(services.audit.on_saved)
    return services
