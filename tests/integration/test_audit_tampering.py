"""Real tampering through SQL behind the application's back: `verify` names the bad position."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.directory import SYSTEM_ACTOR
from domain.values import Category
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

    assert_fails_at(log, position, "does not match its audit leaf")


def test_a_changed_topic_is_found(log: Log) -> None:
    position = log.positions[30]
    topic = log.db.event(position)[2]
    log.db.run(("UPDATE {events} SET topic = ? WHERE {pos} = ?", (topic + "x", position)))

    assert_fails_at(log, position, "does not match")


def test_a_changed_version_is_found(log: Log) -> None:
    position = log.positions[-3]
    log.db.run(
        (
            "UPDATE {events} SET originator_version = originator_version + 1000 WHERE {pos} = ?",
            (position,),
        )
    )

    assert_fails_at(log, position, "does not match")


def test_a_changed_aggregate_id_is_found(log: Log) -> None:
    position = log.positions[55]
    log.db.run(
        (
            "UPDATE {events} SET originator_id = ? WHERE {pos} = ?",
            (log.db.aggregate_id(uuid4()), position),
        )
    )

    assert_fails_at(log, position, "does not match")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_aggregate_id_respelled_in_upper_case_is_found(log: Log) -> None:
    # The library would read the same UUID, but the event would vanish from its aggregate.
    position = log.positions[50]
    log.db.run(
        ("UPDATE {events} SET originator_id = upper(originator_id) WHERE {pos} = ?", (position,))
    )

    assert_fails_at(log, position, "aggregate id")


def test_a_state_replaced_by_null_is_found(log: Log) -> None:
    position = log.positions[12]
    log.db.run(("UPDATE {events} SET state = NULL WHERE {pos} = ?", (position,)))

    assert_fails_at(log, position, "wrong type")


def test_deleting_the_last_event_is_found(log: Log) -> None:
    last = log.positions[-1]
    log.db.run(("DELETE FROM {events} WHERE {pos} = ?", (last,)))

    assert_fails_at(log, last, "missing", "deleted")


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

    assert_fails_at(log, middle, "missing")


def test_deleting_the_first_event_is_found(log: Log) -> None:
    first = log.positions[0]
    log.db.run(("DELETE FROM {events} WHERE {pos} = ?", (first,)))

    assert_fails_at(log, first, "missing")


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
    assert_fails_at(log, position, "no leaf", "inserted")


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
    assert_fails_at(log, forged, "inserted")


def test_two_swapped_rows_are_found(log: Log) -> None:
    a, b = log.positions[20], log.positions[45]
    log.db.run(
        ("UPDATE {events} SET {pos} = ? WHERE {pos} = ?", (-1, a)),
        ("UPDATE {events} SET {pos} = ? WHERE {pos} = ?", (a, b)),
        ("UPDATE {events} SET {pos} = ? WHERE {pos} = ?", (b, -1)),
    )

    assert_fails_at(log, a, "does not match")


def test_swapping_the_contents_of_two_rows_is_found(log: Log) -> None:
    a, b = log.positions[10], log.positions[11]
    row_a, row_b = log.db.event(a), log.db.event(b)
    log.db.run(
        ("UPDATE {events} SET topic = ?, state = ? WHERE {pos} = ?", (row_b[2], row_b[3], a)),
        ("UPDATE {events} SET topic = ?, state = ? WHERE {pos} = ?", (row_a[2], row_a[3], b)),
    )

    assert_fails_at(log, a, "does not match")


# -- the stored tree -------------------------------------------------------------------------------
def test_an_edited_tree_node_is_found(log: Log) -> None:
    log.db.run(("UPDATE {p}audit_nodes SET hash = ? WHERE level = 2 AND idx = 3", (b"\x00" * 32,)))

    assert_fails_at(log, log.leaf_position(15), "level 2, index 3", "leaves 12-15")


def test_a_deleted_tree_node_is_found(log: Log) -> None:
    log.db.run(("DELETE FROM {p}audit_nodes WHERE level = 1 AND idx = 20", ()))

    assert_fails_at(log, log.leaf_position(41), "level 1, index 20")


def test_an_edited_leaf_hash_is_found(log: Log) -> None:
    position = log.leaf_position(33)
    log.db.run(("UPDATE {p}audit_leaves SET leaf_hash = ? WHERE leaf_index = 33", (b"\x11" * 32,)))

    assert_fails_at(log, position, "leaf 33")


def test_a_deleted_leaf_is_found(log: Log) -> None:
    position = log.leaf_position(60)
    log.db.run(("DELETE FROM {p}audit_leaves WHERE leaf_index = 60", ()))

    assert_fails_at(log, position, "leaf 60", "missing from the stored tree")


def test_an_edited_tree_state_is_found(log: Log) -> None:
    log.db.run(("UPDATE {p}audit_state SET frontier = ?", (b"\x22" * 32 * 3,)))

    assert_fails_at(log, None, "audit_state")


def test_a_rewritten_event_with_a_recomputed_tree_is_found_at_its_own_position(log: Log) -> None:
    # Its state is no longer the one sealed for its place: found before any head is reached.
    position = log.positions[25]
    state = bytes(log.db.event(position)[3])
    log.db.run(("UPDATE {events} SET state = ? WHERE {pos} = ?", (flip(state, 5), position)))
    log.db.rewrite_tree()

    assert_fails_at(log, position, "not sealed for its place")


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

    assert_fails_at(log, log.leaf_position(first_covering - 1), "signed head", "recomputed")


def test_a_truncated_log_with_a_recomputed_tree_is_caught_by_the_signed_head(log: Log) -> None:
    log.db.run(("DELETE FROM {events} WHERE {pos} = ?", (log.positions[-1],)))
    log.db.rewrite_tree()

    assert_fails_at(log, None, f"covers {len(log.positions)} events", "removed")


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

    assert_fails_at(log, log.leaf_position(size - 1), f"tree size {size}", "invalid signature")


def test_a_backdated_head_is_found(log: Log) -> None:
    (size,) = log.db.rows("SELECT MAX(tree_size) FROM {p}audit_heads")[0]
    log.db.run(
        (
            "UPDATE {p}audit_heads SET issued_at = ? WHERE tree_size = ?",
            ("2020-01-01T00:00:00.000000Z", size),
        )
    )

    assert_fails_at(log, log.leaf_position(size - 1), "invalid signature")
