"""Records bound to their place: an event's or snapshot's ciphertext moved or copied to another
aggregate, version or topic is refused on read and reported by `verify`, on both backends."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import Environment

from domain.errors import RecordIntegrityError
from domain.values import Category
from projections.audit_verifier import Verification
from projections.bootstrap import Services
from projections.record_binding import BoundMapper
from projections.settings import CIPHER_KEY_FILE, Settings
from tests.conftest import County
from tests.integration.helpers_read import Desk
from tests.integration.test_audit_tampering import Tamperer


@dataclass
class Cases:
    """Four cases at version 3, two of them with a snapshot there; a signed head at the end."""

    services: Services
    db: Tamperer
    desk: Desk
    moved: UUID
    other: UUID
    accusation: UUID
    plain: UUID

    @property
    def all(self) -> list[UUID]:
        """Every case of the fixture."""
        return [self.moved, self.other, self.accusation, self.plain]

    def position(self, case_id: UUID, version: int) -> int:
        """The log position of one event."""
        (row,) = self.db.rows(
            "SELECT {pos} FROM {events} WHERE originator_id = ? AND originator_version = ?",
            [self.db.aggregate_id(case_id), version],
        )
        return int(row[0])

    def event_row(self, case_id: UUID, version: int) -> tuple[Any, ...]:
        """(originator_id, originator_version, topic, state) of one event."""
        return self.db.event(self.position(case_id, version))

    def snapshot_row(self, case_id: UUID) -> tuple[Any, ...]:
        """(originator_version, topic, state) of a case's only snapshot."""
        (row,) = self.db.rows(
            "SELECT originator_version, topic, state FROM {snapshots} WHERE originator_id = ?",
            [self.db.aggregate_id(case_id)],
        )
        return row

    def read(self, case_id: UUID) -> None:
        """Read a case the ways the application does: as an aggregate, and its history."""
        self.services.app.repository.get(case_id)
        list(self.services.app.events.get(case_id))

    def verify(self) -> Verification:
        """`verify`, in small batches."""
        return self.services.audit.verify(batch_size=5)


@pytest.fixture
def cases(services: Services, settings: Settings, county: County) -> Cases:
    """Two wage claims and an accusation accepted by their units, a fourth case snapshotted."""
    desk = Desk(services.app, county)
    found = []
    for unit, head, handler, category in (
        ("housing", "head", "handler", Category.CLAIM),
        ("housing", "head", "handler", Category.CLAIM),
        ("labour", "labour_head", "labour_handler", Category.ACCUSATION),
        ("housing", "head", "handler", Category.CLAIM),
    ):
        if category is Category.ACCUSATION:
            case = desk.register(
                category=category, content="某所长收受贿赂。", accused=("housing",)
            )
        else:
            case = desk.register(subject=f"拖欠工资 {len(found)}")
        desk.run(case, "dispatcher", "forward", unit_id=desk.unit(unit))
        desk.run(case, head, "accept", handler_id=desk.person(handler))
        found.append(case)
    moved, other, accusation, plain = found
    services.app.take_snapshot(accusation)
    services.app.take_snapshot(plain)
    services.audit.sign_head()
    return Cases(services, Tamperer(settings), desk, moved, other, accusation, plain)


def assert_refused(cases: Cases, case_id: UUID, version: int) -> None:
    """Reading the case is refused with an integrity error naming it and the version."""
    with pytest.raises(RecordIntegrityError) as refused:
        cases.read(case_id)
    error = refused.value
    assert (error.originator_id, error.originator_version) == (case_id, version)
    assert f"记录 {case_id} 第 {version} 版" in error.message
    assert "完整性校验" in error.message


def assert_reported(cases: Cases, position: int | None, *words: str) -> None:
    """`verify` fails at `position` (None: no log position), saying `words`."""
    report = cases.verify()
    assert report.finding is not None
    assert report.finding.position == position, report.finding.message
    for word in words:
        assert word in report.finding.message


# -- untouched ---------------------------------------------------------------------------------
def test_untouched_records_read_and_verify_with_their_snapshots(cases: Cases) -> None:
    for case_id in cases.all:
        cases.read(case_id)
    assert cases.services.app.repository.get(cases.plain).version == 3

    report = cases.verify()

    assert report.ok, report.finding
    assert report.snapshots == 2


def test_the_stored_format_reads_with_the_key_and_the_documented_associated_data(
    cases: Cases, settings: Settings
) -> None:
    # docs/audit.md, "Records bound to their place": standard AES-GCM, zlib and JSON suffice.
    key = base64.b64decode(settings.key_path(CIPHER_KEY_FILE).read_text().strip())
    version, topic, state = cases.snapshot_row(cases.plain)
    rows = [
        (cases.plain, 1, *cases.event_row(cases.plain, 1)[2:]),
        (cases.plain, version, topic, state),
    ]
    for case_id, at, row_topic, row_state in rows:
        stored = bytes(row_state)
        aad = b"xinfang-record/v1\x00" + case_id.bytes + struct.pack(">Q", at) + row_topic.encode()
        assert stored[0] == 1
        plain = AESGCM(key).decrypt(stored[1:13], stored[13:], aad)
        assert "拖欠工资 3" in json.dumps(json.loads(zlib.decompress(plain)), ensure_ascii=False)


def test_a_record_in_the_library_s_own_format_is_refused(cases: Cases, settings: Settings) -> None:
    # The stored format changed: records written before it are not read (docs/audit.md).
    mapper = cases.services.app.mapper
    assert isinstance(mapper, BoundMapper)
    key = settings.key_path(CIPHER_KEY_FILE).read_text().strip()
    _, version, topic, state = cases.event_row(cases.moved, 1)
    plain = mapper.binding.open(cases.moved.bytes, version, topic, bytes(state))
    assert plain is not None
    old = AESCipher(Environment(env={"CIPHER_KEY": key})).encrypt(plain)

    with pytest.raises(RecordIntegrityError):
        mapper.to_domain_event(StoredEvent(cases.moved, version, topic, old))


# -- event rows ----------------------------------------------------------------------------------
@pytest.mark.parametrize("recomputed", [False, True], ids=["tree kept", "tree recomputed"])
@pytest.mark.parametrize("source", ["same case, other version", "other case, same version"])
def test_a_ciphertext_copied_to_another_row_is_refused_and_reported(
    cases: Cases, source: str, recomputed: bool
) -> None:
    target = cases.position(cases.moved, 3)
    origin = (cases.moved, 2) if source.startswith("same") else (cases.other, 3)
    state = cases.event_row(*origin)[3]
    cases.db.run(("UPDATE {events} SET state = ? WHERE {pos} = ?", (state, target)))
    if recomputed:
        cases.db.rewrite_tree()  # as a thorough forger would: the tree alone no longer tells

    assert_refused(cases, cases.moved, 3)
    assert_reported(cases, target, str(target), "未按所在位置封签")
    for case_id in (cases.other, cases.accusation, cases.plain):
        cases.read(case_id)  # the rest of the instance still reads


def test_a_record_moved_to_another_topic_is_refused_and_reported(cases: Cases) -> None:
    target = cases.position(cases.moved, 3)
    other_topic = cases.event_row(cases.moved, 2)[2]
    cases.db.run(("UPDATE {events} SET topic = ? WHERE {pos} = ?", (other_topic, target)))
    cases.db.rewrite_tree()

    assert_refused(cases, cases.moved, 3)
    assert_reported(cases, target, "未按所在位置封签")


def test_a_snapshot_row_copied_into_the_event_table_is_reported(cases: Cases) -> None:
    version, topic, state = cases.snapshot_row(cases.plain)
    target = cases.position(cases.plain, version)
    cases.db.run(
        ("UPDATE {events} SET topic = ?, state = ? WHERE {pos} = ?", (topic, state, target))
    )
    cases.db.rewrite_tree()

    assert_reported(cases, target, "存的是快照", topic)


# -- snapshot rows --------------------------------------------------------------------------------
def test_a_snapshot_copied_from_another_case_is_refused_and_reported(cases: Cases) -> None:
    # Before, the accusation was served with the wage claim's subject and no accused unit.
    version, topic, state = cases.snapshot_row(cases.plain)
    target = cases.db.aggregate_id(cases.accusation)
    cases.db.run(
        ("DELETE FROM {snapshots} WHERE originator_id = ?", (target,)),
        (
            "INSERT INTO {snapshots} (originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?)",
            (target, version, topic, state),
        ),
    )

    assert_refused(cases, cases.accusation, version)
    assert_reported(
        cases,
        None,
        f"聚合 {cases.accusation} 版本 {version} 的快照",
        "未按所在位置封签",
    )
    cases.read(cases.plain)


def test_a_snapshot_moved_to_another_version_is_refused_and_reported(cases: Cases) -> None:
    cases.db.run(
        (
            "UPDATE {snapshots} SET originator_version = 2 WHERE originator_id = ?",
            (cases.db.aggregate_id(cases.plain),),
        )
    )

    assert_refused(cases, cases.plain, 2)
    assert_reported(cases, None, f"聚合 {cases.plain} 版本 2", "未按所在位置封签")


def test_an_event_row_copied_into_the_snapshot_table_is_reported(cases: Cases) -> None:
    _, version, topic, state = cases.event_row(cases.moved, 3)
    cases.db.run(
        (
            "INSERT INTO {snapshots} (originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?)",
            (cases.db.aggregate_id(cases.moved), version, topic, state),
        )
    )

    assert_reported(cases, None, f"聚合 {cases.moved} 版本 3", "存的不是快照")


def test_a_snapshot_of_events_removed_after_the_last_head_is_reported(cases: Cases) -> None:
    # Past the newest signed head, a forger who recomputes the tree can remove events unseen by
    # the tree; a snapshot of them still names the version the log no longer holds.
    cases.desk.run(cases.plain, "handler", "start_work")
    cases.services.app.take_snapshot(cases.plain)
    last = cases.db.positions()[-1]
    cases.db.run(("DELETE FROM {events} WHERE {pos} = ?", (last,)))
    cases.db.rewrite_tree()

    assert_reported(cases, None, f"聚合 {cases.plain} 版本 4", "不在日志中", "删除")
