"""A process starting up (creating the view tables) while a batch is being written: no deadlock.

Found by the load and fault test (tests/load): on PostgreSQL, `CREATE INDEX IF NOT EXISTS` takes
a SHARE lock on its table even when the index exists. A respawned gunicorn worker or a restarted
`xinfang project` held the lock on ledger_cases and waited for ledger_actions, while a batch held
ledger_actions (written first) and waited for ledger_cases: PostgreSQL aborted one of the two.
"""

from __future__ import annotations

import threading
import time

from projections.audit_access import AccessProjection
from projections.bootstrap import bootstrap
from projections.settings import Settings
from projections.store import ViewStore


def test_creating_the_views_while_a_batch_holds_its_tables_does_not_deadlock(
    settings: Settings,
) -> None:
    services = bootstrap(settings, inline_projections=False)
    starting = ViewStore.open(settings)
    failures: list[BaseException] = []

    def start_up() -> None:
        try:
            for projection in services.runner.projections:
                projection.create(starting)
        except BaseException as error:  # asserted below
            failures.append(error)

    try:
        # The tables in the order a ledger batch writes them: ledger_actions first.
        with services.views.transaction() as cursor:
            services.views.run(cursor, "DELETE FROM {p}ledger_actions WHERE position < 0")
            other = threading.Thread(target=start_up)
            other.start()
            time.sleep(0.5)  # the other process now waits for ledger_actions
            services.views.run(cursor, "DELETE FROM {p}ledger_cases WHERE case_id = ''")
        other.join(timeout=30)
        assert not other.is_alive()
        assert failures == []
    finally:
        starting.close()
        services.close()


def test_an_access_log_table_of_an_earlier_shape_is_reshaped_with_its_rows(
    settings: Settings,
) -> None:
    """A table from before `operator` (and before `entry`, one row per event) keeps its rows,
    gets the missing columns and takes the rows of an access list (several per event)."""
    store = ViewStore.open(settings)
    try:
        with store.transaction() as cursor:
            store.run(cursor, "DROP TABLE IF EXISTS {p}audit_access")
            store.run(
                cursor,
                "CREATE TABLE {p}audit_access (position {bigint} PRIMARY KEY, "
                "recorded_at TEXT NOT NULL, actor_id TEXT NOT NULL, actor_name TEXT NOT NULL, "
                "actor_role TEXT NOT NULL, actor_unit_id TEXT, case_id TEXT NOT NULL, "
                "action TEXT NOT NULL, fields TEXT NOT NULL)",
            )
            store.run(cursor, "CREATE INDEX audit_access_case ON {p}audit_access (case_id)")
            store.run(
                cursor,
                "INSERT INTO {p}audit_access VALUES "
                "(7, '2026-01-02T03:04:05Z', 'a', '李', 'clerk', NULL, 'c', 'read_case', "
                "'petitioner_identity')",
            )
        assert "operator" not in store.columns("audit_access")

        AccessProjection().create(store)
        AccessProjection().create(store)  # a second process starting finds it there

        assert {"operator", "document", "entry"} <= store.columns("audit_access")
        rows = store.query("SELECT position, entry, case_id, operator FROM {p}audit_access")
        assert [dict(r) for r in rows] == [
            {"position": 7, "entry": 0, "case_id": "c", "operator": None}
        ]
        with store.transaction() as cursor:  # two cases of one event: (position, entry)
            for entry in (0, 1):
                store.run(
                    cursor,
                    "INSERT INTO {p}audit_access (position, entry, recorded_at, actor_id, "
                    "actor_name, actor_role, case_id, action, fields) "
                    "VALUES (8, ?, 't', 'a', '李', 'clerk', ?, 'read_ledger', '')",
                    [entry, f"case-{entry}"],
                )
        assert len(store.query("SELECT * FROM {p}audit_access WHERE position = 8")) == 2
    finally:
        store.close()
