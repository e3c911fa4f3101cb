"""Answers of reads kept rendered, by everything they depend on (issue 11).

A case's view and its history are fixed by the case's version, whether the viewer sees the
petitioner and (for the deadline levels of the case view) the county's date: two viewers of one
standing are shown the same bytes. So the JSON of such an answer is kept, under that key, in a
bounded table per process, and served again without decoding, masking or serialising anything.

What is not kept: who read. The access record of every read that shows restricted fields is
still saved, committed, before the answer is sent (`projections.disclosure.record`), and the
visibility check (404 for a case the viewer may not know) runs on every request before the
table is consulted. A new event gives the case a new version, hence a new key: nothing kept can
be stale, and the old entries fall out as the table fills.

A history is kept entry by entry instead (`trail`): its entries at one version are the first
entries of every later version, so when a case moves on only the new events are read from the
store and rendered, not all thirty again. What an entry's rendering depends on besides the event
is the viewer's standing (`projections.disclosure.entry_standing`): the trail is kept under it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app
from marshmallow import Schema

from projections.recent import Recent

EXTENSION = "xinfang_rendered"
COMPACT = (",", ":")
"""The separators of Flask's JSON answers (its provider's `response` outside debug mode)."""
EMPTY_EVENTS = '"events":[]'
CAPACITY = 4_096
"""Answers kept per process, and histories (a 30-event history is about 20 kB: at most about
80 MB)."""


class Rendered:
    """A bounded, thread-safe table of rendered JSON bodies, least recently used out first."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self._bodies: Recent[Hashable, bytes] = Recent(capacity)
        self._trails: Recent[Hashable, Trail] = Recent(capacity)
        self.hits = 0
        self.misses = 0
        self.entries_rendered = 0
        """History entries rendered (each once per standing while it stays in the table)."""

    def body(self, key: Hashable, render: Callable[[], bytes]) -> bytes:
        """The body kept under `key`, or `render()`'s, kept from now on."""
        found = self._bodies.get(key)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        made = render()
        self._bodies.put(key, made)
        return made

    def trail(
        self,
        key: Hashable,
        length: int,
        envelope: Callable[[], tuple[bytes, bytes]],
        render_after: Callable[[int], list[bytes]],
    ) -> tuple[tuple[bytes, bytes], tuple[bytes, ...]]:
        """The envelope and the first `length` entries of the history kept under `key`: those
        kept, then `render_after(n)` (the entries after the first n, up to `length`) for the
        rest; `envelope()` (the JSON before and after the entries) once per key."""
        kept = self._trails.get(key)
        if kept is not None and len(kept.entries) >= length:
            self.hits += 1
            return kept.envelope, kept.entries[:length]
        self.misses += 1
        if kept is None:
            kept = Trail(envelope(), ())
        fresh = render_after(len(kept.entries))
        self.entries_rendered += len(fresh)
        made = Trail(kept.envelope, (*kept.entries, *fresh))
        if len(made.entries) == length:  # one entry per version, as the store keeps them
            self._trails.put(key, made)
        return made.envelope, made.entries


@dataclass(frozen=True)
class Trail:
    """A history kept rendered: the JSON around its entries (its case's id and number, which
    never change), and its entries in version order."""

    envelope: tuple[bytes, bytes]
    entries: tuple[bytes, ...]


def install(app: Flask) -> None:
    """Give `app` its table."""
    app.extensions[EXTENSION] = Rendered()


def table() -> Rendered:
    """The current app's table."""
    found = current_app.extensions[EXTENSION]
    assert isinstance(found, Rendered)
    return found


def answer(
    key: Hashable, schema: Schema, view: Callable[[], Any], headers: dict[str, str]
) -> Response:
    """A 200 JSON answer: `schema` dumping `view()`, rendered once per `key`."""
    body = table().body(key, lambda: whole(schema, view()))
    return Response(body, mimetype="application/json", headers=headers)


def whole(schema: Schema, value: Any) -> bytes:
    """The body of `schema` dumping `value`, as Flask's JSON provider answers it."""
    response = current_app.json.response(schema.dump(value))
    return bytes(response.get_data())  # type: ignore[attr-defined]


def history(
    key: Hashable,
    schema: Schema,
    envelope: dict[str, Any],
    *,
    length: int,
    entries_after: Callable[[int], list[Any]],
    headers: dict[str, str],
) -> Response:
    """A 200 JSON answer: `schema` dumping `envelope` with its `events`, the first `length`
    entries of the history kept under `key` (`entries_after(n)`: the entry views after the
    first n, rendered and kept)."""
    json = current_app.json
    if current_app.debug or getattr(json, "compact", None) is False:
        # Indented answers (debug mode): rendered whole, as every other answer then is.
        body = whole(schema, {**envelope, "events": entries_after(0)})
        return Response(body, mimetype="application/json", headers=headers)
    entry_schema = schema.fields["events"].inner.schema  # type: ignore[attr-defined]

    def render_after(kept: int) -> list[bytes]:
        return [
            json.dumps(entry_schema.dump(entry), separators=COMPACT).encode()
            for entry in entries_after(kept)
        ]

    def around() -> tuple[bytes, bytes]:
        head = json.dumps(schema.dump({**envelope, "events": []}), separators=COMPACT)
        before, empty, after = head.partition(EMPTY_EVENTS)
        if not empty:
            raise RuntimeError(f"the history's envelope has no empty events list: {head[:200]}")
        return f'{before}"events":['.encode(), f"]{after}\n".encode()

    (before, after), entries = table().trail(key, length, around, render_after)
    body = b"".join((before, b",".join(entries), after))
    return Response(body, mimetype="application/json", headers=headers)
