"""The SQL twin of domain/visibility.py: the same ties, as conditions on the ledger's case rows.

Each Tie of the domain rule has one SQL condition here over `ledger_cases` under the alias `c`
(every query joins it so); `case_filter` ORs the conditions of the ties CASE_TIES grants the
viewer's role, after hiding the cases that accuse the viewer's unit or a unit above it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any
from uuid import UUID

from domain.values import Actor
from domain.visibility import CASE_TIES, Standing, Tie, shows_identity
from projections.sql import Where, member, members, uuid_of
from projections.store import ViewStore

NO_UNIT = "-"
"""Stands in for a viewer without a unit: no stored id or list member equals it."""

Condition = Callable[[Actor], tuple[str, tuple[Any, ...]]]


def _unit(viewer: Actor) -> str:
    return viewer.unit_id.hex if viewer.unit_id is not None else NO_UNIT


def _every_case(viewer: Actor) -> tuple[str, tuple[Any, ...]]:
    return "1=1", ()


def _responsible_unit(viewer: Actor) -> tuple[str, tuple[Any, ...]]:
    return "COALESCE(c.unit_id, c.intake_unit_id) = ?", (_unit(viewer),)


def _holding_unit(viewer: Actor) -> tuple[str, tuple[Any, ...]]:
    return "c.held LIKE ?", (member(_unit(viewer)),)


def _sponsor(viewer: Actor) -> tuple[str, tuple[Any, ...]]:
    return "c.leader_id = ?", (viewer.id.hex,)


def _former_sponsor(viewer: Actor) -> tuple[str, tuple[Any, ...]]:
    return "c.sponsors LIKE ?", (member(viewer.id),)


TIE_SQL: Mapping[Tie, Condition] = {
    Tie.EVERY_CASE: _every_case,
    Tie.RESPONSIBLE_UNIT: _responsible_unit,
    Tie.HOLDING_UNIT: _holding_unit,
    Tie.SPONSOR: _sponsor,
    Tie.FORMER_SPONSOR: _former_sponsor,
}
"""One condition per tie of domain.visibility.ties, on the same facts of the case."""


def unaccused_filter(unit_lineage: Collection[UUID]) -> Where:
    """The rows of `ledger_cases c` that accuse none of `unit_lineage` (domain.visibility)."""
    where = Where()
    for unit_id in unit_lineage:
        where.add("c.accused NOT LIKE ?", member(unit_id))
    return where


def case_filter(viewer: Actor, unit_lineage: Collection[UUID]) -> Where:
    """The rows of `ledger_cases c` the viewer may know exist (domain.visibility.can_see)."""
    where = unaccused_filter(unit_lineage)
    granted = [tie for tie in Tie if tie in CASE_TIES.get(viewer.role, frozenset())]
    if Tie.EVERY_CASE in granted:
        return where
    if not granted:
        where.add("1=0")
        return where
    conditions = [TIE_SQL[tie](viewer) for tie in granted]
    where.add(
        " OR ".join(clause for clause, _ in conditions),
        *(param for _, params in conditions for param in params),
    )
    return where


def accusing(
    store: ViewStore, unit_lineage: Collection[UUID], case_ids: Collection[UUID]
) -> set[UUID]:
    """Those of `case_ids` that accuse one of `unit_lineage` (hidden there, whatever the role)."""
    if not unit_lineage or not case_ids:
        return set()
    where = unaccused_filter(unit_lineage)
    ids = sorted(case_id.hex for case_id in case_ids)
    rows = store.query(
        f"SELECT c.case_id FROM {{p}}ledger_cases c WHERE NOT ({where.sql}) "
        f"AND c.case_id IN ({','.join('?' for _ in ids)})",
        [*where.params, *ids],
    )
    return {UUID(row["case_id"]) for row in rows}


def row_standing(row: Mapping[str, Any]) -> Standing:
    """The standing of a case read from its ledger_cases row."""
    return Standing(
        responsible=uuid_of(row["unit_id"] or row["intake_unit_id"]),
        sponsor=uuid_of(row["leader_id"]),
        held=frozenset(UUID(u) for u in members(row["held"])),
        sponsors=frozenset(UUID(u) for u in members(row["sponsors"])),
        accused=frozenset(UUID(u) for u in members(row["accused"])),
    )


def row_shows_identity(viewer: Actor, row: Mapping[str, Any]) -> bool:
    """Whether the viewer sees this row's petitioners unmasked (domain.visibility)."""
    return shows_identity(viewer, row_standing(row))
