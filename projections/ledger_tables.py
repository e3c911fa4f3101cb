"""The ledger views' tables: cases, deadlines, who held the case when, actions, identity hashes.

A change of a table's shape needs `xinfang rebuild` on an existing instance (the views are
rebuilt from the log).
"""

from __future__ import annotations

from collections.abc import Sequence

from projections.case_views import CASE_STATE_TABLE

CASE_ROW = """number TEXT NOT NULL, received_on TEXT NOT NULL,
        registered_at TEXT NOT NULL, channel TEXT NOT NULL, category TEXT NOT NULL,
        subject TEXT NOT NULL, searchable TEXT NOT NULL, petitioners {blob} NOT NULL,
        location TEXT, intake_unit_id TEXT, unit_id TEXT, leader_id TEXT, handler_id TEXT,
        status TEXT NOT NULL, mode TEXT NOT NULL, flags TEXT NOT NULL, accused TEXT NOT NULL,
        held TEXT NOT NULL, sponsors TEXT NOT NULL, repeat_count {int} NOT NULL, outcome TEXT,
        dispositions TEXT NOT NULL,
        satisfaction TEXT, resolution TEXT, closed_on TEXT, accepted_on TEXT,
        last_activity_on TEXT NOT NULL, version {int} NOT NULL, updated_at TEXT NOT NULL,
        sealed_text {blob}, overdue_due TEXT"""
"""The columns of a case's ledger row after its id (the live table's and its history's)."""
DEADLINE_ROW = """seq {int} NOT NULL, slot TEXT NOT NULL, started_on TEXT NOT NULL,
        rule TEXT NOT NULL, length {int} NOT NULL, unit TEXT NOT NULL, due_date TEXT NOT NULL,
        provisional {int} NOT NULL, extended_days {int} NOT NULL, paused_since TEXT,
        paused_days {int} NOT NULL, met_on TEXT, end_kind TEXT, met_unit_id TEXT,
        met_handler_id TEXT, met_leader_id TEXT, current {int} NOT NULL"""
"""The columns of a clock's row after its case id (the live table's and its history's)."""

# -- the tables kept temporally (docs/read-side.md, "as_of: views kept temporally") ---------------
# Every row each of these tables ever held, with the log positions between which it held:
# from the event that made it (`valid_from`) up to the event that changed or removed it
# (`valid_to`, exclusive; NULL while it holds). The rows as of log position p are those with
# valid_from <= p < valid_to. Written by the ledger projection beside the live rows, one row
# version per event that changed the row (not per batch), so the history does not depend on how
# the log was cut into batches. `ledger_actions` needs none: it only grows, and its rows carry
# their log position.
HISTORY_TABLES = (
    "CREATE TABLE IF NOT EXISTS {p}ledger_cases_history (case_id TEXT NOT NULL, "
    + CASE_ROW
    + ", valid_from {bigint} NOT NULL, valid_to {bigint}, PRIMARY KEY (case_id, valid_from))",
    # The page newest first as of p: this index walked backwards, a version's validity (and
    # whether it accuses the viewer's unit, the one filter of every `as_of` reader) read from
    # the index itself, a row read only for a version valid at p (early stop). Its count is a
    # scan of this index or the next, never of the wide rows.
    "CREATE INDEX IF NOT EXISTS ledger_cases_history_order "
    "ON {p}ledger_cases_history (received_on, number, valid_from, valid_to, accused)",
    # A case's version at p found from its id (the overdue list's join), from the index alone.
    "CREATE INDEX IF NOT EXISTS ledger_cases_history_case "
    "ON {p}ledger_cases_history (case_id, valid_from, valid_to, accused)",
    "CREATE TABLE IF NOT EXISTS {p}ledger_deadlines_history (case_id TEXT NOT NULL, "
    + DEADLINE_ROW
    + ", valid_from {bigint} NOT NULL, valid_to {bigint}, "
    "PRIMARY KEY (case_id, seq, valid_from))",
    # The overdue list as of p (Accountability.deadline_page): the versions of clocks running
    # or ended late, in the list's order, with everything its count reads.
    "CREATE INDEX IF NOT EXISTS ledger_deadlines_history_watch "
    "ON {p}ledger_deadlines_history (due_date, valid_from, valid_to, rule, met_on, current, "
    "paused_since, case_id, seq) WHERE met_on IS NULL OR met_on > due_date",
    """CREATE TABLE IF NOT EXISTS {p}ledger_holdings_history (
        case_id TEXT NOT NULL, seq {int} NOT NULL, unit_id TEXT, handler_id TEXT, leader_id TEXT,
        ongoing {int} NOT NULL, by_id TEXT NOT NULL, from_on TEXT NOT NULL, to_on TEXT,
        valid_from {bigint} NOT NULL, valid_to {bigint}, PRIMARY KEY (case_id, seq, valid_from))""",
    """CREATE TABLE IF NOT EXISTS {p}ledger_flags_history (
        flag TEXT NOT NULL, case_id TEXT NOT NULL,
        valid_from {bigint} NOT NULL, valid_to {bigint},
        PRIMARY KEY (flag, case_id, valid_from))""",
    "CREATE INDEX IF NOT EXISTS ledger_flags_history_case "
    "ON {p}ledger_flags_history (case_id, valid_to)",
)
HISTORY = (
    "ledger_cases_history",
    "ledger_deadlines_history",
    "ledger_holdings_history",
    "ledger_flags_history",
)

LEDGER_TABLES = (
    "CREATE TABLE IF NOT EXISTS {p}ledger_cases (case_id TEXT PRIMARY KEY, " + CASE_ROW + ")",
    "CREATE INDEX IF NOT EXISTS ledger_cases_status ON {p}ledger_cases (status)",
    # Filtered pages newest first: the filter's rows walked in page order (no sort, early stop).
    "CREATE INDEX IF NOT EXISTS ledger_cases_status_received "
    "ON {p}ledger_cases (status, received_on, number)",
    "CREATE INDEX IF NOT EXISTS ledger_cases_category_received "
    "ON {p}ledger_cases (category, received_on, number)",
    "CREATE INDEX IF NOT EXISTS ledger_cases_unit_received "
    "ON {p}ledger_cases (unit_id, received_on, number)",
    "CREATE INDEX IF NOT EXISTS ledger_cases_unit ON {p}ledger_cases (unit_id)",
    "CREATE INDEX IF NOT EXISTS ledger_cases_received ON {p}ledger_cases (received_on)",
    # The page order with what the range and text filters read: a page of `overdue=` or `q=`
    # walks this index newest first and reads a row only for a match (no sort of the matches),
    # and the text search's count scans this index instead of the wide rows.
    "CREATE INDEX IF NOT EXISTS ledger_cases_order "
    "ON {p}ledger_cases (received_on, number, overdue_due, searchable)",
    # A set of cases named by id (a flag's, a text bigram's, a petitioner's) put in page order and
    # tested for the accusations a viewer may not see from the index alone, without reading each
    # case's wide row (`flag=key_case`: 3,090 rows at county scale; `q=工资`: 11,831).
    "CREATE INDEX IF NOT EXISTS ledger_cases_key_order "
    "ON {p}ledger_cases (case_id, received_on, number, accused)",
    # The earliest due date of a running obligation (not met, not paused): `overdue` is a range.
    "CREATE INDEX IF NOT EXISTS ledger_cases_overdue ON {p}ledger_cases (overdue_due)",
    # Every clock a case ever ran, in the case's order (`seq`): superseded and transferred ones
    # too, since a case forwarded the day it was registered has two notice clocks started that
    # day in the same slot. `end_kind` says how a clock ended (domain.values.ClockEnd).
    "CREATE TABLE IF NOT EXISTS {p}ledger_deadlines (case_id TEXT NOT NULL, "
    + DEADLINE_ROW
    + ", PRIMARY KEY (case_id, seq))",
    "CREATE INDEX IF NOT EXISTS ledger_deadlines_due ON {p}ledger_deadlines (due_date)",
    # Who held the case when (unit, handler, sponsor), whether it was still open, and who moved
    # it there (`by_id`: at the bureau, the person who holds an unsorted case).
    """CREATE TABLE IF NOT EXISTS {p}ledger_holdings (
        case_id TEXT NOT NULL, seq {int} NOT NULL, unit_id TEXT, handler_id TEXT, leader_id TEXT,
        ongoing {int} NOT NULL, by_id TEXT NOT NULL, from_on TEXT NOT NULL, to_on TEXT,
        PRIMARY KEY (case_id, seq))""",
    """CREATE TABLE IF NOT EXISTS {p}ledger_actions (
        position {bigint} PRIMARY KEY, case_id TEXT NOT NULL, version {int} NOT NULL,
        type TEXT NOT NULL, actor_id TEXT NOT NULL, actor_name TEXT NOT NULL,
        actor_role TEXT NOT NULL, actor_unit_id TEXT, occurred_at TEXT NOT NULL,
        occurred_on TEXT NOT NULL, recorded_at TEXT NOT NULL, reason TEXT, unit_id TEXT,
        handler_id TEXT, leader_id TEXT, prev_unit_id TEXT, detail TEXT)""",
    "CREATE INDEX IF NOT EXISTS ledger_actions_actor ON {p}ledger_actions (actor_id, recorded_at)",
    # A page's cases' actions of one kind (the overdue list's 督办 orders per case): without it
    # each page scanned every action of the county (0.3 s at county scale).
    "CREATE INDEX IF NOT EXISTS ledger_actions_case ON {p}ledger_actions (case_id, type)",
    """CREATE TABLE IF NOT EXISTS {p}ledger_identities (
        digest TEXT NOT NULL, case_id TEXT NOT NULL, kind TEXT NOT NULL,
        PRIMARY KEY (case_id, digest))""",
    "CREATE INDEX IF NOT EXISTS ledger_identities_digest ON {p}ledger_identities (digest)",
    # One row per flag a case carries: the flag filter is an index look-up, not a LIKE scan.
    """CREATE TABLE IF NOT EXISTS {p}ledger_flags (
        flag TEXT NOT NULL, case_id TEXT NOT NULL, PRIMARY KEY (flag, case_id))""",
    # Every distinct pair of adjacent characters (bigram) of each case's search text: the text
    # search `q=` looks its rarest bigram up here instead of reading every case's text.
    """CREATE TABLE IF NOT EXISTS {p}ledger_grams (
        gram TEXT NOT NULL, case_id TEXT NOT NULL, PRIMARY KEY (gram, case_id)){rowless}""",
    CASE_STATE_TABLE,
    *HISTORY_TABLES,
)
LEDGER_DROPS = (
    "ledger_cases",
    "ledger_deadlines",
    "ledger_holdings",
    "ledger_actions",
    "ledger_identities",
    "ledger_case_states",
    "ledger_flags",
    "ledger_grams",
    *HISTORY,
)

CASE_COLUMNS = (
    "case_id number received_on registered_at channel category subject searchable petitioners "
    "location intake_unit_id unit_id leader_id handler_id status mode flags accused held "
    "sponsors repeat_count outcome dispositions satisfaction resolution closed_on accepted_on "
    "last_activity_on version updated_at sealed_text overdue_due"
).split()
"""`subject` and `location` are stored redacted of the petitioners; `sealed_text` holds them whole,
sealed (AES-GCM), for the viewers who may see the identity. `overdue_due` is the earliest due date
of the case's running obligations (current, not met, not paused; NULL if none): the case is
overdue on a day after it."""
DEADLINE_COLUMNS = (
    "case_id seq slot started_on rule length unit due_date provisional extended_days "
    "paused_since paused_days met_on end_kind met_unit_id met_handler_id met_leader_id current"
).split()
HOLDING_COLUMNS = "case_id seq unit_id handler_id leader_id ongoing by_id from_on to_on".split()
FLAG_COLUMNS = ("flag", "case_id")

TEMPORAL: dict[str, tuple[str, Sequence[str]]] = {
    "ledger_cases": ("ledger_cases_history", CASE_COLUMNS),
    "ledger_deadlines": ("ledger_deadlines_history", DEADLINE_COLUMNS),
    "ledger_holdings": ("ledger_holdings_history", HOLDING_COLUMNS),
    "ledger_flags": ("ledger_flags_history", FLAG_COLUMNS),
}
"""Each table kept temporally: its history table and its columns (the same, in order)."""


def bigrams(text: str) -> set[str]:
    """The distinct pairs of adjacent characters of `text` (ledger_grams).

    Two characters are the shortest common Chinese word (工资, 拆迁): a text holds a query of
    two characters or more only if it holds every bigram of it, so a bigram's cases are the
    candidates of a search, which the substring test then decides.
    """
    return {text[i : i + 2] for i in range(len(text) - 1)}
