"""Display names of units and users, looked up once per request."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.application import Xinfang


class Names:
    """Display names of units and users by stored (hex) id, each looked up once."""

    def __init__(self, app: Xinfang) -> None:
        self.app = app
        self._cache: dict[str, str | None] = {}

    def _name(self, hex_id: str | None) -> str | None:
        if not hex_id:
            return None
        if hex_id not in self._cache:
            try:
                item: object = self.app.repository.get(UUID(hex_id))
                self._cache[hex_id] = getattr(item, "name", None)
            except AggregateNotFoundError:
                self._cache[hex_id] = None
        return self._cache[hex_id]

    def unit(self, hex_id: str | None) -> str | None:
        """A unit's name."""
        return self._name(hex_id)

    def user(self, hex_id: str | None) -> str | None:
        """A user's name."""
        return self._name(hex_id)
