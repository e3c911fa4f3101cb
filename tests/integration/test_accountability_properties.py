"""For every sequence of commands at any business times, a missed deadline stays missed.

A hypothesis state machine drives random commands, each as someone who may issue it, at random
business times moving forward, through the application on SQLite and PostgreSQL. After every
step it checks, for every clock of every case it made (docs/accountability.md):
- a deadline once missed never becomes met, stopped or open again, and stays in the case;
- every ended clock has exactly one end kind and names who held the case; a running one none;
- a paused clock is shown paused, never overdue; a window is never overdue;
- a refused command records nothing;
- every missed deadline is in the overdue list (the historical record), attributed to a unit;
- a month's unit scorecards count exactly the deadlines due in that month (docs/accountability.md
  §6: due in [first, cutoff], not stopped before due, not paused);
- at the end, rebuilding the views from the log gives the views kept live.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any, get_type_hints
from uuid import UUID

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.application import Context, Xinfang
from domain.cases import Case, local_date
from domain.commands import BY_VERB, CaseCommand, Ref, RegisterCase
from domain.deadlines import level
from domain.errors import DomainError
from domain.values import WINDOWS, Deadline, Level, Petitioner
from projections.accountability import HISTORY
from projections.bootstrap import Services
from projections.scorecards import month_bounds
from tests.conftest import County
from tests.integration.helpers_read import PERSON, snapshot

MISSED = frozenset({Level.OVERDUE, Level.SEVERELY_OVERDUE, Level.MISSED, Level.MET_LATE})
"""The levels of a deadline that was not met in time: once in here, it stays in here."""

ACTORS = ("clerk", "dispatcher", "head", "handler", "leader", "supervisor", "labour_head")
"""Who the machine tries a command as (the first one allowed acts)."""

ONWARD = frozenset(
    {
        "forward",
        "assign",
        "accept",
        "start_work",
        "extend",
        "respond",
        "submit_report",
        "approve_report",
        "reassign",
        "request_review",
        "decide_review",
        "request_recheck",
        "hearing",
        "decide_recheck",
        "close",
        "notify_petitioner",
        "withdraw",
    }
)
"""Commands that carry a case on through its life (drawn more often, so lives get long)."""

START = datetime.now().astimezone() - timedelta(days=400)
"""Business time of the first step; steps move forward from here, never past now."""


def clock_identities(case: Case) -> dict[tuple[str, str, int], Deadline]:
    """Every clock of a case, past and current, under a stable identity."""
    seen: dict[tuple[str, str], int] = {}
    found = {}
    for clock in [*case.past_deadlines, *case.deadlines.values()]:
        key = (clock.name, clock.started_on.isoformat())
        n = seen.get(key, 0)
        seen[key] = n + 1
        found[(*key, n)] = clock
    return found


def arguments_for(
    command: type[CaseCommand],
    county: County,
    data: st.DataObject,
    when: datetime,
    cases: list[UUID],
) -> dict[str, Any]:
    """Arguments for a command: references to the county's records, examples otherwise."""
    hints = get_type_hints(command)
    people = {
        Ref.UNIT: ["housing", "labour"],
        Ref.UNIT_STAFF: ["handler", "handler2", "labour_handler"],
        Ref.LEADER: ["leader", "leader2"],
        Ref.PERSON: ["handler", "leader"],
    }
    arguments: dict[str, Any] = {}
    for spec in fields(command):
        if spec.name == "case_id":
            continue
        refers = spec.metadata.get("refers")
        if refers is Ref.UNIT:
            arguments[spec.name] = county.units[data.draw(st.sampled_from(people[Ref.UNIT]))]
        elif refers is Ref.CASE:
            arguments[spec.name] = data.draw(st.sampled_from(cases))
        elif refers in people:
            key = data.draw(st.sampled_from(people[refers]))
            arguments[spec.name] = county.actors[key].id
        elif hints[spec.name] is datetime:
            arguments[spec.name] = when
        elif spec.metadata.get("example") is not None:
            arguments[spec.name] = spec.metadata["example"]
        elif spec.name == "due_date" or "date" in str(hints[spec.name]):
            arguments[spec.name] = local_date(when) + timedelta(days=data.draw(st.integers(5, 40)))
    if "petitioners" in arguments:
        arguments["petitioners"] = [Petitioner(name="张三", phone="13812345678")]
    return arguments


class Office(RuleBasedStateMachine):
    """The office at work on a handful of cases, over a year of business time."""

    services: Services
    county: County

    def __init__(self) -> None:
        super().__init__()
        self.app: Xinfang = self.services.app
        self.when = START
        self.cases: list[UUID] = []
        self.missed: set[tuple[UUID, tuple[str, str, int]]] = set()

    @initialize()
    def register_first_case(self) -> None:
        """Every run starts with one registered case."""
        self.register()

    def register(self) -> None:
        """Register a case at the current business time."""
        registration = RegisterCase(
            channel=RegisterCase.__dataclass_fields__["channel"].metadata["example"],
            category=RegisterCase.__dataclass_fields__["category"].metadata["example"],
            subject="拖欠农民工工资",
            content="某建筑工地拖欠工资三个月。",
            petitioners=[PERSON],
        )
        ctx = Context(self.county.actors["clerk"], occurred_at=self.when)
        self.cases.append(self.app.execute(registration, ctx).case.id)

    @rule(days=st.integers(0, 3))
    def another_petition_arrives(self, days: int) -> None:
        """A new case is registered some days on."""
        if len(self.cases) < 3:
            self.advance(days)
            self.register()

    @rule(pick=st.integers(0, 10), days=st.integers(0, 45), data=st.data())
    def someone_acts(self, pick: int, days: int, data: st.DataObject) -> None:
        """Some days on, someone tries a command its status allows on one of the cases."""
        self.advance(days)
        case_id = self.cases[pick % len(self.cases)]
        before = self.app.repository.get(case_id)
        allowed = sorted(v for v, c in BY_VERB.items() if before.status in c.allowed_in)
        onward = [v for v in allowed if v in ONWARD] or allowed
        verbs = data.draw(st.sampled_from([onward, onward, onward, allowed]))
        declaration = BY_VERB[data.draw(st.sampled_from(verbs))]
        command = declaration(
            case_id=case_id, **arguments_for(declaration, self.county, data, self.when, self.cases)
        )
        for who in ACTORS:
            ctx = Context(self.county.actors[who], occurred_at=self.when, reason="按规定办理")
            try:
                self.app.execute(command, ctx)
            except DomainError:
                after = self.app.repository.get(case_id)
                assert after.version == before.version, "a refused command recorded something"
                continue
            return

    def advance(self, days: int) -> None:
        """Move business time on, never past now."""
        latest = datetime.now().astimezone() - timedelta(minutes=1)
        self.when = min(self.when + timedelta(days=days, hours=1), latest)

    @invariant()
    def missed_deadlines_stay_missed(self) -> None:
        """Once missed, a deadline never shows as met in time, stopped, paused or open."""
        today = local_date(self.when)
        for case_id in self.cases:
            case: Case = self.app.repository.get(case_id)
            clocks = clock_identities(case)
            for identity in [i for c, i in self.missed if c == case_id]:
                assert identity in clocks, "a missed deadline left the case"
            for identity, clock in clocks.items():
                shown = level(clock, today)
                if (case_id, identity) in self.missed:
                    assert shown in MISSED, (identity, clock, shown)
                elif shown in MISSED:
                    self.missed.add((case_id, identity))

    @invariant()
    def every_missed_deadline_is_in_the_overdue_record(self) -> None:
        """The overdue list holds every deadline ever missed, with who answers for it."""
        today = local_date(self.when)
        listed = {
            (item["case_id"], item["slot"], item["started_on"]): item
            for item in self.services.accountability.deadline_watch(
                self.county.actors["auditor"], today, levels=HISTORY
            )
        }
        for case_id, (slot, started_on, _) in self.missed:
            item = listed.get((case_id, slot, started_on))
            assert item is not None, (case_id, slot, started_on)
            assert item["unit_id"] is not None, item

    @invariant()
    def a_months_scorecards_count_the_deadlines_due_in_it(self) -> None:
        """The month's cards count exactly the office's clocks due in it (none twice, none lost)."""
        today = local_date(self.when)
        month = f"{today.year:04d}-{today.month:02d}"
        first, last = month_bounds(month)
        cutoff = min(last, today - timedelta(days=1))
        due = 0
        # The instance is shared by the examples: count every case it holds, as the cards do.
        years = range(START.year, datetime.now().year + 1)
        every_case = [case_id for year in years for case_id in self.app.iter_case_ids(year)]
        for case_id in every_case:
            case: Case = self.app.repository.get(case_id)
            for clock in clock_identities(case).values():
                if clock.rule in WINDOWS or not first <= clock.due_date <= cutoff:
                    continue
                shown = level(clock, today)
                if shown is Level.STOPPED or (clock.running and shown is Level.PAUSED):
                    continue
                due += 1
        cards = self.services.accountability.unit_scorecards(
            self.county.actors["auditor"], month, today
        )
        assert sum(card["deadlines_due"] for card in cards) == due

    def teardown(self) -> None:
        """Rebuilding every view from the log gives the views kept live."""
        live = snapshot(self.services)
        self.services.runner.rebuild()
        assert snapshot(self.services) == live

    @invariant()
    def every_clock_ends_in_exactly_one_way(self) -> None:
        """An ended clock has one end kind and a holder; a running clock has neither."""
        today = local_date(self.when)
        for case_id in self.cases:
            case: Case = self.app.repository.get(case_id)
            for clock in clock_identities(case).values():
                ended = clock.met_on is not None
                assert ended == (clock.ended_by is not None) == (clock.met_by is not None), clock
                shown = level(clock, today)
                if clock.rule in WINDOWS:
                    assert shown not in {Level.OVERDUE, Level.SEVERELY_OVERDUE}, clock
                if not ended and clock.paused_since is not None:
                    assert shown is Level.PAUSED, clock


@pytest.mark.slow
def test_missed_deadlines_stay_missed_for_every_sequence_of_commands(
    services: Services, county: County
) -> None:
    machine = type("OfficeOn" + services.settings.dialect.title(), (Office,), {})
    machine.services = services
    machine.county = county
    machine.TestCase.settings = settings(
        max_examples=15,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    machine.TestCase().runTest()
