"""Where an instance lives: settings, key file paths, creating an instance and its keys.

Everything here is read before the services are built, so it imports nothing of the read side
beyond the audit tree's recorder topics, the record mapper's topic and key creation;
projections/bootstrap.py composes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
from eventsourcing.cryptography import AESCipher

from domain.documents import OfficeProfile
from domain.office import DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS
from projections.audit_keys import create_signing_key
from projections.audit_recorders import AUDITED_RECORDERS
from projections.record_binding import MAPPER_TOPIC

CIPHER_KEY_FILE = "keys/cipher.key"
AUDIT_KEY_FILE = "keys/audit_ed25519.pem"
PASSTHROUGH_PREFIXES = ("POSTGRES_", "SQLITE_LOCK_TIMEOUT", "AGGREGATE_CACHE")
OFFICE_FILE = "office.json"
"""The issuing office's settings (`xinfang config`): name, 文号 prefix, seal placeholder."""
DEFAULT_CHECKPOINT_EVERY = 5_000
"""Log positions between checkpoints of the `as_of` views (docs/read-side.md)."""
MAX_CHECKPOINT_EVERY = 100_000_000
DEFAULT_CHECKPOINT_MAX_MB = 4_096
"""4 GB: at 30,000 cases (about 300,000 events) the first 30 or so checkpoints of 5,000."""
SQLITE_FILES = ("xinfang.db", "views.db")
"""The instance's databases on SQLite (their -wal and -shm files take the same mode)."""


def no_instance(home: Path) -> str:
    """The refusal of a command run where no instance was created."""
    return f"{home} 下没有实例：请先运行 `xinfang init`"


class InstanceError(Exception):
    """The instance folder is missing or incomplete (run `xinfang init`)."""


@dataclass(frozen=True)
class Settings:
    """Where the instance lives and which event store it uses."""

    home: Path
    persistence_module: str = "eventsourcing.sqlite"
    extra_env: Mapping[str, str] = field(default_factory=dict)
    token_days: int = DEFAULT_TOKEN_DAYS
    """How long a token lives when its issuer does not say (XINFANG_TOKEN_DAYS)."""
    checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY
    """Log positions between checkpoints of the `as_of` views (XINFANG_CHECKPOINT_EVERY; 0: no
    checkpoints, every `as_of` replays from the start; docs/read-side.md)."""
    checkpoint_max_mb: int = DEFAULT_CHECKPOINT_MAX_MB
    """What the checkpoints may take on disk in all, in MB (XINFANG_CHECKPOINT_MAX_MB; 0: no
    bound but the 10 % of the disk kept free)."""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read XINFANG_HOME, PERSISTENCE_MODULE, XINFANG_TOKEN_DAYS and POSTGRES_*."""
        env = os.environ if environ is None else environ
        home = Path(env.get("XINFANG_HOME", "./var")).resolve()
        module = env.get("PERSISTENCE_MODULE", "eventsourcing.sqlite")
        extra = {k: v for k, v in env.items() if k.startswith(PASSTHROUGH_PREFIXES)}
        days = env.get("XINFANG_TOKEN_DAYS", str(DEFAULT_TOKEN_DAYS)).strip()
        if not (days.isascii() and days.isdigit() and 1 <= int(days) <= MAX_TOKEN_DAYS):
            msg = f"XINFANG_TOKEN_DAYS 须为 1 至 {MAX_TOKEN_DAYS} 之间的天数"
            raise InstanceError(msg)
        every = env.get("XINFANG_CHECKPOINT_EVERY", str(DEFAULT_CHECKPOINT_EVERY)).strip()
        if not (every.isascii() and every.isdigit() and int(every) <= MAX_CHECKPOINT_EVERY):
            msg = (
                "XINFANG_CHECKPOINT_EVERY 须为 0（不设检查点）至 "
                f"{MAX_CHECKPOINT_EVERY} 之间的日志位置数"
            )
            raise InstanceError(msg)
        most = env.get("XINFANG_CHECKPOINT_MAX_MB", str(DEFAULT_CHECKPOINT_MAX_MB)).strip()
        if not (most.isascii() and most.isdigit() and int(most) <= MAX_CHECKPOINT_EVERY):
            msg = "XINFANG_CHECKPOINT_MAX_MB 须为兆字节数（0 表示不设上限）"
            raise InstanceError(msg)
        return cls(
            home=home,
            persistence_module=module,
            extra_env=extra,
            token_days=int(days),
            checkpoint_every=int(every),
            checkpoint_max_mb=int(most),
        )

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

    def office_profile(self) -> OfficeProfile:
        """The issuing office as configured now (defaults until `xinfang config set`)."""
        path = self.home / OFFICE_FILE
        if not path.is_file():
            return OfficeProfile()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise InstanceError(f"{path} 不是有效的 JSON：{error}") from None
        if not isinstance(data, dict):
            raise InstanceError(f"{path} 须为一个 JSON 对象")
        return OfficeProfile.from_mapping(data)

    def save_office_profile(self, profile: OfficeProfile) -> None:
        """Store the issuing office's settings (read anew by every document and bulletin)."""
        path = self.home / OFFICE_FILE
        text = json.dumps(profile.as_mapping(), ensure_ascii=False, indent=2) + "\n"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)

    def key_path(self, relative: str) -> Path:
        """A key file inside the instance."""
        return self.home / relative

    def credential_key(self) -> bytes:
        """The key of credential ids, derived from the cipher key (like the identity index's).

        Whoever writes the database without the keys folder cannot compute the credential id
        of a token of their choosing, so cannot forge a sign-in.
        """
        cipher_key = base64.b64decode(self._cipher_key())
        return hmac.new(cipher_key, b"xinfang:credential-id", hashlib.sha256).digest()

    def session_key(self) -> bytes:
        """The key that signs the web pages' session cookies (and their CSRF tokens), derived
        from the cipher key: the same in every worker, never written down on its own."""
        cipher_key = base64.b64decode(self._cipher_key())
        return hmac.new(cipher_key, b"xinfang:web-session", hashlib.sha256).digest()

    def _cipher_key(self) -> str:
        key_file = self.key_path(CIPHER_KEY_FILE)
        if not key_file.exists():
            raise InstanceError(no_instance(self.home))
        return key_file.read_text().strip()

    def event_store_env(self) -> dict[str, str]:
        """The eventsourcing environment: backend, place-bound encryption, compression."""
        env = {
            "PERSISTENCE_MODULE": self.persistence_module,
            "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
            "CIPHER_KEY": self._cipher_key(),
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
    """Create the instance folder and its keys; returns False if they already existed.

    Either way the folder is made private (see `make_private`).
    """
    private_folder(settings.home)
    private_folder(settings.key_path("keys"))
    create_signing_key(settings.key_path(AUDIT_KEY_FILE))
    key_file = settings.key_path(CIPHER_KEY_FILE)
    created = not key_file.exists()
    if created:
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(AESCipher.create_key(num_bytes=32))
    make_private(settings)
    return created


def private_folder(path: Path) -> None:
    """Create `path` (and missing parents) if needed, readable by the service account only."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def make_private(settings: Settings) -> None:
    """The instance folder and keys/ 0700; the keys and databases 0600 (databases created so).

    SQLite creates a database with the process's umask (often 0644) and its -wal and -shm
    files with the database's mode: creating the empty databases 0600 first keeps all of
    them private, whatever the umask of the process that opens them first.
    """
    private_folder(settings.home)
    keys = settings.key_path("keys")
    if keys.is_dir():
        private_folder(keys)
        for key in keys.iterdir():
            if key.is_file() and not key.is_symlink():
                os.chmod(key, 0o600)
    if settings.is_postgres:
        return
    for name in SQLITE_FILES:
        os.close(os.open(settings.home / name, os.O_WRONLY | os.O_CREAT, 0o600))
        for suffix in ("", "-wal", "-shm", "-journal", ".lock"):
            path = settings.home / f"{name}{suffix}"
            if path.is_file() and not path.is_symlink():
                os.chmod(path, 0o600)


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
