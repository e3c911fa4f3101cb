"""A ledger written by an earlier release is rebuilt from the log when the instance is opened.

Two earlier shapes: one row per clock slot and start day (the key (case_id, slot, started_on)
could not hold a case forwarded the day it was registered: two notice clocks, same slot, same
day; the present tables key every clock by its place in the case), and a ledger without the
bigram index of the text search (`ledger_grams`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from uuid import UUID

from projections.bootstrap import Services, bootstrap
from projections.ledger import LedgerQuery
from projections.ledger_tables import bigrams
from projections.settings import Settings
from tests.conftest import County, build_county
from tests.integration.helpers_read import Desk

OLD_DEADLINES = """CREATE TABLE {p}ledger_deadlines (
    case_id TEXT NOT NULL, slot TEXT NOT NULL, started_on TEXT NOT NULL, rule TEXT NOT NULL,
    length {int} NOT NULL, unit TEXT NOT NULL, due_date TEXT NOT NULL,
    provisional {int} NOT NULL, met_on TEXT, met_unit_id TEXT, met_handler_id TEXT,
    met_leader_id TEXT, current {int} NOT NULL, PRIMARY KEY (case_id, slot, started_on))"""


def older_instance(
    settings: Settings, fill: Callable[[Desk], UUID], statements: Sequence[str]
) -> tuple[UUID, int, County]:
    """An instance with the cases `fill` makes, whose views `statements` then turn into what an
    earlier release left: the case `fill` returns, the ledger's position and the county."""
    first = bootstrap(settings)
    try:
        desk = Desk(first.app, build_county(first.app))
        case = fill(desk)
        position = first.views.position("ledger")
        with first.views.transaction() as cursor:
            for statement in statements:
                first.views.run(cursor, statement)
    finally:
        first.close()
    return case, position, desk.county


@contextmanager
def reopened(settings: Settings) -> Iterator[Services]:
    """The instance opened again (as the next release does) and its views caught up."""
    again = bootstrap(settings)
    try:
        again.catch_up()
        yield again
    finally:
        again.close()


def _forwarded(desk: Desk) -> UUID:
    case = desk.register(desk.ago(3))
    desk.run(case, "dispatcher", "forward", desk.ago(3, 1), unit_id=desk.unit("housing"))
    return case


def test_a_ledger_of_the_older_shape_is_emptied_and_rebuilt_from_the_log(
    settings: Settings,
) -> None:
    older = ["DROP TABLE {p}ledger_deadlines", OLD_DEADLINES]
    case, position, _ = older_instance(settings, _forwarded, older)

    with reopened(settings) as again:
        rows = again.views.query(
            "SELECT seq, slot, end_kind FROM {p}ledger_deadlines WHERE case_id = ? ORDER BY seq",
            [case.hex],
        )
        assert again.views.position("ledger") == position
    assert [(r["slot"], r["end_kind"]) for r in rows] == [
        ("notice_15", "superseded"),
        ("sort_15", "met"),
        ("notice_15", None),
        ("object_5wd", None),
    ]


def _two_texts(desk: Desk) -> UUID:
    case = desk.register(desk.ago(3), subject="征地补偿", content="房屋补偿标准偏低。")
    desk.register(desk.ago(2), subject="拖欠工资", content="工地拖欠工资。")
    return case


def test_a_ledger_without_the_bigram_index_is_rebuilt_and_searched_through_it(
    settings: Settings,
) -> None:
    # The views of the release before the index.
    case, position, county = older_instance(settings, _two_texts, ["DROP TABLE {p}ledger_grams"])

    with reopened(settings) as again:
        grams = again.views.query(
            "SELECT gram FROM {p}ledger_grams WHERE case_id = ? ORDER BY gram", [case.hex]
        )
        rows, total = again.ledger.search(
            county.actors["supervisor"], LedgerQuery(q="补偿"), again.app.clock().date()
        )
        assert again.views.position("ledger") == position
    assert {r["gram"] for r in grams} == bigrams("征地补偿\n房屋补偿标准偏低。")
    assert ([row["case_id"] for row in rows], total) == ([case], 1)
