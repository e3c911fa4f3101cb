"""Real tampering through SQL behind the application's back: `verify` names the bad position."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from domain.directory import SYSTEM_ACTOR
from domain.values import Category
from projections.audit_chunks import InProcessChunks, Workers
from projections.audit_recorders import encode_leaf
from projections.audit_verifier import Verification
from projections.bootstrap import Services
from projections.merkle import CompactRange, leaf_hash
from projections.settings import Settings
from tests.conftest import County, pg_connect
from tests.integration.helpers_read import Desk


@dataclass
class Tamperer:
    """Raw SQL on the instance's event store: `{events}`, `{snapshots}`, `{pos}`, `{p}`."""

    settings: Settings

    @property
    def names(self) -> dict[str, str]:
        """Table and column names of the backend."""
        if self.settings.is_postgres:
            schema = f'"{self.settings.extra_env["POSTGRES_SCHEMA"]}".'
            return {
                "events": f"{schema}xinfang_events",
                "snapshots": f"{schema}xinfang_snapshots",
                "pos": "notification_id",
                "p": schema,
            }
        return {"events": "stored_events", "snapshots": "stored_snapshots", "pos": "rowid", "p": ""}

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        if self.settings.is_postgres:
            with pg_connect() as conn:
                yield conn
        else:
            conn = sqlite3.connect(self.settings.sqlite_path)
            try:
                with conn:
                    yield conn
            finally:
                conn.close()

    def _sql(self, statement: str) -> str:
        text = statement.format(**self.names)
        return text.replace("?", "%s") if self.settings.is_postgres else text

    def run(self, *statements: tuple[str, Sequence[Any]]) -> None:
        """Execute statements in one transaction."""
        with self._connection() as conn:
            for statement, params in statements:
                conn.execute(self._sql(statement), tuple(params))

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of a query."""
        with self._connection() as conn:
            return [tuple(row) for row in conn.execute(self._sql(statement), tuple(params))]

    def positions(self) -> list[int]:
        """Every event's log position, in order."""
        return [r[0] for r in self.rows("SELECT {pos} FROM {events} ORDER BY {pos}")]

    def event(self, position: int) -> tuple[Any, ...]:
        """(originator_id, originator_version, topic, state) of one row."""
        (row,) = self.rows(
            "SELECT originator_id, originator_version, topic, state FROM {events} WHERE {pos} = ?",
            [position],
        )
        return row

    def aggregate_id(self, value: UUID) -> Any:
        """An aggregate id as the backend stores it."""
        return value if self.settings.is_postgres else value.hex

    def rewrite_tree(self) -> None:
        """Recompute every leaf, node and the state from the rows, as a thorough forger would."""
        rows = self.rows(
            "SELECT {pos}, originator_id, originator_version, topic, state FROM {events} "
            "ORDER BY {pos}"
        )
        tree = CompactRange()
        leaves, nodes = [], []
        for position, originator_id, version, topic, state in rows:
            value = leaf_hash(
                encode_leaf(position, UUID(str(originator_id)), version, topic, state)
            )
            leaves.append((tree.size, position, value))
            nodes.extend(tree.append(value)[1:])
        statements: list[tuple[str, Sequence[Any]]] = [
            ("DELETE FROM {p}audit_leaves", ()),
            ("DELETE FROM {p}audit_nodes", ()),
            (
                "UPDATE {p}audit_state SET tree_size = ?, frontier = ?",
                (tree.size, b"".join(tree.frontier())),
            ),
        ]
        statements += [("INSERT INTO {p}audit_leaves VALUES (?,?,?)", leaf) for leaf in leaves]
        statements += [("INSERT INTO {p}audit_nodes VALUES (?,?,?)", node) for node in nodes]
        self.run(*statements)


@dataclass
class Log:
    """A county's log with a few cases, a signed head at its end, and raw access to it."""

    services: Services
    db: Tamperer
    positions: list[int]

    def verify(self, batch_size: int = 7) -> Verification:
        """Run the verifier (small batches, so that findings cross batch boundaries)."""
        return self.services.audit.verify(batch_size=batch_size)

    def leaf_position(self, index: int) -> int:
        """The log position of leaf `index`."""
        (row,) = self.db.rows("SELECT position FROM {p}audit_leaves WHERE leaf_index = ?", [index])
        return int(row[0])


@pytest.fixture
def log(services: Services, settings: Settings, county: County) -> Log:
    """Some 80 events: the county, three cases moved along, one accusation; a head at the end."""
    desk = Desk(services.app, county)
    for _ in range(3):
        case = desk.register()
        desk.run(case, "dispatcher", "forward", unit_id=desk.unit("housing"))
        desk.run(case, "head", "accept", handler_id=desk.person("handler"))
    desk.register(category=Category.ACCUSATION, content="某所长收受贿赂。")
    services.audit.sign_head()
    db = Tamperer(settings)
    return Log(services, db, db.positions())


def assert_fails_at(log: Log, position: int | None, *words: str) -> None:
    """`verify` fails, naming `position` and saying `words`."""
    report = log.verify()
    assert not report.ok
    assert report.finding is not None
    assert report.finding.position == position, report.finding.message
    if position is not None:
        assert str(position) in report.finding.message
    for word in words:
        assert word in report.finding.message


def flip(data: bytes, at: int) -> bytes:
    """`data` with one byte changed."""
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


# -- untouched ---------------------------------------------------------------------------------
def test_an_untouched_log_verifies_with_every_head(log: Log) -> None:
    report = log.verify()

    assert report.ok, report.finding
    assert report.events == len(log.positions)
    assert report.heads >= 2


@pytest.mark.parametrize("batch_size", [1, 2, 64, 20_000])
def test_verification_does_not_depend_on_the_batch_size(log: Log, batch_size: int) -> None:
    assert log.verify(batch_size).ok


# -- event rows ----------------------------------------------------------------------------------
@pytest.mark.parametrize("at", [0, 17, -1])
def test_one_changed_byte_of_a_stored_event_state_is_found(log: Log, at: int) -> None:
    position = log.positions[40]
    state = bytes(log.db.event(position)[3])
    log.db.run(("UPDATE {events} SET state = ? WHERE {pos} = ?", (flip(state, at), position)))

    assert_fails_at(log, position, "号审计叶子不符")


def test_a_changed_topic_is_found(log: Log) -> None:
    position = log.positions[30]
    topic = log.db.event(position)[2]
    log.db.run(("UPDATE {events} SET topic = ? WHERE {pos} = ?", (topic + "x", position)))

    assert_fails_at(log, position, "不符")


def test_a_changed_version_is_found(log: Log) -> None:
    position = log.positions[-3]
    log.db.run(
        (
            "UPDATE {events} SET originator_version = originator_version + 1000 WHERE {pos} = ?",
            (position,),
        )
    )

    assert_fails_at(log, position, "不符")


def test_a_changed_aggregate_id_is_found(log: Log) -> None:
    position = log.positions[55]
    log.db.run(
        (
            "UPDATE {events} SET originator_id = ? WHERE {pos} = ?",
            (log.db.aggregate_id(uuid4()), position),
        )
    )

    assert_fails_at(log, position, "不符")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_aggregate_id_respelled_in_upper_case_is_found(log: Log) -> None:
    # The library would read the same UUID, but the event would vanish from its aggregate.
    position = log.positions[50]
    log.db.run(
        ("UPDATE {events} SET originator_id = upper(originator_id) WHERE {pos} = ?", (position,))
    )

    assert_fails_at(log, position, "聚合 id")


def test_a_state_replaced_by_null_is_found(log: Log) -> None:
    position = log.positions[12]
    log.db.run(("UPDATE {events} SET state = NULL WHERE {pos} = ?", (position,)))

    assert_fails_at(log, position, "数据类型不对")


def test_deleting_the_last_event_is_found(log: Log) -> None:
    last = log.positions[-1]
    log.db.run(("DELETE FROM {events} WHERE {pos} = ?", (last,)))

    assert_fails_at(log, last, "缺少", "删除")


def test_deleting_the_last_event_stays_found_after_the_next_save_reuses_its_position(
    log: Log,
) -> None:
    last = log.positions[-1]
    log.db.run(("DELETE FROM {events} WHERE {pos} = ?", (last,)))
    log.services.app.add_unit(SYSTEM_ACTOR, name="县自然资源局")

    assert_fails_at(log, last)


def test_deleting_an_event_in_the_middle_is_found(log: Log) -> None:
    middle = log.positions[len(log.positions) // 2]
    log.db.run(("DELETE FROM {events} WHERE {pos} = ?", (middle,)))

    assert_fails_at(log, middle, "缺少")


def test_deleting_the_first_event_is_found(log: Log) -> None:
    first = log.positions[0]
    log.db.run(("DELETE FROM {events} WHERE {pos} = ?", (first,)))

    assert_fails_at(log, first, "缺少")


def test_a_forged_event_inserted_at_the_end_is_found(log: Log) -> None:
    _, _, topic, state = log.db.event(log.positions[-1])
    forged = log.db.aggregate_id(uuid4())
    log.db.run(
        (
            "INSERT INTO {events} (originator_id, originator_version, topic, state) "
            "VALUES (?, 1, ?, ?)",
            (forged, topic, state),
        )
    )
    position = log.db.positions()[-1]

    assert position > log.positions[-1]
    assert_fails_at(log, position, "没有叶子", "插入")


def test_a_forged_event_stays_found_after_later_legitimate_saves(log: Log, county: County) -> None:
    _, _, topic, state = log.db.event(log.positions[-1])
    log.db.run(
        (
            "INSERT INTO {events} (originator_id, originator_version, topic, state) "
            "VALUES (?, 1, ?, ?)",
            (log.db.aggregate_id(uuid4()), topic, state),
        )
    )
    forged = log.db.positions()[-1]
    Desk(log.services.app, county).register()

    assert log.db.positions()[-1] > forged
    assert_fails_at(log, forged, "插入")


def test_two_swapped_rows_are_found(log: Log) -> None:
    a, b = log.positions[20], log.positions[45]
    log.db.run(
        ("UPDATE {events} SET {pos} = ? WHERE {pos} = ?", (-1, a)),
        ("UPDATE {events} SET {pos} = ? WHERE {pos} = ?", (a, b)),
        ("UPDATE {events} SET {pos} = ? WHERE {pos} = ?", (b, -1)),
    )

    assert_fails_at(log, a, "不符")


def test_swapping_the_contents_of_two_rows_is_found(log: Log) -> None:
    a, b = log.positions[10], log.positions[11]
    row_a, row_b = log.db.event(a), log.db.event(b)
    log.db.run(
        ("UPDATE {events} SET topic = ?, state = ? WHERE {pos} = ?", (row_b[2], row_b[3], a)),
        ("UPDATE {events} SET topic = ?, state = ? WHERE {pos} = ?", (row_a[2], row_a[3], b)),
    )

    assert_fails_at(log, a, "不符")


# -- the stored tree -------------------------------------------------------------------------------
def test_an_edited_tree_node_is_found(log: Log) -> None:
    log.db.run(("UPDATE {p}audit_nodes SET hash = ? WHERE level = 2 AND idx = 3", (b"\x00" * 32,)))

    assert_fails_at(log, log.leaf_position(15), "第 2 层第 3 号节点", "叶子 12-15")


def test_a_deleted_tree_node_is_found(log: Log) -> None:
    log.db.run(("DELETE FROM {p}audit_nodes WHERE level = 1 AND idx = 20", ()))

    assert_fails_at(log, log.leaf_position(41), "第 1 层第 20 号节点")


def test_an_edited_leaf_hash_is_found(log: Log) -> None:
    position = log.leaf_position(33)
    log.db.run(("UPDATE {p}audit_leaves SET leaf_hash = ? WHERE leaf_index = 33", (b"\x11" * 32,)))

    assert_fails_at(log, position, "第 33 号审计叶子")


def test_a_deleted_leaf_is_found(log: Log) -> None:
    position = log.leaf_position(60)
    log.db.run(("DELETE FROM {p}audit_leaves WHERE leaf_index = 60", ()))

    assert_fails_at(log, position, "审计树中缺少第 60 号叶子")


def test_an_edited_tree_state_is_found(log: Log) -> None:
    log.db.run(("UPDATE {p}audit_state SET frontier = ?", (b"\x22" * 32 * 3,)))

    assert_fails_at(log, None, "audit_state")


def test_a_rewritten_event_with_a_recomputed_tree_is_found_at_its_own_position(log: Log) -> None:
    # Its state is no longer the one sealed for its place: found before any head is reached.
    position = log.positions[25]
    state = bytes(log.db.event(position)[3])
    log.db.run(("UPDATE {events} SET state = ? WHERE {pos} = ?", (flip(state, 5), position)))
    log.db.rewrite_tree()

    assert_fails_at(log, position, "未按所在位置封签")


def test_a_reordered_log_with_a_recomputed_tree_is_caught_by_the_signed_head(log: Log) -> None:
    # Every record stays sealed for its place (aggregate, version, topic), only the log order
    # changes: the tree alone cannot tell, the signed head can.
    a, b = log.positions[25], log.positions[40]
    log.db.run(
        ("UPDATE {events} SET {pos} = ? WHERE {pos} = ?", (-1, a)),
        ("UPDATE {events} SET {pos} = ? WHERE {pos} = ?", (a, b)),
        ("UPDATE {events} SET {pos} = ? WHERE {pos} = ?", (b, -1)),
    )
    log.db.rewrite_tree()
    heads = log.services.audit.heads()
    first_covering = min(h.tree_size for h in heads if h.tree_size > 25)

    assert_fails_at(log, log.leaf_position(first_covering - 1), "签名树头", "重算")


def test_a_truncated_log_with_a_recomputed_tree_is_caught_by_the_signed_head(log: Log) -> None:
    log.db.run(("DELETE FROM {events} WHERE {pos} = ?", (log.positions[-1],)))
    log.db.rewrite_tree()

    assert_fails_at(log, None, f"覆盖 {len(log.positions)} 条事件", "删除")


# -- signed heads ----------------------------------------------------------------------------------
@pytest.mark.parametrize("column", ["root_hash", "signature"])
def test_a_tampered_head_is_found(log: Log, column: str) -> None:
    (size, value) = log.db.rows(
        f"SELECT tree_size, {column} FROM {{p}}audit_heads ORDER BY tree_size DESC"
    )[0]
    log.db.run(
        (
            f"UPDATE {{p}}audit_heads SET {column} = ? WHERE tree_size = ?",
            (flip(bytes(value), 3), size),
        )
    )

    assert_fails_at(log, log.leaf_position(size - 1), f"树大小 {size}", "签名无效")


def test_a_backdated_head_is_found(log: Log) -> None:
    (size,) = log.db.rows("SELECT MAX(tree_size) FROM {p}audit_heads")[0]
    log.db.run(
        (
            "UPDATE {p}audit_heads SET issued_at = ? WHERE tree_size = ?",
            ("2020-01-01T00:00:00.000000Z", size),
        )
    )

    assert_fails_at(log, log.leaf_position(size - 1), "签名无效")


# -- on worker processes ---------------------------------------------------------------------------
def on_workers(log: Log, pool: Any = Workers, chunk_size: int = 8, **options: Any) -> Verification:
    """Verify with the chunks checked by `pool` (worker processes by default), however small."""
    return log.services.audit.verify(
        batch_size=7, workers=2, chunk_size=chunk_size, parallel_from=0, pool=pool, **options
    )


def outcome(report: Verification) -> tuple[Any, ...]:
    """Everything `xinfang verify` prints but the time."""
    return report.events, report.heads, report.snapshots, report.finding


def test_workers_check_an_untouched_log_like_one_process(log: Log) -> None:
    seen: list[int] = []
    report = on_workers(log, progress=seen.append)

    assert report.ok, report.finding
    assert outcome(report) == outcome(log.services.audit.verify(workers=1))
    assert report.events == len(log.positions) == sum(seen)
    assert seen[0] == 8  # a whole chunk from the workers


def test_an_earlier_tampering_is_reported_before_a_later_chunks(log: Log) -> None:
    early, late = log.positions[3], log.positions[60]  # chunks 0 and 7 of 8 leaves
    for position in (early, late):
        state = bytes(log.db.event(position)[3])
        log.db.run(("UPDATE {events} SET state = ? WHERE {pos} = ?", (flip(state, 9), position)))

    report = on_workers(log)

    assert report.finding is not None
    assert report.finding.position == early, report.finding.message
    assert outcome(report) == outcome(log.services.audit.verify(workers=1))


def test_a_tampering_in_a_later_chunk_is_found_by_the_workers(log: Log) -> None:
    log.db.run(("DELETE FROM {p}audit_nodes WHERE level = 1 AND idx = 20", ()))

    report = on_workers(log)

    assert report.finding is not None
    assert report.finding.position == log.leaf_position(41)
    assert "第 1 层第 20 号节点" in report.finding.message
    assert outcome(report) == outcome(log.services.audit.verify(workers=1))


def test_a_node_above_the_chunks_is_checked_by_the_parent(log: Log) -> None:
    log.db.run(("UPDATE {p}audit_nodes SET hash = ? WHERE level = 4 AND idx = 1", (b"\x00" * 32,)))

    report = on_workers(log, InProcessChunks, chunk_size=4)

    assert report.finding is not None
    assert report.finding.position == log.leaf_position(31)
    assert "第 4 层第 1 号节点" in report.finding.message


def test_a_head_inside_a_chunk_is_checked_at_its_own_size(log: Log) -> None:
    sizes = [h.tree_size for h in log.services.audit.heads()]
    size = next(s for s in sizes if s % 64)
    log.db.run(
        ("UPDATE {p}audit_heads SET root_hash = ? WHERE tree_size = ?", (b"\x01" * 32, size))
    )

    report = on_workers(log, InProcessChunks, chunk_size=64)

    assert report.finding is not None
    assert report.finding.position == log.leaf_position(size - 1)
    assert f"树大小 {size} 的签名树头" in report.finding.message
    assert outcome(report) == outcome(log.services.audit.verify(workers=1))


TAMPERINGS = (
    "state",
    "topic",
    "version",
    "upper_id",
    "null_state",
    "delete_row",
    "forge_row",
    "swap_rows",
    "delete_leaf",
    "edit_leaf",
    "edit_node",
    "delete_node",
    "edit_head",
    "edit_state_row",
    "rewrite_tree",
)


def tamper(log: Log, kind: str, at: int) -> None:
    """One tampering of `kind`, at the row, leaf, node or head chosen by `at`."""
    db = log.db
    positions = db.positions()
    if not positions:
        return
    position = positions[at % len(positions)]
    if kind != "null_state" and any(db.event(p)[3] is None for p in positions):
        # A row whose state an earlier tampering set to NULL has no state to edit or rehash:
        # the log is tampered already (both paths are still compared on it).
        return
    update = "UPDATE {events} SET %s WHERE {pos} = ?"
    if kind == "state":
        state = bytes(db.event(position)[3])
        db.run((update % "state = ?", (flip(state, at % len(state)), position)))
    elif kind == "topic":
        db.run((update % "topic = topic || 'x'", (position,)))
    elif kind == "version":
        db.run((update % "originator_version = originator_version + 1000", (position,)))
    elif kind == "upper_id":
        db.run((update % "originator_id = upper(originator_id)", (position,)))
    elif kind == "null_state":
        db.run((update % "state = NULL", (position,)))
    elif kind == "delete_row":
        db.run(("DELETE FROM {events} WHERE {pos} = ?", (position,)))
    elif kind == "forge_row":
        _, _, topic, state = db.event(position)
        db.run(
            (
                "INSERT INTO {events} (originator_id, originator_version, topic, state) "
                "VALUES (?, 1, ?, ?)",
                (db.aggregate_id(uuid4()), topic, state),
            )
        )
    elif kind == "swap_rows":
        other = positions[(at * 7 + 1) % len(positions)]
        db.run(
            (update % "{pos} = -1", (position,)),
            (update % "{pos} = ?", (position, other)),
            (update % "{pos} = ?", (other, -1)),
        )
    elif kind in ("delete_leaf", "edit_leaf"):
        (count,) = db.rows("SELECT COUNT(*) FROM {p}audit_leaves")[0]
        index = at % max(count, 1)
        if kind == "delete_leaf":
            db.run(("DELETE FROM {p}audit_leaves WHERE leaf_index = ?", (index,)))
        else:
            db.run(
                (
                    "UPDATE {p}audit_leaves SET leaf_hash = ? WHERE leaf_index = ?",
                    (b"\x11" * 32, index),
                )
            )
    elif kind in ("edit_node", "delete_node"):
        nodes = db.rows("SELECT level, idx FROM {p}audit_nodes ORDER BY level, idx")
        level, idx = nodes[at % len(nodes)]
        if kind == "delete_node":
            db.run(("DELETE FROM {p}audit_nodes WHERE level = ? AND idx = ?", (level, idx)))
        else:
            db.run(
                (
                    "UPDATE {p}audit_nodes SET hash = ? WHERE level = ? AND idx = ?",
                    (b"\x00" * 32, level, idx),
                )
            )
    elif kind == "edit_head":
        sizes = db.rows("SELECT tree_size FROM {p}audit_heads ORDER BY tree_size")
        (size,) = sizes[at % len(sizes)]
        db.run(
            ("UPDATE {p}audit_heads SET root_hash = ? WHERE tree_size = ?", (b"\x01" * 32, size))
        )
    elif kind == "edit_state_row":
        db.run(("UPDATE {p}audit_state SET tree_size = tree_size + 1", ()))
    elif kind == "rewrite_tree":
        db.rewrite_tree()


@pytest.fixture
def saved(log: Log, backend: str) -> Iterator[Callable[[], None]]:
    """Put the SQLite database back as it was (after each example of a property test)."""
    if backend != "sqlite":
        pytest.skip("the database is restored with SQLite's backup")
    path = log.services.settings.sqlite_path
    copy = sqlite3.connect(":memory:")
    with closing(sqlite3.connect(path)) as live:
        live.backup(copy)

    def restore() -> None:
        with closing(sqlite3.connect(path)) as live:
            copy.backup(live)

    yield restore
    copy.close()


@hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    tamperings=st.lists(
        st.tuples(st.sampled_from(TAMPERINGS), st.integers(min_value=0, max_value=10_000)),
        max_size=3,
    ),
    chunk_size=st.sampled_from([1, 2, 4, 8, 16, 32]),
    batch_size=st.sampled_from([1, 3, 7, 20_000]),
)
def test_chunks_and_one_process_find_the_same(
    log: Log,
    saved: Callable[[], None],
    tamperings: list[tuple[str, int]],
    chunk_size: int,
    batch_size: int,
) -> None:
    try:
        for kind, at in tamperings:
            tamper(log, kind, at)
        audit = log.services.audit
        alone = audit.verify(batch_size=batch_size, workers=1)
        chunked = audit.verify(
            batch_size=batch_size,
            workers=2,
            chunk_size=chunk_size,
            parallel_from=0,
            pool=InProcessChunks,
        )

        assert outcome(chunked) == outcome(alone)
    finally:
        saved()
