"""Display names of units and users, looked up once per request (units' and users' once per
process: their names never change)."""

from __future__ import annotations

from uuid import UUID
from weakref import WeakKeyDictionary

from eventsourcing.application import AggregateNotFoundError

from domain.application import Xinfang
from domain.directory import Unit, User

_FIXED: WeakKeyDictionary[Xinfang, dict[str, str]] = WeakKeyDictionary()
"""Per application: names of units and users seen so far, by hex id. A unit's or a user's name is
set by its creation event and no event changes it, so a name once read stays right for the life of
the process (a ledger page names ~40 of them: loading each from the event store on every page was
most of the page's time)."""


class Names:
    """Display names of units and users by stored (hex) id, each looked up once."""

    def __init__(self, app: Xinfang) -> None:
        self.app = app
        self._cache: dict[str, str | None] = {}
        self._fixed = _FIXED.setdefault(app, {})

    def _name(self, hex_id: str | None) -> str | None:
        if not hex_id:
            return None
        if hex_id not in self._cache:
            fixed = self._fixed.get(hex_id)
            if fixed is not None:
                self._cache[hex_id] = fixed
                return fixed
            try:
                item: object = self.app.repository.get(UUID(hex_id))
                name = getattr(item, "name", None)
                self._cache[hex_id] = name
                if isinstance(item, Unit | User) and isinstance(name, str):
                    self._fixed[hex_id] = name
            except AggregateNotFoundError:
                self._cache[hex_id] = None
        return self._cache[hex_id]

    def unit(self, hex_id: str | None) -> str | None:
        """A unit's name."""
        return self._name(hex_id)

    def user(self, hex_id: str | None) -> str | None:
        """A user's name."""
        return self._name(hex_id)
