"""Where an instance lives: settings, key file paths, creating an instance and its keys.

Everything here is read before the services are built, so it imports nothing of the read side
beyond the audit tree's recorder topics, the record mapper's topic and key creation;
projections/bootstrap.py composes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
from eventsourcing.cryptography import AESCipher

from projections.audit_keys import create_signing_key
from projections.audit_recorders import AUDITED_RECORDERS
from projections.record_binding import MAPPER_TOPIC

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
        """The eventsourcing environment: backend, place-bound encryption, compression."""
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
        # Every event and snapshot is encrypted with its aggregate id, version and topic as
        # associated data (with CIPHER_KEY), so a record moved or copied elsewhere is refused.
        env["MAPPER_TOPIC"] = MAPPER_TOPIC
        return env


def create_instance(settings: Settings) -> bool:
    """Create the instance folder and its keys; returns False if they already existed."""
    create_signing_key(settings.key_path(AUDIT_KEY_FILE))
    key_file = settings.key_path(CIPHER_KEY_FILE)
    if key_file.exists():
        return False
    key_file.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(key_file.parent, 0o700)
    key_file.write_text(AESCipher.create_key(num_bytes=32))
    os.chmod(key_file, 0o600)
    return True


# -- throwaway instances (the tests and the benchmarks) -------------------------------------
def local_postgres_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """POSTGRES_* of the local test server: loopback, database `test`, trust auth by default."""
    env = os.environ if environ is None else environ
    return {
        "POSTGRES_HOST": env.get("POSTGRES_HOST", "127.0.0.1"),
        "POSTGRES_PORT": env.get("POSTGRES_PORT", "5432"),
        "POSTGRES_DBNAME": env.get("XINFANG_TEST_POSTGRES_DBNAME", "test"),
        "POSTGRES_USER": env.get("POSTGRES_USER", "postgres"),
        "POSTGRES_PASSWORD": env.get("POSTGRES_PASSWORD", ""),
    }


def postgres_connect(postgres: Mapping[str, str]) -> psycopg.Connection[Any]:
    """An autocommit connection to the database named by POSTGRES_* settings."""
    return psycopg.connect(
        host=postgres["POSTGRES_HOST"],
        port=int(postgres["POSTGRES_PORT"]),
        dbname=postgres["POSTGRES_DBNAME"],
        user=postgres["POSTGRES_USER"],
        password=postgres["POSTGRES_PASSWORD"] or None,
        autocommit=True,
        connect_timeout=3,
    )


@contextmanager
def throwaway_instance(
    backend: str, home: Path, postgres: Mapping[str, str], *, schema_prefix: str
) -> Iterator[Settings]:
    """A new instance at `home`; on PostgreSQL in a schema of its own, dropped on exit."""
    if backend == "sqlite":
        settings = Settings(home=home)
        create_instance(settings)
        yield settings
        return
    # Each instance gets its own schema, so parallel test and benchmark runs never collide.
    schema = f"{schema_prefix}_{uuid4().hex[:16]}"
    with postgres_connect(postgres) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        settings = Settings(
            home=home,
            persistence_module="eventsourcing.postgres",
            extra_env={**postgres, "POSTGRES_SCHEMA": schema},
        )
        create_instance(settings)
        yield settings
    finally:
        with postgres_connect(postgres) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
