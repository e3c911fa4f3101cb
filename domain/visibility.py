"""Who may know a case exists, who sees its petitioner, whose figures one sees (domain.md §1, §7).

The rule is data: for each role, the ties to a case that let it see the case (CASE_TIES) and the
ties that let it see the petitioner's identity (IDENTITY_TIES). `ties` finds the ties between an
actor and a case; projections/visibility.py translates the same ties into SQL over the ledger, so
that the two cannot drift apart (tests/integration/test_visibility_contract.py runs both).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import Enum
from uuid import UUID

from domain.cases import Case
from domain.directory import UNIT_ROLES
from domain.errors import NO_SUCH_CASE, NotFoundError
from domain.values import Actor, Role

R = Role


class Tie(Enum):
    """A relationship between an actor and a case that the rule may grant sight on."""

    EVERY_CASE = "every_case"
    """Holds for every case (the role sees them all)."""
    RESPONSIBLE_UNIT = "responsible_unit"
    """The actor's unit is responsible for the case now (`unit_id`, else the intake unit)."""
    HOLDING_UNIT = "holding_unit"
    """The actor's unit holds or held the case."""
    SPONSOR = "sponsor"
    """The actor is the case's sponsoring leader 包案领导 now."""
    FORMER_SPONSOR = "former_sponsor"
    """The actor sponsors or sponsored the case."""


SEE_ALL = frozenset({R.CLERK, R.DISPATCHER, R.SUPERVISOR, R.AUDITOR})
"""Roles that see every case (except one accusing their unit)."""
IDENTITY_ROLES = frozenset({R.CLERK, R.DISPATCHER, R.SUPERVISOR, R.AUDITOR})
"""Roles shown the petitioner's identity on every case they see; also who may search by it."""
UNIT_STAFF = UNIT_ROLES
"""Roles that see cases through their unit."""

CASE_TIES: Mapping[Role, frozenset[Tie]] = {
    **{role: frozenset({Tie.EVERY_CASE}) for role in SEE_ALL},
    **{role: frozenset({Tie.RESPONSIBLE_UNIT, Tie.HOLDING_UNIT}) for role in UNIT_STAFF},
    # A leader sees the cases they sponsor or sponsored, whatever their unit holds.
    R.LEADER: frozenset({Tie.FORMER_SPONSOR}),
}
"""Ties that let each role see a case; a role not listed (the admin) sees none."""

IDENTITY_TIES: Mapping[Role, frozenset[Tie]] = {
    **{role: frozenset({Tie.EVERY_CASE}) for role in IDENTITY_ROLES},
    **{role: frozenset({Tie.RESPONSIBLE_UNIT}) for role in UNIT_STAFF},
    R.LEADER: frozenset({Tie.SPONSOR}),
}
"""Ties that show each role the petitioner unmasked (and an accusation's content)."""

OVERSEERS = frozenset({R.SUPERVISOR, R.AUDITOR, R.DISPATCHER})
"""Roles that see every unit's and every leader's scorecard (others: their own only)."""
AS_OF_READERS = OVERSEERS
"""Roles that may read the ledger views as of a past moment (`?as_of=`): it shows how the county
stood, which only steering and oversight need."""
BULLETIN_READERS = OVERSEERS
"""Roles that may read monthly bulletins: the bulletin ranks every unit."""
ACTIVITY_READERS = frozenset({R.AUDITOR, R.SUPERVISOR})
"""Roles that see what any person did on cases (others: what they did themselves)."""
ACCOUNTABILITY_READERS = frozenset(Role) - {R.ADMIN}
"""Roles that may open the accountability views (each then filtered by the rules above)."""


@dataclass(frozen=True)
class Standing:
    """What the rule reads of a case: the same facts from the aggregate or from a ledger row."""

    responsible: UUID | None
    sponsor: UUID | None
    held: frozenset[UUID] = frozenset()
    sponsors: frozenset[UUID] = frozenset()
    accused: frozenset[UUID] = frozenset()

    @classmethod
    def of(cls, case: Case) -> Standing:
        """The standing of a case aggregate."""
        return cls(
            responsible=case.unit_id if case.unit_id is not None else case.intake_unit_id,
            sponsor=case.leader_id,
            held=frozenset(case.held_unit_ids),
            sponsors=frozenset(case.sponsor_ids),
            accused=frozenset(case.accused_unit_ids),
        )


def ties(actor: Actor, standing: Standing) -> frozenset[Tie]:
    """Every tie between the actor and the case."""
    found = {Tie.EVERY_CASE}
    unit = actor.unit_id
    if unit is not None and unit == standing.responsible:
        found.add(Tie.RESPONSIBLE_UNIT)
    if unit is not None and unit in standing.held:
        found.add(Tie.HOLDING_UNIT)
    if actor.id == standing.sponsor:
        found.add(Tie.SPONSOR)
    if actor.id in standing.sponsors:
        found.add(Tie.FORMER_SPONSOR)
    return frozenset(found)


def accused_in(standing: Standing, unit_lineage: Collection[UUID]) -> bool:
    """Whether the case accuses one of `unit_lineage` (the actor's unit and those above it)."""
    return not standing.accused.isdisjoint(unit_lineage)


def visible(actor: Actor, standing: Standing, unit_lineage: Collection[UUID]) -> bool:
    """Whether a case of this standing exists for the actor (others get 404)."""
    if accused_in(standing, unit_lineage):
        return False
    return not CASE_TIES.get(actor.role, frozenset()).isdisjoint(ties(actor, standing))


def shows_identity(actor: Actor, standing: Standing) -> bool:
    """Whether the actor is shown the petitioner of a case of this standing unmasked."""
    return not IDENTITY_TIES.get(actor.role, frozenset()).isdisjoint(ties(actor, standing))


def is_accused(case: Case, unit_lineage: Collection[UUID]) -> bool:
    """Whether the actor's unit (or a unit above it) is accused by the case."""
    return accused_in(Standing.of(case), unit_lineage)


def can_see(actor: Actor, case: Case, unit_lineage: Collection[UUID]) -> bool:
    """Whether the case exists for this actor at all (others get 404)."""
    return visible(actor, Standing.of(case), unit_lineage)


def require_visible(actor: Actor, case: Case, unit_lineage: Collection[UUID]) -> None:
    """Raise NotFoundError for a case the actor may not know exists."""
    if not can_see(actor, case, unit_lineage):
        raise NotFoundError(NO_SUCH_CASE)


def sees_identity(actor: Actor, case: Case) -> bool:
    """Whether the petitioner's identity is shown unmasked to this actor."""
    return shows_identity(actor, Standing.of(case))


def sees_unit_figures(viewer: Actor, unit_id: UUID) -> bool:
    """Whether the viewer sees a unit's scorecard: overseers every unit's, staff their own."""
    return viewer.role in OVERSEERS or viewer.unit_id == unit_id


def sees_leader_figures(viewer: Actor, leader_id: UUID) -> bool:
    """Whether the viewer sees a leader's scorecard: overseers anyone's, a leader their own."""
    return viewer.role in OVERSEERS or viewer.id == leader_id


def sees_activity_of(viewer: Actor, user_id: UUID) -> bool:
    """Whether the viewer sees a person's actions: activity readers anyone's, others their own."""
    return viewer.role in ACTIVITY_READERS or viewer.id == user_id
