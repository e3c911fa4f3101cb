"""The ledger views kept temporally: each row with the log positions between which it held.

`as_of` asks the same queries as the live ledger, over the rows that held at the log position
of the moment (docs/read-side.md, "as_of: views kept temporally"): no replay of the log.

- `versions` turns a row's successive states into the history's writes (which open rows to
  close at which position, which row versions to add), for the ledger projection.
- `AsOfStore` is a read-only ViewStore whose ledger tables are those rows: every statement that
  names `{p}ledger_cases` (deadlines, holdings, flags, actions) reads, in its place, the rows of
  its history that held at the position. The `Ledger` and `Accountability` queries run over it
  unchanged, visibility and masking included.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from projections.ledger_tables import TEMPORAL
from projections.store import ViewStore

Key = TypeVar("Key", bound=Hashable)

APPENDED = {"ledger_actions": "position"}
"""Tables that only grow, each with the column holding the log position of its row's event."""

_TABLE = re.compile(r"\{p\}(\w+)(\s+(?:AS\s+)?(\w+))?")
_KEYWORDS = frozenset(
    "WHERE JOIN ON GROUP ORDER LIMIT LEFT INNER USING UNION SET VALUES AND OR".split()
)


def versions(
    previous: Mapping[Key, tuple[Any, ...]],
    states: Sequence[tuple[int, Mapping[Key, tuple[Any, ...]]]],
) -> tuple[list[tuple[int, Key]], list[list[Any]]]:
    """The history writes of one row set (one case's deadlines, flags...) going through `states`.

    `previous` holds the rows open in the history (valid_to NULL) by key; `states` the row set
    after each event, with the event's log position, in log order. Returns the open rows to
    close (the position, the key) and the row versions to add (the values, valid_from,
    valid_to: None while the version still holds at the last state). A row unchanged from one
    state to the next keeps its version.
    """
    open_rows: dict[Key, tuple[tuple[Any, ...], list[Any] | None]] = {
        key: (values, None) for key, values in previous.items()
    }
    closes: list[tuple[int, Key]] = []
    added: list[list[Any]] = []
    for position, rows in states:
        for key in [*open_rows, *(k for k in rows if k not in open_rows)]:
            old, new = open_rows.get(key), rows.get(key)
            if old is not None and new is not None and tuple(old[0]) == tuple(new):
                continue
            if old is not None:
                if old[1] is None:
                    closes.append((position, key))
                else:
                    old[1][-1] = position
                del open_rows[key]
            if new is not None:
                record = [*new, position, None]
                added.append(record)
                open_rows[key] = (tuple(new), record)
    return closes, added


def held_at(history: str, columns: Sequence[str], position: int) -> str:
    """The rows of `history` that held at log `position`, with the live table's columns."""
    return (
        f"(SELECT {', '.join(columns)} FROM {{p}}{history} WHERE valid_from <= {int(position)} "
        f"AND (valid_to IS NULL OR valid_to > {int(position)}))"
    )


class AsOfStore(ViewStore):
    """The ledger views as they stood at a log position, read from their history (read only).

    Shares the live store's connections. A statement naming a view table that is kept neither
    temporally nor by position is refused (it would read the live rows).
    """

    stored = False

    def __init__(self, live: ViewStore, position: int) -> None:
        super().__init__(live.recorder, live.dialect)
        self.live = live
        self.at = position
        """The log position the views are read at."""

    def sql(self, statement: str) -> str:
        """`statement` with every ledger table replaced by its rows as of the position."""
        return super().sql(_TABLE.sub(self._table, statement))

    def _table(self, match: re.Match[str]) -> str:
        name, alias = match[1], match[3]
        follows = match[2] or ""
        if alias is not None and alias.upper() in _KEYWORDS:
            alias, follows = None, match[2]
        else:
            follows = ""
        if name in TEMPORAL:
            history, columns = TEMPORAL[name]
            rows = held_at(history, columns, self.at)
        elif name in APPENDED:
            rows = f"(SELECT * FROM {{p}}{name} WHERE {APPENDED[name]} <= {int(self.at)})"
        else:
            msg = f"the view table {name} is not kept temporally: it cannot be read as of a moment"
            raise ValueError(msg)
        return f"{rows} AS {alias or name}{follows}"

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """Refused: the past is not written."""
        msg = "the views as of a past moment are read only"
        raise ValueError(msg)
        yield  # pragma: no cover

    def close(self) -> None:
        """Nothing of its own to release (the live store's connections are shared)."""
