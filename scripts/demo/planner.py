"""The demo's planner: with the seeded generator, how each case goes, from its registration to
the status it is meant to end in."""

from __future__ import annotations

from domain.commands import (
    Accept,
    Assign,
    DecideObjection,
    Divert,
    Extend,
    Forward,
    NotAccept,
    Object,
    SetFlag,
    StartWork,
    Withdraw,
)
from domain.values import Category, Channel, Flag, NoticeKind, Status
from scripts.demo.county import County
from scripts.demo.handling import Handling
from scripts.demo.matters import (
    CHANNELS,
    EXTENSION_REASONS,
    NOT_ACCEPTED_REASONS,
    TOPICS,
    TOWNSHIP,
)
from scripts.demo.people import COMPANIES, SCHOOLS, TOWNSHIPS
from scripts.demo.plans import Plan, PlanWriter, days_after


class Planner(PlanWriter):
    """Decides, with the seeded generator, how each case goes."""

    def __init__(self, county: County) -> None:
        super().__init__(county)
        # The stages once a unit holds the case; they draw from the same generator.
        self.handling = Handling(county)

    def plan(self, target: Status) -> Plan:
        """A plan that ends in `target`."""
        c = self.county
        rng = self.rng
        topic = rng.choices(TOPICS, weights=[t.weight for t in TOPICS])[0]
        township, location, place_text = c.place(topic)
        people = [c.person(township, rng.choice(TOWNSHIPS[township]))]
        collective_size = None
        if topic.collective and self.chance(0.35):
            collective_size = rng.randint(5, 60)
            people += [c.person(township, rng.choice(TOWNSHIPS[township])) for _ in range(2)]
        elif self.chance(0.1):
            people.append(c.person(township, rng.choice(TOWNSHIPS[township])))
        content = topic.content.format(
            place=place_text,
            company=rng.choice(COMPANIES),
            count=collective_size or rng.randint(3, 30),
            amount=rng.randint(3, 90),
            year=rng.randint(2016, 2023),
            school=rng.choice(SCHOOLS),
        )
        units = [township if u == TOWNSHIP else u for u in topic.units]
        direct = (
            "chengguan" in units
            and topic.accused is None
            and target not in {Status.FORWARDED, Status.ASSIGNED, Status.REPORT_SUBMITTED}
            and self.chance(0.3)
        )
        clerk = c.people["clerk_cg"] if direct else c.pick("clerk", "clerk2")
        channel = rng.choices([ch for ch, _ in CHANNELS], weights=[w for _, w in CHANNELS])[0]
        plan = Plan(
            target=target,
            topic=topic,
            clerk=clerk,
            register={
                "channel": channel,
                "category": topic.category,
                "subject": topic.subject,
                "content": content,
                "petitioners": people,
                "location": location,
                "accused_unit_ids": [c.units[topic.accused]] if topic.accused else [],
                "collective_size": collective_size,
            },
        )
        self._intake(plan, channel)
        if target is Status.MERGED:
            return plan
        if target is Status.REGISTERED:
            self.maybe_repeat(plan)
        elif target is Status.DIVERTED:
            plan.add(
                self.days(1, 6),
                Divert,
                c.pick("dispatcher", "dispatcher2"),
                target=topic.divert_to,
            )
        elif target is Status.NOT_ACCEPTED:
            if self.chance(0.4):
                self._route(plan, units, assign=False)
            plan.add(
                self.days(1, 5),
                NotAccept,
                c.pick("dispatcher", "dispatcher2"),
                rng.choice(NOT_ACCEPTED_REASONS),
            )
            self.notice(plan, NoticeKind.NOT_ACCEPTED, 0.7)
        else:
            self._handle(plan, units, direct)
        return plan

    # -- stages ----------------------------------------------------------------------------------
    def _intake(self, plan: Plan, channel: Channel) -> None:
        c = self.county
        self.notice(plan, NoticeKind.RECEIPT, 0.9, by=plan.clerk)
        if channel in {Channel.TRANSFERRED_FROM_ABOVE, Channel.LEADER_RECEPTION} and self.chance(
            0.5
        ):
            plan.add(0, SetFlag, c.pick("dispatcher", "dispatcher2"), flag=Flag.SKIP_LEVEL, on=True)
        if self.chance(0.03):
            plan.add(0, SetFlag, c.pick("dispatcher", "dispatcher2"), flag=Flag.URGENT, on=True)
        if plan.topic.category is Category.ACCUSATION and self.chance(0.5):
            plan.add(0, SetFlag, c.pick("supervisor", "supervisor2"), flag=Flag.SENSITIVE, on=True)

    def _route(self, plan: Plan, units: list[str], *, assign: bool) -> str:
        """Forward or assign the case; sometimes the unit objects first."""
        c = self.county
        dispatcher = c.pick("dispatcher", "dispatcher2")
        unit = units[0] if self.chance(0.7) else self.rng.choice(units)
        if assign:
            due = self.rng.choice((30, 45, 60))
            plan.add(
                self.days(1, 6),
                Assign,
                dispatcher,
                unit_id=c.units[unit],
                due_date=days_after(due),
            )
        else:
            plan.add(self.days(1, 6), Forward, dispatcher, unit_id=c.units[unit])
        others = [u for u in units if u != unit]
        if not assign and others and self.chance(0.12):
            other = others[0]
            plan.add(
                self.days(1, 2),
                Object,
                c.head(unit),
                f"该事项属于{c.unit_names[other]}职责范围，请重新分办",
            )
            plan.add(self.days(1, 2), DecideObjection, dispatcher, upheld=True)
            plan.add(self.days(0, 2), Forward, dispatcher, unit_id=c.units[other])
            unit = other
        plan.unit = unit
        return unit

    def _handle(self, plan: Plan, units: list[str], direct: bool) -> None:
        """From routing to the target status."""
        c = self.county
        rng = self.rng
        target = plan.target
        assign = target in {Status.ASSIGNED, Status.REPORT_SUBMITTED} or (
            target not in {Status.FORWARDED} and not direct and self.chance(0.15)
        )
        if direct:
            unit = "chengguan"
            plan.unit = unit
        else:
            unit = self._route(plan, units, assign=assign)
        if target in {Status.FORWARDED, Status.ASSIGNED}:
            self.maybe_repeat(plan)
            return
        head = c.head(unit)
        handler = rng.choice(c.handlers(unit))
        sponsor = c.pick("leader", "leader2", "leader3") if self.chance(0.25) else None
        plan.add(
            self.days(1, 5),
            Accept,
            head,
            handler_id=handler.id,
            leader_id=sponsor.id if sponsor else None,
        )
        self.notice(plan, NoticeKind.ACCEPTANCE, 0.85)
        if target is Status.ACCEPTED:
            return
        if target is Status.CLOSED and self.chance(0.1):
            plan.add(self.days(3, 20), Withdraw, plan.clerk, "信访人书面申请撤回信访事项")
            return
        plan.add(self.days(0, 3), StartWork, handler)
        handler = self.handling.working(plan, unit, handler, sponsor)
        if target is Status.IN_PROGRESS:
            self.handling.maybe_redo(plan, unit, handler, assign)
            return
        if target is Status.EXTENDED or self.chance(0.12):
            plan.add(
                self.days(20, 45),
                Extend,
                head,
                rng.choice(EXTENSION_REASONS),
                days=rng.choice((10, 15, 20, 30)),
                approved_by=c.people[rng.choice(("leader", "leader2"))].name,
            )
            self.notice(plan, NoticeKind.EXTENSION, 0.5)
            if target is Status.EXTENDED:
                return
        if assign:
            self.handling.report(plan, unit, handler)
        else:
            self.handling.respond(plan, unit, handler)
        if target is Status.REPORT_SUBMITTED:
            return
        self.handling.after_response(plan, unit, handler)
