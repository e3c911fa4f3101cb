"""The audit tree kept in the events' own transaction, its proofs and its signed heads."""

from __future__ import annotations

import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from eventsourcing.persistence import IntegrityError

from domain.application import Xinfang
from domain.directory import SYSTEM_ACTOR
from domain.values import Role
from projections import audit_recorders
from projections.audit_keys import key_id_of
from projections.audit_recorders import (
    AuditTreeError,
    decode_leaf,
    encode_leaf,
    record_leaf,
)
from projections.audit_signing import head_message
from projections.audit_trail import HEAD_INTERVAL
from projections.bootstrap import Services, bootstrap
from projections.merkle import (
    leaf_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from projections.settings import AUDIT_KEY_FILE, Settings, create_instance
from tests.conftest import County
from tests.integration.helpers_read import Desk


def leaf_hashes(app: Xinfang) -> list[bytes]:
    """The leaf hash of every stored event, recomputed from the rows."""
    rows = app.recorder.select_notifications(start=None, limit=1_000_000)
    return [leaf_hash(record_leaf(row)) for row in rows]


# -- the leaf ----------------------------------------------------------------------------------
def test_a_leaf_encodes_position_id_version_topic_and_state_and_decodes_back() -> None:
    case_id = UUID(int=7)
    leaf = encode_leaf(42, case_id, 3, "domain.cases:Case.Forwarded", b"\x00\xffstate")

    assert leaf == (
        b"\x01"
        + (42).to_bytes(8, "big")
        + case_id.bytes
        + (3).to_bytes(8, "big")
        + len("domain.cases:Case.Forwarded").to_bytes(4, "big")
        + b"domain.cases:Case.Forwarded"
        + (7).to_bytes(4, "big")
        + b"\x00\xffstate"
    )
    record = decode_leaf(leaf)
    assert (record.id, record.originator_id, record.originator_version) == (42, case_id, 3)
    assert (record.topic, record.state) == ("domain.cases:Case.Forwarded", b"\x00\xffstate")


def test_a_leaf_with_extra_bytes_is_refused() -> None:
    leaf = encode_leaf(1, UUID(int=1), 1, "t", b"s")

    with pytest.raises(ValueError, match="length"):
        decode_leaf(leaf + b"x")


# -- the tree follows the log --------------------------------------------------------------------
def test_every_stored_event_has_exactly_one_leaf_in_log_order(
    services: Services, county: County
) -> None:
    app = services.app
    Desk(app, county).register()
    rows = app.recorder.select_notifications(start=None, limit=10_000)
    recorder = services.audit.recorder

    with recorder.audit_transaction(commit=False) as cursor:
        cursor.execute(
            recorder.sql(
                "SELECT leaf_index, position, leaf_hash FROM {p}audit_leaves ORDER BY leaf_index"
            )
        )
        leaves = [
            (r["leaf_index"], r["position"], bytes(r["leaf_hash"])) for r in cursor.fetchall()
        ]

    assert [(i, r.id, leaf_hash(record_leaf(r))) for i, r in enumerate(rows)] == leaves
    assert services.audit.tree_size() == len(rows)
    assert services.audit.head().root_hash == root_from_leaf_hashes(leaf_hashes(app))


def test_a_conflicting_save_leaves_no_leaf_and_a_gap_is_not_a_deletion(
    services: Services, county: County
) -> None:
    app = services.app
    user_id = county.actors["clerk"].id
    first, second = app.get_user(user_id), app.get_user(user_id)
    first.disable(actor=SYSTEM_ACTOR, occurred_at=app.clock(), reason="a")
    second.disable(actor=SYSTEM_ACTOR, occurred_at=app.clock(), reason="b")
    app.save(first)
    size = services.audit.tree_size()

    with pytest.raises(IntegrityError):
        app.save(second)

    assert services.audit.tree_size() == size
    Desk(app, county).register()
    report = services.audit.verify()
    assert report.ok, report.finding


def test_a_failure_while_appending_rolls_the_events_back(
    services: Services, county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = services.app
    before = app.recorder.max_notification_id()

    def broken(leaf: bytes) -> bytes:
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit_recorders, "leaf_hash", broken)
    with pytest.raises(AuditTreeError, match="disk full"):
        app.add_unit(SYSTEM_ACTOR, name="县自然资源局")
    monkeypatch.undo()

    assert app.recorder.max_notification_id() == before
    assert services.audit.verify().ok


def test_concurrent_writers_keep_one_consistent_tree(services: Services, county: County) -> None:
    app = services.app
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(8):
                app.add_user(
                    SYSTEM_ACTOR, name="并发", role=Role.CLERK, unit_id=county.units["bureau"]
                )
        except BaseException as err:  # pragma: no cover (reported below)
            errors.append(err)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    report = services.audit.verify()
    assert report.ok, report.finding
    assert report.events == services.audit.tree_size() == len(leaf_hashes(app))


def test_sqlite_keeps_synchronous_full_so_heads_cover_only_durable_events(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    create_instance(settings)
    built = bootstrap(settings)
    try:
        datastore = built.app.recorder.datastore  # type: ignore[attr-defined]
        with datastore.transaction(commit=False) as cursor:
            cursor.execute("PRAGMA synchronous")
            (level,) = cursor.fetchone()
    finally:
        built.close()

    assert level == 2  # FULL


# -- proofs ----------------------------------------------------------------------------------------
def test_every_inclusion_proof_verifies_against_the_root_of_its_size(
    services: Services, county: County
) -> None:
    hashes = leaf_hashes(services.app)
    trail = services.audit

    for size in (1, 2, 3, 7, 8, 9, 31, 32, 33, len(hashes)):
        root = root_from_leaf_hashes(hashes[:size])
        assert trail.root_at(size) == root
        for index in {0, size // 2, size - 1}:
            leaf, path = trail.inclusion(index, size)
            assert leaf == hashes[index]
            verify_inclusion(leaf, index, size, path, root)


def test_every_consistency_proof_verifies(services: Services, county: County) -> None:
    hashes = leaf_hashes(services.app)
    trail = services.audit
    sizes = (1, 2, 5, 8, 13, 16, 17, len(hashes))

    for first in sizes:
        for second in sizes:
            if first <= second:
                proof = trail.consistency(first, second)
                verify_consistency(
                    first,
                    second,
                    root_from_leaf_hashes(hashes[:first]),
                    root_from_leaf_hashes(hashes[:second]),
                    proof,
                )


# -- heads and keys ---------------------------------------------------------------------------
def test_init_writes_an_ed25519_key_readable_only_by_its_owner(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    create_instance(settings)
    key_file = settings.key_path(AUDIT_KEY_FILE)

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert b"BEGIN PRIVATE KEY" in key_file.read_bytes()
    first = key_file.read_bytes()
    create_instance(settings)
    assert key_file.read_bytes() == first


def test_a_head_is_signed_over_its_documented_message(services: Services, county: County) -> None:
    head = services.audit.head()
    public = load_pem_public_key(services.audit.public_key_pem().encode())

    assert isinstance(public, Ed25519PublicKey)
    assert head.key_id == key_id_of(public)
    assert len(head.key_id) == 16
    assert (
        head.message()
        == (
            f"xinfang-audit-head/v1\n{head.tree_size}\n{head.root_hash.hex()}\n{head.issued_at}\n"
        ).encode()
    )
    assert head_message(head.tree_size, head.root_hash, head.issued_at) == head.message()
    public.verify(head.signature, head.message())


def test_a_head_is_stored_once_per_tree_size(services: Services, county: County) -> None:
    first = services.audit.head()
    again = services.audit.head()
    Desk(services.app, county).register()
    later = services.audit.head()

    assert again == first
    assert later.tree_size > first.tree_size
    assert [h.tree_size for h in services.audit.heads()][-2:] == [first.tree_size, later.tree_size]


@pytest.fixture
def clocked(settings: Settings) -> Iterator[tuple[Services, list[datetime]]]:
    """Services whose clock the test moves."""
    now = [datetime(2026, 3, 2, 9, 0, tzinfo=UTC)]
    built = bootstrap(settings, clock=lambda: now[0])
    try:
        yield built, now
    finally:
        built.close()


def test_a_head_is_stored_at_least_hourly_while_the_log_grows(
    clocked: tuple[Services, list[datetime]],
) -> None:
    services, now = clocked
    app = services.app

    app.add_unit(SYSTEM_ACTOR, name="一")
    assert len(services.audit.heads()) == 1
    now[0] += timedelta(minutes=30)
    app.add_unit(SYSTEM_ACTOR, name="二")
    assert len(services.audit.heads()) == 1
    now[0] += HEAD_INTERVAL
    app.add_unit(SYSTEM_ACTOR, name="三")

    heads = services.audit.heads()
    assert len(heads) == 2
    assert heads[-1].tree_size == services.audit.tree_size()
    assert heads[-1].issued_at == now[0].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
