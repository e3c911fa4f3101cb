"""A ledger written by an earlier release (one row per clock slot and start day) is rebuilt.

The key (case_id, slot, started_on) could not hold a case forwarded the day it was registered (two
notice clocks, same slot, same day); the present tables key every clock by its place in the case.
"""

from __future__ import annotations

from projections.bootstrap import bootstrap
from projections.ledger import LedgerQuery
from projections.ledger_tables import bigrams
from projections.settings import Settings
from tests.conftest import build_county
from tests.integration.helpers_read import Desk

OLD_DEADLINES = """CREATE TABLE {p}ledger_deadlines (
    case_id TEXT NOT NULL, slot TEXT NOT NULL, started_on TEXT NOT NULL, rule TEXT NOT NULL,
    length {int} NOT NULL, unit TEXT NOT NULL, due_date TEXT NOT NULL,
    provisional {int} NOT NULL, met_on TEXT, met_unit_id TEXT, met_handler_id TEXT,
    met_leader_id TEXT, current {int} NOT NULL, PRIMARY KEY (case_id, slot, started_on))"""


def test_a_ledger_of_the_older_shape_is_emptied_and_rebuilt_from_the_log(
    settings: Settings,
) -> None:
    first = bootstrap(settings)
    try:
        desk = Desk(first.app, build_county(first.app))
        case = desk.register(desk.ago(3))
        desk.run(case, "dispatcher", "forward", desk.ago(3, 1), unit_id=desk.unit("housing"))
        position = first.views.position("ledger")
        with first.views.transaction() as cursor:
            first.views.run(cursor, "DROP TABLE {p}ledger_deadlines")
            first.views.run(cursor, OLD_DEADLINES)
    finally:
        first.close()

    again = bootstrap(settings)
    try:
        again.catch_up()
        rows = again.views.query(
            "SELECT seq, slot, end_kind FROM {p}ledger_deadlines WHERE case_id = ? ORDER BY seq",
            [case.hex],
        )
        assert again.views.position("ledger") == position
    finally:
        again.close()
    assert [(r["slot"], r["end_kind"]) for r in rows] == [
        ("notice_15", "superseded"),
        ("sort_15", "met"),
        ("notice_15", None),
        ("object_5wd", None),
    ]


def test_a_ledger_without_the_bigram_index_is_rebuilt_and_searched_through_it(
    settings: Settings,
) -> None:
    first = bootstrap(settings)
    try:
        desk = Desk(first.app, build_county(first.app))
        case = desk.register(desk.ago(3), subject="征地补偿", content="房屋补偿标准偏低。")
        desk.register(desk.ago(2), subject="拖欠工资", content="工地拖欠工资。")
        position = first.views.position("ledger")
        with first.views.transaction() as cursor:  # the views of the release before the index
            first.views.run(cursor, "DROP TABLE {p}ledger_grams")
    finally:
        first.close()

    again = bootstrap(settings)
    try:
        again.catch_up()
        grams = again.views.query(
            "SELECT gram FROM {p}ledger_grams WHERE case_id = ? ORDER BY gram", [case.hex]
        )
        supervisor = desk.county.actors["supervisor"]
        rows, total = again.ledger.search(
            supervisor, LedgerQuery(q="补偿"), again.app.clock().date()
        )
        assert again.views.position("ledger") == position
    finally:
        again.close()
    assert {r["gram"] for r in grams} == bigrams("征地补偿\n房屋补偿标准偏低。")
    assert ([row["case_id"] for row in rows], total) == ([case], 1)
