"""The demo's runner: walks each plan through `Xinfang.execute`, in business-time order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from domain.application import Context
from domain.cases import LOCAL_TZ, Case, local_date
from domain.commands import Merge, RegisterCase
from domain.values import Channel
from scripts.demo.county import County
from scripts.demo.matters import RECENT_DAYS
from scripts.demo.plans import Later, Plan

HISTORY_DAYS = 240
"""How far back the demo cases reach (about eight months)."""


class Runner:
    """Executes plans through the application, in business-time order within each case."""

    def __init__(self, county: County) -> None:
        self.county = county
        self.app = county.app
        self.rng = county.rng
        self.now = county.app.clock()
        self.today = local_date(self.now)
        self.events = 0

    def _moment(self, day: date, after: datetime | None) -> datetime:
        """A time in office hours on `day`, later than `after`."""
        minutes = self.rng.randint(8 * 60 + 30, 17 * 60 + 30)
        moment = datetime.combine(day, time(minutes // 60, minutes % 60), LOCAL_TZ)
        if after is not None and moment <= after:
            moment = after + timedelta(minutes=self.rng.randint(5, 60))
        return moment

    def start_day(self, plan: Plan, earliest: date | None = None) -> date:
        """When the case is registered, so that it ends by yesterday."""
        latest = self.today - timedelta(days=1 + plan.total_days)
        first = earliest or self.today - timedelta(days=HISTORY_DAYS)
        if latest <= first:
            return max(latest, self.today - timedelta(days=HISTORY_DAYS + 120))
        recent = RECENT_DAYS.get(plan.target)
        span = (latest - first).days
        if recent is not None and self.rng.random() < 0.8:
            span = min(span, recent)
        return latest - timedelta(days=self.rng.randint(0, span))

    def run(self, plan: Plan, start: date) -> Case:
        """Register the case and walk it through its steps."""
        when = self._moment(start, None)
        registration = RegisterCase(**plan.register)
        outcome = self.app.execute(registration, Context(plan.clerk, occurred_at=when))
        self.events += 1
        case_id = outcome.case.id
        case = outcome.case
        day = start
        for step in plan.steps:
            day += timedelta(days=step.days)
            when = (
                when + timedelta(minutes=self.rng.randint(5, 90))
                if step.days == 0
                else self._moment(day, when)
            )
            when = min(when, self.now - timedelta(minutes=1))
            args = {k: v.make(when) if isinstance(v, Later) else v for k, v in step.args.items()}
            ctx = Context(step.actor, occurred_at=when, reason=step.reason)
            case = self.app.execute(step.command(case_id=case_id, **args), ctx).case
            self.events += 1 + (step.command is Merge)
        return case

    def merge(self, plan: Plan, targets: Sequence[Case]) -> Case:
        """Register a duplicate of an earlier case and merge it into that case."""
        c = self.county
        target = self.rng.choice(list(targets))
        first = local_date(target.registered_at) + timedelta(days=1)
        plan.register.update(
            channel=self.rng.choice([Channel.VISIT, Channel.PHONE, Channel.ONLINE]),
            category=target.category,
            subject=target.subject,
            content=f"再次反映：{target.content}",
            petitioners=list(target.petitioners[:1]),
            location=target.location,
            accused_unit_ids=list(target.accused_unit_ids),
            collective_size=None,
        )
        plan.add(
            self.rng.randint(1, 4),
            Merge,
            c.pick("dispatcher", "dispatcher2"),
            into_case_id=target.id,
        )
        return self.run(plan, self.start_day(plan, earliest=first))
