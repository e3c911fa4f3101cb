"""A synthetic county for demonstrations: units, staff, and cases in every status.

Everything goes through the application's own use cases, as a real office would have entered it:
each case is walked through time in order with business times (`occurred_at`) in the past, so the
deadlines, ledgers and accountability views have something true to show. The same seed on the
same day gives the same county.

The package, by concept: `people` and `matters` (the county's tables), `county` (its directory,
petitioners and places), `plans`, `planner` and `handling` (what each case's life will be), and
`runner` (walking plans through `Xinfang.execute`). The entry points are here.
"""

from __future__ import annotations

import contextlib
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from domain import deadlines
from domain.application import Xinfang
from domain.cases import Case, local_date
from domain.directory import SYSTEM_ACTOR
from domain.values import TERMINAL_STATUSES, Level, Role, Rule, Status
from scripts.demo.county import County
from scripts.demo.matters import STATUS_WEIGHTS
from scripts.demo.people import LOGINS
from scripts.demo.planner import Planner
from scripts.demo.plans import Plan
from scripts.demo.registers import RegisterReport, populate_registers
from scripts.demo.runner import Runner

__all__ = [
    "BULK_BATCH",
    "OFFICE_DUTIES",
    "County",
    "Login",
    "Plan",
    "Planner",
    "Report",
    "Runner",
    "fresh_logins",
    "has_cases",
    "is_overdue",
    "populate",
    "run_one",
    "statuses_for",
]

OFFICE_DUTIES = frozenset(
    set(Rule) - {Rule.OBJECT_5WD, Rule.REVIEW_WINDOW_30, Rule.RECHECK_WINDOW_30}
)
"""Deadlines the office must meet (the others are windows for the unit or the petitioner)."""

BULK_BATCH = 250
"""Cases per transaction in bulk mode."""
CONVERTED_EVERY = 20
"""One demo case in this many began as a risk of the register, converted into the case."""
RISK_EVERY = 5
RISKS_MIN = 12
"""The demo register has one risk per RISK_EVERY cases, and at least RISKS_MIN."""


@dataclass(frozen=True)
class Login:
    """A person to sign in as, with a fresh token."""

    role: Role
    name: str
    unit: str
    token: str


@dataclass
class Report:
    """What `populate` did."""

    units: int = 0
    users: int = 0
    statuses: Counter[Status] = field(default_factory=Counter)
    events: int = 0
    overdue_cases: int = 0
    logins: list[Login] = field(default_factory=list)
    registers: RegisterReport = field(default_factory=RegisterReport)
    """The risk register and the campaign (scripts/demo/registers.py)."""


def statuses_for(count: int, rng: random.Random) -> list[Status]:
    """`count` target statuses: every status once first (as far as count allows), then weighted."""
    every = [s for s in Status if count > 1 or s is not Status.MERGED]
    rng.shuffle(every)
    chosen = every[:count]
    if count > len(chosen):
        chosen += rng.choices(
            list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()), k=count - len(chosen)
        )
    if count == 1 and chosen == [Status.MERGED]:
        chosen = [Status.CLOSED]
    return chosen


def has_cases(app: Xinfang) -> bool:
    """Whether any case was ever registered in this instance."""
    topic = f"{Case.Registered.__module__}:{Case.Registered.__qualname__}"
    return bool(app.recorder.select_notifications(None, 1, topics=[topic]))


def populate(
    app: Xinfang,
    *,
    cases: int = 300,
    seed: int = 2026,
    progress: Callable[[int], None] | None = None,
    bulk: bool = False,
) -> Report:
    """Add the demo county and `cases` cases to an instance; returns what was done.

    With `bulk`, the same use cases run in batches of BULK_BATCH cases, each saved in one
    transaction (see `Xinfang.batch`): far fewer round trips, the same events.
    """
    rng = random.Random(seed)
    county = County(app, rng)
    county.build()
    planner = Planner(county)
    runner = Runner(county)
    report = Report(units=len(county.units), users=len(county.people))
    # Some of the `cases` are risks of the register converted into cases (scripts/demo/registers).
    conversions = cases // CONVERTED_EVERY
    plans = [planner.plan(status) for status in statuses_for(cases - conversions, rng)]
    # Duplicates come last: they are merged into cases that exist by then.
    plans.sort(key=lambda p: p.target is Status.MERGED)
    done: list[Case] = []
    targets = MergeTargets(runner.today)
    batches = [plans[i : i + BULK_BATCH] for i in range(0, len(plans), BULK_BATCH)]
    for batch in batches if bulk else [plans]:
        with app.batch() if bulk else contextlib.nullcontext():
            for plan in batch:
                # One by one: a duplicate is merged into a case done before it, in any batch.
                done.append(run_one(runner, plan, done, targets))
                if progress is not None:
                    progress(1)
    final = {case.id: case for case in done}
    for case in done:
        if case.merged_into in final:
            final[case.merged_into] = app.repository.get(case.merged_into)
    # The registers beside the cases, by their own generator (the cases stay as they were).
    report.registers = populate_registers(
        county,
        random.Random(seed + 1),
        runner.today,
        list(final.values()),
        count=max(RISKS_MIN, cases // RISK_EVERY),
        conversions=conversions,
    )
    report.statuses = Counter(case.status for case in final.values())
    report.events = runner.events
    report.overdue_cases = sum(1 for case in final.values() if is_overdue(case, runner.today))
    report.logins = [
        Login(role, county.people[key].name, _unit_of(county, key), county.tokens[key])
        for key, _, role in LOGINS
    ]
    return report


class MergeTargets:
    """The cases done so far that a duplicate may be merged into: open (or closed) and
    registered more than a week before the demo's today. Kept as `done` grows: scanning it
    whole for every duplicate made a county of 100,000 cases quadratic (hours)."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.seen = 0
        self.cases: list[Case] = []

    def among(self, done: Sequence[Case]) -> list[Case]:
        """The eligible cases of `done`, in its order (its earlier cases never change)."""
        for case in done[self.seen :]:
            if (
                case.status not in TERMINAL_STATUSES or case.status is Status.CLOSED
            ) and local_date(case.registered_at) < self.today - timedelta(days=8):
                self.cases.append(case)
        self.seen = len(done)
        return self.cases


def run_one(runner: Runner, plan: Plan, done: Sequence[Case], targets: MergeTargets) -> Case:
    """Walk one plan; a duplicate is merged into an earlier case still able to take it."""
    if plan.target is Status.MERGED:
        eligible = targets.among(done)
        if eligible:
            return runner.merge(plan, eligible)
    return runner.run(plan, runner.start_day(plan))


def is_overdue(case: Case, today: date) -> bool:
    """Whether an open case has missed one of the office's own deadlines by `today`."""
    if case.status in TERMINAL_STATUSES:
        return False
    return any(
        d.rule in OFFICE_DUTIES
        and deadlines.level(d, today) in {Level.OVERDUE, Level.SEVERELY_OVERDUE}
        for d in case.deadlines.values()
    )


def _unit_of(county: County, key: str) -> str:
    unit_id = county.people[key].unit_id
    names = {uid: county.unit_names[k] for k, uid in county.units.items()}
    return names.get(unit_id, "-") if unit_id else "-"


def fresh_logins(app: Xinfang) -> list[Login]:
    """New tokens for the demo's sign-in people, if the instance has them.

    Their earlier tokens are revoked: each run prints the only tokens of these people that
    still sign in, so tokens printed by earlier runs do not pile up valid.
    """
    names = {unit.id: unit.name for unit in app.units()}
    found = {(u.name, u.role): u for u in app.users(SYSTEM_ACTOR) if u.active}
    logins = []
    for _, name, role in LOGINS:
        user = found.get((name, role))
        if user is not None:
            issued = app.issue_token(SYSTEM_ACTOR, user.id, reason=DEMO_REASON)
            app.revoke_tokens(SYSTEM_ACTOR, user.id, keep=issued.token_id, reason=DEMO_REASON)
            unit = names.get(user.unit_id, "-") if user.unit_id else "-"
            logins.append(Login(role, user.name, unit, issued.token))
    return logins


DEMO_REASON = "xinfang demo：重新签发演示账号的令牌，此前的令牌作废"
"""Why the demo issues and revokes tokens (recorded on the events)."""
